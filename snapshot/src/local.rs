//! Local hard-link snapshots. Capture pins the catalog (one `Arc` clone: an instant, and no writer
//! waits for it), then hard-links exactly the pinned versions' files into `snapshots/<id>/files/`
//! and writes the manifest. Cost is O(files), flat in bytes. The pin keeps the files from being
//! garbage-collected until they are linked; afterwards the links keep them, whatever compaction or
//! DROP does.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tabvault_storage::internal::{
    create_dir_durable, create_private_dir, private_file_options, sync_dir, write_file_durable,
};
use tabvault_storage::{CatalogState, Engine, Table};

use crate::error::{Result, SnapshotError};
use crate::manifest::{
    PartitionEntry, RowsetEntry, SNAPSHOT_FORMAT_VERSION, SnapshotManifest, TableEntry, TabletEntry,
};
use crate::object_spec::ObjectSpec;

/// Directory of local snapshots under the engine's data directory.
pub const LOCAL_SNAPSHOTS_DIR: &str = "snapshots";
/// Subdirectory of a local snapshot holding the linked files.
pub const FILES_DIR: &str = "files";
/// The manifest inside a local snapshot.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A local snapshot on disk.
#[derive(Debug)]
pub struct LocalSnapshot {
    /// Its directory.
    pub dir: PathBuf,
    /// What it holds.
    pub manifest: SnapshotManifest,
}

/// The name of the local file holding content `checksum`/`size`.
pub fn local_file_name(checksum: &str, size_bytes: u64) -> String {
    format!("{checksum}-{size_bytes}.parquet")
}

/// Refuses an alias in a BACKUP's ON list (only RESTORE takes one), with StarRocks' message.
pub(crate) fn refuse_aliases(objects: &[ObjectSpec]) -> Result<()> {
    match objects.iter().find_map(|o| Some((o, o.alias.as_ref()?))) {
        Some((object, alias)) => Err(SnapshotError::AliasInBackup {
            name: object.name.clone(),
            alias: alias.clone(),
        }),
        None => Ok(()),
    }
}

/// Checks a BACKUP's ON list against the catalog: database, tables or views, partitions,
/// duplicates, no alias.
/// An empty list means every table and view of the database.
pub fn resolve_objects(
    catalog: &CatalogState,
    db: &str,
    objects: &[ObjectSpec],
) -> Result<Vec<ObjectSpec>> {
    let database = catalog
        .database(db)
        .ok_or_else(|| SnapshotError::UnknownDatabase(db.to_owned()))?;
    if objects.is_empty() {
        let tables = catalog
            .tables_of(database.id)
            .into_iter()
            .map(|t| ObjectSpec::named(&t.name));
        let views = database.views.keys().map(ObjectSpec::named);
        return Ok(tables.chain(views).collect());
    }
    refuse_aliases(objects)?;
    let mut seen = BTreeSet::new();
    for object in objects {
        if !seen.insert(object.name.as_str()) {
            return Err(SnapshotError::DuplicatedTable(object.name.clone()));
        }
        match catalog.table(database.id, &object.name) {
            Some(table) => {
                for partition in object.partitions.iter().flatten() {
                    if table.partition(partition).is_none() {
                        return Err(SnapshotError::UnknownPartition {
                            partition: partition.clone(),
                            table: object.name.clone(),
                        });
                    }
                }
            }
            None if database.views.contains_key(&object.name) && object.partitions.is_none() => {}
            None => return Err(SnapshotError::UnknownTable(object.name.clone())),
        }
    }
    Ok(objects.to_vec())
}

/// Builds the manifest of `objects` from a pinned catalog.
pub fn manifest_of(
    catalog: &CatalogState,
    db: &str,
    objects: &[ObjectSpec],
) -> Result<SnapshotManifest> {
    let objects = resolve_objects(catalog, db, objects)?;
    let database = catalog
        .database(db)
        .ok_or_else(|| SnapshotError::UnknownDatabase(db.to_owned()))?;
    let mut manifest = SnapshotManifest {
        format_version: SNAPSHOT_FORMAT_VERSION,
        database: db.to_owned(),
        tables: vec![],
        views: vec![],
    };
    for object in &objects {
        match catalog.table(database.id, &object.name) {
            Some(table) => manifest
                .tables
                .push(table_entry(table, object.partitions.as_deref())),
            None => {
                if let Some(view) = database.views.get(&object.name) {
                    manifest.views.push(view.clone());
                }
            }
        }
    }
    manifest.tables.sort_by(|a, b| a.name.cmp(&b.name));
    manifest.views.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(manifest)
}

