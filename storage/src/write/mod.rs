//! The write path: conform batches to the table, route rows to partitions and buckets, and write one
//! Parquet rowset per touched tablet. Publishing happens in the engine's commit.

mod bucket;
mod conform;
mod primary_key;
mod route;
mod rowset_writer;
mod sort_key;
mod stats;

pub use bucket::row_hashes;
pub(crate) use conform::{conform_batch, conform_keys};
pub(crate) use primary_key::dedupe_key_order;
pub(crate) use route::{TabletRows, route_rows};
pub use rowset_writer::{RowsetWriter, writer_properties};
pub(crate) use sort_key::key_order;
