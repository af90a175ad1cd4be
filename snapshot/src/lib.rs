//! # tabvault-snapshot
//!
//! Snapshots, repositories and BACKUP/RESTORE jobs for tabvault, shaped so that each StarRocks
//! statement is one call of [`SnapshotService`]:
//!
//! - Local snapshots: the visible versions of the selected partitions captured at one instant and
//!   hard-linked into `snapshots/<id>/` — O(files), flat in bytes; writers never wait.
//! - Repositories on local disk, `memory://` or S3 (`s3://`, `s3a://`), content-addressed so repeated
//!   backups only upload what changed, every snapshot still a full restore point.
//! - BACKUP jobs with StarRocks' states, errors, progress, cancel and timeout; the info file is
//!   written last, so a snapshot is visible only when complete.
//! - RESTORE jobs that check existing tables against the snapshot, download and verify every file,
//!   and commit in one metadata record: atomic, unlike StarRocks.
//!
//! Non-goals: incremental snapshots (every snapshot is full; storage is deduplicated), backing up
//! users and privileges, HDFS or broker repositories.

mod compare;
mod error;
mod footer;
mod iceberg;
mod in_place;
mod job;
mod layout;
mod lease;
mod local;
mod manifest;
mod object_spec;
mod options;
mod parallel;
mod placement;
mod prune;
mod refresh;
mod registry;
mod repository;
mod retention;
mod service;
#[cfg(test)]
mod test_support;
mod timefmt;
mod verify;

pub use error::{Result, SnapshotError};
pub use in_place::SnapshotTable;
pub use job::restore::{RestoreRequest, STAGING_DIR};
pub use job::{
    BackupState, Job, JobKind, JobRecord, JobState, JobStatus, Progress, ProgressSnapshot,
    RestoreState, StatusCode,
};
pub use layout::{
    DATA_DIR as REPOSITORY_DATA_DIR, MARKER as REPOSITORY_MARKER, META_FILE, SNAPSHOTS_DIR,
};
pub use local::{LOCAL_SNAPSHOTS_DIR, LocalSnapshot, capture, manifest_of};
pub use manifest::{
    InfoObject, PartitionEntry, RowsetEntry, SNAPSHOT_FORMAT_VERSION, SnapshotInfo,
    SnapshotManifest, TableEntry, TabletEntry,
};
pub use object_spec::ObjectSpec;
pub use options::{BackupOptions, DEFAULT_TIMEOUT_S, MIN_TIMEOUT_S, RestoreOptions};
pub use prune::{SnapshotSelection, TimestampBound, TimestampOp};
pub use refresh::IcebergRefresh;
pub use registry::{REGISTRY_FILE, RepositoryRow};
pub use repository::{
    Algorithm, Digest, EncryptionOptions, FaultPlan, RepoPath, Repository, RepositoryError,
    RepositoryOptions, RepositoryStore, RetryPolicy, S3Options, SnapshotListing, TransferMethod,
};
pub use retention::{KEEP_LAST, KEEP_WITHIN, RetentionPolicy, SnapshotAge};
pub use service::{BackupRequest, SnapshotService, SnapshotServiceBuilder, StateHook};
pub use timefmt::{show_time, snapshot_timestamp};
pub use verify::{FileRole, FileStatus, VerifyRow};
