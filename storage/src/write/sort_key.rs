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

/// The rows of `batch` ordered by the columns `key_indices`; rows with equal keys keep their
/// order.
pub(crate) fn sort_by_key(batch: &RecordBatch, key_indices: &[usize]) -> Result<RecordBatch> {
    if key_indices.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let rows = key_rows(batch, key_indices)?;
    let mut order: Vec<u32> = (0..u32::try_from(batch.num_rows()).unwrap_or(u32::MAX)).collect();
    order.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    if order.windows(2).all(|w| w[0] < w[1]) {
        return Ok(batch.clone());
    }
    Ok(take_record_batch(batch, &UInt32Array::from(order))?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int32Array, StringArray};
    use arrow::datatypes::Int32Type;

    use super::*;

    #[test]
    fn rows_are_sorted_by_key_and_equal_keys_keep_their_order() {
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int32Array::from(vec![3, 1, 3, 2, 1])) as _),
            (
                "v",
                Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])) as _,
            ),
        ])
        .expect("batch");
        let out = sort_by_key(&batch, &[0]).expect("sort");
        let keys: Vec<i32> = out.column(0).as_primitive::<Int32Type>().values().to_vec();
        assert_eq!(keys, vec![1, 1, 2, 3, 3]);
        let values: Vec<&str> = out.column(1).as_string::<i32>().iter().flatten().collect();
        assert_eq!(values, vec!["b", "e", "d", "a", "c"]);
    }
}
