//! The SQL layer's error: every failure a statement can report, with a message a user can act on.

use tabvault_snapshot::SnapshotError;
use tabvault_storage::{CatalogKind, StorageError};

use crate::parser::ParseError;

/// What went wrong while running a statement.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The text is not a statement tabvault understands.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The storage engine refused or failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A snapshot, repository or job operation failed (StarRocks' messages).
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// DataFusion could not plan or run a query.
    #[error("{0}")]
    Query(String),
    /// The current user lacks a privilege; the text names it, as StarRocks does.
    #[error("Access denied; you need (at least one of) the {0} privilege(s) for this operation")]
    AccessDenied(&'static str),
    /// A login failed.
    #[error("Access denied for user '{0}'")]
    Login(String),
    /// The statement is well-formed but asks for something invalid.
    #[error("{0}")]
    Invalid(String),
    /// The statement is understood but tabvault does not do it.
    #[error("{0}")]
    Unsupported(String),
    /// No database is selected and the statement did not name one.
    #[error("No database selected")]
    NoDatabase,
    /// The statement ran longer than the session's `query_timeout` and was cancelled.
    #[error("Query exceeded time limit of {0} seconds (query_timeout); it was cancelled")]
    Timeout(u64),
    /// The statement was cancelled by `KILL [QUERY]` or because its client went away.
    #[error("Query execution was interrupted")]
    Interrupted,
    /// `KILL` named a process that is not listed.
    #[error("Unknown thread id: {0}")]
    NoSuchProcess(u32),
    /// `KILL` named another user's process and the user is not an admin.
    #[error("You are not owner of thread {0}")]
    NotProcessOwner(u32),
    /// Reading or writing the users file failed.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<datafusion::error::DataFusionError> for SqlError {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        // Errors raised by our own providers travel through DataFusion; give them back intact.
        match error {
            datafusion::error::DataFusionError::External(inner) => {
                match inner.downcast::<SqlError>() {
                    Ok(sql) => *sql,
                    Err(other) => Self::Query(other.to_string()),
                }
            }
            datafusion::error::DataFusionError::Context(_, inner) => Self::from(*inner),
            other => Self::Query(other.strip_backtrace()),
        }
    }
}

impl From<arrow::error::ArrowError> for SqlError {
    fn from(error: arrow::error::ArrowError) -> Self {
        Self::Query(error.to_string())
    }
}

/// MySQL's error numbers and SQLSTATEs for the errors tabvault reports; the MySQL server sends
/// them, the Python package raises them as `errno` and `sqlstate`.
mod mysql {
    pub(super) const UNKNOWN: (u16, &str) = (1105, "HY000");
    pub(super) const DB_CREATE_EXISTS: (u16, &str) = (1007, "HY000");
    pub(super) const ACCESS_DENIED: (u16, &str) = (1045, "28000");
    pub(super) const NO_DB: (u16, &str) = (1046, "3D000");
    pub(super) const BAD_DB: (u16, &str) = (1049, "42000");
    pub(super) const TABLE_EXISTS: (u16, &str) = (1050, "42S01");
    pub(super) const PARSE: (u16, &str) = (1064, "42000");
    pub(super) const NO_SUCH_THREAD: (u16, &str) = (1094, "HY000");
    pub(super) const KILL_DENIED: (u16, &str) = (1095, "HY000");
    pub(super) const WRONG_TABLE_NAME: (u16, &str) = (1103, "42000");
    pub(super) const NO_SUCH_TABLE: (u16, &str) = (1146, "42S02");
    pub(super) const SPECIFIC_ACCESS_DENIED: (u16, &str) = (1227, "42000");
    pub(super) const NOT_SUPPORTED: (u16, &str) = (1235, "42000");
    pub(super) const INTERRUPTED: (u16, &str) = (1317, "70100");
}

impl SqlError {
    /// The MySQL error number a client sees for this error (1105, "unknown error", when MySQL
    /// has no closer one).
    pub fn mysql_code(&self) -> u16 {
        self.mysql().0
    }

    /// The SQLSTATE that goes with [`SqlError::mysql_code`].
    pub fn sqlstate(&self) -> &'static str {
        self.mysql().1
    }

    fn mysql(&self) -> (u16, &'static str) {
        match self {
            Self::Parse(_) => mysql::PARSE,
            Self::AccessDenied(_) => mysql::SPECIFIC_ACCESS_DENIED,
            Self::Login(_) => mysql::ACCESS_DENIED,
            Self::NoDatabase => mysql::NO_DB,
            Self::Timeout(_) | Self::Interrupted => mysql::INTERRUPTED,
            Self::NoSuchProcess(_) => mysql::NO_SUCH_THREAD,
            Self::NotProcessOwner(_) => mysql::KILL_DENIED,
            Self::Unsupported(_) => mysql::NOT_SUPPORTED,
            Self::Storage(e) => storage_code(e),
            Self::Snapshot(SnapshotError::Storage(e)) => storage_code(e),
            Self::Snapshot(SnapshotError::UnknownDatabase(_)) => mysql::BAD_DB,
            Self::Snapshot(SnapshotError::UnknownTable(_)) => mysql::WRONG_TABLE_NAME,
            Self::Query(message) if is_unknown_table(message) => mysql::NO_SUCH_TABLE,
            Self::Snapshot(_) | Self::Query(_) | Self::Invalid(_) | Self::Io { .. } => {
                mysql::UNKNOWN
            }
        }
    }

    /// Wraps this error for returning through a DataFusion callback.
    pub(crate) fn into_datafusion(self) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(self))
    }
}

fn storage_code(error: &StorageError) -> (u16, &'static str) {
    use CatalogKind::{Database, Table, View};
    match error {
        StorageError::NotFound { kind: Database, .. } => mysql::BAD_DB,
        StorageError::NotFound {
            kind: Table | View, ..
        } => mysql::NO_SUCH_TABLE,
        StorageError::AlreadyExists { kind: Database, .. } => mysql::DB_CREATE_EXISTS,
        StorageError::AlreadyExists {
            kind: Table | View, ..
        } => mysql::TABLE_EXISTS,
        StorageError::Unsupported(_) => mysql::NOT_SUPPORTED,
        _ => mysql::UNKNOWN,
    }
}

/// DataFusion reports a table it cannot resolve as "table '…' not found", in text only.
fn is_unknown_table(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("table '") && lower.contains("not found")
}

/// Result of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
