//! # tabvault
//!
//! An embeddable columnar storage engine: Arrow in, Parquet tablets on disk, atomic versioned
//! commits, instant hard-link snapshots, and backup/restore in StarRocks' dialect.
//!
//! This facade re-exports the public API of the workspace crates in one place, and the `arrow`
//! crate they are built on (rows go in and come out as its `RecordBatch`es), so an embedder uses
//! the same version. Without the default `cli` feature it compiles the library alone.

pub use arrow;

pub use tabvault_storage as storage;
pub use tabvault_storage::{
    ColumnDef, ColumnType, CommitInfo, CompareOp, Compression, Distribution, Engine, EngineBuilder,
    KeyModel, PartitionBound, PartitionDef, PartitionScheme, Predicate, Result, ScanRequest,
    StorageError, TableDef, TableProperties, TableSchema, TableVersion, Value, ViewDef, WriteBatch,
};

pub use tabvault_snapshot as snapshot;
pub use tabvault_snapshot::{BackupRequest, Job, JobRecord, RestoreRequest, SnapshotService};

pub use tabvault_sql as sql;
pub use tabvault_sql::{Database, QueryResult, Session, SqlError};
