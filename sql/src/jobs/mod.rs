//! Repositories, snapshots and jobs: `CREATE/DROP REPOSITORY`, `BACKUP`, `RESTORE`, `CANCEL`,
//! `SHOW BACKUP/RESTORE/SNAPSHOT/REPOSITORIES`, `DROP SNAPSHOT` and `ADMIN VERIFY SNAPSHOT`,
//! mapped onto [`SnapshotService`](tabvault_snapshot::SnapshotService).
//!
//! A relative local repository location (no `scheme://`) is resolved against the data directory's
//! parent: with the default `./tabvault-data`, `"backups"` is `./backups`, a sibling on the same
//! filesystem (so backups hard-link), never inside the data directory (which the snapshot service
//! refuses, as it refuses an empty location). The resolved location is used for all I/O; SHOW
//! REPOSITORIES shows the location as typed.

use std::path::Path;

mod properties;
mod show;

use show::{ShowTable, verify_table};
pub(crate) use show::{
    show_backup, show_backup_history, show_repositories, show_restore, show_restore_history,
    show_snapshot,
};
use tabvault_snapshot::{
    BackupRequest, ObjectSpec, RepositoryOptions, RestoreRequest, SnapshotError, SnapshotSelection,
    TimestampBound, TimestampOp, VerifyRow,
};

use crate::error::{Result, SqlError};
use crate::parser::{
    Backup, Broker, CreateRepository, DropSnapshot, Restore, SnapshotObject, TimestampComparison,
    VerifySnapshot,
};
use crate::result::QueryResult;
use crate::session::Exec;

/// `CREATE [READ ONLY] REPOSITORY`.
pub fn create_repository(exec: &Exec<'_>, create: &CreateRepository) -> Result<QueryResult> {
    let broker = match &create.broker {
        Some(Broker::Named(name)) => Some(name.as_str()),
        _ => None,
    };
    let location = resolve_location(exec.engine().root(), &create.location);
    exec.snapshots().create_repository_typed(
        &create.name,
        &create.location,
        &location,
        &RepositoryOptions::from_properties(&properties::property_map(&create.properties))?,
        create.read_only,
        broker,
    )?;
    Ok(QueryResult::ok())
}

/// `DROP REPOSITORY [IF EXISTS]`.
pub fn drop_repository(exec: &Exec<'_>, name: &str, if_exists: bool) -> Result<QueryResult> {
    match exec.snapshots().drop_repository(name) {
        Err(SnapshotError::NoRepositoryToDrop(_) | SnapshotError::RepositoryNotFound(_))
            if if_exists =>
        {
            Ok(QueryResult::ok())
        }
        other => other.map(|()| QueryResult::ok()).map_err(Into::into),
    }
}

/// `BACKUP SNAPSHOT`: starts the job and returns its id (the job is in the result).
pub fn backup(exec: &Exec<'_>, backup: &Backup) -> Result<QueryResult> {
    let request = BackupRequest {
        database: exec.current_db(backup.snapshot.database.as_deref())?,
        snapshot: backup.snapshot.name.clone(),
        repository: backup.repository.clone(),
        objects: backup.on.iter().map(object_spec).collect(),
        options: properties::backup_options(&backup.properties)?,
    };
    let job = exec.snapshots().backup(&request)?;
    Ok(QueryResult {
        message: Some(format!("BACKUP job {} started", job.id())),
        job: Some(job),
        ..QueryResult::ok()
    })
}

/// An ON-clause item as the snapshot service takes it (an alias in a BACKUP is refused there,
/// with StarRocks' message).
fn object_spec(object: &SnapshotObject) -> ObjectSpec {
    ObjectSpec {
        name: object.name.clone(),
        partitions: (!object.partitions.is_empty()).then(|| object.partitions.clone()),
        alias: object.alias.clone(),
    }
}

/// `RESTORE SNAPSHOT`: starts the job and returns its id (the job is in the result).
pub fn restore(exec: &Exec<'_>, restore: &Restore) -> Result<QueryResult> {
    let request = RestoreRequest {
        database: exec.current_db(restore.snapshot.database.as_deref())?,
        snapshot: restore.snapshot.name.clone(),
        repository: restore.repository.clone(),
        objects: restore.on.iter().map(object_spec).collect(),
        options: properties::restore_options(&restore.properties)?,
    };
    let request = resolve_latest(exec, request)?;
    let job = exec.snapshots().restore(&request)?;
    Ok(QueryResult {
        message: Some(format!("RESTORE job {} started", job.id())),
        job: Some(job),
        ..QueryResult::ok()
    })
}

/// The value of `backup_timestamp` that means "the newest timestamp of the snapshot" (a tabvault
/// extension for scripts, which cannot know the timestamp in advance).
pub const LATEST_TIMESTAMP: &str = "LATEST";

