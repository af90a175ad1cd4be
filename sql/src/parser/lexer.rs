//! Splits SQL text into tokens, each with its byte span, using sqlparser's tokenizer in the MySQL
//! dialect: the same tokenizer DataFusion's parser reads, so a query's tokens can be handed to
//! that parser as they are (there is one tokenizer, not two that may disagree).
//!
//! Whitespace and comments (`-- …`, `# …`, `/* … */`) are dropped, which is why a text span can
//! later be cut from the first to the last token and come out trimmed. sqlparser places tokens by
//! line and character column; the spans here are byte offsets, for slicing the source.

use datafusion::sql::sqlparser::dialect::MySqlDialect;
use datafusion::sql::sqlparser::tokenizer::{
    Location, Token as SqlToken, TokenWithSpan, Tokenizer, TokenizerError,
};

use super::error::ParseError;

/// The dialect every statement is read in: MySQL's, as StarRocks speaks it (back-quoted
/// identifiers, `"…"` and `'…'` strings, backslash escapes, `#` comments).
pub(crate) const DIALECT: MySqlDialect = MySqlDialect {};

/// A token and where it sits in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// The token with sqlparser's line/column span, as sqlparser's parser takes it.
    pub token: TokenWithSpan,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

impl Token {
    /// What the token is.
    pub(crate) fn kind(&self) -> &SqlToken {
        &self.token.token
    }
}

/// Tokenizes all of `source`, unescaping strings and identifiers. Fails only on text that has
/// no token reading (an unterminated string, identifier or comment).
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let tokens = Tokenizer::new(&DIALECT, source)
        .with_unescape(true)
        .tokenize_with_location()
        .map_err(|e| tokenizer_error(source, &e))?;
    let mut offsets = Offsets::new(source);
    let mut placed: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut hint_end = 0;
    for token in tokens {
        let start = offsets.of(token.span.start);
        let end = offsets.of(token.span.end);
        // sqlparser reads a MySQL `/*! … */` comment's text as tokens, the first (perhaps
        // whitespace) placed at the comment's start; StarRocks and tabvault take it as a comment.
        if start < hint_end {
            continue;
        }
        if source[start..].starts_with("/*!") {
            hint_end = source[start..]
                .find("*/")
                .map_or(source.len(), |i| start + i + 2);
            continue;
        }
        if matches!(token.token, SqlToken::Whitespace(_) | SqlToken::EOF) {
            continue;
        }
        match placed.last_mut() {
            Some(previous) if previous.end == start && is_name_part(previous, &token.token) => {
                let text = format!(
                    "{}{}",
                    &source[previous.start..previous.end],
                    &source[start..end]
                );
                previous.token = TokenWithSpan::new(
                    SqlToken::make_word(&text, None),
                    previous.token.span.union(&token.span),
                );
                previous.end = end;
            }
            _ => placed.push(Token { token, start, end }),
        }
    }
    Ok(placed)
}

/// Whether `previous`, digits, and `next`, an unquoted word right after it, are one name:
/// sqlparser splits a name such as `1events` or `db.2024export` after its digits when a letter
/// `e` follows them (it is reading an exponent); MySQL reads one name.
fn is_name_part(previous: &Token, next: &SqlToken) -> bool {
    let digits = match previous.kind() {
        SqlToken::Number(text, false) => text.bytes().all(|b| b.is_ascii_digit()),
        SqlToken::Word(w) if w.quote_style.is_none() => w.value.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    digits && matches!(next, SqlToken::Word(w) if w.quote_style.is_none())
}

/// A tokenizer error as a syntax error at its place.
fn tokenizer_error(source: &str, error: &TokenizerError) -> ParseError {
    let offset = Offsets::new(source).of(error.location);
    let message = error.message.to_lowercase();
    let what = message
        .strip_prefix("unterminated ")
        .or_else(|| message.strip_prefix("unexpected eof while in a "));
    let expected = match (what, message.strip_prefix("expected close delimiter ")) {
        (Some(what), _) => format!("the end of the {what}"),
        (None, Some(quote)) => format!("closing {}", quote.trim_end_matches(" before eof.")),
        (None, None) => return ParseError::at(source, offset, message, "a token"),
    };
    ParseError::at(source, offset, "end of input", expected)
}

/// The single punctuation character a token is, if it is one of those the grammar uses.
pub(crate) fn punct(token: &SqlToken) -> Option<char> {
    Some(match token {
        SqlToken::LParen => '(',
        SqlToken::RParen => ')',
        SqlToken::Comma => ',',
        SqlToken::SemiColon => ';',
        SqlToken::Period => '.',
        SqlToken::Eq => '=',
        SqlToken::Mul => '*',
        SqlToken::LBracket => '[',
        SqlToken::AtSign => '@',
        _ => return None,
    })
}

/// Converts sqlparser's locations (1-based line, 1-based column in characters) to byte offsets.
/// Tokens come in source order, so it walks the source forward once for all of them.
struct Offsets<'a> {
    source: &'a str,
    line: u64,
    column: u64,
    byte: usize,
}

