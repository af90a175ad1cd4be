//! `INSERT INTO|OVERWRITE t [PARTITION (…)] [(cols)] VALUES …|SELECT …`: rows built from literals,
//! `DEFAULT`, a prepared statement's parameters, expressions (evaluated by DataFusion), a query
//! or an embedder's Arrow batches, converted to the table's types and written in one commit
//! (`Engine::append`). `INSERT OVERWRITE` replaces the content of the target partitions (all of
//! them without `PARTITION`) with the new rows in one commit too (`Engine::overwrite`): if any
//! row fails to convert or to route, the old rows stay.

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::sql::sqlparser::ast::Expr as SqlExpr;
use tabvault_storage::{TableSchema, TableVersion, Value};

use crate::dml::columns::{
    cast_column, concat_rows, default_value, table_batch, target_columns, values_array,
};
use crate::error::{Result, SqlError};
use crate::literal::typed_value;
use crate::parser::{Insert, InsertSource, InsertValue};
use crate::prepared::param_literal;
use crate::query::select_expr;
use crate::result::QueryResult;
use crate::session::Exec;

/// Runs an INSERT.
pub fn insert(exec: &Exec<'_>, insert: &Insert) -> Result<QueryResult> {
    let db = exec.db_of(&insert.table)?;
    let table = &insert.table.name;
    let version = exec.engine().pin_table(&db, table)?;
    let schema = version.schema().clone();
    let targets = target_columns(&schema, table, &insert.columns)?;
    let (provided, rows) = match &insert.source {
        InsertSource::Values(rows) => (values_rows(exec, &schema, &targets, rows)?, rows.len()),
        InsertSource::Query(query) => {
            let (query_schema, batches) = exec.query(query)?;
            converted_rows(&schema, &targets, &query_schema, &batches)?
        }
        InsertSource::Arrow(rows) => {
            converted_rows(&schema, &targets, &rows.schema, &rows.batches)?
        }
    };
    let batch = table_batch(&schema, &targets, provided, rows)?;
    if !insert.partitions.is_empty() {
        check_partitions(&version, &insert.partitions, &batch)?;
    }
    if insert.overwrite {
        let partitions = (!insert.partitions.is_empty()).then_some(insert.partitions.as_slice());
        exec.engine().overwrite(&db, table, partitions, batch)?;
    } else if rows > 0 {
        exec.engine().append(&db, table, batch)?;
    }
    Ok(QueryResult::affected(rows as u64))
}

fn values_rows(
    exec: &Exec<'_>,
    schema: &TableSchema,
    targets: &[usize],
    rows: &[Vec<InsertValue>],
) -> Result<Vec<ArrayRef>> {
    let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); targets.len()];
    for (row_number, row) in rows.iter().enumerate() {
        if row.len() != targets.len() {
            return Err(SqlError::Invalid(format!(
                "Column count doesn't match value count at row {}: {} columns, {} values",
                row_number + 1,
                targets.len(),
                row.len()
            )));
        }
        for ((cell, index), out) in row.iter().zip(targets).zip(columns.iter_mut()) {
            let column = &schema.columns[*index];
            let what = format!("column '{}'", column.name);
            let value = match cell {
                InsertValue::Literal(literal) => typed_value(literal, &column.ty, &what)?,
                InsertValue::Default => default_value(column)?,
                InsertValue::Expr(expr) => expression_value(exec, schema, *index, expr)?,
                InsertValue::Param(n) => {
                    typed_value(&param_literal(exec.params(), *n)?, &column.ty, &what)?
                }
            };
            out.push(value);
        }
    }
    targets
        .iter()
        .zip(&columns)
        .map(|(index, values)| values_array(&schema.columns[*index], values))
        .collect()
}

/// Evaluates a non-literal VALUES cell with DataFusion (`SELECT <expr>`).
fn expression_value(
    exec: &Exec<'_>,
    schema: &TableSchema,
    index: usize,
    expr: &SqlExpr,
) -> Result<Value> {
    let column = &schema.columns[index];
    let (_, batches) = exec.query(&select_expr(expr)?)?;
    let array = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .and_then(|b| (b.num_columns() == 1).then(|| b.column(0).clone()))
        .ok_or_else(|| {
            SqlError::Invalid(format!(
                "VALUES expression {expr} must give exactly one value"
            ))
        })?;
    let array = cast_column(column, &array)?;
    Ok(Value::from_array(array.as_ref(), 0)?)
}

/// A query's or an embedder's rows, column `i` converted to the type of table column
/// `targets[i]`.
fn converted_rows(
    schema: &TableSchema,
    targets: &[usize],
    rows_schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(Vec<ArrayRef>, usize)> {
    if rows_schema.fields().len() != targets.len() {
        return Err(SqlError::Invalid(format!(
            "Column count doesn't match: the table takes {} columns, the rows have {}",
            targets.len(),
            rows_schema.fields().len()
        )));
    }
    let all: RecordBatch = concat_rows(rows_schema, batches)?;
    let arrays = targets
        .iter()
        .zip(all.columns())
        .map(|(index, array)| cast_column(&schema.columns[*index], array))
        .collect::<Result<Vec<_>>>()?;
    Ok((arrays, all.num_rows()))
}

/// With `PARTITION (…)`, every row must belong to one of the named partitions.
fn check_partitions(version: &TableVersion, names: &[String], batch: &RecordBatch) -> Result<()> {
    let table = version.table();
    let mut bounds = Vec::with_capacity(names.len());
    for name in names {
        let partition = table.partition(name).ok_or_else(|| {
            SqlError::Invalid(format!(
                "Unknown partition '{name}' in table '{}'",
                table.name
            ))
        })?;
        bounds.push(&partition.bound);
    }
    let Some(column) = version.schema().partition_scheme.column() else {
        return Ok(());
    };
    let Some(array) = batch.column_by_name(column) else {
        return Ok(());
    };
    for row in 0..batch.num_rows() {
        let value = Value::from_array(array.as_ref(), row)?;
        if !bounds.iter().any(|b| b.contains(&value)) {
            return Err(SqlError::Invalid(format!(
                "Row with {column} = {value} does not belong to partition(s) {}",
                names.join(", ")
            )));
        }
    }
    Ok(())
}
