//! PRIMARY KEY tables as Iceberg position deletes. Within a tablet the newest rowset that mentions
//! a key decides it (storage's merge-on-read): every older data row with that key, and every row
//! of a key a newer delete rowset removed, is named by a `(file_path, pos)` row of a position
//! delete file, so a reader that applies the deletes sees exactly tabvault's rows. Delete rowsets
//! themselves are not listed as data files.
//!
//! Position delete files are Parquet with the spec's reserved field ids (`file_path`
//! 2147483546, `pos` 2147483545), sorted by path then position as the spec requires.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::row::{OwnedRow, RowConverter, SortField};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, PARQUET_FIELD_ID_META_KEY, ProjectionMask};
use parquet::file::reader::ChunkReader;
use tabvault_storage::RowsetKind;

use crate::manifest::RowsetEntry;

/// Field id of `file_path` in position delete files (reserved by the spec).
const FILE_PATH_FIELD_ID: &str = "2147483546";
/// Field id of `pos` in position delete files (reserved by the spec).
const POS_FIELD_ID: &str = "2147483545";

/// Reads a rowset's key columns (batches holding at least those columns, rows in file order).
pub(crate) type ReadKeys<'a> =
    &'a dyn Fn(&RowsetEntry, &[String]) -> Result<Vec<RecordBatch>, String>;

/// Rows of one tablet that are not part of the table: `(index of the rowset in the tablet's
/// oldest-first list, row position in its file)`, for data rowsets only.
pub(crate) fn superseded_rows(
    rowsets_oldest_first: &[RowsetEntry],
    key_columns: &[String],
    read_keys: ReadKeys<'_>,
) -> Result<Vec<(usize, i64)>, String> {
    let mut converter: Option<RowConverter> = None;
    let mut seen: HashSet<OwnedRow> = HashSet::new();
    let mut superseded = Vec::new();
    for (index, rowset) in rowsets_oldest_first.iter().enumerate().rev() {
        let mut pos: i64 = 0;
        for batch in read_keys(rowset, key_columns)? {
            let keys = key_columns
                .iter()
                .map(|k| {
                    batch
                        .column_by_name(k)
                        .cloned()
                        .ok_or_else(|| format!("rowset file has no key column {k:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let conv = match &converter {
                Some(conv) => conv,
                None => converter.insert(
                    RowConverter::new(
                        keys.iter()
                            .map(|k| SortField::new(k.data_type().clone()))
                            .collect(),
                    )
                    .map_err(|e| e.to_string())?,
                ),
            };
            let rows = conv.convert_columns(&keys).map_err(|e| e.to_string())?;
            for row in rows.iter() {
                let newest = seen.insert(row.owned());
                if rowset.kind == RowsetKind::Data && !newest {
                    superseded.push((index, pos));
                }
                pos += 1;
            }
        }
    }
    Ok(superseded)
}

/// The key columns of a rowset's Parquet file, read from `file` (a local file of a snapshot, or
/// bytes downloaded from a repository); `name` names it in errors.
pub(crate) fn read_parquet_keys(
    file: impl ChunkReader + 'static,
    name: &str,
    key_columns: &[String],
) -> Result<Vec<RecordBatch>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("reading keys of {name}: {e}");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(&e))?;
    let mask = ProjectionMask::columns(
        builder.parquet_schema(),
        key_columns.iter().map(String::as_str),
    );
    builder
        .with_projection(mask)
        .build()
        .map_err(|e| fail(&e))?
        .map(|batch| batch.map_err(|e| fail(&e)))
        .collect()
}

/// The key columns of the local Parquet file at `path` (a rowset file of a local snapshot).
pub(crate) fn read_local_keys(
    path: &Path,
    key_columns: &[String],
) -> Result<Vec<RecordBatch>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    read_parquet_keys(file, &path.display().to_string(), key_columns)
}

/// A position delete file naming `rows` (`(data file URI, position)`), sorted as the spec wants.
pub(crate) fn position_delete_file(mut rows: Vec<(String, i64)>) -> Result<Vec<u8>, String> {
    rows.sort();
    let field = |name: &str, ty: DataType, id: &str| {
        Field::new(name, ty, false).with_metadata(
            [(PARQUET_FIELD_ID_META_KEY.to_owned(), id.to_owned())]
                .into_iter()
                .collect(),
        )
    };
    let schema = Arc::new(Schema::new(vec![
        field("file_path", DataType::Utf8, FILE_PATH_FIELD_ID),
        field("pos", DataType::Int64, POS_FIELD_ID),
    ]));
    let paths: StringArray = rows.iter().map(|(p, _)| Some(p.as_str())).collect();
    let positions: Int64Array = rows.iter().map(|(_, pos)| Some(*pos)).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(paths) as Arc<dyn Array>, Arc::new(positions)],
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, None).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rowset(kind: RowsetKind, tag: &str) -> RowsetEntry {
        RowsetEntry {
            kind,
            version: 1,
            size_bytes: 1,
            checksum: tag.repeat(64),
            rows: 0,
            columns: vec![],
        }
    }

    /// Keys per rowset, looked up by the rowset's checksum.
    fn keys_of(tag: &str) -> Vec<i64> {
        match tag.chars().next() {
            Some('a') => vec![1, 2, 3, 4],
            Some('b') => vec![2, 5],
            Some('c') => vec![3],
            Some('d') => vec![5, 1],
            _ => vec![],
        }
    }

    #[test]
    fn the_newest_rowset_mentioning_a_key_decides_it() -> Result<(), String> {
        let rowsets = vec![
            rowset(RowsetKind::Data, "a"),   // 1 2 3 4
            rowset(RowsetKind::Data, "b"),   // 2 5: supersedes a's 2
            rowset(RowsetKind::Delete, "c"), // 3: deletes a's 3
            rowset(RowsetKind::Data, "d"),   // 5 1: supersedes b's 5 and a's 1
        ];
        let read = |r: &RowsetEntry, _: &[String]| -> Result<Vec<RecordBatch>, String> {
            let keys = Int64Array::from(keys_of(&r.checksum));
            RecordBatch::try_from_iter([("k", Arc::new(keys) as Arc<dyn Array>)])
                .map(|b| vec![b])
                .map_err(|e| e.to_string())
        };
        let mut got = superseded_rows(&rowsets, &["k".to_owned()], &read)?;
        got.sort();
        // a: positions of keys 1 (0), 2 (1), 3 (2); b: position of key 5 (1).
        assert_eq!(got, vec![(0, 0), (0, 1), (0, 2), (1, 1)]);
        Ok(())
    }

    #[test]
    fn delete_files_carry_the_reserved_field_ids_sorted() -> Result<(), String> {
        let bytes = position_delete_file(vec![("b".into(), 0), ("a".into(), 7), ("a".into(), 2)])?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .map_err(|e| e.to_string())?;
        let ids: Vec<i32> = reader
            .parquet_schema()
            .columns()
            .iter()
            .map(|c| c.self_type().get_basic_info().id())
            .collect();
        assert_eq!(ids, vec![2147483546, 2147483545]);
        let batches: Vec<RecordBatch> = reader
            .build()
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let batch = batches.first().ok_or("no batch")?;
        let pos = batch
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or("pos")?;
        assert_eq!(pos.values().to_vec(), vec![2, 7, 0]);
        Ok(())
    }
}
