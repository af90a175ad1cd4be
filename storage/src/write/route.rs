//! Routing rows to tablets: the partition whose bound holds the row's partition value, then the
//! bucket given by the distribution.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, AsArray, UInt32Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;

use super::bucket::row_hashes;
use crate::catalog::{Partition, Table};
use crate::error::{Result, StorageError};
use crate::schema::{Distribution, PartitionBound};
use crate::value::Value;

/// Rows bound for one tablet: which rows of the routed batch, never copied out of it as a whole;
/// the thread that writes the tablet's file copies them in key order, a chunk at a time.
#[derive(Debug)]
pub(crate) struct TabletRows {
    /// Target partition id.
    pub partition_id: u64,
    /// Target tablet index (bucket).
    pub tablet: usize,
    /// Row indices into the routed batch; `None` when every row goes here.
    pub indices: Option<UInt32Array>,
}

/// Splits a conformed batch (table column order) into per-tablet row sets. `missing_partition_is_error`
/// is false for deletes, whose keys outside every partition simply match nothing.
pub(crate) fn route_rows(
    table: &Table,
    batch: &RecordBatch,
    round_robin: &AtomicU64,
    missing_partition_is_error: bool,
    table_label: &str,
) -> Result<Vec<TabletRows>> {
    let rows = batch.num_rows();
    if rows == 0 {
        return Ok(Vec::new());
    }
    let partitions: Vec<&Arc<Partition>> = table.partitions.values().collect();
    let partition_of = partition_per_row(
        table,
        &partitions,
        batch,
        missing_partition_is_error,
        table_label,
    )?;
    let buckets = u64::from(table.schema.distribution.buckets());
    let bucket_of: Vec<u64> = match &table.schema.distribution {
        Distribution::Hash { columns, .. } => {
            let arrays: Vec<&dyn Array> = columns
                .iter()
                .map(|c| batch.column_by_name(c).map(|a| a.as_ref()))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    StorageError::InvalidData(format!(
                        "distribution column missing in batch for {table_label}"
                    ))
                })?;
            row_hashes(&arrays, rows)?
                .into_iter()
                .map(|h| h % buckets)
                .collect()
        }
        Distribution::Random { .. } => Vec::new(),
    };
    // One counter step per commit, offset by the partition's index: every partition cycles through
    // all its buckets, however many partitions there are.
    let first_bucket = round_robin.fetch_add(1, Ordering::Relaxed);
    let random_bucket: Vec<u64> = (0..partitions.len() as u64)
        .map(|p| first_bucket.wrapping_add(p) % buckets)
        .collect();
    // Rows grouped per (partition, bucket) in a dense table over the partitions that receive
    // rows, in partition then bucket order: an array index per row rather than a map lookup.
    let mut receives = vec![false; partitions.len()];
    match &partition_of {
        RowPartitions::All(part) => part.iter().for_each(|p| receives[*p] = true),
        RowPartitions::Each(each) => each.iter().flatten().for_each(|p| receives[*p] = true),
    }
    let parts: Vec<usize> = (0..partitions.len()).filter(|p| receives[*p]).collect();
    let mut slot_of_partition: Vec<usize> = vec![0; partitions.len()];
    for (slot, part) in parts.iter().enumerate() {
        slot_of_partition[*part] = slot;
    }
    let per_partition = usize::try_from(buckets).unwrap_or(1).max(1);
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); parts.len() * per_partition];
    for row in 0..rows {
        let Some(part) = partition_of.of(row) else {
            continue;
        };
        let bucket = bucket_of.get(row).copied().unwrap_or(random_bucket[part]);
        let bucket = usize::try_from(bucket).unwrap_or(0);
        groups[slot_of_partition[part] * per_partition + bucket]
            .push(u32::try_from(row).unwrap_or(u32::MAX));
    }
    let mut out = Vec::new();
    for (slot, indices) in groups.into_iter().enumerate() {
        if indices.is_empty() {
            continue;
        }
        out.push(TabletRows {
            partition_id: partitions[parts[slot / per_partition]].id,
            tablet: slot % per_partition,
            indices: (indices.len() != rows).then(|| UInt32Array::from(indices)),
        });
    }
    Ok(out)
}

/// The partition (an index into the table's partitions) of each row of a routed batch.
enum RowPartitions {
    /// Every row in the same partition (an unpartitioned table), or in none.
    All(Option<usize>),
    /// Row by row; `None` for rows that fit no partition when that is allowed.
    Each(Vec<Option<usize>>),
}

impl RowPartitions {
    /// The partition of `row`.
    fn of(&self, row: usize) -> Option<usize> {
        match self {
            Self::All(part) => *part,
            Self::Each(each) => each[row],
        }
    }
}

/// The index (into `partitions`) of each row's partition; `None` for rows that fit none when that
/// is allowed.
fn partition_per_row(
    table: &Table,
    partitions: &[&Arc<Partition>],
    batch: &RecordBatch,
    missing_is_error: bool,
    table_label: &str,
) -> Result<RowPartitions> {
    let rows = batch.num_rows();
    let Some(column_name) = table.schema.partition_scheme.column() else {
        return Ok(RowPartitions::All((!partitions.is_empty()).then_some(0)));
    };
    let array = batch.column_by_name(column_name).ok_or_else(|| {
        StorageError::InvalidData(format!("partition column '{column_name}' missing"))
    })?;
    let found: Vec<Option<usize>> = match fast_ranges(partitions) {
        Some(ranges) => {
            let ints = cast(array, &DataType::Int64)?;
            let ints = ints.as_primitive::<Int64Type>();
            (0..rows)
                .map(|i| {
                    if ints.is_null(i) {
                        ranges.iter().find(|r| r.0 == i64::MIN && r.2).map(|r| r.3)
                    } else {
                        find_range(&ranges, ints.value(i))
                    }
                })
                .collect()
        }
        None => (0..rows)
            .map(|i| {
                let value = Value::from_array(array.as_ref(), i)?;
                Ok(partitions.iter().position(|p| p.bound.contains(&value)))
            })
            .collect::<Result<_>>()?,
    };
    if missing_is_error && let Some(row) = found.iter().position(Option::is_none) {
        let value = Value::from_array(array.as_ref(), row)?;
        return Err(StorageError::InvalidData(format!(
            "no partition of table {table_label} holds {column_name} = {value}; the statement wrote nothing"
        )));
    }
    Ok(RowPartitions::Each(found))
}

/// `(lower, upper, lower_is_unbounded, partition index)` sorted by lower, when every partition is a
/// range over integer-like values; `upper` of `None` is MAXVALUE.
type FastRange = (i64, Option<i64>, bool, usize);

fn fast_ranges(partitions: &[&Arc<Partition>]) -> Option<Vec<FastRange>> {
    let mut ranges: Vec<FastRange> = Vec::with_capacity(partitions.len());
    for (i, p) in partitions.iter().enumerate() {
        let PartitionBound::Range { lower, upper } = &p.bound else {
            return None;
        };
        let low = match lower {
            Some(v) => v.as_ordinal()?,
            None => i64::MIN,
        };
        let high = match upper {
            Some(v) => Some(v.as_ordinal()?),
            None => None,
        };
        ranges.push((low, high, lower.is_none(), i));
    }
    ranges.sort_by_key(|r| r.0);
    Some(ranges)
}

fn find_range(ranges: &[FastRange], x: i64) -> Option<usize> {
    let after = ranges.partition_point(|r| r.0 <= x);
    let candidate = ranges.get(after.checked_sub(1)?)?;
    candidate
        .1
        .is_none_or(|upper| x < upper)
        .then_some(candidate.3)
}
