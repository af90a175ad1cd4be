//! What SHOW BACKUP, SHOW RESTORE, SHOW SNAPSHOT (both shapes), SHOW REPOSITORIES and ADMIN
//! VERIFY SNAPSHOT return: StarRocks' columns in StarRocks' order, cells as text (NULL as
//! `None`), secrets never included. The snapshot service gives the records; this module is the
//! only place that lays them out as StarRocks does.

use serde_json::json;
use tabvault_snapshot::{JobKind, JobRecord, SnapshotService, VerifyRow, show_time};

use crate::error::Result;

/// A SHOW result: column names and rows of optional text cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShowTable {
    /// Column names, in order.
    pub(crate) columns: Vec<&'static str>,
    /// Rows; `None` is NULL.
    pub(crate) rows: Vec<Vec<Option<String>>>,
}

/// SHOW BACKUP's columns (StarRocks `ShowBackupStmt`).
pub(crate) const BACKUP_COLUMNS: [&str; 14] = [
    "JobId",
    "SnapshotName",
    "DbName",
    "State",
    "BackupObjs",
    "CreateTime",
    "SnapshotFinishedTime",
    "UploadFinishedTime",
    "FinishedTime",
    "UnfinishedTasks",
    "Progress",
    "TaskErrMsg",
    "Status",
    "Timeout",
];

/// SHOW RESTORE's columns (StarRocks `RestoreJob.getInfo`).
pub(crate) const RESTORE_COLUMNS: [&str; 18] = [
    "JobId",
    "Label",
    "Timestamp",
    "DbName",
    "State",
    "AllowLoad",
    "ReplicationNum",
    "RestoreObjs",
    "CreateTime",
    "MetaPreparedTime",
    "SnapshotFinishedTime",
    "DownloadFinishedTime",
    "FinishedTime",
    "UnfinishedTasks",
    "Progress",
    "TaskErrMsg",
    "Status",
    "Timeout",
];

/// SHOW SNAPSHOT's columns without a timestamp.
pub(crate) const SNAPSHOT_COLUMNS: [&str; 3] = ["Snapshot", "Timestamp", "Status"];
/// SHOW SNAPSHOT's columns with SNAPSHOT and TIMESTAMP.
pub(crate) const SNAPSHOT_DETAIL_COLUMNS: [&str; 5] =
    ["Snapshot", "Timestamp", "Database", "Details", "Status"];
/// SHOW REPOSITORIES' columns.
pub(crate) const REPOSITORY_COLUMNS: [&str; 7] = [
    "RepoId",
    "RepoName",
    "CreateTime",
    "IsReadOnly",
    "Location",
    "Broker",
    "ErrMsg",
];

/// ADMIN VERIFY SNAPSHOT's columns (a tabvault extension, named in StarRocks' style).
pub(crate) const VERIFY_COLUMNS: [&str; 8] = [
    "Timestamp",
    "File",
    "Role",
    "ExpectedSize",
    "Size",
    "ExpectedChecksum",
    "Checksum",
    "Status",
];

/// ADMIN VERIFY SNAPSHOT's result: one row per verified file, in the order given.
pub(crate) fn verify_table(rows: &[VerifyRow]) -> ShowTable {
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                Some(r.timestamp.clone()),
                Some(r.file.clone()),
                Some(r.role.to_string()),
                r.expected_size.map(|s| s.to_string()),
                r.size.map(|s| s.to_string()),
                r.expected_checksum.clone(),
                r.checksum.clone(),
                Some(r.status.to_string()),
            ]
        })
        .collect();
    ShowTable {
        columns: VERIFY_COLUMNS.to_vec(),
        rows,
    }
}

fn time(ms: Option<u64>) -> Option<String> {
    ms.map(show_time)
}

fn progress(record: &JobRecord) -> String {
    let p = record.progress;
    format!(
        "[files: {}/{}, bytes: {}/{}]",
        p.files_done, p.files_total, p.bytes_done, p.bytes_total
    )
}

fn unfinished(record: &JobRecord) -> String {
    let left = record
        .progress
        .files_total
        .saturating_sub(record.progress.files_done);
    if record.is_terminal() || left == 0 {
        String::new()
    } else {
        format!("[{left} files]")
    }
}

fn task_err(record: &JobRecord) -> String {
    record
        .task_err_msg
        .as_ref()
        .map(|m| format!("[{m}]"))
        .unwrap_or_default()
}

/// The columns SHOW BACKUP and SHOW RESTORE end with: FinishedTime, UnfinishedTasks, Progress,
/// TaskErrMsg, Status, Timeout.
fn common_tail(record: &JobRecord) -> [Option<String>; 6] {
    [
        time(record.finished_time_ms),
        Some(unfinished(record)),
        Some(progress(record)),
        Some(task_err(record)),
        Some(record.status.to_string()),
        Some(record.timeout_s.to_string()),
    ]
}

