//! The SQL layer's error: every failure a statement can report, with a message a user can act on.

use datafusion::error::DataFusionError;
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
    /// DataFusion could not plan or run a query (its error kept whole, shown without backtrace).
    #[error("{}", .0.strip_backtrace())]
    Query(Box<DataFusionError>),
    /// Arrow could not build or convert a batch of results.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
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

impl From<DataFusionError> for SqlError {
    fn from(error: DataFusionError) -> Self {
        // Errors raised by our own providers travel through DataFusion; give them back intact.
        match error {
            DataFusionError::External(inner) => match inner.downcast::<SqlError>() {
                Ok(sql) => *sql,
                Err(other) => Self::Query(Box::new(DataFusionError::External(other))),
            },
            DataFusionError::Context(_, inner) => Self::from(*inner),
            other => Self::Query(Box::new(other)),
        }
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
            Self::Query(error) if is_unknown_table(error) => mysql::NO_SUCH_TABLE,
            Self::Snapshot(_)
            | Self::Query(_)
            | Self::Arrow(_)
            | Self::Invalid(_)
            | Self::Io { .. } => mysql::UNKNOWN,
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

/// DataFusion reports a table it cannot resolve as a planning error "table '…' not found" (its
/// only structure is the variant).
fn is_unknown_table(error: &DataFusionError) -> bool {
    match error.find_root() {
        DataFusionError::Plan(message) => {
            message.starts_with("table '") && message.contains("' not found")
        }
        _ => false,
    }
}

/// Result of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datafusion_errors_are_kept_and_an_unknown_table_is_1146() {
        let unknown = SqlError::from(DataFusionError::Context(
            "planning".into(),
            Box::new(DataFusionError::Plan("table 'db.t' not found".into())),
        ));
        assert!(matches!(&unknown, SqlError::Query(e) if matches!(**e, DataFusionError::Plan(_))));
        assert_eq!((unknown.mysql_code(), unknown.sqlstate()), (1146, "42S02"));
        assert_eq!(
            unknown.to_string(),
            "Error during planning: table 'db.t' not found"
        );
        let function = SqlError::from(DataFusionError::Plan("table function 'x' not found".into()));
        assert_eq!(function.mysql_code(), 1105);
        let ours = SqlError::from(SqlError::NoDatabase.into_datafusion());
        assert!(matches!(ours, SqlError::NoDatabase));
    }
}
