//! `DELETE FROM t WHERE …` on PRIMARY KEY tables: DataFusion selects the keys of the matching rows,
//! then `Engine::delete_keys` removes them in one commit.

use tabvault_storage::KeyModel;

use crate::dml::columns::concat_rows;
use crate::error::{Result, SqlError};
use crate::literal::backquote;
use crate::parser::Delete;
use crate::query::{cast_batch, select_where};
use crate::result::QueryResult;
use crate::session::Exec;

/// Runs a DELETE.
pub fn delete(exec: &Exec<'_>, delete: &Delete) -> Result<QueryResult> {
    let db = exec.db_of(&delete.table)?;
    let table = &delete.table.name;
    let version = exec.engine().pin_table(&db, table)?;
    let schema = version.schema();
    if schema.key_model != KeyModel::Primary {
        return Err(SqlError::Unsupported(format!(
            "DELETE is supported on PRIMARY KEY tables only; '{table}' is a DUPLICATE KEY table"
        )));
    }
    if !delete.partitions.is_empty() {
        return Err(SqlError::Unsupported(
            "DELETE … PARTITION is not supported; select the rows with the WHERE clause".into(),
        ));
    }
    let keys = schema
        .key_columns
        .iter()
        .map(|k| backquote(k))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {keys} FROM {}.{}", backquote(&db), backquote(table));
    let (_, batches) = exec.query(&select_where(&sql, &delete.predicate)?)?;
    let key_schema = schema.key_arrow_schema();
    // Queries read strings as view strings; the keys go back to the stored types.
    let batches = batches
        .iter()
        .map(|b| cast_batch(b, &key_schema))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let keys = concat_rows(&key_schema, &batches)?;
    let rows = keys.num_rows();
    if rows > 0 {
        exec.engine().delete_keys(&db, table, keys)?;
    }
    Ok(QueryResult::affected(rows as u64))
}
