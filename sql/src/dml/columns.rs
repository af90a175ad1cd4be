//! Building a table's rows from INSERT sources: target column lists, defaults, and conversion of
//! values and query results to the table's Arrow types with errors naming the column.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::compute::{CastOptions, cast_with_options, concat};
use tabvault_storage::{ColumnDef, TableSchema, Value};

use crate::error::{Result, SqlError};

/// Indexes of the INSERT's target columns in the table (all columns when `names` is empty).
pub fn target_columns(schema: &TableSchema, table: &str, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..schema.columns.len()).collect());
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let index = schema
            .column_index(name)
            .ok_or_else(|| SqlError::Invalid(format!("Unknown column '{name}' in '{table}'")))?;
        if out.contains(&index) {
            return Err(SqlError::Invalid(format!(
                "Column '{name}' specified twice"
            )));
        }
        out.push(index);
    }
    Ok(out)
}

/// The value of an omitted or `DEFAULT` cell: the column's default, else NULL when nullable.
pub fn default_value(column: &ColumnDef) -> Result<Value> {
    match &column.default {
        Some(v) => Ok(v.clone()),
        None if column.nullable => Ok(Value::Null),
        None => Err(SqlError::Invalid(format!(
            "Column '{}' is NOT NULL and has no default value",
            column.name
        ))),
    }
}

/// One column's array from already-coerced values.
pub fn values_array(column: &ColumnDef, values: &[Value]) -> Result<ArrayRef> {
    if values.is_empty() {
        return Ok(arrow::array::new_empty_array(&column.ty.arrow_type()));
    }
    let parts = values
        .iter()
        .map(|v| v.to_array(&column.ty, 1))
        .collect::<tabvault_storage::Result<Vec<_>>>()?;
    let refs: Vec<&dyn Array> = parts.iter().map(AsRef::as_ref).collect();
    Ok(concat(&refs)?)
}

/// `array` converted to the column's Arrow type; values that do not fit are errors, not NULLs.
pub fn cast_column(column: &ColumnDef, array: &ArrayRef) -> Result<ArrayRef> {
    let target = column.ty.arrow_type();
    if array.data_type() == &target {
        return Ok(array.clone());
    }
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    cast_with_options(array, &target, &options).map_err(|e| {
        SqlError::Invalid(format!(
            "Cannot convert {} to {} for column '{}': {e}",
            array.data_type(),
            column.ty,
            column.name
        ))
    })
}

/// The full row batch of a table: `provided` arrays for the target columns, defaults for the
/// rest, NOT NULL checked with the column named.
pub fn table_batch(
    schema: &TableSchema,
    targets: &[usize],
    provided: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let mut arrays: Vec<Option<ArrayRef>> = vec![None; schema.columns.len()];
    for (index, array) in targets.iter().zip(provided) {
        if let Some(slot) = arrays.get_mut(*index) {
            *slot = Some(array);
        }
    }
    let mut columns = Vec::with_capacity(arrays.len());
    for (column, array) in schema.columns.iter().zip(arrays) {
        let array = match array {
            Some(a) => a,
            None => default_value(column)?.to_array(&column.ty, rows)?,
        };
        if !column.nullable && array.null_count() > 0 {
            return Err(SqlError::Invalid(format!(
                "NULL value in NOT NULL column '{}'",
                column.name
            )));
        }
        columns.push(array);
    }
    Ok(RecordBatch::try_new(schema.arrow_schema(), columns)?)
}

/// Batches of one schema as one (an empty input gives an empty batch of `schema`).
pub fn concat_rows(
    schema: &arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<RecordBatch> {
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(Arc::clone(schema)));
    }
    Ok(arrow::compute::concat_batches(schema, batches)?)
}
