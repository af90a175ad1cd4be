//! PRIMARY KEY merge-on-read: within a tablet, the newest rowset that mentions a key decides it —
//! a data row is returned, a delete hides the key.

use std::collections::HashSet;

use arrow::array::BooleanArray;
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use arrow::row::{OwnedRow, RowConverter, SortField};

use crate::catalog::RowsetKind;
use crate::error::{CatalogKind, Result, StorageError};

/// Merges the rowsets of one tablet, given newest first as `(kind, batches)`. Data batches must hold
/// the key columns (plus whatever else is wanted); delete batches hold the key columns. Each key
/// occurs at most once per rowset.
pub(crate) fn merge_newest_wins(
    rowsets_newest_first: Vec<(RowsetKind, Vec<RecordBatch>)>,
    key_columns: &[String],
) -> Result<Vec<RecordBatch>> {
    let mut converter: Option<RowConverter> = None;
    let mut seen: HashSet<OwnedRow> = HashSet::new();
    let mut out = Vec::new();
    for (kind, batches) in rowsets_newest_first {
        for batch in batches {
            let keys = key_columns
                .iter()
                .map(|k| {
                    batch
                        .column_by_name(k)
                        .cloned()
                        .ok_or_else(|| StorageError::NotFound {
                            kind: CatalogKind::Column,
                            name: k.clone(),
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            if converter.is_none() {
                converter = Some(RowConverter::new(
                    keys.iter()
                        .map(|k| SortField::new(k.data_type().clone()))
                        .collect(),
                )?);
            }
            let Some(conv) = converter.as_ref() else {
                continue;
            };
            let rows = conv.convert_columns(&keys)?;
            let mask: BooleanArray = rows
                .iter()
                .map(|row| Some(seen.insert(row.owned()) && kind == RowsetKind::Data))
                .collect();
            if kind == RowsetKind::Data {
                let kept = filter_record_batch(&batch, &mask)?;
                if kept.num_rows() > 0 {
                    out.push(kept);
                }
            }
        }
    }
    Ok(out)
}
