//! The RESTORE state machine: PENDING → SNAPSHOTING → DOWNLOAD → DOWNLOADING → COMMIT →
//! COMMITTING → FINISHED, or CANCELLED. Files are downloaded into `staging/<job>/` and verified;
//! the catalog changes in exactly one metadata record at COMMITTING (beyond StarRocks: atomic).
//! Before that record nothing visible has changed, whatever fails, is cancelled or crashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tabvault_storage::internal::{create_dir_durable, hash_file};
use tabvault_storage::{
    InstallPartition, InstallPlan, InstallTable, PartitionBound, PartitionDef, PartitionScheme,
    StagedRowset, TableLocks,
};

use crate::compare::check_existing_table;
use crate::error::{Result, SnapshotError};
use crate::footer::{RowsetUse, check_rowset_file};
use crate::job::{Job, RestoreState, stop_error};
use crate::local::local_file_name;
use crate::manifest::{SnapshotManifest, TableEntry};
use crate::object_spec::ObjectSpec;
use crate::options::RestoreOptions;
use crate::parallel::for_each_parallel;
use crate::repository::Repository;
use crate::service::ServiceInner;

/// Directory of restore staging areas under the data directory.
pub const STAGING_DIR: &str = "staging";

/// A RESTORE SNAPSHOT statement, typed.
#[derive(Clone, Debug)]
pub struct RestoreRequest {
    /// Target database (created if missing).
    pub database: String,
    /// Snapshot name.
    pub snapshot: String,
    /// Repository name.
    pub repository: String,
    /// The ON list; empty for everything in the snapshot.
    pub objects: Vec<ObjectSpec>,
    /// Which backup run, timeout and StarRocks' stored settings (PROPERTIES, parsed by the SQL
    /// layer).
    pub options: RestoreOptions,
}

/// What one restored snapshot table becomes.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The snapshot's table, trimmed to the restored partitions.
    pub entry: TableEntry,
    /// Name in the target database.
    pub name: String,
}

/// Resolves the ON list against the manifest: existence in the snapshot, duplicates, aliases.
/// Returns the tables (trimmed) and view names to restore.
pub(crate) fn select(
    manifest: &SnapshotManifest,
    label: &str,
    objects: &[ObjectSpec],
) -> Result<(Vec<Target>, Vec<String>)> {
    if objects.is_empty() {
        let tables = manifest
            .tables
            .iter()
            .map(|t| Target {
                entry: t.clone(),
                name: t.name.clone(),
            })
            .collect();
        return Ok((
            tables,
            manifest.views.iter().map(|v| v.name.clone()).collect(),
        ));
    }
    let mut names = BTreeSet::new();
    let mut targets_seen = BTreeSet::new();
    let (mut tables, mut views) = (Vec::new(), Vec::new());
    for object in objects {
        if !names.insert(object.name.as_str()) {
            return Err(SnapshotError::DuplicatedTable(object.name.clone()));
        }
        let target = object.alias.clone().unwrap_or_else(|| object.name.clone());
        tabvault_storage::validate_name(&target)?;
        if !targets_seen.insert(target.clone()) {
            return Err(SnapshotError::DuplicatedAlias(target));
        }
        if let Some(entry) = manifest.table(&object.name) {
            let mut entry = entry.clone();
            if let Some(wanted) = &object.partitions {
                for p in wanted {
                    if !entry.partitions.iter().any(|e| &e.name == p) {
                        return Err(SnapshotError::PartitionNotInSnapshot {
                            partition: p.clone(),
                            table: object.name.clone(),
                            snapshot: label.to_owned(),
                        });
                    }
                }
                entry.partitions.retain(|e| wanted.contains(&e.name));
            }
            tables.push(Target {
                entry,
                name: target,
            });
        } else if manifest.view(&object.name).is_some()
            && object.partitions.is_none()
            && object.alias.is_none()
        {
            views.push(object.name.clone());
        } else {
            return Err(SnapshotError::TableNotInSnapshot {
                table: object.name.clone(),
                snapshot: label.to_owned(),
            });
        }
    }
    Ok((tables, views))
}