/// Replaces `"backup_timestamp" = "LATEST"` with the newest timestamp SHOW SNAPSHOT lists for the
/// snapshot (left as is when the snapshot has none: the restore then reports it).
fn resolve_latest(exec: &Exec<'_>, mut request: RestoreRequest) -> Result<RestoreRequest> {
    let value = &mut request.options.backup_timestamp;
    if !value.eq_ignore_ascii_case(LATEST_TIMESTAMP) {
        return Ok(request);
    }
    let listings = exec
        .snapshots()
        .repository(&request.repository)?
        .list_snapshots()?;
    // Timestamps are `yyyy-MM-dd-HH-mm-ss-SSS`: text order is time order.
    if let Some(newest) = listings
        .iter()
        .filter(|l| l.name == request.snapshot)
        .flat_map(|l| l.timestamps.iter())
        .max()
    {
        *value = newest.clone();
    }
    Ok(request)
}

/// `DROP SNAPSHOT`: drops the snapshots its label or WHERE conditions select (each whole);
/// the affected-rows count is how many were dropped.
pub fn drop_snapshot(exec: &Exec<'_>, drop: &DropSnapshot) -> Result<QueryResult> {
    let selection = SnapshotSelection {
        names: drop.snapshots.clone(),
        timestamp: drop.timestamp.as_ref().map(|t| TimestampBound {
            op: match t.op {
                TimestampComparison::Equal => TimestampOp::Equal,
                TimestampComparison::AtMost => TimestampOp::AtMost,
                TimestampComparison::AtLeast => TimestampOp::AtLeast,
            },
            timestamp: t.timestamp.clone(),
        }),
    };
    let dropped = exec
        .snapshots()
        .drop_snapshots(&drop.repository, &selection, drop.if_exists)?;
    Ok(QueryResult::affected(dropped.len() as u64))
}

/// `ADMIN VERIFY SNAPSHOT s ON repo [PROPERTIES ("backup_timestamp" = "ts")]`: one row per
/// file of the snapshot (every timestamp, or the one given), as [`verify_table`] lays it out.
pub fn verify_snapshot(exec: &Exec<'_>, verify: &VerifySnapshot) -> Result<QueryResult> {
    let properties = properties::property_map(&verify.properties);
    let unknown: Vec<&str> = properties
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "backup_timestamp")
        .collect();
    if !unknown.is_empty() {
        return Err(SqlError::Invalid(format!(
            "Unknown verify snapshot properties: [{}]",
            unknown.join(", ")
        )));
    }
    let rows = exec.snapshots().verify_snapshot(
        &verify.repository,
        &verify.snapshot,
        properties.get("backup_timestamp").map(String::as_str),
    )?;
    verify_result(&rows)
}

/// ADMIN VERIFY SNAPSHOT's result for `rows` (StarRocks-style columns, one row per file): what the
/// statement returns and what `tabvault verify-snapshot` prints.
pub fn verify_result(rows: &[VerifyRow]) -> Result<QueryResult> {
    show(verify_table(rows))
}

/// `ALTER REPOSITORY r REFRESH ICEBERG`: one row, `Runs` (backup runs whose Iceberg view was
/// written), `Tables` (Iceberg tables written) and `LeftOut` (what was not, and why; `;`-separated,
/// NULL when nothing).
pub fn refresh_iceberg(exec: &Exec<'_>, repository: &str) -> Result<QueryResult> {
    let report = exec.snapshots().refresh_iceberg(repository)?;
    let left_out = (!report.left_out.is_empty()).then(|| report.left_out.join("; "));
    QueryResult::text_table(
        &["Runs", "Tables", "LeftOut"],
        vec![vec![
            Some(report.runs.to_string()),
            Some(report.tables.to_string()),
            left_out,
        ]],
    )
}

/// A SHOW table of the snapshot service as a result of text columns.
pub(crate) fn show(table: ShowTable) -> Result<QueryResult> {
    QueryResult::text_table(&table.columns, table.rows)
}

/// `SHOW BACKUP` / `SHOW RESTORE`: the jobs of the databases the user can see.
pub(crate) fn show_jobs(exec: &Exec<'_>, mut table: ShowTable) -> Result<QueryResult> {
    if let Some(db_column) = table.columns.iter().position(|c| *c == "DbName") {
        table.rows.retain(|row| {
            row[db_column]
                .as_deref()
                .is_some_and(|db| crate::auth::can_see(exec.grants(), db, None))
        });
    }
    show(table)
}

/// A relative local location joined to the (canonical) data directory's parent; anything else
/// (absolute, `scheme://`, empty) as given.
fn resolve_location(root: &Path, location: &str) -> String {
    if location.trim().is_empty() || location.contains("://") || Path::new(location).is_absolute() {
        return location.to_owned();
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let base = root.parent().unwrap_or(&root);
    base.join(location).to_string_lossy().into_owned()
}

/// The database SHOW BACKUP/RESTORE lists jobs of: the one named (`FROM db`), which must exist
/// (`Unknown database 'db'`, as StarRocks), or the current one, or all (`None`).
pub(crate) fn shown_database(exec: &Exec<'_>, named: Option<&str>) -> Result<Option<String>> {
    if let Some(db) = named
        && exec.engine().catalog().database(db).is_none()
    {
        return Err(SnapshotError::UnknownDatabase(db.to_owned()).into());
    }
    Ok(exec.current_db(named).ok())
}
