//! The statements clients and drivers send on their own (`SELECT @@version_comment LIMIT 1`,
//! `SELECT DATABASE()`, `SHOW VARIABLES LIKE …`, `COMMIT`, …), answered here in one place;
//! everything else, `SET` included, goes to the SQL layer.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use opensrv_mysql::ErrorKind;
use tabvault_sql::QueryResult;

/// What the server reports as its version; 5.7-compatible so clients pick
/// `mysql_native_password`.
pub(crate) const SERVER_VERSION: &str = concat!("5.7.99-tabvault-", env!("CARGO_PKG_VERSION"));

/// What a chatter answer needs to know about the connection.
pub(crate) struct Context<'a> {
    /// The session's current database.
    pub database: Option<&'a str>,
    /// The logged-in user.
    pub user: &'a str,
    /// The connection's id.
    pub connection_id: u32,
    /// The configured statement limit (`max_allowed_packet`).
    pub max_statement_bytes: usize,
    /// The session's `wait_timeout`, seconds.
    pub wait_timeout_s: u64,
    /// The session's `query_timeout`, seconds (0: none).
    pub query_timeout_s: u64,
}

/// A chatter answer: a result, or an error for the client.
pub(crate) type Answer = Result<QueryResult, (ErrorKind, String)>;

/// The answer to `sql` when it is client chatter, `None` when the SQL layer should run it.
pub(crate) fn answer(sql: &str, context: &Context<'_>) -> Option<Answer> {
    let text = normalize(sql);
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        ["begin"] | ["start", "transaction", ..] => Some(Ok(QueryResult::ok())),
        ["commit" | "rollback"] | ["commit" | "rollback", "work"] => Some(Ok(QueryResult::ok())),
        ["show", "warnings" | "errors", ..] => table(&["Level", "Code", "Message"], Vec::new()),
        ["show", scope @ .., "variables"] if is_scope(scope) => variables(context, None),
        ["show", scope @ .., "variables", "like", _] if is_scope(scope) => {
            variables(context, Some(like_pattern(sql)?))
        }
        ["show", "status", ..] | ["show", "global" | "session", "status", ..] => {
            table(&["Variable_name", "Value"], Vec::new())
        }
        ["select", ..] => select(text.strip_prefix("select ")?, context),
        _ => None,
    }
}

