//! The BACKUP state machine: PENDING → SNAPSHOTING → UPLOAD_SNAPSHOT → UPLOADING → SAVE_META →
//! UPLOAD_INFO → FINISHED, or CANCELLED from any state before FINISHED. The info file is the commit
//! point: a snapshot without one is invisible, and a cancel after it is refused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{BackupState, Job, stop_error};
use crate::error::Result;
use crate::iceberg;
use crate::layout;
use crate::local::{self, FILES_DIR, local_file_name};
use crate::manifest::{InfoObject, SNAPSHOT_FORMAT_VERSION, SnapshotInfo};
use crate::object_spec::ObjectSpec;
use crate::repository::{RepoPath, TransferMethod};
use crate::service::ServiceInner;

/// Runs one BACKUP job to its end (FINISHED or CANCELLED).
pub(crate) fn run_backup(service: &ServiceInner, job: &Arc<Job>) {
    let snapshot_dir = service.local_snapshot_dir(job.id());
    let outcome = backup_steps(service, job, &snapshot_dir);
    if let Err(e) = local::release(&snapshot_dir) {
        tracing::warn!(error = %e, "could not release a local snapshot; it is removed at the next open");
    }
    let record = job.record();
    release_lease(service, &record);
    match outcome {
        Ok(()) => {
            match crate::prune::apply_retention(service, &record.repository, &record.label, job) {
                Ok(dropped) if !dropped.is_empty() => {
                    tracing::info!(?dropped, "retention dropped snapshots");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not apply the repository's retention"),
            }
            service.finish(job, BackupState::Finished);
        }
        // The info file is the commit point: once it is written the snapshot is complete.
        Err(_)
            if job_committed(
                service,
                &record.repository,
                &record.label,
                &record.timestamp,
            ) =>
        {
            service.finish(job, BackupState::Finished);
        }
        Err(e) => {
            cleanup_unpublished(service, &record);
            service.fail(job, &e);
        }
    }
}

fn backup_steps(
    service: &ServiceInner,
    job: &Arc<Job>,
    snapshot_dir: &std::path::Path,
) -> Result<()> {
    let record = job.record();
    let repository = service.repository(&record.repository)?;
    service.advance(job, BackupState::Snapshoting)?;
    let objects: &[ObjectSpec] = &record.objects;
    let clock = service.engine.clock().clone();
    let snapshot = local::capture(
        &service.engine,
        &record.database,
        objects,
        snapshot_dir,
        false,
        &|| job.stop_reason(clock.now_ms()).is_some(),
    )
    .map_err(|e| match job.stop_reason(clock.now_ms()) {
        Some(reason) => stop_error(reason),
        None => e,
    })?;
    let now = service.now_ms();
    job.update(|r| r.snapshot_finished_time_ms = Some(now));

    service.advance(job, BackupState::UploadSnapshot)?;
    let mut files: BTreeMap<RepoPath, Upload> = BTreeMap::new();
    for rowset in snapshot.manifest.rowsets() {
        let local = snapshot
            .dir
            .join(FILES_DIR)
            .join(local_file_name(&rowset.checksum, rowset.size_bytes));
        files.insert(
            repository.data_file(&rowset.checksum, rowset.size_bytes)?,
            Upload {
                local,
                size: rowset.size_bytes,
                checksum: rowset.checksum.clone(),
            },
        );
    }
    job.progress()
        .set_totals(files.len() as u64, files.values().map(|u| u.size).sum());
    take_lease(service, job, &repository, files.keys())?;

    service.advance(job, BackupState::Uploading)?;
    let sizes: Vec<(RepoPath, u64)> = files.iter().map(|(p, u)| (p.clone(), u.size)).collect();
    upload_all(service, job, &repository, files.into_iter().collect())?;
    let now = service.now_ms();
    job.update(|r| r.transfer_finished_time_ms = Some(now));

    service.advance(job, BackupState::SaveMeta)?;
    let meta = snapshot.manifest.encode()?;
    let info = SnapshotInfo {
        format_version: SNAPSHOT_FORMAT_VERSION,
        name: record.label.clone(),
        database: record.database.clone(),
        timestamp: record.timestamp.clone(),
        backup_time_ms: record.create_time_ms,
        meta_checksum: blake3::hash(&meta).to_hex().to_string(),
        meta_size_bytes: meta.len() as u64,
        objects: snapshot
            .manifest
            .tables
            .iter()
            .map(|t| InfoObject {
                name: t.name.clone(),
                is_view: false,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| (p.name.clone(), p.version))
                    .collect(),
            })
            .chain(snapshot.manifest.views.iter().map(|v| InfoObject {
                name: v.name.clone(),
                is_view: true,
                partitions: vec![],
            }))
            .collect(),
        backup_result: "succeed".into(),
    };
    let meta_path = layout::meta_file(&record.label)?;
    service.with_retry(job, || repository.put(&meta_path, meta.clone()))?;
    if repository.store().iceberg_enabled() {
        write_iceberg(service, job, &repository, &snapshot)?;
    }

    service.advance(job, BackupState::UploadInfo)?;
    job.enter_commit(service.now_ms())?;
    check_present(service, job, &repository, &sizes)?;
    let info_path = layout::info_file(&record.label, &record.timestamp)?;
    let info = info.encode()?;
    service.with_retry(job, || repository.put(&info_path, info.clone()))?;
    Ok(())
}

