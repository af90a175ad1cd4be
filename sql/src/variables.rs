//! System variables as clients read them (`SHOW VARIABLES [LIKE …]`, `SELECT @@name`): MySQL's
//! and StarRocks' defaults that drivers and BI tools ask for at connect, overridden by what the
//! session `SET`.

use std::collections::BTreeMap;

/// What the server reports as its version; 5.7-compatible so clients pick
/// `mysql_native_password`.
pub const SERVER_VERSION: &str = concat!("5.7.99-tabvault-", env!("CARGO_PKG_VERSION"));

/// `max_allowed_packet` unless the server sets its own statement limit.
const DEFAULT_MAX_ALLOWED_PACKET: i64 = 16 << 20;

/// A system variable's value, typed as clients expect it (`SELECT @@autocommit` is a number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableValue {
    /// A number.
    Int(i64),
    /// Text (NULL when `None`).
    Text(Option<String>),
}

impl VariableValue {
    /// The value as `SHOW VARIABLES` prints it.
    pub fn text(&self) -> String {
        match self {
            Self::Int(i) => i.to_string(),
            Self::Text(t) => t.clone().unwrap_or_default(),
        }
    }
}

/// The defaults, sorted by name.
fn defaults() -> Vec<(&'static str, VariableValue)> {
    let text = |s: &str| VariableValue::Text(Some(s.to_owned()));
    let int = VariableValue::Int;
    vec![
        ("auto_increment_increment", int(1)),
        ("autocommit", int(1)),
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
        ("interactive_timeout", int(28800)),
        ("license", text("Apache-2.0")),
        ("lower_case_table_names", int(0)),
        ("max_allowed_packet", int(DEFAULT_MAX_ALLOWED_PACKET)),
        ("net_read_timeout", int(30)),
        ("net_write_timeout", int(60)),
        ("performance_schema", int(0)),
        ("query_cache_size", int(0)),
        ("query_cache_type", text("OFF")),
        ("query_timeout", int(0)),
        ("sql_mode", text("")),
        ("system_time_zone", text("UTC")),
        ("time_zone", text("SYSTEM")),
        ("transaction_isolation", text("REPEATABLE-READ")),
        ("tx_isolation", text("REPEATABLE-READ")),
        ("version", text(SERVER_VERSION)),
        ("version_comment", text("tabvault")),
        ("wait_timeout", int(28800)),
    ]
}

/// Every variable with its value: the defaults overridden by `set` (names lower case), plus the
/// variables the session set that have no default; sorted by name.
pub(crate) fn all(set: &BTreeMap<String, String>) -> Vec<(String, VariableValue)> {
    let mut merged: BTreeMap<String, VariableValue> = defaults()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    for (name, value) in set {
        let typed = match merged.get(name) {
            Some(VariableValue::Int(_)) => value.parse().map_or_else(
                |_| VariableValue::Text(Some(value.clone())),
                VariableValue::Int,
            ),
            _ => VariableValue::Text(Some(value.clone())),
        };
        merged.insert(name.clone(), typed);
    }
    merged.into_iter().collect()
}

/// SQL `LIKE`, case-insensitive: `%` any run, `_` one character, `\` escapes the next one.
pub(crate) fn like(pattern: &str, text: &str) -> bool {
    #[derive(PartialEq)]
    enum Token {
        Any,
        One,
        Char(char),
    }
    let mut p = Vec::new();
    let lowered: Vec<char> = pattern.to_lowercase().chars().collect();
    let mut chars = lowered.into_iter();
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
    use super::*;

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

    #[test]
    fn set_values_override_defaults_and_keep_their_type() {
        let set = BTreeMap::from([
            ("wait_timeout".to_owned(), "60".to_owned()),
            ("sql_mode".to_owned(), "ANSI".to_owned()),
            ("my_var".to_owned(), "x".to_owned()),
        ]);
        let all = all(&set);
        let get = |name: &str| all.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(get("wait_timeout"), Some(VariableValue::Int(60)));
        assert_eq!(
            get("sql_mode"),
            Some(VariableValue::Text(Some("ANSI".into())))
        );
        assert_eq!(get("my_var"), Some(VariableValue::Text(Some("x".into()))));
        assert_eq!(get("autocommit"), Some(VariableValue::Int(1)));
    }
}
