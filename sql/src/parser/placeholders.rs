//! The `?` parameters of a prepared statement's text. The lexer finds them, so a `?` inside a
//! string, a back-quoted identifier or a comment is not one; each is then numbered `?1`, `?2`, …
//! in order of appearance. The numbered text parses like any other: a `VALUES` cell that is a lone
//! `?n` becomes [`InsertValue::Param`](super::InsertValue::Param), and in queries and expressions
//! DataFusion reads `?n` as its positional placeholder `n`.

use super::error::ParseError;
use super::lexer::{TokenKind, tokenize};

/// `sql` with each `?` parameter numbered (`?` → `?1`, `?2`, …), and how many there are. Text that
/// numbers parameters itself (`?1`) is refused: parameters are written `?`.
pub(crate) fn number_params(sql: &str) -> Result<(String, usize), ParseError> {
    let mut numbered = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut count = 0;
    for token in tokenize(sql)? {
        match token.kind {
            TokenKind::Punct('?') => {
                count += 1;
                numbered.push_str(&sql[copied..token.start]);
                numbered.push_str(&format!("?{count}"));
                copied = token.end;
            }
            TokenKind::Param(_) => {
                return Err(ParseError::at(
                    sql,
                    token.start,
                    &sql[token.start..token.end],
                    "'?' (parameters are not numbered)",
                ));
            }
            _ => {}
        }
    }
    numbered.push_str(&sql[copied..]);
    Ok((numbered, count))
}

#[cfg(test)]
mod tests {
    use super::number_params;

    fn numbered(sql: &str) -> (String, usize) {
        number_params(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    #[test]
    fn question_marks_are_numbered_in_order() {
        assert_eq!(
            numbered("SELECT * FROM t WHERE a = ? AND b IN (?,?)"),
            ("SELECT * FROM t WHERE a = ?1 AND b IN (?2,?3)".into(), 3)
        );
        assert_eq!(numbered("SELECT 1"), ("SELECT 1".into(), 0));
    }

    #[test]
    fn question_marks_in_strings_identifiers_and_comments_are_not_parameters() {
        let sql = "SELECT '?', \"a?\", 'it''s ?', 'x\\'?', `c?` /* ? */ FROM t -- ?\n\
                   # ?\nWHERE k = ?";
        let (text, count) = numbered(sql);
        assert_eq!(count, 1);
        assert_eq!(text, sql.replace("k = ?", "k = ?1"));
    }

    #[test]
    fn numbered_parameters_and_broken_text_are_refused() {
        for sql in ["SELECT ?1", "SELECT ? + ?2", "SELECT 'open ?"] {
            assert!(number_params(sql).is_err(), "{sql}");
        }
    }
}
