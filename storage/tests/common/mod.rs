//! Helpers shared by the storage integration tests: schema builders, batches from [`Value`] rows,
//! full scans as sorted rows, and file listings of a data directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, Engine, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, ScanRequest, TableDef, TableProperties, TableSchema, TableVersion, Value,
};

/// Test result: every test returns this and uses `?`.
pub type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// A row as a vector of values in table column order.
pub type Row = Vec<Value>;

/// A table definition.
pub fn table_def(
    name: &str,
    columns: Vec<ColumnDef>,
    key_model: KeyModel,
    keys: &[&str],
    scheme: PartitionScheme,
    distribution: Distribution,
    partitions: Vec<PartitionDef>,
) -> TableDef {
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns,
            key_model,
            key_columns: keys.iter().map(|k| (*k).to_owned()).collect(),
            partition_scheme: scheme,
            distribution,
            properties: TableProperties::default(),
        },
        partitions,
    }
}

/// `HASH(cols) BUCKETS n`.
pub fn hash(cols: &[&str], buckets: u32) -> Distribution {
    Distribution::Hash {
        columns: cols.iter().map(|c| (*c).to_owned()).collect(),
        buckets,
    }
}

/// `PARTITION BY RANGE(col)`.
pub fn by_range(col: &str) -> PartitionScheme {
    PartitionScheme::Range { column: col.into() }
}

/// `PARTITION BY LIST(col)`.
pub fn by_list(col: &str) -> PartitionScheme {
    PartitionScheme::List { column: col.into() }
}

/// A range partition `[lo, hi)` over integers; `None` is unbounded.
pub fn range(name: &str, lo: Option<i64>, hi: Option<i64>) -> PartitionDef {
    PartitionDef {
        name: name.into(),
        bound: PartitionBound::Range {
            lower: lo.map(Value::Int),
            upper: hi.map(Value::Int),
        },
    }
}

/// A list partition over the given values.
pub fn list(name: &str, values: Vec<Value>) -> PartitionDef {
    PartitionDef {
        name: name.into(),
        bound: PartitionBound::List(values),
    }
}

/// A column of `ty` holding `values` (already of the column's type), built through
/// [`Value::to_array`].
pub fn array_of(ty: &ColumnType, values: &[Value]) -> R<ArrayRef> {
    let parts = values
        .iter()
        .map(|v| v.to_array(ty, 1))
        .collect::<Result<Vec<_>, _>>()?;
    if parts.is_empty() {
        return Ok(Value::Null.to_array(ty, 0)?);
    }
    let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
    Ok(arrow::compute::concat(&refs)?)
}

/// A batch with the given `(name, type)` columns holding `rows`.
pub fn batch_of(columns: &[(&str, ColumnType)], rows: &[Row]) -> R<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (i, (name, ty)) in columns.iter().enumerate() {
        let values: Vec<Value> = rows.iter().map(|r| r[i].clone()).collect();
        fields.push(Field::new(*name, ty.arrow_type(), true));
        arrays.push(array_of(ty, &values)?);
    }
    let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &options,
    )?)
}

/// A batch holding `rows` in all columns of `def`'s table.
pub fn table_batch(def: &TableSchema, rows: &[Row]) -> R<RecordBatch> {
    let cols: Vec<(&str, ColumnType)> = def
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty.clone()))
        .collect();
    batch_of(&cols, rows)
}

/// The rows of `batches`, in batch order.
pub fn rows_of(batches: &[RecordBatch]) -> R<Vec<Row>> {
    let mut out = Vec::new();
    for batch in batches {
        for i in 0..batch.num_rows() {
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| Value::from_array(c.as_ref(), i))
                    .collect::<Result<Row, _>>()?,
            );
        }
    }
    Ok(out)
}

/// Sorts rows by a total order (their debug text), so that row sets can be compared.
pub fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by_cached_key(|r| format!("{r:?}"));
    rows
}

/// All rows a scan of `version` with `request` returns, sorted.
pub fn scan_sorted(version: &TableVersion, request: &ScanRequest) -> R<Vec<Row>> {
    Ok(sorted(rows_of(&version.scan(request)?)?))
}

/// Every row of `db.table` now, sorted.
pub fn all_rows(engine: &Engine, db: &str, table: &str) -> R<Vec<Row>> {
    scan_sorted(&engine.pin_table(db, table)?, &ScanRequest::all())
}

/// Every file (recursively) under `dir`, sorted; empty when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Files under the engine's `data/` directory.
pub fn data_files(root: &Path) -> Vec<PathBuf> {
    files_under(&root.join(tabvault_storage::internal::DATA_DIR))
}

/// Files under the engine's `meta/` directory, by file name.
pub fn meta_files(root: &Path) -> Vec<String> {
    files_under(&root.join(tabvault_storage::internal::META_DIR))
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect()
}

/// `(partition name, visible version)` of every partition of `db.table`, sorted by name.
pub fn versions(engine: &Engine, db: &str, table: &str) -> R<Vec<(String, u64)>> {
    let version = engine.pin_table(db, table)?;
    let mut out: Vec<(String, u64)> = version
        .table()
        .partitions
        .values()
        .map(|p| (p.name.clone(), p.visible_version))
        .collect();
    out.sort();
    Ok(out)
}

/// The paths (relative to the root) of every rowset the catalog references.
pub fn referenced_files(engine: &Engine) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = engine
        .catalog()
        .rowsets()
        .map(|r| engine.root().join(&r.file.path))
        .collect();
    out.sort();
    out
}

/// Shorthands for values.
pub fn int(i: i64) -> Value {
    Value::Int(i)
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::String(text.into())
}

/// A nullable column.
pub fn col(name: &str, ty: ColumnType) -> ColumnDef {
    ColumnDef::new(name, ty)
}

/// A DUPLICATE KEY table `(id BIGINT NOT NULL, name VARCHAR(8), v INT)` range-partitioned on id:
/// p0 [MIN, 10), p1 [10, 20), p2 [30, MAX).
pub fn dup_def(name: &str) -> TableDef {
    table_def(
        name,
        vec![
            col("id", ColumnType::BigInt).not_null(),
            col("name", ColumnType::Varchar(8)),
            col("v", ColumnType::Int),
        ],
        KeyModel::Duplicate,
        &["id"],
        by_range("id"),
        hash(&["id"], 3),
        vec![
            range("p0", None, Some(10)),
            range("p1", Some(10), Some(20)),
            range("p2", Some(30), None),
        ],
    )
}
