//! `SHOW TABLE STATUS [FROM db] [LIKE 'pattern' | WHERE condition]`: MySQL's columns, answered
//! by a query over `information_schema.TABLES`, so the rows, their visibility and the `WHERE`
//! condition are those of information_schema and DataFusion.

use crate::error::Result;
use crate::literal::{backquote, quote};
use crate::parser::ShowFilter;
use crate::query::{INFORMATION_SCHEMA, select_where};
use crate::result::QueryResult;
use crate::session::Exec;

/// MySQL's columns of SHOW TABLE STATUS, each with the information_schema.TABLES column it shows.
const COLUMNS: [(&str, &str); 18] = [
    ("Name", "TABLE_NAME"),
    ("Engine", "ENGINE"),
    ("Version", "VERSION"),
    ("Row_format", "ROW_FORMAT"),
    ("Rows", "TABLE_ROWS"),
    ("Avg_row_length", "AVG_ROW_LENGTH"),
    ("Data_length", "DATA_LENGTH"),
    ("Max_data_length", "MAX_DATA_LENGTH"),
    ("Index_length", "INDEX_LENGTH"),
    ("Data_free", "DATA_FREE"),
    ("Auto_increment", "AUTO_INCREMENT"),
    ("Create_time", "CREATE_TIME"),
    ("Update_time", "UPDATE_TIME"),
    ("Check_time", "CHECK_TIME"),
    ("Collation", "TABLE_COLLATION"),
    ("Checksum", "CHECKSUM"),
    ("Create_options", "CREATE_OPTIONS"),
    ("Comment", "TABLE_COMMENT"),
];

/// `SHOW TABLE STATUS` of `database` (else the current one), rows ordered by name.
pub fn show_table_status(
    exec: &Exec<'_>,
    database: Option<&str>,
    filter: Option<&ShowFilter>,
) -> Result<QueryResult> {
    let db = exec.current_db(database)?;
    let sql = status_query(&db, filter);
    let (schema, batches) = match filter {
        Some(ShowFilter::Where(condition)) => exec.query(&select_where(&sql, condition)?)?,
        _ => exec.query_sql(&sql)?,
    };
    Ok(QueryResult::rows(schema, batches))
}

/// The query that answers SHOW TABLE STATUS of `db` with a `LIKE` filter; a `WHERE` filter's
/// condition is added to its outer `SELECT` as parsed.
fn status_query(db: &str, filter: Option<&ShowFilter>) -> String {
    let columns = COLUMNS
        .iter()
        .map(|(shown, column)| format!("{column} AS {}", backquote(shown)))
        .collect::<Vec<_>>()
        .join(", ");
    let condition = match filter {
        Some(ShowFilter::Like(pattern)) => format!(" WHERE `Name` LIKE {}", quote(pattern)),
        None | Some(ShowFilter::Where(_)) => String::new(),
    };
    format!(
        "SELECT * FROM (SELECT {columns} FROM {INFORMATION_SCHEMA}.TABLES \
         WHERE TABLE_SCHEMA = {}) AS status{condition} ORDER BY `Name`",
        quote(db)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_filters_by_database_and_pattern() {
        let sql = status_query("shop", Some(&ShowFilter::Like("o%".into())));
        assert!(sql.contains("WHERE TABLE_SCHEMA = \"shop\""), "{sql}");
        assert!(sql.contains("WHERE `Name` LIKE \"o%\""), "{sql}");
        assert!(sql.contains("TABLE_ROWS AS `Rows`"), "{sql}");
    }
}
