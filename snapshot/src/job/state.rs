//! Job states and statuses, with StarRocks' names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// BACKUP states, in order (StarRocks' `BackupJobState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupState {
    /// Accepted, not started.
    Pending,
    /// Capturing the local snapshot.
    Snapshoting,
    /// Planning the upload.
    UploadSnapshot,
    /// Uploading data files.
    Uploading,
    /// Writing the snapshot manifest.
    SaveMeta,
    /// Writing the info file (the commit point).
    UploadInfo,
    /// Done; the snapshot is visible.
    Finished,
    /// Stopped by the user, a timeout, an error or a restart.
    Cancelled,
}

/// RESTORE states, in order (StarRocks' `RestoreJobState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestoreState {
    /// Accepted, not started.
    Pending,
    /// Checking the snapshot against the catalog and locking target tables.
    Snapshoting,
    /// Planning downloads.
    Download,
    /// Downloading and verifying files into staging.
    Downloading,
    /// Preparing the commit.
    Commit,
    /// Publishing the one commit record.
    Committing,
    /// Done; the restored data is visible.
    Finished,
    /// Stopped; nothing visible changed.
    Cancelled,
}

/// Where a BACKUP or RESTORE job is: the states of both, serialised (job records) and shown
/// (SHOW BACKUP/RESTORE) under StarRocks' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Accepted, not started.
    Pending,
    /// BACKUP: capturing the local snapshot; RESTORE: checking and locking.
    Snapshoting,
    /// BACKUP: planning the upload.
    UploadSnapshot,
    /// BACKUP: uploading data files.
    Uploading,
    /// BACKUP: writing the snapshot manifest.
    SaveMeta,
    /// BACKUP: writing the info file (the commit point).
    UploadInfo,
    /// RESTORE: planning downloads.
    Download,
    /// RESTORE: downloading and verifying files into staging.
    Downloading,
    /// RESTORE: preparing the commit.
    Commit,
    /// RESTORE: publishing the one commit record.
    Committing,
    /// Done.
    Finished,
    /// Stopped by the user, a timeout, an error or a restart.
    Cancelled,
}

impl JobState {
    /// StarRocks' name of the state.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Snapshoting => "SNAPSHOTING",
            Self::UploadSnapshot => "UPLOAD_SNAPSHOT",
            Self::Uploading => "UPLOADING",
            Self::SaveMeta => "SAVE_META",
            Self::UploadInfo => "UPLOAD_INFO",
            Self::Download => "DOWNLOAD",
            Self::Downloading => "DOWNLOADING",
            Self::Commit => "COMMIT",
            Self::Committing => "COMMITTING",
            Self::Finished => "FINISHED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Whether the job has ended (FINISHED or CANCELLED).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Compares with a state's StarRocks name, as SHOW BACKUP/RESTORE print it.
impl PartialEq<&str> for JobState {
    fn eq(&self, name: &&str) -> bool {
        self.name() == *name
    }
}

impl From<BackupState> for JobState {
    fn from(state: BackupState) -> Self {
        match state {
            BackupState::Pending => Self::Pending,
            BackupState::Snapshoting => Self::Snapshoting,
            BackupState::UploadSnapshot => Self::UploadSnapshot,
            BackupState::Uploading => Self::Uploading,
            BackupState::SaveMeta => Self::SaveMeta,
            BackupState::UploadInfo => Self::UploadInfo,
            BackupState::Finished => Self::Finished,
            BackupState::Cancelled => Self::Cancelled,
        }
    }
}

impl From<RestoreState> for JobState {
    fn from(state: RestoreState) -> Self {
        match state {
            RestoreState::Pending => Self::Pending,
            RestoreState::Snapshoting => Self::Snapshoting,
            RestoreState::Download => Self::Download,
            RestoreState::Downloading => Self::Downloading,
            RestoreState::Commit => Self::Commit,
            RestoreState::Committing => Self::Committing,
            RestoreState::Finished => Self::Finished,
            RestoreState::Cancelled => Self::Cancelled,
        }
    }
}

impl BackupState {
    /// StarRocks' name of the state.
    pub fn name(self) -> &'static str {
        JobState::from(self).name()
    }
}

impl RestoreState {
    /// StarRocks' name of the state.
    pub fn name(self) -> &'static str {
        JobState::from(self).name()
    }
}

/// StarRocks' status codes (`Status.ErrCode`) that tabvault reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusCode {
    /// Cancelled by the user or failed for a general reason.
    CommonError,
    /// Ran past its timeout.
    Timeout,
    /// A file failed its checksum.
    BadFile,
    /// Something named does not exist (any more).
    NotFound,
}

impl StatusCode {
    fn name(self) -> &'static str {
        match self {
            Self::CommonError => "COMMON_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::BadFile => "BAD_FILE",
            Self::NotFound => "NOT_FOUND",
        }
    }
}

/// A job's Status column: `[OK]` or `[<CODE>, msg: <text>]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// No error.
    Ok,
    /// The job failed or was cancelled.
    Error {
        /// StarRocks' code.
        code: StatusCode,
        /// What happened.
        msg: String,
    },
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("[OK]"),
            Self::Error { code, msg } => write!(f, "[{}, msg: {msg}]", code.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_renders_like_starrocks() {
        assert_eq!(JobStatus::Ok.to_string(), "[OK]");
        let cancelled = JobStatus::Error {
            code: StatusCode::CommonError,
            msg: "user cancelled".into(),
        };
        assert_eq!(cancelled.to_string(), "[COMMON_ERROR, msg: user cancelled]");
        let timeout = JobStatus::Error {
            code: StatusCode::Timeout,
            msg: String::new(),
        };
        assert_eq!(timeout.to_string(), "[TIMEOUT, msg: ]");
    }
}
