//! Making an incoming batch exactly the table's row shape: columns matched by name, defaults filled
//! in, NULLs, lengths and decimal precision checked. Any violation names the column and value.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type};
use arrow::record_batch::RecordBatch;

use crate::error::{Result, StorageError};
use crate::schema::{ColumnDef, TableSchema};
use crate::types::ColumnType;

/// Returns `batch` with the table's columns in the table's order. `table` is `db.table` for errors.
pub(crate) fn conform_batch(
    schema: &TableSchema,
    batch: &RecordBatch,
    table: &str,
) -> Result<RecordBatch> {
    check_known_columns(schema.columns.iter().map(|c| c.name.as_str()), batch, table)?;
    let rows = batch.num_rows();
    let mut arrays = Vec::with_capacity(schema.columns.len());
    for column in &schema.columns {
        let array = match batch.column_by_name(&column.name) {
            Some(array) => conform_column(column, array, table)?,
            None => missing_column(column, rows, table)?,
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(schema.arrow_schema(), arrays)?)
}

/// Returns the key columns of `batch` (which may carry other columns too), for a delete by key.
pub(crate) fn conform_keys(
    schema: &TableSchema,
    batch: &RecordBatch,
    table: &str,
) -> Result<RecordBatch> {
    let mut arrays = Vec::with_capacity(schema.key_columns.len());
    for key in &schema.key_columns {
        let column = schema
            .column(key)
            .ok_or_else(|| StorageError::InvalidDefinition(format!("no key column {key}")))?;
        let array = batch.column_by_name(key).ok_or_else(|| {
            StorageError::InvalidData(format!("delete from {table} needs key column '{key}'"))
        })?;
        arrays.push(conform_column(column, array, table)?);
    }
    Ok(RecordBatch::try_new(schema.key_arrow_schema(), arrays)?)
}

fn check_known_columns<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
    batch: &RecordBatch,
    table: &str,
) -> Result<()> {
    let fields = batch.schema();
    for (i, field) in fields.fields().iter().enumerate() {
        if !names.clone().any(|n| n == field.name()) {
            return Err(StorageError::InvalidData(format!(
                "column '{}' does not exist in table {table}",
                field.name()
            )));
        }
        if fields
            .fields()
            .iter()
            .skip(i + 1)
            .any(|f| f.name() == field.name())
        {
            return Err(StorageError::InvalidData(format!(
                "column '{}' is given twice",
                field.name()
            )));
        }
    }
    Ok(())
}

fn conform_column(column: &ColumnDef, array: &ArrayRef, table: &str) -> Result<ArrayRef> {
    let expected = column.ty.arrow_type();
    let array = if array.data_type() == &expected {
        array.clone()
    } else if matches!(array.data_type(), DataType::Utf8View | DataType::LargeUtf8)
        && expected == DataType::Utf8
    {
        cast(array, &expected)?
    } else {
        return Err(StorageError::InvalidData(format!(
            "column '{}' of table {table} is {} ({expected}), but the data has type {}",
            column.name,
            column.ty,
            array.data_type()
        )));
    };
    if !column.nullable && array.null_count() > 0 {
        return Err(StorageError::InvalidData(format!(
            "NULL value in NOT NULL column '{}' of table {table}",
            column.name
        )));
    }
    if let Some(limit) = column.ty.max_len_bytes() {
        let strings = array.as_string::<i32>();
        if let Some(long) = strings.iter().flatten().find(|s| s.len() > limit) {
            let shown: String = long.chars().take(40).collect();
            return Err(StorageError::InvalidData(format!(
                "value '{shown}' is longer than {limit} bytes allowed by column '{}' {} of table {table}",
                column.name, column.ty
            )));
        }
    }
    if let ColumnType::Decimal { precision, .. } = column.ty {
        array
            .as_primitive::<Decimal128Type>()
            .validate_decimal_precision(precision)
            .map_err(|e| {
                StorageError::InvalidData(format!("column '{}' of table {table}: {e}", column.name))
            })?;
    }
    Ok(array)
}

fn missing_column(column: &ColumnDef, rows: usize, table: &str) -> Result<ArrayRef> {
    match &column.default {
        Some(value) => value.to_array(&column.ty, rows),
        None if column.nullable => Ok(Arc::new(new_null_array(&column.ty.arrow_type(), rows))),
        None => Err(StorageError::InvalidData(format!(
            "column '{}' of table {table} is NOT NULL and has no default, so a value is required",
            column.name
        ))),
    }
}
