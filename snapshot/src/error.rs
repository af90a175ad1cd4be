//! Errors of snapshots, repositories and jobs. Messages a StarRocks user would see are StarRocks'
//! own strings (see shared/reference/starrocks-backup-restore.md §1); the rest say what to do.

use tabvault_storage::StorageError;

use crate::repository::RepositoryError;

/// Everything the snapshot crate can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A storage operation failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A repository operation failed.
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    /// `Repository [<r>] does not exist`: BACKUP, RESTORE and snapshot statements naming an
    /// unknown repository (StarRocks' analyzer message).
    #[error("Repository [{0}] does not exist")]
    RepositoryNotFound(String),
    /// `Repository does not exist`: DROP REPOSITORY of an unknown one (StarRocks' words).
    #[error("Repository does not exist")]
    NoRepositoryToDrop(String),
    /// `repository with same name already exist: <r>`: CREATE REPOSITORY of a registered name.
    #[error("repository with same name already exist: {0}")]
    RepositoryExists(String),
    /// `Repository is empty`: no repository name was given.
    #[error("Repository is empty")]
    RepositoryNameEmpty,
    /// `Repository <r> is read only`.
    #[error("Repository {0} is read only")]
    RepositoryReadOnly(String),
    /// `Backup or restore job is running on this repository. Can not drop it`.
    #[error("Backup or restore job is running on this repository. Can not drop it")]
    RepositoryBusy,
    /// `Failed to create repository: <msg>`.
    #[error("Failed to create repository: {0}")]
    CreateRepository(String),
    /// `Unknown database '<db>'`.
    #[error("Unknown database '{0}'")]
    UnknownDatabase(String),
    /// `Incorrect table name '<t>'`: BACKUP of a table the database does not hold (StarRocks'
    /// ERR_WRONG_TABLE_NAME from its analyzer).
    #[error("Incorrect table name '{0}'")]
    UnknownTable(String),
    /// `partition[<p>] does not exist  in table<t>` (StarRocks' spacing, kept as is).
    #[error("partition[{partition}] does not exist  in table{table}")]
    UnknownPartition {
        /// Partition name.
        partition: String,
        /// Table name.
        table: String,
    },
    /// `Duplicated table: <t>`.
    #[error("Duplicated table: {0}")]
    DuplicatedTable(String),
    /// `Duplicated alias name: <a>`.
    #[error("Duplicated alias name: {0}")]
    DuplicatedAlias(String),
    /// `Can only run one backup or restore job of a database at same time`.
    #[error("Can only run one backup or restore job of a database at same time")]
    JobRunning,
    /// `Snapshot with name '<label>' already exist in repository`.
    #[error("Snapshot with name '{0}' already exist in repository")]
    SnapshotExists(String),
    /// An empty or path-like snapshot name.
    #[error("Invalid snapshot name '{0}': {1}")]
    InvalidSnapshotName(String, String),
    /// `timeout must be at least 10 min`.
    #[error("timeout must be at least 10 min")]
    TimeoutTooSmall,
    /// `No backup job is currently running`.
    #[error("No backup job is currently running")]
    NoBackupRunning,
    /// `No restore is currently running` (StarRocks' wording, without "job").
    #[error("No restore is currently running")]
    NoRestoreRunning,
    /// `Failed to cancel job: Job with label <l> can not be cancelled. state: <STATE>`.
    #[error("Failed to cancel job: Job with label {label} can not be cancelled. state: {state}")]
    CannotCancel {
        /// The job's snapshot label.
        label: String,
        /// Its current state.
        state: String,
    },
    /// `ALTER REPOSITORY … REFRESH ICEBERG` of an encrypted repository.
    #[error(
        "Repository {0} is encrypted: other engines cannot read its sealed files, so it has no Iceberg view"
    )]
    IcebergOfEncrypted(String),
    /// DROP SNAPSHOT of a snapshot a running RESTORE reads.
    #[error("Snapshot {0} is being restored; drop it when the RESTORE has ended")]
    SnapshotInUse(String),
    /// A DROP SNAPSHOT `TIMESTAMP` that is not a snapshot timestamp.
    #[error(
        "Invalid timestamp format: {0}; expected yyyy-MM-dd-HH-mm-ss or yyyy-MM-dd-HH-mm-ss-SSS"
    )]
    InvalidTimestamp(String),
    /// A snapshot (or one timestamp of it) is not in the repository.
    #[error("Snapshot {0} does not exist in repository")]
    SnapshotNotFound(String),
    /// Bytes read back from a repository or a local snapshot do not form what the format promises.
    #[error("corrupted {what}: {detail}")]
    Corrupted {
        /// Which file.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// A BACKUP's ON list gave a table an alias (only RESTORE takes one).
    #[error("Can not set alias for table in Backup Stmt: {name} AS {alias}")]
    AliasInBackup {
        /// The table.
        name: String,
        /// The alias given.
        alias: String,
    },
    /// A table of a snapshot cannot be written as an Iceberg table (BACKUP then leaves it out
    /// of the Iceberg export, names it in the job's TaskErrMsg, and still completes).
    #[error("table {table} is not exported as an Iceberg table: {detail}")]
    Iceberg {
        /// `database.table`.
        table: String,
        /// Why.
        detail: String,
    },
    /// The job was cancelled (by the user, a timeout or a restart) before it finished.
    #[error("job cancelled: {0}")]
    Cancelled(String),
    /// `Invalid meta version format: <v>` (StarRocks uses it for `replication_num` too).
    #[error("Invalid meta version format: {0}")]
    InvalidMetaVersion(String),
    /// `Failed to get info of snapshot '<label>' because: <msg>. Maybe specified wrong backup timestamp`.
    #[error(
        "Failed to get info of snapshot '{label}' because: {msg}. Maybe specified wrong backup timestamp"
    )]
    SnapshotInfo {
        /// Snapshot name.
        label: String,
        /// What failed.
        msg: String,
    },
    /// `Table <t> does not exist in snapshot <label>`.
    #[error("Table {table} does not exist in snapshot {snapshot}")]
    TableNotInSnapshot {
        /// Table name.
        table: String,
        /// Snapshot name.
        snapshot: String,
    },
    /// `Partition <p> of table <t> does not exist in snapshot <label>`.
    #[error("Partition {partition} of table {table} does not exist in snapshot {snapshot}")]
    PartitionNotInSnapshot {
        /// Partition name.
        partition: String,
        /// Table name.
        table: String,
        /// Snapshot name.
        snapshot: String,
    },
    /// An existing table does not match the snapshot (`Table <t> already exist but with different
    /// schema, ...` and the other StarRocks messages of reference §4); the text is complete.
    #[error("{0}")]
    SchemaMismatch(String),
    /// `You must specify a location on the repository`: CREATE REPOSITORY with an empty location.
    #[error("You must specify a location on the repository")]
    LocationEmpty,
    /// A registered repository whose location could not be opened (or may not be used); it stays
    /// registered, SHOW REPOSITORIES shows the reason, and DROP REPOSITORY removes it.
    #[error("Repository {name} is unavailable: {reason}")]
    RepositoryUnavailable {
        /// Repository name.
        name: String,
        /// Why it could not be opened.
        reason: String,
    },
    /// A file of this tabvault's own formats written by a newer version.
    #[error(
        "{file} has format version {found}, newer than this tabvault supports ({supported}); \
         use a newer tabvault"
    )]
    NewerFormat {
        /// Which file.
        file: String,
        /// The version it declares.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A data file a backup's manifest names is not in the repository just before the backup
    /// would publish it (e.g. a concurrent cleanup removed it): the backup fails unpublished.
    #[error(
        "data file {0} named by the snapshot is missing from the repository (removed by a \
         concurrent cleanup?); the snapshot was not published, run the BACKUP again"
    )]
    MissingDataFile(String),
    /// The service is shutting down and accepts no new jobs.
    #[error("the backup service is shutting down")]
    ShuttingDown,
    /// A file's JSON could not be produced; nothing was written.
    #[error("encoding {what} failed: {detail}")]
    Encode {
        /// Which file.
        what: String,
        /// Why.
        detail: String,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;

/// `value` as pretty JSON, or an error naming `what`: a file is never written from a failed
/// encoding (an empty file published durably would replace good content).
pub(crate) fn json_bytes(value: &impl serde::Serialize, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| SnapshotError::Encode {
        what: what.to_owned(),
        detail: e.to_string(),
    })
}

impl SnapshotError {
    /// A corruption error for a named file.
    pub(crate) fn corrupted(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self::Corrupted {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    /// Refuses a parsed JSON file whose `format_version` is newer than `supported`, the newest
    /// this build reads; a file without one is taken as the current version.
    pub(crate) fn refuse_newer_format(
        file: &str,
        value: &serde_json::Value,
        supported: u32,
    ) -> Result<()> {
        let found = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(u64::from(supported));
        if found > u64::from(supported) {
            return Err(Self::NewerFormat {
                file: file.to_owned(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported,
            });
        }
        Ok(())
    }
}
