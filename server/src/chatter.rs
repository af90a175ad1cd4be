//! The statements clients and drivers send on their own (`SELECT @@version_comment LIMIT 1`,
//! `SELECT DATABASE()`, `SHOW WARNINGS`, `COMMIT`, …), answered here in one place; everything
//! else, `SET` and `SHOW VARIABLES` included, goes to the SQL layer.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use opensrv_mysql::ErrorKind;
use tabvault_sql::{QueryResult, SERVER_VERSION, Session, VariableValue};

/// A chatter answer: a result, or an error for the client.
pub(crate) type Answer = Result<QueryResult, (ErrorKind, String)>;

/// The answer to `sql` when it is client chatter, `None` when the SQL layer should run it.
pub(crate) fn answer(sql: &str, context: &Session) -> Option<Answer> {
    let text = normalize(sql);
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        ["begin"] | ["start", "transaction", ..] => Some(Ok(QueryResult::ok())),
        ["commit" | "rollback"] | ["commit" | "rollback", "work"] => Some(Ok(QueryResult::ok())),
        ["show", "warnings" | "errors", ..] => table(&["Level", "Code", "Message"], Vec::new()),
        ["show", "status", ..] | ["show", "global" | "session", "status", ..] => {
            table(&["Variable_name", "Value"], Vec::new())
        }
        ["select", ..] => select(text.strip_prefix("select ")?, context),
        _ => None,
    }
}

/// Lower case, single spaces, no trailing `;`.
fn normalize(sql: &str) -> String {
    let trimmed = sql.trim().trim_end_matches(';').trim();
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn select(rest: &str, context: &Session) -> Option<Answer> {
    let list = match rest.rsplit_once(" limit ") {
        Some((list, limit)) if limit.trim().parse::<u64>().is_ok() => list,
        _ => rest,
    };
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    if let [single] = items.as_slice()
        && let Some(answer) = function(single, context)
    {
        return Some(answer);
    }
    let mut names = Vec::new();
    let mut values = Vec::new();
    for item in &items {
        let (expr, alias) = match item.split_once(" as ") {
            Some((expr, alias)) => (expr.trim(), Some(alias.trim().trim_matches('`'))),
            None => (*item, None),
        };
        let name = variable_name(expr)?;
        let Some(value) = context.system_variable(name) else {
            return Some(Err((
                ErrorKind::ER_UNKNOWN_SYSTEM_VARIABLE,
                format!("Unknown system variable '{name}'"),
            )));
        };
        names.push(alias.unwrap_or(expr).to_owned());
        values.push(value);
    }
    Some(typed_row(&names, values))
}

/// `DATABASE()`, `USER()`, `CURRENT_USER()`, `CONNECTION_ID()`, `VERSION()`.
fn function(item: &str, context: &Session) -> Option<Answer> {
    let value = match item {
        "database()" | "schema()" => {
            VariableValue::Text(context.current_database().map(str::to_owned))
        }
        "user()" | "current_user()" | "session_user()" => {
            VariableValue::Text(Some(format!("{}@%", context.user())))
        }
        "connection_id()" => VariableValue::Int(i64::from(context.process_id())),
        "version()" => VariableValue::Text(Some(SERVER_VERSION.into())),
        _ => return None,
    };
    Some(typed_row(&[item.to_ascii_uppercase()], vec![value]))
}

/// `@@name`, `@@session.name`, `@@global.name` → `name`.
fn variable_name(expr: &str) -> Option<&str> {
    let name = expr.strip_prefix("@@")?;
    let name = name
        .strip_prefix("session.")
        .or_else(|| name.strip_prefix("global."))
        .or_else(|| name.strip_prefix("local."))
        .unwrap_or(name);
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

fn table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Option<Answer> {
    Some(
        QueryResult::text_table(columns, rows)
            .map_err(|e| (ErrorKind::ER_UNKNOWN_ERROR, e.to_string())),
    )
}

/// One row, integers as BIGINT and the rest as text.
fn typed_row(names: &[String], values: Vec<VariableValue>) -> Answer {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, value) in names.iter().zip(values) {
        match value {
            VariableValue::Int(i) => {
                fields.push(Field::new(name, DataType::Int64, false));
                arrays.push(Arc::new(Int64Array::from(vec![i])));
            }
            VariableValue::Text(t) => {
                fields.push(Field::new(name, DataType::Utf8, true));
                arrays.push(Arc::new(StringArray::from(vec![t])));
            }
        }
    }
    let schema = Arc::new(Schema::new(fields));
    RecordBatch::try_new(schema.clone(), arrays)
        .map(|batch| QueryResult::rows(schema, vec![batch]))
        .map_err(|e| (ErrorKind::ER_UNKNOWN_ERROR, e.to_string()))
}

#[cfg(test)]
mod tests {
    use arrow::util::pretty::pretty_format_batches;
    use tabvault_sql::Database;

    use super::*;

    /// A root session with `db` current, `max_allowed_packet` 1024 and `wait_timeout` 60.
    fn session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut session = Database::open(dir.path())
            .expect("open")
            .root_session()
            .expect("root");
        session
            .execute("CREATE DATABASE db; USE db")
            .expect("use db");
        session
            .set_variable("max_allowed_packet", "1024")
            .expect("set");
        session.set_variable("wait_timeout", "60").expect("set");
        (dir, session)
    }

    fn shown(session: &Session, sql: &str) -> String {
        let result = answer(sql, session).expect("chatter").expect("ok");
        pretty_format_batches(&result.batches)
            .expect("format")
            .to_string()
    }

    #[test]
    fn client_chatter_is_answered() {
        let (_dir, session) = session();
        assert!(shown(&session, "select @@version_comment limit 1").contains("tabvault"));
        assert!(shown(&session, "SELECT @@session.max_allowed_packet").contains("1024"));
        assert!(shown(&session, "SELECT DATABASE();").contains("| db "));
        let id = session.process_id().to_string();
        assert!(shown(&session, "SELECT CONNECTION_ID()").contains(&id));
        assert!(shown(&session, "SELECT @@wait_timeout").contains("60"));
        for ok in ["COMMIT", "rollback", "BEGIN"] {
            let result = answer(ok, &session).expect("chatter").expect("ok");
            assert!(!result.has_rows(), "{ok}");
        }
        let (kind, message) = answer("SELECT @@nonesuch", &session)
            .expect("chatter")
            .expect_err("unknown");
        assert_eq!(kind as u16, 1193);
        assert!(message.contains("nonesuch"));
    }

    #[test]
    fn other_statements_go_to_the_sql_layer() {
        let (_dir, session) = session();
        for sql in [
            "SELECT 1",
            "SELECT k FROM t",
            "SELECT @@version_comment, k FROM t",
            "SHOW DATABASES",
            "SHOW VARIABLES LIKE 'max%'",
            "SET PASSWORD = 'x'",
            "SET NAMES utf8mb4",
            "SET query_timeout = 5",
            "select",
            "",
        ] {
            assert!(answer(sql, &session).is_none(), "{sql}");
        }
    }
}