fn table_entry(table: &Table, partitions: Option<&[String]>) -> TableEntry {
    let chosen = table
        .partitions_in_order()
        .into_iter()
        .filter(|p| partitions.is_none_or(|names| names.contains(&p.name)))
        .map(|p| PartitionEntry {
            name: p.name.clone(),
            bound: p.bound.clone(),
            version: p.visible_version,
            tablets: p
                .tablets
                .iter()
                .map(|t| TabletEntry {
                    rowsets: t
                        .rowsets
                        .iter()
                        .map(|r| RowsetEntry {
                            kind: r.kind,
                            version: r.version,
                            size_bytes: r.file.size_bytes,
                            checksum: r.file.checksum.clone(),
                            rows: r.file.rows,
                            columns: r.file.columns.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    TableEntry {
        name: table.name.clone(),
        schema: (*table.schema).clone(),
        partitions: chosen,
    }
}

/// Captures `objects` of `db` at this instant into `dir`: hard links plus manifest. `cancelled`
/// is polled between files; when it returns true the partial snapshot is removed. With `durable`
/// the directory entries and manifest are fsync'd, so the snapshot survives a power loss; a
/// BACKUP's snapshot does not need that (a restart removes it anyway) and skips those fsyncs.
pub fn capture(
    engine: &Engine,
    db: &str,
    objects: &[ObjectSpec],
    dir: &Path,
    durable: bool,
    cancelled: &dyn Fn() -> bool,
) -> Result<LocalSnapshot> {
    let catalog: Arc<CatalogState> = engine.catalog();
    let manifest = manifest_of(&catalog, db, objects)?;
    let outcome = link_files(engine, &catalog, &manifest, dir, durable, cancelled);
    drop(catalog);
    if let Err(e) = outcome {
        let _ = fs::remove_dir_all(dir);
        return Err(e);
    }
    Ok(LocalSnapshot {
        dir: dir.to_owned(),
        manifest,
    })
}

fn link_files(
    engine: &Engine,
    catalog: &CatalogState,
    manifest: &SnapshotManifest,
    dir: &Path,
    durable: bool,
    cancelled: &dyn Fn() -> bool,
) -> Result<()> {
    let files = dir.join(FILES_DIR);
    if durable {
        create_dir_durable(&files)?;
    } else {
        create_private_dir(&files, true).map_err(|e| io_error(&files, e))?;
    }
    let wanted: BTreeSet<(String, u64)> = manifest
        .rowsets()
        .map(|r| (r.checksum.clone(), r.size_bytes))
        .collect();
    let mut done = BTreeSet::new();
    for rowset in catalog.rowsets() {
        let key = (rowset.file.checksum.clone(), rowset.file.size_bytes);
        if !wanted.contains(&key) || done.contains(&key) {
            continue;
        }
        if cancelled() {
            return Err(SnapshotError::Cancelled(
                "cancelled while linking files".into(),
            ));
        }
        let target = files.join(local_file_name(&key.0, key.1));
        let source = engine.root().join(&rowset.file.path);
        fs::hard_link(&source, &target).map_err(|e| {
            SnapshotError::from(tabvault_storage::StorageError::Io {
                context: format!("linking {} to {}", source.display(), target.display()),
                source: e,
            })
        })?;
        done.insert(key);
    }
    let manifest_path = dir.join(MANIFEST_FILE);
    let bytes = manifest.encode()?;
    if durable {
        sync_dir(&files)?;
        write_file_durable(&manifest_path, &bytes)?;
    } else {
        private_file_options()
            .open(&manifest_path)
            .and_then(|mut file| file.write_all(&bytes))
            .map_err(|e| io_error(&manifest_path, e))?;
    }
    Ok(())
}

/// Deletes a local snapshot directory (absent is fine).
pub fn release(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(tabvault_storage::StorageError::Io {
            context: format!("removing {}", dir.display()),
            source: e,
        }
        .into()),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> SnapshotError {
    tabvault_storage::StorageError::Io {
        context: format!("writing {}", path.display()),
        source,
    }
    .into()
}