fn is_scope(words: &[&str]) -> bool {
    matches!(words, [] | ["global" | "session"])
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

/// The quoted pattern of `… LIKE 'pattern'`, with its original case.
fn like_pattern(sql: &str) -> Option<String> {
    let trimmed = sql.trim().trim_end_matches(';').trim_end();
    let quote = trimmed.chars().last().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &trimmed[..trimmed.len() - 1];
    let start = inner.rfind(quote)?;
    Some(inner[start + 1..].to_owned())
}

fn select(rest: &str, context: &Context<'_>) -> Option<Answer> {
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
        let Some(value) = variable(context, name) else {
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
fn function(item: &str, context: &Context<'_>) -> Option<Answer> {
    let value = match item {
        "database()" | "schema()" => Value::Text(context.database.map(str::to_owned)),
        "user()" | "current_user()" | "session_user()" => {
            Value::Text(Some(format!("{}@%", context.user)))
        }
        "connection_id()" => Value::Int(i64::from(context.connection_id)),
        "version()" => Value::Text(Some(SERVER_VERSION.into())),
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

/// A system variable's value.
#[derive(Clone, Debug)]
enum Value {
    Int(i64),
    Text(Option<String>),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Self::Int(i) => i.to_string(),
            Self::Text(t) => t.clone().unwrap_or_default(),
        }
    }
}

/// The system variables clients ask about, sorted by name.
fn variables_list(context: &Context<'_>) -> Vec<(&'static str, Value)> {
    let text = |s: &str| Value::Text(Some(s.to_owned()));
    let max = i64::try_from(context.max_statement_bytes).unwrap_or(i64::MAX);
    vec![
        ("auto_increment_increment", Value::Int(1)),
        ("autocommit", Value::Int(1)),
        ("character_set_client", text("utf8mb4")),
        ("character_set_connection", text("utf8mb4")),
        ("character_set_database", text("utf8mb4")),
        ("character_set_results", text("utf8mb4")),
        ("character_set_server", text("utf8mb4")),
        ("collation_connection", text("utf8mb4_general_ci")),
        ("collation_database", text("utf8mb4_general_ci")),
        ("collation_server", text("utf8mb4_general_ci")),
        ("have_ssl", text("DISABLED")),
        ("init_connect", text("")),
        ("interactive_timeout", Value::Int(28800)),
        ("license", text("Apache-2.0")),
        ("lower_case_table_names", Value::Int(0)),
        ("max_allowed_packet", Value::Int(max)),
        ("net_read_timeout", Value::Int(30)),
        ("net_write_timeout", Value::Int(60)),
        ("performance_schema", Value::Int(0)),
        ("query_cache_size", Value::Int(0)),
        ("query_cache_type", text("OFF")),
        ("query_timeout", Value::Int(secs(context.query_timeout_s))),
        ("sql_mode", text("")),
        ("system_time_zone", text("UTC")),
        ("time_zone", text("SYSTEM")),
        ("transaction_isolation", text("REPEATABLE-READ")),
        ("tx_isolation", text("REPEATABLE-READ")),
        ("version", text(SERVER_VERSION)),
        ("version_comment", text("tabvault")),
        ("wait_timeout", Value::Int(secs(context.wait_timeout_s))),
    ]
}

fn secs(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

fn variable(context: &Context<'_>, name: &str) -> Option<Value> {
    variables_list(context)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn variables(context: &Context<'_>, pattern: Option<String>) -> Option<Answer> {
    let rows = variables_list(context)
        .into_iter()
        .filter(|(name, _)| pattern.as_deref().is_none_or(|p| like(p, name)))
        .map(|(name, value)| vec![Some(name.to_owned()), Some(value.text())])
        .collect();
    table(&["Variable_name", "Value"], rows)
}

fn table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Option<Answer> {
    Some(
        QueryResult::text_table(columns, rows)
            .map_err(|e| (ErrorKind::ER_UNKNOWN_ERROR, e.to_string())),
    )
}

/// One row, integers as BIGINT and the rest as text.
fn typed_row(names: &[String], values: Vec<Value>) -> Answer {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, value) in names.iter().zip(values) {
        match value {
            Value::Int(i) => {
                fields.push(Field::new(name, DataType::Int64, false));
                arrays.push(Arc::new(Int64Array::from(vec![i])));
            }
            Value::Text(t) => {
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

/// SQL `LIKE`, case-insensitive: `%` any run, `_` one character, `\\` escapes the next one.
fn like(pattern: &str, text: &str) -> bool {
    #[derive(PartialEq)]
    enum Token {
        Any,
        One,
        Char(char),
    }
    let mut p = Vec::new();
    let mut chars = pattern
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .into_iter();
    while let Some(c) = chars.next() {
        p.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::One) => {
                pi += 1;
                ti += 1;
            }
            Some(Token::Char(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            Some(Token::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use arrow::util::pretty::pretty_format_batches;

    use super::*;

    fn context() -> Context<'static> {
        Context {
            database: Some("db"),
            user: "root",
            connection_id: 7,
            max_statement_bytes: 1024,
            wait_timeout_s: 60,
            query_timeout_s: 0,
        }
    }

    fn shown(sql: &str) -> String {
        let result = answer(sql, &context()).expect("chatter").expect("ok");
        pretty_format_batches(&result.batches)
            .expect("format")
            .to_string()
    }

    #[test]
    fn client_chatter_is_answered() {
        assert!(shown("select @@version_comment limit 1").contains("tabvault"));
        assert!(shown("SELECT @@session.max_allowed_packet").contains("1024"));
        assert!(shown("SELECT DATABASE();").contains("| db "));
        assert!(shown("SELECT CONNECTION_ID()").contains('7'));
        let like = shown("SHOW VARIABLES LIKE 'character\\_set\\_%'");
        assert!(like.contains("character_set_client"), "{like}");
        assert!(!like.contains("autocommit"));
        assert!(
            shown("show session variables like 'lower_case_%'").contains("lower_case_table_names")
        );
        assert!(shown("SELECT @@wait_timeout").contains("60"));
        for ok in ["COMMIT", "rollback", "BEGIN"] {
            let result = answer(ok, &context()).expect("chatter").expect("ok");
            assert!(!result.has_rows(), "{ok}");
        }
        let (kind, message) = answer("SELECT @@nonesuch", &context())
            .expect("chatter")
            .expect_err("unknown");
        assert_eq!(kind as u16, 1193);
        assert!(message.contains("nonesuch"));
    }

    #[test]
    fn other_statements_go_to_the_sql_layer() {
        for sql in [
            "SELECT 1",
            "SELECT k FROM t",
            "SELECT @@version_comment, k FROM t",
            "SHOW DATABASES",
            "SET PASSWORD = 'x'",
            "SET NAMES utf8mb4",
            "SET query_timeout = 5",
            "select",
            "",
        ] {
            assert!(answer(sql, &context()).is_none(), "{sql}");
        }
    }

    #[test]
    fn like_matches_sql_patterns() {
        assert!(like("a%c", "abbbc"));
        assert!(like("a_c", "abc"));
        assert!(!like("a_c", "abbc"));
        assert!(like("%", ""));
        assert!(like("VERSION%", "version_comment"));
        assert!(!like("x%", "version"));
        assert!(like("a\\_b", "a_b"));
        assert!(!like("a\\_b", "axb"));
    }
}
