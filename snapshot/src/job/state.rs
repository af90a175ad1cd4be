//! Job states and statuses, with StarRocks' names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// BACKUP states, in order (StarRocks' `BackupJobState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupState {
    /// Accepted, not started.
    #[serde(rename = "Pending")]
    Pending,
    /// Capturing the local snapshot.
    #[serde(rename = "Snapshoting")]
    Snapshoting,
    /// Planning the upload.
    #[serde(rename = "UploadSnapshot")]
    UploadSnapshot,
    /// Uploading data files.
    #[serde(rename = "Uploading")]
    Uploading,
    /// Writing the snapshot manifest.
    #[serde(rename = "SaveMeta")]
    SaveMeta,
    /// Writing the info file (the commit point).
    #[serde(rename = "UploadInfo")]
    UploadInfo,
    /// Done; the snapshot is visible.
    #[serde(rename = "Finished")]
    Finished,
    /// Stopped by the user, a timeout, an error or a restart.
    #[serde(rename = "Cancelled")]
    Cancelled,
}

/// RESTORE states, in order (StarRocks' `RestoreJobState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestoreState {
    /// Accepted, not started.
    #[serde(rename = "Pending")]
    Pending,
    /// Checking the snapshot against the catalog and locking target tables.
    #[serde(rename = "Snapshoting")]
    Snapshoting,
    /// Planning downloads.
    #[serde(rename = "Download")]
    Download,
    /// Downloading and verifying files into staging.
    #[serde(rename = "Downloading")]
    Downloading,
    /// Preparing the commit.
    #[serde(rename = "Commit")]
    Commit,
    /// Publishing the one commit record.
    #[serde(rename = "Committing")]
    Committing,
    /// Done; the restored data is visible.
    #[serde(rename = "Finished")]
    Finished,
    /// Stopped; nothing visible changed.
    #[serde(rename = "Cancelled")]
    Cancelled,
}

/// Where a BACKUP or RESTORE job is: the states of both, serialised (job records) and shown
/// (SHOW BACKUP/RESTORE) under StarRocks' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Accepted, not started.
    #[serde(rename = "PENDING")]
    Pending,
    /// BACKUP: capturing the local snapshot; RESTORE: checking and locking.
    #[serde(rename = "SNAPSHOTING")]
    Snapshoting,
    /// BACKUP: planning the upload.
    #[serde(rename = "UPLOAD_SNAPSHOT")]
    UploadSnapshot,
    /// BACKUP: uploading data files.
    #[serde(rename = "UPLOADING")]
    Uploading,
    /// BACKUP: writing the snapshot manifest.
    #[serde(rename = "SAVE_META")]
    SaveMeta,
    /// BACKUP: writing the info file (the commit point).
    #[serde(rename = "UPLOAD_INFO")]
    UploadInfo,
    /// RESTORE: planning downloads.
    #[serde(rename = "DOWNLOAD")]
    Download,
    /// RESTORE: downloading and verifying files into staging.
    #[serde(rename = "DOWNLOADING")]
    Downloading,
    /// RESTORE: preparing the commit.
    #[serde(rename = "COMMIT")]
    Commit,
    /// RESTORE: publishing the one commit record.
    #[serde(rename = "COMMITTING")]
    Committing,
    /// Done.
    #[serde(rename = "FINISHED")]
    Finished,
    /// Stopped by the user, a timeout, an error or a restart.
    #[serde(rename = "CANCELLED")]
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
    #[serde(rename = "CommonError")]
    CommonError,
    /// Ran past its timeout.
    #[serde(rename = "Timeout")]
    Timeout,
    /// A file failed its checksum.
    #[serde(rename = "BadFile")]
    BadFile,
    /// Something named does not exist (any more).
    #[serde(rename = "NotFound")]
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
    #[serde(rename = "Ok")]
    Ok,
    /// The job failed or was cancelled.
    #[serde(rename = "Error")]
    Error {
        /// StarRocks' code.
        #[serde(rename = "code")]
        code: StatusCode,
        /// What happened.
        #[serde(rename = "msg")]
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
