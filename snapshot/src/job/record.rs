//! The persisted form of a job: one JSON file per job under `jobs/` in the data directory, rewritten
//! durably at every state change, so that a restarted engine can show — and clean up — every job.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tabvault_storage::internal::{create_dir_durable, remove_file_if_exists, write_file_durable};

use super::progress::ProgressSnapshot;
use super::state::{JobState, JobStatus};
use crate::error::{Result, SnapshotError};
use crate::object_spec::ObjectSpec;

/// Directory of job files under the data directory.
pub const JOBS_DIR: &str = "jobs";

/// Format version of a job file (`"format_version"`; a file without one is version 1).
pub(crate) const JOB_FORMAT_VERSION: u32 = 1;

/// Suffix given to a job file that cannot be read, so the engine opens without it.
pub(crate) const CORRUPT_SUFFIX: &str = ".corrupt";

/// A job file as written: the record with its format version.
#[derive(Serialize)]
struct StoredJob<'a> {
    format_version: u32,
    #[serde(flatten)]
    record: &'a JobRecord,
}

/// BACKUP or RESTORE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// A BACKUP job.
    #[serde(rename = "Backup")]
    Backup,
    /// A RESTORE job.
    #[serde(rename = "Restore")]
    Restore,
}

/// Everything SHOW BACKUP / SHOW RESTORE report about a job, and what a restart needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Job id, unique within the engine.
    #[serde(rename = "id")]
    pub id: u64,
    /// BACKUP or RESTORE.
    #[serde(rename = "kind")]
    pub kind: JobKind,
    /// Snapshot name (StarRocks' label).
    #[serde(rename = "label")]
    pub label: String,
    /// Database name.
    #[serde(rename = "database")]
    pub database: String,
    /// Repository name.
    #[serde(rename = "repository")]
    pub repository: String,
    /// Current state (`PENDING`, ..., `FINISHED`, `CANCELLED` in the record).
    #[serde(rename = "state")]
    pub state: JobState,
    /// The objects asked for; empty means everything.
    #[serde(rename = "objects")]
    pub objects: Vec<ObjectSpec>,
    /// The snapshot timestamp: for BACKUP the one it writes, for RESTORE the one it reads.
    #[serde(rename = "timestamp")]
    pub timestamp: String,
    /// Submission time, ms since the epoch.
    #[serde(rename = "create_time_ms")]
    pub create_time_ms: u64,
    /// RESTORE: when the catalog check passed.
    #[serde(rename = "meta_prepared_time_ms")]
    pub meta_prepared_time_ms: Option<u64>,
    /// When the local snapshot was complete.
    #[serde(rename = "snapshot_finished_time_ms")]
    pub snapshot_finished_time_ms: Option<u64>,
    /// BACKUP: when all data files were uploaded; RESTORE: when all were downloaded.
    #[serde(rename = "transfer_finished_time_ms")]
    pub transfer_finished_time_ms: Option<u64>,
    /// When the job ended.
    #[serde(rename = "finished_time_ms")]
    pub finished_time_ms: Option<u64>,
    /// Timeout in seconds.
    #[serde(rename = "timeout_s")]
    pub timeout_s: u64,
    /// RESTORE's `replication_num` (stored; one copy is kept).
    #[serde(rename = "replication_num")]
    pub replication_num: u32,
    /// RESTORE's `allow_load` (stored; restored tables are locked regardless).
    #[serde(rename = "allow_load")]
    pub allow_load: bool,
    /// `[OK]` or the error that ended the job.
    #[serde(rename = "status")]
    pub status: JobStatus,
    /// The last transient error that was retried (SHOW's TaskErrMsg).
    #[serde(rename = "task_err_msg")]
    pub task_err_msg: Option<String>,
    /// Progress at the last state change (live progress is in [`super::Progress`]).
    #[serde(rename = "progress")]
    pub progress: ProgressSnapshot,
    /// BACKUP: the name of the lease the job holds in its repository while it runs (see
    /// docs/FORMAT.md, "Leases"); only this job, or its engine's restart, removes it.
    #[serde(default)]
    #[serde(rename = "lease")]
    pub lease: Option<String>,
}