/// Writes the Iceberg view of the snapshot (see `crate::iceberg`) before the info file publishes
/// it. Tables that cannot be expressed, or a repository without a URI readers could use, are
/// left out and said so in the job's TaskErrMsg (SHOW BACKUP): the Iceberg view is an export,
/// and never fails a backup. Uploads
/// fail it like any other upload. Every table's `version-hint.text` goes last.
fn write_iceberg(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    snapshot: &local::LocalSnapshot,
) -> Result<()> {
    let record = job.record();
    let run = iceberg::Run {
        label: &record.label,
        timestamp: &record.timestamp,
        time_ms: record.create_time_ms,
    };
    let files_dir = snapshot.dir.join(FILES_DIR);
    let read_keys = |rowset: &crate::manifest::RowsetEntry, keys: &[String]| {
        let file = local_file_name(&rowset.checksum, rowset.size_bytes);
        iceberg::read_local_keys(&files_dir.join(file), keys)
    };
    let plan = match iceberg::plan_snapshot(repository.store(), &snapshot.manifest, run, &read_keys)
    {
        Ok(plan) => plan,
        Err(e) => {
            tracing::warn!(error = %e, label = %record.label, "no Iceberg metadata written");
            job.update(|r| r.task_err_msg = Some(format!("no Iceberg view written: {e}")));
            return Ok(());
        }
    };
    if !plan.skipped.is_empty() {
        let reasons: Vec<String> = plan.skipped.iter().map(ToString::to_string).collect();
        tracing::warn!(?reasons, label = %record.label, "tables left out of the Iceberg view");
        let message = format!("left out of the Iceberg view: {}", reasons.join("; "));
        job.update(|r| r.task_err_msg = Some(message));
    }
    // A few small files per table, whose time is the store's latency rather than CPU: they go
    // up together (locally with one fsync per file and per directory, see `put_groups`), each
    // retried on its own.
    let groups = plan.upload_groups();
    let retry = |attempt: &dyn Fn() -> std::result::Result<(), crate::RepositoryError>| {
        service.with_retry(job, || Ok(attempt()?))
    };
    repository
        .store()
        .put_groups(&groups, service.upload_threads, &retry)
}

/// Writes the job's lease naming every data file its manifest will reference, before any is
/// uploaded or reused, so that no repository cleanup deletes them meanwhile.
fn take_lease<'a>(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    files: impl Iterator<Item = &'a RepoPath>,
) -> Result<()> {
    let record = job.record();
    let Some(name) = &record.lease else {
        return Ok(());
    };
    let lease = crate::lease::Lease {
        format_version: crate::lease::LEASE_FORMAT_VERSION,
        label: record.label.clone(),
        job_id: record.id,
        create_time_ms: record.create_time_ms,
        timeout_s: record.timeout_s,
        files: files.map(ToString::to_string).collect(),
    };
    service.with_retry(job, || {
        crate::lease::write(repository.store(), name, &lease)
    })
}

/// Removes the job's lease (at its end, whatever the outcome). A lease left behind is harmless:
/// it only keeps files, and is ignored once past its job's deadline.
fn release_lease(service: &ServiceInner, record: &super::JobRecord) {
    let Some(name) = &record.lease else {
        return;
    };
    let removed = service
        .repository(&record.repository)
        .and_then(|repository| crate::lease::remove(repository.store(), name));
    if let Err(e) = removed {
        tracing::warn!(error = %e, lease = %name, "could not remove a backup's lease");
    }
}

/// Checks that every data file the manifest names is in the repository with its size, just before
/// the info file publishes the snapshot.
fn check_present(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    files: &[(RepoPath, u64)],
) -> Result<()> {
    crate::parallel::for_each_parallel(
        files,
        service.transfer_threads(repository),
        |(path, size)| {
            let present = service.with_retry(job, || Ok(repository.store().size(path)?))?;
            if present == Some(*size) {
                Ok(())
            } else {
                Err(crate::error::SnapshotError::MissingDataFile(
                    path.to_string(),
                ))
            }
        },
    )
}