fn backup_row(record: &JobRecord) -> Vec<Option<String>> {
    let objects = record
        .objects
        .iter()
        .map(|o| match &o.partitions {
            Some(parts) => format!("[{} PARTITION ({})]", o.name, parts.join(", ")),
            None => format!("[{}]", o.name),
        })
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        Some(record.id.to_string()),
        Some(record.label.clone()),
        Some(record.database.clone()),
        Some(record.state.name().to_owned()),
        Some(objects),
        time(Some(record.create_time_ms)),
        time(record.snapshot_finished_time_ms),
        time(record.transfer_finished_time_ms),
    ]
    .into_iter()
    .chain(common_tail(record))
    .collect()
}

fn restore_row(record: &JobRecord) -> Vec<Option<String>> {
    let objects = record
        .objects
        .iter()
        .map(|o| {
            let name = match &o.alias {
                Some(alias) => format!("{} AS {alias}", o.name),
                None => o.name.clone(),
            };
            match &o.partitions {
                Some(parts) => format!("{name} PARTITIONS [{}]", parts.join(", ")),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        Some(record.id.to_string()),
        Some(record.label.clone()),
        Some(record.timestamp.clone()),
        Some(record.database.clone()),
        Some(record.state.name().to_owned()),
        Some(record.allow_load.to_string()),
        Some(record.replication_num.to_string()),
        Some(objects),
        time(Some(record.create_time_ms)),
        time(record.meta_prepared_time_ms),
        time(record.snapshot_finished_time_ms),
        time(record.transfer_finished_time_ms),
    ]
    .into_iter()
    .chain(common_tail(record))
    .collect()
}

/// SHOW BACKUP [FROM db]: the latest job of each database, when it is a backup.
pub(crate) fn show_backup(service: &SnapshotService, database: Option<&str>) -> ShowTable {
    ShowTable {
        columns: BACKUP_COLUMNS.to_vec(),
        rows: service
            .jobs(JobKind::Backup, database)
            .iter()
            .map(backup_row)
            .collect(),
    }
}

/// SHOW RESTORE [FROM db]: the latest job of each database, when it is a restore.
pub(crate) fn show_restore(service: &SnapshotService, database: Option<&str>) -> ShowTable {
    ShowTable {
        columns: RESTORE_COLUMNS.to_vec(),
        rows: service
            .jobs(JobKind::Restore, database)
            .iter()
            .map(restore_row)
            .collect(),
    }
}

/// SHOW ALL BACKUP [FROM db]: every BACKUP job still kept, oldest first.
pub(crate) fn show_backup_history(service: &SnapshotService, database: Option<&str>) -> ShowTable {
    ShowTable {
        columns: BACKUP_COLUMNS.to_vec(),
        rows: service
            .job_history(JobKind::Backup, database)
            .iter()
            .map(backup_row)
            .collect(),
    }
}

/// SHOW ALL RESTORE [FROM db]: every RESTORE job still kept, oldest first.
pub(crate) fn show_restore_history(service: &SnapshotService, database: Option<&str>) -> ShowTable {
    ShowTable {
        columns: RESTORE_COLUMNS.to_vec(),
        rows: service
            .job_history(JobKind::Restore, database)
            .iter()
            .map(restore_row)
            .collect(),
    }
}

/// SHOW SNAPSHOT ON repo [WHERE SNAPSHOT = s [AND TIMESTAMP = ts]].
pub(crate) fn show_snapshot(
    service: &SnapshotService,
    repository: &str,
    snapshot: Option<&str>,
    timestamp: Option<&str>,
) -> Result<ShowTable> {
    let repo = service.repository(repository)?;
    if let (Some(name), Some(ts)) = (snapshot, timestamp) {
        let row = match repo.read_info(name, ts) {
            Ok(info) => {
                let objects: serde_json::Map<String, serde_json::Value> = info
                    .objects
                    .iter()
                    .map(|o| {
                        let parts: Vec<&str> =
                            o.partitions.iter().map(|(p, _)| p.as_str()).collect();
                        (
                            o.name.clone(),
                            json!({ "partitions": parts, "is_view": o.is_view }),
                        )
                    })
                    .collect();
                let details = json!({
                    "name": info.name,
                    "database": info.database,
                    "backup_time": info.backup_time_ms,
                    "backup_objects": objects,
                    "format_version": info.format_version,
                });
                vec![
                    Some(name.to_owned()),
                    Some(ts.to_owned()),
                    Some(info.database.clone()),
                    Some(details.to_string()),
                    Some("OK".into()),
                ]
            }
            Err(e) => vec![
                Some(name.to_owned()),
                Some(ts.to_owned()),
                None,
                None,
                Some(format!("Failed to get info: {e}")),
            ],
        };
        return Ok(ShowTable {
            columns: SNAPSHOT_DETAIL_COLUMNS.to_vec(),
            rows: vec![row],
        });
    }
    let rows = repo
        .list_snapshots()?
        .into_iter()
        .filter(|s| snapshot.is_none_or(|name| s.name == name))
        .map(|s| {
            let stamps: Vec<String> = s
                .timestamps
                .iter()
                .cloned()
                .chain(s.invalid.iter().map(|f| format!("Invalid: {f}")))
                .collect();
            vec![Some(s.name), Some(stamps.join("\n")), Some("OK".into())]
        })
        .collect();
    Ok(ShowTable {
        columns: SNAPSHOT_COLUMNS.to_vec(),
        rows,
    })
}

/// SHOW REPOSITORIES. Locations are shown as CREATE REPOSITORY gave them (a relative local
/// location stays relative, not the server path it resolved to); properties (which hold
/// secrets) never are.
/// ErrMsg is NULL for a usable repository and `<time>: <reason>` (StarRocks' shape) for one
/// that could not be opened.
pub(crate) fn show_repositories(service: &SnapshotService) -> ShowTable {
    let rows = service
        .repository_rows()
        .into_iter()
        .map(|r| {
            vec![
                Some(r.id.to_string()),
                Some(r.name),
                Some(show_time(r.create_time_ms)),
                Some(r.read_only.to_string()),
                Some(r.location),
                Some(r.broker.unwrap_or_default()),
                r.error
                    .map(|(since, reason)| format!("{}: {reason}", show_time(since))),
            ]
        })
        .collect();
    ShowTable {
        columns: REPOSITORY_COLUMNS.to_vec(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job record as the service keeps it, with `objects` and the kind given.
    fn record(kind: &str, objects: serde_json::Value) -> JobRecord {
        let json = json!({
            "id": 7, "kind": kind, "label": "snap", "database": "db", "repository": "repo",
            "state": "FINISHED", "objects": objects, "timestamp": "2024-12-09-10-25-58-842",
            "create_time_ms": 1_733_739_958_842_u64, "meta_prepared_time_ms": 1_733_739_959_000_u64,
            "snapshot_finished_time_ms": 1_733_739_958_900_u64,
            "transfer_finished_time_ms": 1_733_740_019_842_u64,
            "finished_time_ms": 1_733_740_019_900_u64, "timeout_s": 86400, "replication_num": 1,
            "allow_load": false, "status": "Ok", "task_err_msg": null,
            "progress": { "files_total": 5, "files_done": 5, "bytes_total": 900, "bytes_done": 900,
                          "files_transferred": 5, "bytes_transferred": 900 },
        });
        serde_json::from_value(json).expect("a valid job record")
    }

    /// What SHOW BACKUP and SHOW RESTORE both end with for [`record`]: FinishedTime,
    /// UnfinishedTasks, Progress, TaskErrMsg, Status, Timeout.
    const FINISHED_TAIL: [Option<&str>; 6] = [
        Some("2024-12-09 10:26:59"),
        Some(""),
        Some("[files: 5/5, bytes: 900/900]"),
        Some(""),
        Some("[OK]"),
        Some("86400"),
    ];

    fn cells(row: &[Option<String>]) -> Vec<Option<&str>> {
        row.iter().map(|c| c.as_deref()).collect()
    }

    #[test]
    fn a_backup_row_has_starrocks_columns_and_values() {
        let objects = json!([
            { "name": "t", "partitions": ["p1", "p2"], "alias": null },
            { "name": "pk", "partitions": null, "alias": null },
        ]);
        let row = backup_row(&record("Backup", objects));
        assert_eq!(row.len(), BACKUP_COLUMNS.len());
        assert_eq!(
            cells(&row),
            vec![
                Some("7"),
                Some("snap"),
                Some("db"),
                Some("FINISHED"),
                Some("[t PARTITION (p1, p2)], [pk]"),
                Some("2024-12-09 10:25:58"),
                Some("2024-12-09 10:25:58"),
                Some("2024-12-09 10:26:59"),
            ]
            .into_iter()
            .chain(FINISHED_TAIL)
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_restore_row_shows_aliases_and_partitions() {
        let objects = json!([
            { "name": "t", "partitions": ["p1", "p3"], "alias": "t_copy" },
            { "name": "pk", "partitions": null, "alias": "pk_copy" },
        ]);
        let row = restore_row(&record("Restore", objects));
        assert_eq!(row.len(), RESTORE_COLUMNS.len());
        assert_eq!(
            cells(&row),
            vec![
                Some("7"),
                Some("snap"),
                Some("2024-12-09-10-25-58-842"),
                Some("db"),
                Some("FINISHED"),
                Some("false"),
                Some("1"),
                Some("t AS t_copy PARTITIONS [p1, p3], pk AS pk_copy"),
                Some("2024-12-09 10:25:58"),
                Some("2024-12-09 10:25:59"),
                Some("2024-12-09 10:25:58"),
                Some("2024-12-09 10:26:59"),
            ]
            .into_iter()
            .chain(FINISHED_TAIL)
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_running_job_shows_its_unfinished_files() {
        let mut running = record("Backup", json!([]));
        running.state = serde_json::from_value(json!("UPLOADING")).expect("a state");
        running.finished_time_ms = None;
        running.progress.files_done = 2;
        running.progress.bytes_done = 300;
        let row = backup_row(&running);
        assert_eq!(row[3].as_deref(), Some("UPLOADING"));
        assert_eq!(row[4].as_deref(), Some(""));
        assert_eq!(row[8], None);
        assert_eq!(row[9].as_deref(), Some("[3 files]"));
        assert_eq!(row[10].as_deref(), Some("[files: 2/5, bytes: 300/900]"));
    }
}
