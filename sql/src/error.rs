//! The SQL layer's error: every failure a statement can report, with a message a user can act on.

use tabvault_snapshot::SnapshotError;
use tabvault_storage::StorageError;

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

impl SqlError {
    /// Wraps this error for returning through a DataFusion callback.
    pub(crate) fn into_datafusion(self) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(self))
    }
}

/// Result of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