/// Uploads every file not already in the repository, on several threads, checking for cancel and
/// timeout between files.
fn upload_all(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    files: Vec<(RepoPath, Upload)>,
) -> Result<()> {
    crate::parallel::for_each_parallel(
        &files,
        service.transfer_threads(repository),
        |(path, upload)| upload_one(service, job, repository, path, upload),
    )
}

/// One data file a backup puts in the repository.
struct Upload {
    /// The local snapshot's hard link to it.
    local: PathBuf,
    /// Its size in bytes.
    size: u64,
    /// Its BLAKE3, which its repository name is derived from.
    checksum: String,
}

fn upload_one(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    path: &RepoPath,
    upload: &Upload,
) -> Result<()> {
    let (local, size) = (upload.local.as_path(), upload.size);
    if let Some(reason) = job.stop_reason(service.now_ms()) {
        return Err(stop_error(reason));
    }
    let present = service.with_retry(job, || Ok(repository.store().size(path)?))?;
    if present == Some(size)
        && (!job.verifies_existing()
            || holds_named_bytes(service, job, repository, path, &upload.checksum, size)?)
    {
        job.progress().file_done(size, false);
        return Ok(());
    }
    let method: TransferMethod =
        service.with_retry(job, || Ok(repository.store().put_file(path, local)?))?;
    tracing::debug!(file = %path, ?method, "uploaded");
    job.progress().file_done(size, true);
    Ok(())
}

/// Whether the repository's copy of the data file at `path` really has the bytes its
/// content-addressed name promises (BLAKE3 and size, hashed as it streams). A copy that does not
/// (damaged in place, or gone meanwhile) is then uploaded over: the put is atomic, so readers see
/// the old or the new file, never a part.
fn holds_named_bytes(
    service: &ServiceInner,
    job: &Arc<Job>,
    repository: &crate::repository::Repository,
    path: &RepoPath,
    checksum: &str,
    size: u64,
) -> Result<bool> {
    let found = service.with_retry(job, || Ok(repository.store().digest(path)?))?;
    let intact = found.is_some_and(|d| d.size == size && d.checksum == checksum);
    if !intact {
        tracing::warn!(file = %path, "repository copy does not match its name; uploading it again");
    }
    Ok(intact)
}

/// Whether the job's info file is in the repository (the job passed its commit point).
fn job_committed(service: &ServiceInner, repository: &str, label: &str, timestamp: &str) -> bool {
    let Ok(repository) = service.repository(repository) else {
        return false;
    };
    let Ok(path) = layout::info_file(label, timestamp) else {
        return false;
    };
    matches!(repository.store().size(&path), Ok(Some(_)))
}

/// Removes what a cancelled backup wrote under its snapshot name (data files are content-addressed
/// and may serve other snapshots; they stay): its run's Iceberg files, and the manifest.
fn cleanup_unpublished(service: &ServiceInner, record: &super::JobRecord) {
    let Ok(repository) = service.repository(&record.repository) else {
        return;
    };
    remove_run_iceberg(&repository, &record.label, &record.timestamp);
    let label = &record.label;
    // Only a listing that positively shows no info file proves the snapshot unpublished; on any
    // doubt the manifest stays (an orphan manifest is harmless, a published one is not).
    if !matches!(repository.has_snapshot(label), Ok(false)) {
        return;
    }
    if let Ok(path) = layout::meta_file(label)
        && let Err(e) = repository.store().delete(&path)
    {
        tracing::warn!(error = %e, "could not remove the manifest of a cancelled backup");
    }
}

/// Removes the Iceberg files one unpublished run wrote (its own directory: no other run shares
/// it; files the export does not write are left alone).
fn remove_run_iceberg(repository: &crate::repository::Repository, label: &str, timestamp: &str) {
    let removed = layout::iceberg_warehouse(label, timestamp).and_then(|dir| {
        let store = repository.store();
        let listed = store.list(&dir)?.into_iter().map(|(p, _)| p).collect();
        for path in iceberg::split_export_files(store, listed).0 {
            store.delete(&path)?;
        }
        Ok(())
    });
    if let Err(e) = removed {
        tracing::warn!(error = %e, "could not remove the Iceberg files of a cancelled backup");
    }
}

/// Whether a backup interrupted by a restart had written its info file (so it is complete).
pub(crate) fn published_before_restart(service: &ServiceInner, record: &super::JobRecord) -> bool {
    job_committed(
        service,
        &record.repository,
        &record.label,
        &record.timestamp,
    )
}

/// Removes what a backup interrupted by a restart left in its repository: an unpublished manifest
/// and its lease.
pub(crate) fn cleanup_after_restart(service: &ServiceInner, record: &super::JobRecord) {
    cleanup_unpublished(service, record);
    release_lease(service, record);
}
