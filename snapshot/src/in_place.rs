//! Reading a table of a repository snapshot where it lies, without restoring it (SQL's
//! `snapshot('repo', 'label', 'table')`): the manifest's table becomes a detached storage
//! [`TableVersion`], so scans prune partitions, buckets and files and merge PRIMARY KEY rowsets
//! exactly as they do for live tables. A local repository's files are read in place; an object
//! store's files are fetched, only those a scan selects, into a temporary directory that lives as
//! long as the scans of it, each checked against its BLAKE3 before it is read.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tabvault_storage::internal::hash_file;
use tabvault_storage::{
    FileMeta, Partition, Rowset, ScanRequest, Table, TableSchema, TableVersion, Tablet,
};

use crate::error::{Result, SnapshotError};
use crate::manifest::TableEntry;
use crate::repository::RepoPath;
use crate::repository::Repository;

/// One table of a repository snapshot, opened for reading in place.
pub struct SnapshotTable {
    repository: Arc<Repository>,
    database: String,
    table: Table,
    /// Where an object store's files are fetched to (`None` for a local repository).
    fetched: Option<Arc<tempfile::TempDir>>,
}

impl std::fmt::Debug for SnapshotTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotTable")
            .field("repository", &self.repository.name())
            .field("database", &self.database)
            .field("table", &self.table.name)
            .finish_non_exhaustive()
    }
}

impl SnapshotTable {
    /// Opens `table` of the snapshot whose manifest `repository` holds at `timestamp` (the newest
    /// when `None`), checking the manifest against its info file as RESTORE does.
    pub(crate) fn open(
        repository: Arc<Repository>,
        label: &str,
        timestamp: Option<&str>,
        table: &str,
    ) -> Result<Self> {
        let listing = repository
            .list_snapshots()?
            .into_iter()
            .find(|l| l.name == label)
            .ok_or_else(|| SnapshotError::SnapshotNotFound(label.to_owned()))?;
        let timestamp = match timestamp {
            Some(t) => t.to_owned(),
            None => listing
                .timestamps
                .last()
                .cloned()
                .ok_or_else(|| SnapshotError::SnapshotNotFound(label.to_owned()))?,
        };
        let manifest = crate::job::restore::read_snapshot(&repository, label, &timestamp)?;
        let entry = manifest
            .tables
            .iter()
            .find(|t| t.name == table)
            .ok_or_else(|| SnapshotError::TableNotInSnapshot {
                table: table.to_owned(),
                snapshot: label.to_owned(),
            })?;
        let fetched = match repository.store().local_root() {
            Some(_) => None,
            None => Some(Arc::new(
                tempfile::Builder::new()
                    .prefix("tabvault-snapshot-read-")
                    .tempdir()
                    .map_err(|e| tabvault_storage::StorageError::Io {
                        context: "creating a directory to fetch snapshot files into".into(),
                        source: e,
                    })?,
            )),
        };
        Ok(SnapshotTable {
            database: manifest.database.clone(),
            table: table_of(entry, &repository)?,
            repository,
            fetched,
        })
    }

    /// The table's schema as the snapshot recorded it.
    pub fn schema(&self) -> &TableSchema {
        &self.table.schema
    }

    /// The database the snapshot was taken of.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// A version of the table to scan with `request` (or any request selecting no more files):
    /// every file it selects is first checked present in a local repository with its recorded
    /// size (through the repository's own name checks, so no symbolic link is followed), or
    /// fetched from an object store and checked against its size and BLAKE3.
    pub fn version_for(&self, request: &ScanRequest) -> Result<TableVersion> {
        let (root, keep_alive) = match (&self.fetched, self.repository.store().local_root()) {
            (Some(dir), _) => (
                dir.path().to_path_buf(),
                Some(dir.clone() as Arc<dyn std::any::Any + Send + Sync>),
            ),
            (None, Some(root)) => (root.to_path_buf(), None),
            (None, None) => {
                return Err(SnapshotError::corrupted(
                    "repository",
                    "neither local nor fetched",
                ));
            }
        };
        let version = TableVersion::detached(root, &self.database, self.table.clone(), keep_alive);
        for file in version.tablet_files(request)?.iter().flatten() {
            let name = RepoPath::parse(&file.meta.path)?;
            match &self.fetched {
                Some(_) => self.fetch(&name, &file.path, &file.meta)?,
                None => self.check_present(&name, &file.meta)?,
            }
        }
        Ok(version)
    }

    fn check_present(&self, name: &RepoPath, meta: &FileMeta) -> Result<()> {
        match self.repository.store().size(name)? {
            Some(size) if size == meta.size_bytes => Ok(()),
            Some(size) => Err(SnapshotError::corrupted(
                name.to_string(),
                format!("{size} bytes, the manifest records {}", meta.size_bytes),
            )),
            None => Err(SnapshotError::corrupted(
                name.to_string(),
                "missing from the repository",
            )),
        }
    }

    /// Fetches `name` to `dest` unless an earlier scan did, and checks it.
    fn fetch(&self, name: &RepoPath, dest: &Path, meta: &FileMeta) -> Result<()> {
        if std::fs::metadata(dest).is_ok_and(|m| m.len() == meta.size_bytes) {
            return Ok(());
        }
        self.repository.store().get_file(name, dest)?;
        let size = std::fs::metadata(dest).map_or(u64::MAX, |m| m.len());
        let checksum = hash_file(dest)?;
        if size != meta.size_bytes || checksum != meta.checksum {
            let _ = std::fs::remove_file(dest);
            return Err(SnapshotError::corrupted(
                name.to_string(),
                format!(
                    "checksum mismatch: expected {} ({} bytes), fetched {checksum} ({size} bytes)",
                    meta.checksum, meta.size_bytes
                ),
            ));
        }
        Ok(())
    }
}

/// The manifest's table as a catalog entry whose rowset paths are the repository's
/// content-addressed names. Ids are local to it: nothing else ever sees them.
fn table_of(entry: &TableEntry, repository: &Repository) -> Result<Table> {
    let mut ids = 1..;
    let mut next_id = || ids.next().unwrap_or(u64::MAX);
    let mut partitions = BTreeMap::new();
    for partition in &entry.partitions {
        let mut tablets = Vec::with_capacity(partition.tablets.len());
        for tablet in &partition.tablets {
            let mut rowsets = Vec::with_capacity(tablet.rowsets.len());
            for rowset in &tablet.rowsets {
                rowsets.push(Arc::new(Rowset {
                    id: next_id(),
                    kind: rowset.kind,
                    version: rowset.version,
                    file: FileMeta {
                        path: repository
                            .data_file(&rowset.checksum, rowset.size_bytes)?
                            .to_string(),
                        size_bytes: rowset.size_bytes,
                        checksum: rowset.checksum.clone(),
                        rows: rowset.rows,
                        columns: rowset.columns.clone(),
                    },
                }));
            }
            tablets.push(Arc::new(Tablet {
                id: next_id(),
                rowsets,
            }));
        }
        let id = next_id();
        partitions.insert(
            id,
            Arc::new(Partition {
                id,
                name: partition.name.clone(),
                bound: partition.bound.clone(),
                visible_version: partition.version,
                visible_version_time_ms: 0,
                tablets,
            }),
        );
    }
    Ok(Table {
        id: 0,
        db_id: 0,
        name: entry.name.clone(),
        schema: Arc::new(entry.schema.clone()),
        partitions,
    })
}