/// What a new job record starts from; everything else starts empty.
#[derive(Debug)]
pub(crate) struct NewJob {
    pub id: u64,
    pub kind: JobKind,
    pub label: String,
    pub database: String,
    pub repository: String,
    pub objects: Vec<ObjectSpec>,
    pub timestamp: String,
    pub create_time_ms: u64,
    pub timeout_s: u64,
}

impl JobRecord {
    /// A PENDING job with no progress, status `[OK]`, one replica, loads not allowed.
    pub(crate) fn pending(new: NewJob) -> Self {
        Self {
            id: new.id,
            kind: new.kind,
            label: new.label,
            database: new.database,
            repository: new.repository,
            state: JobState::Pending,
            objects: new.objects,
            timestamp: new.timestamp,
            create_time_ms: new.create_time_ms,
            meta_prepared_time_ms: None,
            snapshot_finished_time_ms: None,
            transfer_finished_time_ms: None,
            finished_time_ms: None,
            timeout_s: new.timeout_s,
            replication_num: 1,
            allow_load: false,
            status: JobStatus::Ok,
            task_err_msg: None,
            progress: ProgressSnapshot::default(),
            lease: None,
        }
    }

    /// Whether the job is FINISHED or CANCELLED.
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
}

/// The job files of one engine.
#[derive(Debug)]
pub(crate) struct JobStore {
    dir: PathBuf,
}

impl JobStore {
    /// Opens (creating) `root/jobs` and loads every job file, by id. A job file that cannot be
    /// parsed (torn by a crash, damaged) is renamed to `<name>.corrupt` with a warning, and the
    /// engine opens without that job; a file of a newer format is an error naming it.
    pub fn open(root: &Path) -> Result<(Self, BTreeMap<u64, JobRecord>)> {
        let dir = root.join(JOBS_DIR);
        create_dir_durable(&dir)?;
        let mut jobs = BTreeMap::new();
        let entries = fs::read_dir(&dir).map_err(|e| io_error(&dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| io_error(&dir, e))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(tabvault_storage::internal::TEMP_SUFFIX) {
                remove_file_if_exists(&path)?;
                continue;
            }
            if !name.ends_with(".json") {
                continue;
            }
            match read_record(&path)? {
                Ok(record) => {
                    jobs.insert(record.id, record);
                }
                Err(reason) => set_aside(&path, &reason)?,
            }
        }
        Ok((Self { dir }, jobs))
    }

    /// Writes a job's record durably (temporary file, fsync, rename, fsync of the directory).
    pub fn save(&self, record: &JobRecord) -> Result<()> {
        let stored = StoredJob {
            format_version: JOB_FORMAT_VERSION,
            record,
        };
        let bytes = crate::error::json_bytes(&stored, "a job record")?;
        write_file_durable(&self.path(record.id), &bytes)?;
        Ok(())
    }

    /// Forgets a job (its record is replaced by a newer job of the same database).
    pub fn remove(&self, id: u64) -> Result<()> {
        remove_file_if_exists(&self.path(id))?;
        Ok(())
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("job-{id:020}.json"))
    }
}

/// Reads one job file: `Ok(Err(reason))` when it cannot be parsed, an error when it cannot be
/// read at all or is of a newer format.
fn read_record(path: &Path) -> Result<std::result::Result<JobRecord, String>> {
    let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return Ok(Err(e.to_string())),
    };
    SnapshotError::refuse_newer_format(&path.display().to_string(), &value, JOB_FORMAT_VERSION)?;
    Ok(serde_json::from_value(value).map_err(|e| e.to_string()))
}

/// Renames an unparseable job file to `<name>.corrupt` (kept for inspection, never read again).
fn set_aside(path: &Path, reason: &str) -> Result<()> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(CORRUPT_SUFFIX);
    let aside = PathBuf::from(aside);
    tracing::warn!(
        file = %path.display(),
        renamed_to = %aside.display(),
        %reason,
        "job file cannot be parsed; set aside, the engine opens without that job"
    );
    fs::rename(path, &aside).map_err(|e| io_error(path, e))?;
    if let Some(dir) = path.parent() {
        tabvault_storage::internal::sync_dir(dir)?;
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> SnapshotError {
    tabvault_storage::StorageError::Io {
        context: format!("reading {}", path.display()),
        source,
    }
    .into()
}
