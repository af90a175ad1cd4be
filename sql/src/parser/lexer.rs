//! Splits SQL text into tokens, each with its byte span.
//!
//! The lexer knows nothing of statements: it yields words (keywords and plain identifiers alike,
//! since StarRocks' keywords are not reserved everywhere), back-quoted identifiers, string literals,
//! numbers and single punctuation characters. Comments (`-- …`, `# …`, `/* … */`) and whitespace are
//! dropped, which is why a query's source text can later be cut from the first to the last token
//! of its span and come out trimmed.

use super::error::ParseError;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A plain word: a keyword or an unquoted identifier, as written.
    Word(String),
    /// A back-quoted identifier, unescaped (`` `a``b` `` is `a`b`).
    QuotedIdent(String),
    /// A single- or double-quoted string, unescaped.
    String(String),
    /// An unsigned number as written: `12`, `1.5`, `.5`, `2e10`.
    Number(String),
    /// A numbered parameter `?n` (n ≥ 1) of a prepared statement, which numbers its bare `?`s so.
    Param(usize),
    /// Any other single character: `(`, `)`, `,`, `;`, `.`, `=`, `*`, `@`, `-`, …
    Punct(char),
}

/// A token and where it sits in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// Tokenizes all of `source`. Fails only on an unterminated string, identifier or comment.
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        source,
        pos: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    source: &'a str,
    pos: usize,
    tokens: Vec<Token>,
}

/// Whether `c` may continue a plain word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.source[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes characters while `keep` holds.
    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
    }

    /// Whether a name token ends right at `start`: then `.` qualifies it (`db.2024snap`) rather
    /// than starting a number.
    fn follows_name(&self, start: usize) -> bool {
        self.tokens.last().is_some_and(|t| {
            t.end == start && matches!(t.kind, TokenKind::Word(_) | TokenKind::QuotedIdent(_))
        })
    }

    fn unterminated(&self, start: usize, what: &str) -> ParseError {
        ParseError::at(self.source, start, "end of input", what)
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            let kind = match c {
                c if c.is_whitespace() => {
                    self.bump();
                    continue;
                }
                '#' => {
                    self.bump_while(|c| c != '\n');
                    continue;
                }
                '-' if self.peek_second() == Some('-') => {
                    self.bump_while(|c| c != '\n');
                    continue;
                }
                '/' if self.peek_second() == Some('*') => {
                    self.block_comment(start)?;
                    continue;
                }
                '\'' | '"' => TokenKind::String(self.quoted(c, true, start)?),
                '`' => TokenKind::QuotedIdent(self.quoted('`', false, start)?),
                '.' if self.peek_second().is_some_and(|d| d.is_ascii_digit())
                    && !self.follows_name(start) =>
                {
                    self.number()
                }
                c if c.is_ascii_digit() => self.number(),
                '?' if self.peek_second().is_some_and(|d| d.is_ascii_digit()) => {
                    self.param(start)?
                }
                c if is_word_char(c) => {
                    self.bump_while(is_word_char);
                    TokenKind::Word(self.source[start..self.pos].to_owned())
                }
                c => {
                    self.bump();
                    TokenKind::Punct(c)
                }
            };
            self.tokens.push(Token {
                kind,
                start,
                end: self.pos,
            });
        }
        Ok(())
    }

    fn block_comment(&mut self, start: usize) -> Result<(), ParseError> {
        match self.source[self.pos + 2..].find("*/") {
            Some(i) => {
                self.pos += 2 + i + 2;
                Ok(())
            }
            None => Err(self.unterminated(start, "'*/' closing the comment")),
        }
    }

    /// Reads a quoted token whose opening `quote` is next. A doubled quote stands for one; with
    /// `escapes`, a backslash escapes the next character as MySQL does.
    fn quoted(&mut self, quote: char, escapes: bool, start: usize) -> Result<String, ParseError> {
        self.bump();
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if c == quote {
                if self.peek() != Some(quote) {
                    return Ok(text);
                }
                self.bump();
                text.push(quote);
            } else if c == '\\' && escapes {
                match self.bump() {
                    Some(escaped) => text.push(unescape(escaped)),
                    None => break,
                }
            } else {
                text.push(c);
            }
        }
        Err(self.unterminated(start, &format!("closing {quote}")))
    }

    /// Reads a numbered parameter `?n` whose `?` is next.
    fn param(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        self.bump();
        self.bump_while(|c| c.is_ascii_digit());
        match self.source[start + 1..self.pos].parse() {
            Ok(n) if n > 0 => Ok(TokenKind::Param(n)),
            _ => Err(ParseError::at(
                self.source,
                start,
                &self.source[start..self.pos],
                "a parameter number from 1",
            )),
        }
    }

    /// Reads a number; a run like `1abc` that turns out to be a word is returned as a word.
    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        self.bump_while(|c| c.is_ascii_digit());
        if self.peek() == Some('.') {
            self.bump();
            self.bump_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mark = self.pos;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump_while(|c| c.is_ascii_digit());
            } else {
                self.pos = mark;
            }
        }
        let text = &self.source[start..self.pos];
        if !text.contains('.') && self.peek().is_some_and(is_word_char) {
            self.bump_while(is_word_char);
            return TokenKind::Word(self.source[start..self.pos].to_owned());
        }
        TokenKind::Number(text.to_owned())
    }
}

