//! DUPLICATE KEY rowsets are written sorted by their key columns (StarRocks' sort key): a key
//! predicate then matches a narrow run of rows, which row-group and page statistics find.

use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};

use crate::error::Result;

/// The key columns `key_indices` of `batch` as Arrow rows, which compare as the keys do.
pub(crate) fn key_rows(batch: &RecordBatch, key_indices: &[usize]) -> Result<Rows> {
    let keys: Vec<_> = key_indices
        .iter()
        .map(|&i| batch.column(i).clone())
        .collect();
    let converter = RowConverter::new(
        keys.iter()
            .map(|k| SortField::new(k.data_type().clone()))
            .collect(),
    )?;
    Ok(converter.convert_columns(&keys)?)
}

/// The key columns `key_indices` of the rows `rows` of `batch` (every row when `None`), in that
/// order, as Arrow rows: only the key columns are gathered.
pub(crate) fn routed_key_rows(
    batch: &RecordBatch,
    rows: Option<&UInt32Array>,
    key_indices: &[usize],
) -> Result<Rows> {
    let keys = match rows {
        None => batch.project(key_indices)?,
        Some(rows) => take_record_batch(&batch.project(key_indices)?, rows)?,
    };
    let all: Vec<usize> = (0..key_indices.len()).collect();
    key_rows(&keys, &all)
}

/// The order in which to write the rows `rows` of `batch` (every row when `None`): sorted by the
/// columns `key_indices`, rows with equal keys in their order, as indices into `batch`. `None`
/// when that is every row of `batch` in its own order, so the batch can be written as it is.
/// Only the key columns are gathered; the rows themselves are copied when written, in order.
pub(crate) fn key_order(
    batch: &RecordBatch,
    rows: Option<&UInt32Array>,
    key_indices: &[usize],
) -> Result<Option<UInt32Array>> {
    let count = rows.map_or(batch.num_rows(), |r| r.len());
    if key_indices.is_empty() || count < 2 {
        return Ok(rows.cloned());
    }
    let key_rows = routed_key_rows(batch, rows, key_indices)?;
    let mut order: Vec<u32> = (0..u32::try_from(count).unwrap_or(u32::MAX)).collect();
    order.sort_by(|&a, &b| key_rows.row(a as usize).cmp(&key_rows.row(b as usize)));
    if order.windows(2).all(|w| w[0] < w[1]) {
        return Ok(rows.cloned());
    }
    Ok(Some(match rows {
        None => UInt32Array::from(order),
        Some(rows) => order.iter().map(|&i| rows.value(i as usize)).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};

    use super::*;

    #[test]
    fn rows_are_ordered_by_key_and_equal_keys_keep_their_order() {
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int32Array::from(vec![3, 1, 3, 2, 1])) as _),
            (
                "v",
                Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])) as _,
            ),
        ])
        .expect("batch");
        let order = key_order(&batch, None, &[0])
            .expect("order")
            .expect("unsorted");
        assert_eq!(order.values().to_vec(), vec![1, 4, 3, 0, 2]);
        let subset = UInt32Array::from(vec![0, 2, 3]);
        let order = key_order(&batch, Some(&subset), &[0])
            .expect("order")
            .expect("unsorted");
        assert_eq!(order.values().to_vec(), vec![3, 0, 2]);
    }

    #[test]
    fn rows_already_in_key_order_are_written_as_they_are() {
        let batch = RecordBatch::try_from_iter(vec![(
            "k",
            Arc::new(Int32Array::from(vec![1, 1, 2, 5])) as _,
        )])
        .expect("batch");
        assert_eq!(key_order(&batch, None, &[0]).expect("order"), None);
        let subset = UInt32Array::from(vec![1, 3]);
        let order = key_order(&batch, Some(&subset), &[0]).expect("order");
        assert_eq!(order, Some(subset));
        let unsorted = UInt32Array::from(vec![3, 1]);
        let order = key_order(&batch, Some(&unsorted), &[0]).expect("order");
        assert_eq!(order.map(|o| o.values().to_vec()), Some(vec![1, 3]));
    }
}
