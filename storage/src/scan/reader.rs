//! Reading one rowset file: memory-mapped, projected, with files and row groups skipped when their
//! statistics prove no row can match.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, RecordBatchReader};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use bytes::Bytes;
use memmap2::Mmap;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;

use super::predicate::BoundPredicate;
use crate::catalog::Rowset;
use crate::error::{IoContext, Result, StorageError};
use crate::schema::without_field_ids;
use crate::types::ColumnType;
use crate::value::Value;

/// Rows per batch handed back by scans.
pub(crate) const SCAN_BATCH_ROWS: usize = 64 * 1024;

/// Whether the recorded file statistics allow a match for every predicate.
pub(crate) fn file_may_match(rowset: &Rowset, predicates: &[BoundPredicate]) -> bool {
    predicates.iter().all(|p| {
        rowset
            .file
            .columns
            .iter()
            .find(|c| c.name == p.column)
            .is_none_or(|stats| {
                p.may_match_bounds(
                    stats.min.as_ref(),
                    stats.max.as_ref(),
                    Some(stats.null_count),
                    rowset.file.rows,
                )
            })
    })
}

/// The bytes of a published, immutable rowset file whose catalog entry records `size` bytes,
/// memory-mapped: reads of it copy nothing and allocate nothing, and its pages are the page
/// cache's. A file of another length is corrupted (read at the recorded offsets, a longer one
/// would give wrong bytes).
pub fn map_rowset_file(path: &Path, size: u64) -> Result<Bytes> {
    let file = File::open(path).io_context(|| format!("opening {}", path.display()))?;
    // SAFETY: rowset files are immutable once published (written under a temp name, renamed, never
    // modified in place) and are only unlinked, which keeps the mapping valid. Their inodes are
    // shared by hard links from local snapshots and same-filesystem repositories, which tabvault
    // never modifies in place either (repository writes are temp-and-rename too). What the type
    // system cannot rule out (another program truncating a link in place, a disk error on a
    // mapped page) ends the process with SIGBUS instead of failing one read.
    #[allow(unsafe_code)]
    let map = unsafe { Mmap::map(&file) }.io_context(|| format!("mapping {}", path.display()))?;
    if u64::try_from(map.len()).ok() != Some(size) {
        return Err(StorageError::Corrupted {
            path: path.to_path_buf(),
            detail: format!("{} bytes long; the catalog records {size}", map.len()),
        });
    }
    Ok(Bytes::from_owner(map))
}

/// Reads `columns` (by name, all present in the file) of the rows of `rowset` in row groups that may
/// match `predicates`. Rows are not filtered here.
pub(crate) fn read_rowset(
    root: &Path,
    rowset: &Rowset,
    columns: &[String],
    predicates: &[BoundPredicate],
) -> Result<Vec<RecordBatch>> {
    if !file_may_match(rowset, predicates) {
        return Ok(Vec::new());
    }
    let path = root.join(&rowset.file.path);
    let bytes = map_rowset_file(&path, rowset.file.size_bytes)?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| StorageError::Corrupted {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    let arrow_schema = builder.schema().clone();
    let parquet_schema = builder.parquet_schema();
    let row_groups = builder.metadata().row_groups();
    let mut keep: Vec<usize> = Vec::with_capacity(row_groups.len());
    let mut bounds = Vec::new();
    for predicate in predicates
        .iter()
        .filter(|p| !matches!(p.ty, ColumnType::Float | ColumnType::Double))
    {
        let Ok(converter) =
            StatisticsConverter::try_new(&predicate.column, &arrow_schema, parquet_schema)
        else {
            continue;
        };
        let (Ok(mins), Ok(maxes), Ok(nulls)) = (
            converter.row_group_mins(row_groups.iter()),
            converter.row_group_maxes(row_groups.iter()),
            converter.row_group_null_counts(row_groups.iter()),
        ) else {
            continue;
        };
        bounds.push((predicate, mins, maxes, nulls));
    }
    for (i, group) in row_groups.iter().enumerate() {
        let rows = u64::try_from(group.num_rows()).unwrap_or(0);
        let may_match = bounds.iter().all(|(p, mins, maxes, nulls)| {
            let min = Value::from_array(mins.as_ref(), i)
                .ok()
                .filter(|v| !v.is_null());
            let max = Value::from_array(maxes.as_ref(), i)
                .ok()
                .filter(|v| !v.is_null());
            let null_count = nulls.is_valid(i).then(|| nulls.value(i));
            p.may_match_bounds(min.as_ref(), max.as_ref(), null_count, rows)
        });
        if may_match {
            keep.push(i);
        }
    }
    if keep.is_empty() {
        return Ok(Vec::new());
    }
    let indices: Vec<usize> = columns
        .iter()
        .map(|c| arrow_schema.index_of(c))
        .collect::<std::result::Result<_, _>>()?;
    let mask = ProjectionMask::roots(parquet_schema, indices);
    let reader = builder
        .with_row_groups(keep)
        .with_projection(mask)
        .with_batch_size(SCAN_BATCH_ROWS)
        .build()?;
    // Files written with field ids read back with `PARQUET:field_id` on every field; removing it
    // gives rows of old files (no ids) and new ones the same schema, the table's.
    let schema = Arc::new(without_field_ids(&reader.schema()));
    reader
        .map(|batch| {
            let batch = batch?;
            Ok(RecordBatch::try_new_with_options(
                schema.clone(),
                batch.columns().to_vec(),
                &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
            )?)
        })
        .collect()
}
