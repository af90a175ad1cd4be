//! How a BACKUP or RESTORE job runs, typed. The SQL layer parses StarRocks' PROPERTIES into these
//! (with StarRocks' messages); the service checks only what any caller could get wrong.

use crate::error::{Result, SnapshotError};

/// The timeout of a job when none is given, seconds (StarRocks': one day).
pub const DEFAULT_TIMEOUT_S: u64 = 86_400;
/// The shortest timeout a job accepts, seconds (StarRocks': ten minutes).
pub const MIN_TIMEOUT_S: u64 = 600;

/// How a BACKUP runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupOptions {
    /// Seconds from submission after which the job is cancelled (at least [`MIN_TIMEOUT_S`]).
    pub timeout_s: u64,
    /// Re-hash data files already in the repository before reusing them, and upload over one
    /// that does not match (a tabvault extension, `verify_existing` in SQL).
    pub verify_existing: bool,
}

impl Default for BackupOptions {
    fn default() -> Self {
        Self {
            timeout_s: DEFAULT_TIMEOUT_S,
            verify_existing: false,
        }
    }
}

/// How a RESTORE runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Which backup run of the snapshot to restore, as SHOW SNAPSHOT lists it.
    pub backup_timestamp: String,
    /// Seconds from submission after which the job is cancelled (at least [`MIN_TIMEOUT_S`]).
    pub timeout_s: u64,
    /// StarRocks' `replication_num` (at least 1): stored and shown; one copy is kept.
    pub replication_num: u32,
    /// StarRocks' `allow_load`: stored and shown; restored tables are locked regardless.
    pub allow_load: bool,
}

impl RestoreOptions {
    /// Restores the run taken at `backup_timestamp`, with the default timeout, one replica and
    /// loads not allowed.
    pub fn at(backup_timestamp: impl Into<String>) -> Self {
        Self {
            backup_timestamp: backup_timestamp.into(),
            timeout_s: DEFAULT_TIMEOUT_S,
            replication_num: 1,
            allow_load: false,
        }
    }
}

/// Checks a timeout given in seconds.
pub(crate) fn check_timeout(timeout_s: u64) -> Result<u64> {
    if timeout_s < MIN_TIMEOUT_S {
        return Err(SnapshotError::TimeoutTooSmall);
    }
    Ok(timeout_s)
}

/// Checks RESTORE options before a job is queued.
pub(crate) fn check_restore(options: &RestoreOptions) -> Result<()> {
    check_timeout(options.timeout_s)?;
    if options.replication_num == 0 {
        return Err(SnapshotError::InvalidMetaVersion("0".into()));
    }
    Ok(())
}
