//! The `?` parameters of a prepared statement. The tokenizer finds them, so a `?` inside a
//! string, a back-quoted identifier or a comment is not one; each is then numbered `?1`, `?2`, …
//! in order of appearance, in the tokens the statement is parsed from. A `VALUES` cell that is a
//! lone `?n` becomes [`InsertValue::Param`](super::InsertValue::Param), and in queries and
//! expressions DataFusion reads `?n` as its positional placeholder `n`.

use datafusion::sql::sqlparser::tokenizer::Token as SqlToken;

use super::error::ParseError;
use super::lexer::Token;

/// Numbers each `?` parameter of `tokens` (`?` → `?1`, `?2`, …) and says how many there are.
/// Text that numbers parameters itself (`?1`) is refused: parameters are written `?`.
pub(crate) fn number_params(sql: &str, tokens: &mut [Token]) -> Result<usize, ParseError> {
    let mut count = 0;
    for token in tokens {
        if let SqlToken::Placeholder(text) = &mut token.token.token {
            if text != "?" {
                return Err(ParseError::at(
                    sql,
                    token.start,
                    &sql[token.start..token.end],
                    "'?' (parameters are not numbered)",
                ));
            }
            count += 1;
            *text = format!("?{count}");
        }
    }
    Ok(count)
}

/// The number `n` of a numbered parameter token `?n`.
pub(crate) fn param_number(token: &SqlToken) -> Option<usize> {
    match token {
        SqlToken::Placeholder(text) => text.strip_prefix('?')?.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{SqlToken, number_params};
    use crate::parser::lexer::tokenize;

    /// The placeholders of `sql` after numbering, and how many there are.
    fn numbered(sql: &str) -> (Vec<String>, usize) {
        let mut tokens = tokenize(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let count = number_params(sql, &mut tokens).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let params = tokens
            .into_iter()
            .filter_map(|t| match t.token.token {
                SqlToken::Placeholder(p) => Some(p),
                _ => None,
            })
            .collect();
        (params, count)
    }

    #[test]
    fn question_marks_are_numbered_in_order() {
        assert_eq!(
            numbered("SELECT * FROM t WHERE a = ? AND b IN (?,?)"),
            (vec!["?1".into(), "?2".into(), "?3".into()], 3)
        );
        assert_eq!(numbered("SELECT 1"), (vec![], 0));
    }

    #[test]
    fn question_marks_in_strings_identifiers_and_comments_are_not_parameters() {
        let sql = "SELECT '?', \"a?\", 'it''s ?', 'x\\'?', `c?` /* ? */ FROM t -- ?\n\
                   # ?\nWHERE k = ?";
        assert_eq!(numbered(sql), (vec!["?1".into()], 1));
    }

    #[test]
    fn numbered_parameters_are_refused() {
        for sql in ["SELECT ?1", "SELECT ? + ?2"] {
            let mut tokens = tokenize(sql).unwrap_or_default();
            assert!(number_params(sql, &mut tokens).is_err(), "{sql}");
        }
        assert!(tokenize("SELECT 'open ?").is_err());
    }
}
