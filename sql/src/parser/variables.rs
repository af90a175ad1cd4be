//! `SET` of session variables, as clients and drivers send them: `SET query_timeout = 30`,
//! `SET @@session.wait_timeout = 60`, `SET SESSION sql_mode = ''`, `SET NAMES utf8mb4 [COLLATE …]`,
//! `SET autocommit = 1, sql_mode = …`, `SET [SESSION] TRANSACTION ISOLATION LEVEL …`.

use super::ast::{SetVariable, Statement};
use datafusion::sql::sqlparser::tokenizer::Token as SqlToken;

use super::parser::{PResult, Parser};

impl Parser<'_> {
    /// `SET PASSWORD …`, or `SET` of one or more session variables.
    pub(crate) fn set(&mut self) -> PResult<Statement> {
        if self.is_keyword_at(1, "PASSWORD") {
            return self.set_password();
        }
        self.expect_keyword("SET")?;
        let mut assignments = Vec::new();
        loop {
            assignments.push(self.set_variable()?);
            if !self.eat_punct(',') {
                break;
            }
        }
        Ok(Statement::SetVariables(assignments))
    }

    /// One assignment: `[SESSION|GLOBAL|LOCAL] name = value`, `@@[scope.]name = value`,
    /// `NAMES …`, `CHARACTER SET …`, `TRANSACTION …`.
    fn set_variable(&mut self) -> PResult<SetVariable> {
        if self.at_word().is_some() {
            return Err(self.error("'@@' (user variables are not supported)"));
        }
        // The tokenizer reads `@@name` and `@@scope` as one word each.
        let word = self.ident()?;
        let (system, mut name) = match word.strip_prefix("@@") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, word),
        };
        let scoped = |n: &str| {
            ["SESSION", "GLOBAL", "LOCAL"]
                .iter()
                .any(|s| n.eq_ignore_ascii_case(s))
        };
        if scoped(&name) {
            if system && !self.eat_punct('.') {
                return Err(self.error("'.'"));
            }
            let word = self.ident()?;
            name = match word.strip_prefix("@@") {
                Some(rest) if !system => rest.to_owned(),
                _ => word,
            };
        }
        let name = name.to_ascii_lowercase();
        let value = match name.as_str() {
            "names" | "transaction" => {
                self.eat_punct('=');
                self.value_text()?
            }
            "character" => {
                self.expect_keyword("SET")?;
                return Ok(SetVariable {
                    name: "character_set_client".into(),
                    value: self.value_text()?,
                });
            }
            _ => {
                if !self.eat_punct('=') && !self.eat_token(&SqlToken::Assignment) {
                    return Err(self.error("'=' or ':='"));
                }
                self.value_text()?
            }
        };
        Ok(SetVariable { name, value })
    }

    /// The value: the source text up to the next `,` or the end of the statement, a quoted
    /// string unquoted.
    fn value_text(&mut self) -> PResult<String> {
        let range = self.balanced_span(|kind| *kind == SqlToken::Comma)?;
        if range.is_empty() {
            return Err(self.error("a value"));
        }
        if range.len() == 1
            && let Some(SqlToken::SingleQuotedString(text) | SqlToken::DoubleQuotedString(text)) =
                self.kind_at(range.start)
        {
            return Ok(text.clone());
        }
        Ok(self.span_text(range))
    }
}

#[cfg(test)]
mod tests {
    use crate::parser::{SetVariable, Statement, parse_statement};

    fn assignments(sql: &str) -> Vec<(String, String)> {
        match parse_statement(sql).expect(sql) {
            Statement::SetVariables(list) => list
                .into_iter()
                .map(|SetVariable { name, value }| (name, value))
                .collect(),
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn the_forms_clients_send_parse() {
        assert_eq!(
            assignments("SET query_timeout = 30"),
            [pair("query_timeout", "30")]
        );
        assert_eq!(
            assignments("set @@session.wait_timeout=60, SESSION sql_mode = 'ANSI'"),
            [pair("wait_timeout", "60"), pair("sql_mode", "ANSI")]
        );
        assert_eq!(
            assignments("SET @@wait_timeout := 5"),
            [pair("wait_timeout", "5")]
        );
        assert_eq!(
            assignments("SET NAMES utf8mb4 COLLATE utf8mb4_general_ci"),
            [pair("names", "utf8mb4 COLLATE utf8mb4_general_ci")]
        );
        assert_eq!(
            assignments("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            [pair("transaction", "ISOLATION LEVEL READ COMMITTED")]
        );
        assert_eq!(
            assignments("SET character_set_results = NULL"),
            [pair("character_set_results", "NULL")]
        );
        assert!(matches!(
            parse_statement("SET PASSWORD = PASSWORD('x')"),
            Ok(Statement::SetPassword { .. })
        ));
        assert!(parse_statement("SET @user_var = 1").is_err());
        assert!(parse_statement("SET query_timeout").is_err());
        let shown = parse_statement("SET query_timeout = 30, names = 'utf8'")
            .expect("parses")
            .to_string();
        assert_eq!(shown, "SET query_timeout = '30', names = 'utf8'");
        assert_eq!(
            assignments(&shown),
            [pair("query_timeout", "30"), pair("names", "utf8")]
        );
    }
}
