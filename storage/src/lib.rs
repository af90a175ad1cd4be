//! # tabvault-storage
//!
//! The storage core of tabvault: a catalog of databases, tables and views; tables split into
//! partitions and tablets of immutable Parquet rowsets; commits published atomically and durably by
//! a checksummed metadata log; scans that pin a version and never block writers.
//!
//! Features:
//! - StarRocks' column types, DUPLICATE KEY and PRIMARY KEY tables, RANGE/LIST partitioning, HASH
//!   and RANDOM distribution, lz4 (the default, as StarRocks)/zstd/snappy/no compression.
//! - One commit publishes new versions of every touched partition across tables, or nothing.
//! - Crash safety: temp-write, fsync, rename, fsync directory; torn log tails dropped on open;
//!   unreferenced files removed.
//! - Scans prune partitions, files and row groups by statistics and read tablets in parallel.
//! - Deterministic for tests: injectable clock, sequential never-reused ids, no global state.
//!
//! Non-goals: replication (one node, one copy), SQL (see `tabvault-sql`), multi-column partition keys.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//! use tabvault_storage::*;
//!
//! let dir = tempfile::tempdir()?;
//! let engine = Engine::open(dir.path())?;
//! engine.create_database("db", false)?;
//! let schema = TableSchema {
//!     columns: vec![ColumnDef::new("id", ColumnType::BigInt).not_null(), ColumnDef::new("name", ColumnType::String)],
//!     key_model: KeyModel::Duplicate,
//!     key_columns: vec!["id".into()],
//!     partition_scheme: PartitionScheme::Unpartitioned,
//!     distribution: Distribution::Hash { columns: vec!["id".into()], buckets: 2 },
//!     properties: TableProperties::default(),
//! };
//! engine.create_table("db", &TableDef { name: "t".into(), schema, partitions: vec![] }, false)?;
//! let batch = RecordBatch::try_from_iter(vec![
//!     ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
//!     ("name", Arc::new(StringArray::from(vec!["a", "b", "c"])) as _),
//! ])?;
//! engine.append("db", "t", batch)?;
//! let rows = engine.pin_table("db", "t")?.count(&ScanRequest::all())?;
//! assert_eq!(rows, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod catalog;
mod clock;
mod crash;
mod engine;
mod error;
mod fs;
mod io;
mod layout;
mod log;
mod name;
mod parallel;
mod scan;
mod schema;
mod types;
mod value;
mod write;

pub use catalog::{
    CatalogState, ColumnStats, Database, FileMeta, Partition, Rowset, RowsetKind, Table, Tablet,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::less_than_lower_bound;
pub use engine::{
    CommitInfo, CompactionPolicy, CompactionReport, Engine, EngineBuilder, GcReport,
    InstallPartition, InstallPlan, InstallTable, OpenReport, PublishedPartition, StagedRowset,
    TableLocks, VerifyReport, WriteBatch,
};
pub use error::{CatalogKind, Result, StorageError};
pub use name::{NAME_LEN_MAX, validate_name};
pub use scan::{CompareOp, Predicate, ScanRequest, TableVersion, TabletFile};
pub use schema::{
    BUCKETS_MAX, ColumnDef, Compression, Distribution, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, TABLETS_PER_TABLE_MAX, TableDef, TableProperties, TableSchema, ViewDef,
};
pub use types::{ColumnType, DECIMAL_PRECISION_MAX};
pub use value::{
    MICROS_PER_DAY, Value, civil_from_days, days_from_civil, format_datetime, parse_date,
    parse_datetime,
};

/// Building blocks tabvault's own crates (snapshot, sql, bench) share with storage: durable file
/// writes, private file modes, the data directory's names, content hashes, mapped rowset files,
/// the Parquet writer's settings and Parquet field ids. Not part of the embedding API: they follow
/// storage's internals and may change in any release.
pub mod internal {
    pub use crate::engine::hash_file;
    pub use crate::fs::{
        TEMP_SUFFIX, create_dir_durable, remove_file_if_exists, rename_durable, sync_dir,
        temp_path, write_file_durable,
    };
    pub use crate::io::{
        PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, create_private_dir, private_file_options,
    };
    pub use crate::layout::{DATA_DIR, LOCK_FILE, LOST_FOUND_DIR, MARKER_FILE, META_DIR};
    pub use crate::scan::map_rowset_file;
    pub use crate::schema::{field_id, has_field_ids, without_field_ids};
    pub use crate::write::{row_hashes, writer_properties};
}

/// Test seams, compiled only with the `whitebox` feature (storage's and snapshot's tests, bench,
/// fuzz): named crash points and the hook called at each, the I/O seam with its fault-injecting
/// implementation, the rowset writer that goes through it, and the metadata log's record and
/// frame codec. Production builds have none of
/// them, so no embedder can install a hook or a fault by mistake.
#[cfg(feature = "whitebox")]
pub mod whitebox {
    pub use crate::catalog::{Edit, apply_edit};
    pub use crate::crash::{CrashHook, CrashPoint};
    pub use crate::io::{Fault, FaultIo, FaultMode, OpKind, RealIo, StorageFile, StorageIo};
    pub use crate::log::{
        FRAME_HEADER_LEN, FRAME_PAYLOAD_MAX, LogRecord, decode_frame, encode_frame,
    };
    pub use crate::write::RowsetWriter;
}