/// Reads a snapshot's info and manifest, turning failures into StarRocks' "Failed to get info".
pub(crate) fn read_snapshot(
    repository: &Repository,
    label: &str,
    timestamp: &str,
) -> Result<SnapshotManifest> {
    let failed = |e: SnapshotError| SnapshotError::SnapshotInfo {
        label: label.to_owned(),
        msg: e.to_string(),
    };
    let info = repository.read_info(label, timestamp).map_err(failed)?;
    repository.read_manifest(&info).map_err(failed)
}

/// The ON list a job record holds, as restore objects.
fn requested_objects(record: &crate::job::JobRecord) -> Vec<ObjectSpec> {
    record
        .objects
        .iter()
        .map(|o| ObjectSpec {
            name: o.name.clone(),
            partitions: o.partitions.clone(),
            alias: o.alias.clone(),
        })
        .collect()
}

/// Runs one RESTORE job to its end.
pub(crate) fn run_restore(service: &ServiceInner, job: &Arc<Job>) {
    let staging = staging_dir(service, job.id());
    let outcome = restore_steps(service, job, &staging);
    if let Err(e) = crate::local::release(&staging) {
        tracing::warn!(error = %e, "could not remove a restore staging area; it is removed at the next open");
    }
    match outcome {
        Ok(()) => service.finish(job, RestoreState::Finished),
        Err(e) => service.fail(job, &e),
    }
}

fn staging_dir(service: &ServiceInner, job_id: u64) -> PathBuf {
    service
        .engine
        .root()
        .join(STAGING_DIR)
        .join(job_id.to_string())
}

/// Removes what an interrupted restore left: its staging area (nothing else is visible).
pub(crate) fn cleanup_after_restart(service: &ServiceInner, record: &crate::job::JobRecord) {
    if let Err(e) = crate::local::release(&staging_dir(service, record.id)) {
        tracing::warn!(error = %e, "could not remove a restore staging area");
    }
}

/// Whether an interrupted restore's commit was published before the restart: its job file still
/// says COMMITTING, but the one install record may have been durable. True when every restored
/// partition holds exactly the snapshot's version and files and every restored view is in place.
/// When the snapshot cannot be read now, false (the job is then shown CANCELLED).
pub(crate) fn committed_before_restart(
    service: &ServiceInner,
    record: &crate::job::JobRecord,
) -> bool {
    let Ok(repository) = service.repository(&record.repository) else {
        return false;
    };
    let Ok(manifest) = read_snapshot(&repository, &record.label, &record.timestamp) else {
        return false;
    };
    let objects = requested_objects(record);
    let Ok((targets, views)) = select(&manifest, &record.label, &objects) else {
        return false;
    };
    let catalog = service.engine.catalog();
    let Some(db) = catalog.database(&record.database) else {
        return false;
    };
    let tables_match = targets.iter().all(|target| {
        let Some(table) = catalog.table(db.id, &target.name) else {
            return false;
        };
        let unpartitioned = matches!(
            table.schema.partition_scheme,
            PartitionScheme::Unpartitioned
        );
        target.entry.partitions.iter().all(|p| {
            let local = if unpartitioned {
                table.partitions.values().next()
            } else {
                table.partition(&p.name)
            };
            local.is_some_and(|local| {
                local.visible_version == p.version
                    && local.tablets.len() == p.tablets.len()
                    && local.tablets.iter().zip(&p.tablets).all(|(mine, theirs)| {
                        mine.rowsets.len() == theirs.rowsets.len()
                            && mine
                                .rowsets
                                .iter()
                                .zip(&theirs.rowsets)
                                .all(|(a, b)| a.file.checksum == b.checksum)
                    })
            })
        })
    });
    tables_match
        && views.iter().all(|v| {
            db.views
                .get(v)
                .is_some_and(|mine| Some(mine) == manifest.view(v))
        })
}

