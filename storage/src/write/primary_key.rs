//! PRIMARY KEY rowsets hold each key once, sorted by key: within one write the last row for a key
//! wins, as if the rows had been upserted one after another.

use std::collections::HashMap;

use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use arrow::record_batch::RecordBatch;

use super::sort_key::key_rows;
use crate::error::Result;

/// Keeps the last row of every key (columns `key_indices`) and sorts the result by key.
pub(crate) fn dedupe_and_sort_by_key(
    batch: &RecordBatch,
    key_indices: &[usize],
) -> Result<RecordBatch> {
    let rows = key_rows(batch, key_indices)?;
    let mut last: HashMap<arrow::row::Row<'_>, u32> = HashMap::with_capacity(rows.num_rows());
    for (i, row) in rows.iter().enumerate() {
        last.insert(row, u32::try_from(i).unwrap_or(u32::MAX));
    }
    let mut kept: Vec<(arrow::row::Row<'_>, u32)> = last.into_iter().collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let indices = UInt32Array::from(kept.into_iter().map(|(_, i)| i).collect::<Vec<_>>());
    Ok(take_record_batch(batch, &indices)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int32Array, StringArray};
    use arrow::datatypes::Int32Type;
    use std::sync::Arc;

    #[test]
    fn last_row_per_key_wins_and_keys_are_sorted() {
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int32Array::from(vec![3, 1, 3, 2])) as _),
            (
                "v",
                Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as _,
            ),
        ])
        .expect("batch");
        let out = dedupe_and_sort_by_key(&batch, &[0]).expect("dedupe");
        let keys: Vec<i32> = out.column(0).as_primitive::<Int32Type>().values().to_vec();
        assert_eq!(keys, vec![1, 2, 3]);
        let values: Vec<&str> = out.column(1).as_string::<i32>().iter().flatten().collect();
        assert_eq!(values, vec!["b", "d", "c"]);
    }
}
