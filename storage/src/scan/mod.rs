//! The scan path: a pinned table version, partition pruning, file and row-group skipping by
//! statistics, projection, PRIMARY KEY merge-on-read, and tablets read in parallel.

mod merge;
mod predicate;
mod reader;
mod table_version;

pub use predicate::{CompareOp, Predicate};
pub use reader::map_rowset_file;
pub(crate) use table_version::read_rowset_for_compaction;
pub use table_version::{ScanRequest, TableVersion, TabletFile};