fn restore_steps(service: &ServiceInner, job: &Arc<Job>, staging: &Path) -> Result<()> {
    let record = job.record();
    let repository = service.repository(&record.repository)?;
    service.advance(job, RestoreState::Snapshoting)?;
    let manifest = read_snapshot(&repository, &record.label, &record.timestamp)?;
    let objects = requested_objects(&record);
    let (targets, view_names) = select(&manifest, &record.label, &objects)?;
    let (locks, plan_tables) = check_targets(
        service,
        &record.database,
        &targets,
        &view_names,
        job.id(),
        &record.label,
    )?;
    let now = service.now_ms();
    job.update(|r| {
        r.meta_prepared_time_ms = Some(now);
        r.snapshot_finished_time_ms = Some(now);
    });

    service.advance(job, RestoreState::Download)?;
    let mut files: BTreeMap<(String, u64), PathBuf> = BTreeMap::new();
    for target in &targets {
        for rowset in target
            .entry
            .partitions
            .iter()
            .flat_map(|p| &p.tablets)
            .flat_map(|t| &t.rowsets)
        {
            files.insert(
                (rowset.checksum.clone(), rowset.size_bytes),
                staging.join(local_file_name(&rowset.checksum, rowset.size_bytes)),
            );
        }
    }
    job.progress()
        .set_totals(files.len() as u64, files.keys().map(|(_, s)| s).sum());

    service.advance(job, RestoreState::Downloading)?;
    create_dir_durable(staging)?;
    download_all(service, job, &repository, &files)?;
    check_files(service, job, &repository, &targets, &plan_tables, &files)?;
    let now = service.now_ms();
    job.update(|r| r.transfer_finished_time_ms = Some(now));

    service.advance(job, RestoreState::Commit)?;
    let plan = InstallPlan {
        database: record.database.clone(),
        tables: targets
            .iter()
            .zip(plan_tables)
            .map(|(t, schema)| install_table(t, schema, &files))
            .collect(),
        views: view_names
            .iter()
            .filter_map(|v| manifest.view(v).cloned())
            .collect(),
    };

    service.advance(job, RestoreState::Committing)?;
    job.enter_commit(service.now_ms())?;
    service.engine.install(&plan, locks.as_ref())?;
    drop(locks);
    Ok(())
}

/// Locks the existing target tables and checks each against the snapshot. Returns the locks and,
/// per target, the schema to install with (the existing table's when it exists).
fn check_targets(
    service: &ServiceInner,
    database: &str,
    targets: &[Target],
    views: &[String],
    job_id: u64,
    label: &str,
) -> Result<(Option<TableLocks>, Vec<tabvault_storage::TableSchema>)> {
    let catalog = service.engine.catalog();
    let db = catalog.database(database);
    let existing: Vec<String> = targets
        .iter()
        .filter(|t| db.is_some_and(|d| catalog.table(d.id, &t.name).is_some()))
        .map(|t| t.name.clone())
        .collect();
    let locks = if existing.is_empty() {
        None
    } else {
        Some(service.engine.lock_tables(
            database,
            &existing,
            &format!("RESTORE job {job_id} ({label})"),
        )?)
    };
    let catalog = service.engine.catalog();
    let db = catalog.database(database);
    let mut schemas = Vec::with_capacity(targets.len());
    for target in targets {
        if db.is_some_and(|d| d.views.contains_key(&target.name)) {
            return Err(SnapshotError::SchemaMismatch(format!(
                "View {} has existed and it is not a Table",
                target.name
            )));
        }
        match db.and_then(|d| catalog.table(d.id, &target.name)) {
            Some(table) => {
                check_existing_table(
                    &target.name,
                    table,
                    &target.entry.schema,
                    &target.entry.partitions,
                )?;
                schemas.push((*table.schema).clone());
            }
            None => schemas.push(target.entry.schema.clone()),
        }
    }
    for view in views {
        if db.is_some_and(|d| catalog.table(d.id, view).is_some()) {
            return Err(SnapshotError::SchemaMismatch(format!(
                "Table: {view} has existed and it is not a View"
            )));
        }
    }
    Ok((locks, schemas))
}