/// The character a backslash escape stands for (MySQL's table; any other character is itself).
fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '0' => '\0',
        'b' => '\u{8}',
        'Z' => '\u{1a}',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{TokenKind, tokenize};

    fn kinds(sql: &str) -> Vec<TokenKind> {
        match tokenize(sql) {
            Ok(tokens) => tokens.into_iter().map(|t| t.kind).collect(),
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    fn word(s: &str) -> TokenKind {
        TokenKind::Word(s.to_owned())
    }

    #[test]
    fn words_identifiers_strings_numbers_and_punctuation() {
        assert_eq!(
            kinds("SELECT `a``b`, 'it''s', \"x\\\"y\\n\", 1.5e3, .5, 12 FROM t;"),
            vec![
                word("SELECT"),
                TokenKind::QuotedIdent("a`b".into()),
                TokenKind::Punct(','),
                TokenKind::String("it's".into()),
                TokenKind::Punct(','),
                TokenKind::String("x\"y\n".into()),
                TokenKind::Punct(','),
                TokenKind::Number("1.5e3".into()),
                TokenKind::Punct(','),
                TokenKind::Number(".5".into()),
                TokenKind::Punct(','),
                TokenKind::Number("12".into()),
                word("FROM"),
                word("t"),
                TokenKind::Punct(';'),
            ]
        );
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            kinds("a -- one\n# two\nb /* three\n */ c"),
            vec![word("a"), word("b"), word("c")]
        );
    }

    #[test]
    fn digits_followed_by_letters_form_a_word() {
        assert_eq!(
            kinds("1abc 2e 3e5"),
            vec![word("1abc"), word("2e"), TokenKind::Number("3e5".into())]
        );
    }

    #[test]
    fn a_dot_right_after_a_name_qualifies_it() {
        assert_eq!(
            kinds("db.2024snap `d`.5x .5"),
            vec![
                word("db"),
                TokenKind::Punct('.'),
                word("2024snap"),
                TokenKind::QuotedIdent("d".into()),
                TokenKind::Punct('.'),
                word("5x"),
                TokenKind::Number(".5".into()),
            ]
        );
    }

    #[test]
    fn numbered_parameters_are_tokens_and_bare_question_marks_punctuation() {
        assert_eq!(
            kinds("?1, ?23 ? '?1'"),
            vec![
                TokenKind::Param(1),
                TokenKind::Punct(','),
                TokenKind::Param(23),
                TokenKind::Punct('?'),
                TokenKind::String("?1".into()),
            ]
        );
        assert!(tokenize("?0").is_err());
        assert!(tokenize("?99999999999999999999999").is_err());
    }

    #[test]
    fn spans_cover_the_token_text() {
        let tokens = tokenize("  `x` 'y'").unwrap_or_default();
        let spans: Vec<_> = tokens.iter().map(|t| (t.start, t.end)).collect();
        assert_eq!(spans, vec![(2, 5), (6, 9)]);
    }

    #[test]
    fn unterminated_tokens_point_at_their_start() {
        for (sql, offset) in [("a 'bc", 2), ("a `b", 2), ("x /* y", 2), ("'a\\", 0)] {
            match tokenize(sql) {
                Ok(_) => panic!("{sql} should fail"),
                Err(e) => {
                    assert_eq!(e.offset, offset, "{sql}");
                    assert_eq!(e.found, "end of input");
                }
            }
        }
    }
}
