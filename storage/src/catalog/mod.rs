//! The catalog: databases, views, tables, partitions, tablets and rowsets as one immutable state
//! value, changed only by applying [`Edit`]s. Readers clone an `Arc` of the state and are never
//! disturbed by later commits.

mod edit;
mod state;

pub use edit::Edit;
#[cfg(feature = "whitebox")]
pub use edit::apply_edit;
pub use state::{
    CatalogState, ColumnStats, Database, FileMeta, Partition, Rowset, RowsetKind, Table, Tablet,
};
