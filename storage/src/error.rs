//! The storage crate's error type: one enum whose variants say what went wrong and where.

use std::fmt;
use std::path::PathBuf;

/// The kind of catalog object an error names: errors carry it typed, so callers (the SQL layer's
/// MySQL error codes) match on it instead of on text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CatalogKind {
    /// A database.
    Database,
    /// A table.
    Table,
    /// A view.
    View,
    /// A partition of a table.
    Partition,
    /// A column of a table.
    Column,
}

impl CatalogKind {
    /// The kind as messages spell it: `database`, `table`, `view`, `partition`, `column`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Table => "table",
            Self::View => "view",
            Self::Partition => "partition",
            Self::Column => "column",
        }
    }
}

impl fmt::Display for CatalogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything the storage core can fail with. Messages are written for the user who will read them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An operating-system I/O call failed; `context` says which operation on which path.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What the engine was doing, e.g. `writing /data/1/2/3/4.parquet`.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes on disk do not form what the format promises (torn file, bad checksum, bad JSON).
    #[error("corrupted file {path}: {detail}")]
    Corrupted {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The directory is not one the engine may open (not its own, or its metadata is missing).
    /// Nothing in it was changed.
    #[error("cannot open data directory {path}: {detail}")]
    DataDirectory {
        /// The directory asked for.
        path: PathBuf,
        /// Why it was refused and what to do.
        detail: String,
    },
    /// A file carries a format version newer than this build understands; it was left untouched.
    #[error(
        "{path} is in format version {found}, but this build of tabvault reads versions up to \
         {supported}; open it with a newer tabvault"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version it carries.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// A metadata record or file would exceed a format limit; nothing was made durable.
    #[error("{0}")]
    TooLarge(String),
    /// A Parquet encode/decode error.
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// An Arrow compute error.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A database, table, view or partition name is not acceptable.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A definition (table, partition, column default, ...) is not valid.
    #[error("{0}")]
    InvalidDefinition(String),
    /// Data handed to a write does not fit the table (schema, NULLs, partition routing, lengths).
    #[error("{0}")]
    InvalidData(String),
    /// A named object does not exist.
    #[error("{kind} '{name}' does not exist")]
    NotFound {
        /// What kind of object was asked for.
        kind: CatalogKind,
        /// The name asked for.
        name: String,
    },
    /// A named object already exists.
    #[error("{kind} '{name}' already exists")]
    AlreadyExists {
        /// What kind of object clashed.
        kind: CatalogKind,
        /// The clashing name.
        name: String,
    },
    /// The operation does not apply to this kind of table (e.g. DELETE on a DUPLICATE KEY table).
    #[error("{0}")]
    Unsupported(String),
    /// A concurrent change removed something this commit wrote into; nothing was published.
    #[error("commit conflict: {0}")]
    Conflict(String),
    /// A table is locked by a running job (for example a RESTORE) and cannot be read or written.
    #[error("table '{table}' is locked by {holder}")]
    Locked {
        /// The locked table, `db.table`.
        table: String,
        /// Who holds the lock, e.g. `RESTORE job 12`.
        holder: String,
    },
    /// A durable write failed earlier; the engine refuses further writes until it is reopened.
    #[error("engine is poisoned after a failed durable write; reopen it")]
    Poisoned,
}

/// Shorthand used throughout the crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Attaches an operation description to an I/O error.
pub(crate) trait IoContext<T> {
    /// Wraps the error with `context`, computed lazily.
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| StorageError::Io {
            context: context(),
            source,
        })
    }
}