fn install_table(
    target: &Target,
    schema: tabvault_storage::TableSchema,
    files: &BTreeMap<(String, u64), PathBuf>,
) -> InstallTable {
    let unpartitioned = matches!(schema.partition_scheme, PartitionScheme::Unpartitioned);
    let partitions = target
        .entry
        .partitions
        .iter()
        .map(|p| InstallPartition {
            def: PartitionDef {
                // The single partition of an unpartitioned table is named like the table.
                name: if unpartitioned && matches!(p.bound, PartitionBound::Whole) {
                    target.name.clone()
                } else {
                    p.name.clone()
                },
                bound: p.bound.clone(),
            },
            version: p.version,
            tablets: p
                .tablets
                .iter()
                .map(|t| {
                    t.rowsets
                        .iter()
                        .map(|r| StagedRowset {
                            kind: r.kind,
                            version: r.version,
                            path: files
                                .get(&(r.checksum.clone(), r.size_bytes))
                                .cloned()
                                .unwrap_or_default(),
                            size_bytes: r.size_bytes,
                            checksum: r.checksum.clone(),
                            rows: r.rows,
                            columns: r.columns.clone(),
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    InstallTable {
        name: target.name.clone(),
        schema,
        partitions,
    }
}

/// Downloads every file into staging and verifies size and BLAKE3 before anything is committed.
fn download_all(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &Repository,
    files: &BTreeMap<(String, u64), PathBuf>,
) -> Result<()> {
    let work: Vec<(&(String, u64), &PathBuf)> = files.iter().collect();
    for_each_parallel(&work, service.upload_threads, |((checksum, size), dest)| {
        download_one(service, job, repository, checksum, *size, dest)
    })
}

/// Checks every downloaded file against each manifest entry that uses it (row count, columns,
/// statistics: see [`crate::footer`]) before anything is installed, so that a forged manifest
/// cannot install statistics that hide rows. `schemas` are the targets' install schemas.
fn check_files(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &Repository,
    targets: &[Target],
    schemas: &[tabvault_storage::TableSchema],
    files: &BTreeMap<(String, u64), PathBuf>,
) -> Result<()> {
    let mut uses: BTreeMap<(String, u64), Vec<RowsetUse<'_>>> = BTreeMap::new();
    for (target, schema) in targets.iter().zip(schemas) {
        for partition in &target.entry.partitions {
            for rowset in partition.tablets.iter().flat_map(|t| &t.rowsets) {
                uses.entry((rowset.checksum.clone(), rowset.size_bytes))
                    .or_default()
                    .push(RowsetUse {
                        table: &target.entry.name,
                        partition: &partition.name,
                        rowset,
                        schema,
                    });
            }
        }
    }
    let work: Vec<_> = uses.iter().collect();
    for_each_parallel(&work, service.upload_threads, |(key, uses)| {
        if let Some(reason) = job.stop_reason(service.now_ms()) {
            return Err(stop_error(reason));
        }
        let (checksum, size) = key;
        let path = files
            .get(key)
            .ok_or_else(|| SnapshotError::corrupted(checksum.clone(), "file was not downloaded"))?;
        let what = repository.data_file(checksum, *size)?.to_string();
        check_rowset_file(path, &what, uses)
    })
}

fn download_one(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &Repository,
    checksum: &str,
    size: u64,
    dest: &Path,
) -> Result<()> {
    if let Some(reason) = job.stop_reason(service.now_ms()) {
        return Err(stop_error(reason));
    }
    let source = repository.data_file(checksum, size)?;
    service.with_retry(job, || Ok(repository.store().get_file(&source, dest)?))?;
    let actual_size = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(u64::MAX);
    let actual = hash_file(dest)?;
    if actual != checksum || actual_size != size {
        return Err(SnapshotError::corrupted(
            source.to_string(),
            format!(
                "checksum mismatch: expected {checksum} ({size} bytes), downloaded {actual} ({actual_size} bytes)"
            ),
        ));
    }
    job.progress().file_done(size, true);
    Ok(())
}