impl<'a> Offsets<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            line: 1,
            column: 1,
            byte: 0,
        }
    }

    /// The byte offset of `location`; a location before the last one asked for starts the walk
    /// again from the beginning, and one past the end is the end.
    fn of(&mut self, location: Location) -> usize {
        if (location.line, location.column) < (self.line, self.column) {
            *self = Self::new(self.source);
        }
        let mut chars = self.source[self.byte..].chars();
        while (self.line, self.column) < (location.line, location.column) {
            let Some(c) = chars.next() else { break };
            self.byte += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::{SqlToken, tokenize};

    fn kinds(sql: &str) -> Vec<SqlToken> {
        match tokenize(sql) {
            Ok(tokens) => tokens.into_iter().map(|t| t.token.token).collect(),
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    #[test]
    fn strings_are_unescaped_and_comments_skipped() {
        assert_eq!(
            kinds("'it''s' \"x\\\"y\\n\" -- one\n# two\n/* three\n */ `a``b`"),
            vec![
                SqlToken::SingleQuotedString("it's".into()),
                SqlToken::DoubleQuotedString("x\"y\n".into()),
                SqlToken::make_word("a`b", Some('`')),
            ]
        );
    }

    #[test]
    fn spans_are_byte_offsets_across_lines_and_wide_characters() {
        let sql = "  `x` 'é'\n  yé";
        let tokens = tokenize(sql).unwrap_or_default();
        let spans: Vec<_> = tokens.iter().map(|t| &sql[t.start..t.end]).collect();
        assert_eq!(spans, vec!["`x`", "'é'", "yé"]);
    }

    #[test]
    fn comment_hints_are_comments() {
        let sql = "/*!40101 SET NAMES utf8 */ a /*! b */ c /*!*/ d";
        let tokens = tokenize(sql).unwrap_or_default();
        let texts: Vec<_> = tokens.iter().map(|t| &sql[t.start..t.end]).collect();
        assert_eq!(texts, vec!["a", "c", "d"]);
        assert_eq!(
            kinds("'/*!x*/'"),
            vec![SqlToken::SingleQuotedString("/*!x*/".into())]
        );
    }

    #[test]
    fn digits_followed_by_letters_are_one_name() {
        for (sql, name) in [
            ("1events", "1events"),
            ("2e", "2e"),
            ("2024export", "2024export"),
        ] {
            assert_eq!(kinds(sql), vec![SqlToken::make_word(name, None)], "{sql}");
        }
        assert_eq!(kinds("3e5"), vec![SqlToken::Number("3e5".into(), false)]);
        let sql = "db.2024eu";
        let tokens = tokenize(sql).unwrap_or_default();
        let texts: Vec<_> = tokens.iter().map(|t| &sql[t.start..t.end]).collect();
        assert_eq!(texts, vec!["db", ".", "2024eu"]);
    }

    #[test]
    fn unterminated_tokens_are_errors_at_their_place() {
        for (sql, offset) in [("a 'bc", 2), ("a `b", 2), ("x /* y", 2)] {
            match tokenize(sql) {
                Ok(_) => panic!("{sql} should fail"),
                Err(e) => {
                    assert!(e.offset >= offset, "{sql}: {e:?}");
                    assert_eq!(e.found, "end of input");
                }
            }
        }
    }
}
