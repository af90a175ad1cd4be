//! One registered repository: what CREATE REPOSITORY recorded about it and its opened store, and
//! the snapshots in it (listing, reading info files and manifests, deleting one snapshot's own
//! files, cleaning up data files nothing references).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::error::{Result, SnapshotError};
use crate::layout::{self, SnapshotFile};
use crate::manifest::{SnapshotInfo, SnapshotManifest};
use crate::registry::RepositoryRecord;
use crate::repository::{RepoPath, RepositoryError, RepositoryStore};
use crate::retention::RetentionPolicy;

/// One registered repository.
pub struct Repository {
    pub(crate) record: RepositoryRecord,
    pub(crate) store: RepositoryStore,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("name", &self.record.name)
            .field("location", &self.record.location)
            .field("read_only", &self.record.read_only)
            .finish_non_exhaustive()
    }
}

/// A snapshot as SHOW SNAPSHOT lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotListing {
    /// Snapshot name.
    pub name: String,
    /// Every info timestamp, oldest first.
    pub timestamps: Vec<String>,
    /// Other files found in the snapshot's directory (e.g. interrupted uploads), never followed.
    pub invalid: Vec<String>,
}

impl Repository {
    /// Repository id (unique within this engine).
    pub fn id(&self) -> u64 {
        self.record.id
    }

    /// Name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Location the repository is opened at: what every I/O uses (a relative local location is
    /// resolved by the caller that created the repository; SHOW REPOSITORIES shows it as given).
    pub fn location(&self) -> &str {
        &self.record.location
    }

    /// Whether BACKUP is refused.
    pub fn read_only(&self) -> bool {
        self.record.read_only
    }

    /// The `WITH BROKER` name, if one was given (accepted for compatibility, not used).
    pub fn broker(&self) -> Option<&str> {
        self.record.broker.as_deref()
    }

    /// Creation time (of the repository itself when attached), ms since the epoch.
    pub fn create_time_ms(&self) -> u64 {
        self.record.create_time_ms
    }

    /// The byte store underneath.
    pub fn store(&self) -> &RepositoryStore {
        &self.store
    }

    /// Where the data file with plaintext BLAKE3 `checksum` and `size` lives in this repository
    /// (under a keyed address when it is encrypted).
    pub fn data_file(&self, checksum: &str, size: u64) -> Result<RepoPath> {
        layout::data_file(&self.store.content_address(checksum), size)
    }

    /// The retention policy applied after each BACKUP to it, if any.
    pub fn retention(&self) -> Option<RetentionPolicy> {
        self.record.retention
    }

    /// Lists complete snapshots (those with at least one info file).
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotListing>> {
        let prefix = crate::repository::RepoPath::parse(layout::SNAPSHOTS_DIR)?;
        let mut by_name: BTreeMap<String, SnapshotListing> = BTreeMap::new();
        let mut invalid: Vec<(String, String)> = Vec::new();
        for (path, _) in self.store.list(&prefix)? {
            match layout::classify(&path) {
                SnapshotFile::Info(name, ts) => {
                    by_name
                        .entry(name.clone())
                        .or_insert_with(|| SnapshotListing {
                            name,
                            timestamps: vec![],
                            invalid: vec![],
                        })
                        .timestamps
                        .push(ts);
                }
                SnapshotFile::Meta(_) => {}
                SnapshotFile::Other(text) => {
                    let name = text
                        .trim_start_matches("snapshots/")
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    invalid.push((name, text));
                }
            }
        }
        for (name, file) in invalid {
            if let Some(listing) = by_name.get_mut(&name) {
                listing.invalid.push(file);
            }
        }
        let mut out: Vec<SnapshotListing> = by_name.into_values().collect();
        for listing in &mut out {
            listing.timestamps.sort();
        }
        Ok(out)
    }

    /// Whether a complete snapshot of this name exists.
    pub fn has_snapshot(&self, name: &str) -> Result<bool> {
        Ok(self.list_snapshots()?.iter().any(|s| s.name == name))
    }

