//! PRIMARY KEY rowsets hold each key once, sorted by key: within one write the last row for a key
//! wins, as if the rows had been upserted one after another.

use std::collections::HashMap;

use arrow::array::UInt32Array;
use arrow::record_batch::RecordBatch;

use super::sort_key::routed_key_rows;
use crate::error::Result;

/// The rows to write of the rows `rows` of `batch` (every row when `None`, in arrival order): the
/// last row of every key (columns `key_indices`), sorted by key, as indices into `batch`. Only the
/// key columns are gathered; the rows are copied when written.
pub(crate) fn dedupe_key_order(
    batch: &RecordBatch,
    rows: Option<&UInt32Array>,
    key_indices: &[usize],
) -> Result<UInt32Array> {
    let keys = routed_key_rows(batch, rows, key_indices)?;
    let mut last: HashMap<arrow::row::Row<'_>, u32> = HashMap::with_capacity(keys.num_rows());
    for (i, key) in keys.iter().enumerate() {
        last.insert(key, u32::try_from(i).unwrap_or(u32::MAX));
    }
    let mut kept: Vec<(arrow::row::Row<'_>, u32)> = last.into_iter().collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(kept
        .into_iter()
        .map(|(_, i)| rows.map_or(i, |rows| rows.value(i as usize)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn last_row_per_key_wins_and_keys_are_sorted() {
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int32Array::from(vec![3, 1, 3, 2, 1])) as _),
            (
                "v",
                Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])) as _,
            ),
        ])
        .expect("batch");
        let order = dedupe_key_order(&batch, None, &[0]).expect("dedupe");
        assert_eq!(order.values().to_vec(), vec![4, 3, 2]);
        // Of the routed rows 0, 1, 2 and 3 only: row 1 is the last with key 1.
        let routed = UInt32Array::from(vec![0, 1, 2, 3]);
        let order = dedupe_key_order(&batch, Some(&routed), &[0]).expect("dedupe");
        assert_eq!(order.values().to_vec(), vec![1, 3, 2]);
    }
}
