//! BACKUP and RESTORE as the scenarios use them: timed from submission to the job's end.

use std::path::Path;

use tabvault_snapshot::{
    BackupOptions, BackupRequest, JobRecord, RepositoryOptions, RestoreOptions, RestoreRequest,
    SnapshotService,
};
use tabvault_storage::Engine;

use crate::Result;
use crate::data::DB;
use crate::fsops::utf8;
use crate::stats::timed;

/// Fails unless the job FINISHED.
pub fn finished(record: JobRecord) -> Result<JobRecord> {
    if record.state == "FINISHED" {
        Ok(record)
    } else {
        Err(format!(
            "{:?} job {} ended {}: {:?}",
            record.kind, record.label, record.state, record.status
        )
        .into())
    }
}

/// Registers a repository named `repository` at `location` (untimed).
pub fn add_repository(service: &SnapshotService, repository: &str, location: &Path) -> Result<()> {
    service.create_repository(
        repository,
        utf8(location)?,
        &RepositoryOptions::default(),
        false,
        None,
    )?;
    Ok(())
}

/// The request for a full backup of the database as `snapshot`.
pub fn backup_request(repository: &str, snapshot: &str) -> BackupRequest {
    BackupRequest {
        database: DB.into(),
        snapshot: snapshot.into(),
        repository: repository.into(),
        objects: vec![],
        options: BackupOptions::default(),
    }
}

/// BACKUP of the whole database to `repository` as `snapshot`: seconds from submission to
/// FINISHED, and the final job record (progress: files and bytes transferred).
pub fn backup(
    service: &SnapshotService,
    repository: &str,
    snapshot: &str,
) -> Result<(f64, JobRecord)> {
    let request = backup_request(repository, snapshot);
    timed(|| finished(service.backup(&request)?.wait()))
}

/// RESTORE of `snapshot` (taken at `timestamp`) from the repository at `location` into a fresh
/// engine at `engine_dir`: opening the engine and attaching the repository are untimed; the
/// restore (download, size + BLAKE3 verification, commit) is timed.
pub fn restore_fresh(
    location: &Path,
    snapshot: &str,
    timestamp: &str,
    engine_dir: &Path,
) -> Result<(f64, JobRecord)> {
    let service = SnapshotService::open(Engine::open(engine_dir)?)?;
    service.create_repository(
        "source",
        utf8(location)?,
        &RepositoryOptions::default(),
        true,
        None,
    )?;
    let request = RestoreRequest {
        database: DB.into(),
        snapshot: snapshot.into(),
        repository: "source".into(),
        objects: vec![],
        options: RestoreOptions::at(timestamp),
    };
    let outcome = timed(|| finished(service.restore(&request)?.wait()));
    service.shutdown();
    outcome
}