    /// Reads and validates one info file.
    pub fn read_info(&self, name: &str, timestamp: &str) -> Result<SnapshotInfo> {
        let path = layout::info_file(name, timestamp)?;
        let bytes = match self.store.get_bytes_at_most(&path, layout::INFO_MAX_BYTES) {
            Ok(bytes) => bytes,
            Err(RepositoryError::NotFound(_)) => {
                return Err(SnapshotError::SnapshotNotFound(format!(
                    "{name} with timestamp {timestamp}"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        decode_info(&path, name, timestamp, &bytes)
    }

    /// Reads the manifest an info file vouches for, checking its checksum and size.
    pub fn read_manifest(&self, info: &SnapshotInfo) -> Result<SnapshotManifest> {
        let path = layout::meta_file(&info.name)?;
        let bytes = self
            .store
            .get_bytes_at_most(&path, layout::META_MAX_BYTES)?;
        let checksum = blake3::hash(&bytes).to_hex().to_string();
        if checksum != info.meta_checksum || bytes.len() as u64 != info.meta_size_bytes {
            return Err(SnapshotError::corrupted(
                path.to_string(),
                "meta does not match the checksum in its info file",
            ));
        }
        decode_manifest(info, &path, &bytes)
    }

    /// Deletes a snapshot: info files first (it disappears from SHOW SNAPSHOT at once), then meta,
    /// then the files of its Iceberg view (`iceberg/<name>/`). Only names tabvault writes are
    /// deleted; anything else found there (a user's notes, another engine's commit to the Iceberg
    /// table) is kept and returned, so the caller can say so.
    /// Data files may be shared with other snapshots and are removed by [`Repository::remove_unreferenced_data`].
    pub fn delete_snapshot(&self, name: &str) -> Result<Vec<RepoPath>> {
        let dir = layout::snapshot_dir(name)?;
        let files = self.store.list(&dir)?;
        let (info, rest): (Vec<_>, Vec<_>) = files
            .into_iter()
            .map(|(path, _)| path)
            .partition(|p| matches!(layout::classify(p), SnapshotFile::Info(..)));
        if info.is_empty() {
            return Err(SnapshotError::SnapshotNotFound(name.to_owned()));
        }
        let mut kept = Vec::new();
        for path in info {
            self.store.delete(&path)?;
        }
        for path in rest {
            match layout::classify(&path) {
                SnapshotFile::Meta(_) => self.store.delete(&path)?,
                _ => kept.push(path),
            }
        }
        let listed = self.store.list(&layout::iceberg_snapshot_dir(name)?)?;
        let (ours, foreign) = crate::iceberg::split_export_files(
            &self.store,
            listed.into_iter().map(|(p, _)| p).collect(),
        );
        for path in ours {
            self.store.delete(&path)?;
        }
        kept.extend(foreign);
        Ok(kept)
    }

    /// Removes the content-addressed data files (exactly `data/<cc>/<checksum>-<size>.parquet`)
    /// that no manifest — published or still being written — and no unexpired lease of a running
    /// backup (see [`crate::lease`]) references. Nothing else is ever deleted; a manifest or lease
    /// that cannot be read stops the cleanup before it deletes anything. Data is listed before
    /// references are read, so a file uploaded meanwhile is never a candidate; a backup that
    /// reused a file removed meanwhile notices before it publishes (its final check).
    pub fn remove_unreferenced_data(&self, now_ms: u64) -> Result<usize> {
        let candidates = self
            .store
            .list(&crate::repository::RepoPath::parse(layout::DATA_DIR)?)?;
        let mut referenced = crate::lease::leased_files(&self.store, now_ms)?;
        let snapshots = crate::repository::RepoPath::parse(layout::SNAPSHOTS_DIR)?;
        for (path, _) in self.store.list(&snapshots)? {
            if !matches!(layout::classify(&path), SnapshotFile::Meta(_)) {
                continue;
            }
            let manifest = SnapshotManifest::decode(&self.store.get_bytes(&path)?)?;
            for rowset in manifest.rowsets() {
                referenced.insert(self.data_file(&rowset.checksum, rowset.size_bytes)?);
            }
        }
        let mut removed = 0;
        for (path, _) in candidates {
            if layout::parse_data_file(&path).is_some() && !referenced.contains(&path) {
                self.store.delete(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Writes bytes to the repository (atomic).
    pub(crate) fn put(&self, path: &crate::repository::RepoPath, bytes: Vec<u8>) -> Result<()> {
        Ok(self.store.put_bytes(path, Bytes::from(bytes))?)
    }
}

/// Decodes the info file at `path`, which must be the info of snapshot `name` at `timestamp`.
pub(crate) fn decode_info(
    path: &RepoPath,
    name: &str,
    timestamp: &str,
    bytes: &[u8],
) -> Result<SnapshotInfo> {
    let info = SnapshotInfo::decode(bytes)?;
    if info.name != name || info.timestamp != timestamp {
        return Err(SnapshotError::corrupted(
            path.to_string(),
            "info file names another snapshot",
        ));
    }
    Ok(info)
}

/// Decodes the manifest at `path` whose bytes `info` vouched for (checksum and size already
/// compared by the caller): it must be valid and of the info's database.
pub(crate) fn decode_manifest(
    info: &SnapshotInfo,
    path: &RepoPath,
    bytes: &[u8],
) -> Result<SnapshotManifest> {
    let manifest = SnapshotManifest::decode(bytes)?;
    if manifest.database != info.database {
        return Err(SnapshotError::corrupted(
            path.to_string(),
            "meta and info name different databases",
        ));
    }
    Ok(manifest)
}
