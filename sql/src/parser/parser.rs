//! The recursive-descent parser: entry points, the token cursor and the small grammar pieces every
//! statement family shares (names, literals, lists, properties, source-text spans). Each family's
//! statements live in a sibling module that adds methods to [`Parser`].

use std::ops::Range;

use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::Expr as SqlExpr;
use datafusion::sql::sqlparser::parser::{Parser as SqlParser, ParserError};
use datafusion::sql::sqlparser::tokenizer::{Location, Token as SqlToken, TokenWithSpan};

use super::ast::{Literal, ObjectName, Properties, Statement};
use super::error::ParseError;
use super::lexer::{DIALECT, Token, punct, tokenize};
use super::placeholders::number_params;

/// How deeply a query's expressions may nest, as DataFusion's own parser allows by default.
const RECURSION_LIMIT: usize = 50;

/// Parser result.
pub(crate) type PResult<T> = Result<T, ParseError>;

/// Parses zero or more statements separated by `;`. Empty statements (`;;`) and comments are
/// skipped, so an input of only comments gives an empty list.
///
/// ```
/// let statements = tabvault_sql::parse_statements("USE db; SHOW TABLES;").unwrap();
/// assert_eq!(statements.len(), 2);
/// ```
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>, ParseError> {
    Parser::new(sql)?.statements()
}

/// Parses the text of a prepared statement: its statements, with each `?` parameter numbered
/// `?1`, `?2`, … in order of appearance, and how many parameters there are.
pub(crate) fn parse_with_params(sql: &str) -> Result<(Vec<Statement>, usize), ParseError> {
    let mut tokens = tokenize(sql)?;
    let params = number_params(sql, &mut tokens)?;
    let mut parser = Parser {
        source: sql,
        tokens,
        pos: 0,
    };
    Ok((parser.statements()?, params))
}

/// Parses a query (`SELECT`, `WITH`, a parenthesized query or `EXPLAIN`) into the AST DataFusion
/// plans: stored view definitions and the queries tabvault writes itself take this way.
pub(crate) fn parse_query(sql: &str) -> Result<DFStatement, ParseError> {
    match parse_statement(sql)? {
        Statement::Query { query } => Ok(*query),
        _ => Err(ParseError::at(sql, 0, "a statement", "a query")),
    }
}

/// Parses exactly one statement, optionally followed by `;`.
///
/// ```
/// use tabvault_sql::{Statement, parse_statement};
/// assert_eq!(parse_statement("SHOW DATABASES;").unwrap(), Statement::ShowDatabases);
/// ```
pub fn parse_statement(sql: &str) -> Result<Statement, ParseError> {
    let mut parser = Parser::new(sql)?;
    while parser.eat_punct(';') {}
    let statement = parser.statement()?;
    while parser.eat_punct(';') {}
    if parser.at_end() {
        Ok(statement)
    } else {
        Err(parser.error("end of input"))
    }
}

/// Parses a table or view name, `[db.]name`, with backquotes as in statements: embedders take
/// names as text (`Session::insert_arrow`) and must read them as SQL would.
///
/// ```
/// let name = tabvault_sql::parse_object_name("`my db`.t").unwrap();
/// assert_eq!((name.database.as_deref(), name.name.as_str()), (Some("my db"), "t"));
/// ```
pub fn parse_object_name(text: &str) -> Result<ObjectName, ParseError> {
    let mut parser = Parser::new(text)?;
    let name = parser.object_name()?;
    if parser.at_end() {
        Ok(name)
    } else {
        Err(parser.error("end of input"))
    }
}

/// A cursor over the tokens of one source text.
pub(crate) struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str) -> PResult<Self> {
        Ok(Self {
            source,
            tokens: tokenize(source)?,
            pos: 0,
        })
    }

    /// Zero or more statements separated by `;`, to the end of the input.
    fn statements(&mut self) -> PResult<Vec<Statement>> {
        let mut statements = Vec::new();
        loop {
            while self.eat_punct(';') {}
            if self.at_end() {
                return Ok(statements);
            }
            statements.push(self.statement()?);
            if !self.at_end() {
                self.expect_punct(';')?;
            }
        }
    }

    /// Parses one statement, dispatching on its leading keywords.
    fn statement(&mut self) -> PResult<Statement> {
        const STARTS: &[&str] = &[
            "CREATE", "DROP", "SHOW", "USE", "DESC", "DESCRIBE", "TRUNCATE", "ALTER", "INSERT",
            "DELETE", "SELECT", "WITH", "GRANT", "REVOKE", "BACKUP", "RESTORE", "CANCEL", "SET",
            "KILL", "EXPLAIN", "ADMIN",
        ];
        match self.peek_keyword_of(STARTS) {
            Some("CREATE") => self.create(),
            Some("DROP") => self.drop(),
            Some("SHOW") => self.show(),
            Some("USE") => {
                self.advance();
                Ok(Statement::Use {
                    database: self.ident()?,
                })
            }
            Some("DESC" | "DESCRIBE") => {
                self.advance();
                Ok(Statement::Describe {
                    table: self.object_name()?,
                })
            }
            Some("TRUNCATE") => self.truncate(),
            Some("ALTER") if self.is_keyword_at(1, "USER") => self.alter_user(),
            Some("ALTER") if self.is_keyword_at(1, "REPOSITORY") => self.refresh_iceberg(),
            Some("ALTER") => self.alter_table(),
            Some("INSERT") => self.insert(),
            Some("DELETE") => self.delete(),
            Some("SELECT" | "WITH") => Ok(Statement::Query {
                query: Box::new(self.query()?),
            }),
            Some("GRANT") => self.grant(),
            Some("REVOKE") => self.revoke(),
            Some("BACKUP") => self.backup(),
            Some("RESTORE") => self.restore(),
            Some("CANCEL") => self.cancel(),
            Some("ADMIN") => self.verify_snapshot(),
            Some("SET") => self.set(),
            Some("KILL") => self.kill(),
            // `EXPLAIN [ANALYZE] [VERBOSE] <query>`: DataFusion plans it, as read-only as the query.
            Some("EXPLAIN") => Ok(Statement::Query {
                query: Box::new(self.query_statement()?),
            }),
            _ if self.is_punct('(') => Ok(Statement::Query {
                query: Box::new(self.query()?),
            }),
            _ => Err(self.expected_one_of(STARTS)),
        }
    }

    // ---- cursor --------------------------------------------------------------------------------

    /// The kind of the current token.
    pub(crate) fn peek_kind(&self) -> Option<&SqlToken> {
        self.tokens.get(self.pos).map(Token::kind)
    }

    /// The kind of token `index`.
    pub(crate) fn kind_at(&self, index: usize) -> Option<&SqlToken> {
        self.tokens.get(index).map(Token::kind)
    }

    /// Whether every token has been consumed.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// Skips one token.
    pub(crate) fn advance(&mut self) {
        self.pos = (self.pos + 1).min(self.tokens.len());
    }

    /// An error at the current token: "expected `expected`, found <current token>".
    pub(crate) fn error(&self, expected: impl Into<String>) -> ParseError {
        self.error_at(self.pos, expected)
    }

    /// An error at token `index`: "expected `expected`, found <that token>".
    fn error_at(&self, index: usize, expected: impl Into<String>) -> ParseError {
        match self.tokens.get(index) {
            None => ParseError::at(self.source, self.source.len(), "end of input", expected),
            Some(token) => {
                let text = &self.source[token.start..token.end];
                let shown: String = text.chars().take(40).collect();
                let ellipsis = if shown.len() < text.len() { "…" } else { "" };
                let found = match token.kind() {
                    SqlToken::SingleQuotedString(_) | SqlToken::DoubleQuotedString(_) => {
                        format!("{shown}{ellipsis}")
                    }
                    _ => format!("'{shown}{ellipsis}'"),
                };
                ParseError::at(self.source, token.start, found, expected)
            }
        }
    }

    /// An error listing the keywords that would have been accepted here.
    pub(crate) fn expected_one_of(&self, keywords: &[&str]) -> ParseError {
        match keywords {
            [only] => self.error(*only),
            _ => self.error(format!("one of {}", keywords.join(", "))),
        }
    }

    // ---- keywords and punctuation --------------------------------------------------------------

    /// Whether the token `n` places ahead is the word `keyword` (any case).
    pub(crate) fn is_keyword_at(&self, n: usize, keyword: &str) -> bool {
        matches!(
            self.kind_at(self.pos + n),
            Some(SqlToken::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(keyword)
        )
    }

    /// Whether the current token is the word `keyword` (any case).
    pub(crate) fn is_keyword(&self, keyword: &str) -> bool {
        self.is_keyword_at(0, keyword)
    }

    /// Which of `keywords` the current token is, without consuming it.
    pub(crate) fn peek_keyword_of(&self, keywords: &[&'static str]) -> Option<&'static str> {
        keywords.iter().copied().find(|k| self.is_keyword(k))
    }

    /// Consumes the current token if it is one of `keywords`, and says which; otherwise fails
    /// listing them.
    pub(crate) fn expect_keyword_of(&mut self, keywords: &[&'static str]) -> PResult<&'static str> {
        let found = self
            .peek_keyword_of(keywords)
            .ok_or_else(|| self.expected_one_of(keywords))?;
        self.advance();
        Ok(found)
    }

    /// Consumes `keyword` if it is next.
    pub(crate) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.advance();
        }
        found
    }

    /// Consumes `keyword` or fails.
    pub(crate) fn expect_keyword(&mut self, keyword: &str) -> PResult<()> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.error(keyword))
        }
    }

    /// Consumes each of `keywords` in turn or fails at the first missing one.
    pub(crate) fn expect_keywords(&mut self, keywords: &[&str]) -> PResult<()> {
        keywords.iter().try_for_each(|k| self.expect_keyword(k))
    }

    /// Whether the token `n` places ahead is the punctuation `c`.
    pub(crate) fn is_punct_at(&self, n: usize, c: char) -> bool {
        self.kind_at(self.pos + n).and_then(punct) == Some(c)
    }

    /// Whether the current token is the punctuation `c`.
    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.is_punct_at(0, c)
    }

    /// Consumes the punctuation `c` if it is next.
    pub(crate) fn eat_punct(&mut self, c: char) -> bool {
        let found = self.is_punct(c);
        if found {
            self.advance();
        }
        found
    }

    /// Consumes the punctuation `c` or fails.
    pub(crate) fn expect_punct(&mut self, c: char) -> PResult<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.error(format!("'{c}'")))
        }
    }

    /// Consumes `token` (an operator such as `<=` or `:=`) if it is next.
    pub(crate) fn eat_token(&mut self, token: &SqlToken) -> bool {
        let found = self.peek_kind() == Some(token);
        if found {
            self.advance();
        }
        found
    }

    /// `IF EXISTS`, if present.
    pub(crate) fn if_exists(&mut self) -> PResult<bool> {
        let present = self.eat_keyword("IF");
        if present {
            self.expect_keyword("EXISTS")?;
        }
        Ok(present)
    }

    /// `IF NOT EXISTS`, if present.
    pub(crate) fn if_not_exists(&mut self) -> PResult<bool> {
        let present = self.eat_keyword("IF");
        if present {
            self.expect_keywords(&["NOT", "EXISTS"])?;
        }
        Ok(present)
    }

    // ---- names and literals --------------------------------------------------------------------

    /// Whether the token `n` places ahead could be an identifier.
    pub(crate) fn is_ident_at(&self, n: usize) -> bool {
        matches!(self.kind_at(self.pos + n), Some(SqlToken::Word(_)))
    }

    /// A plain or back-quoted identifier.
    pub(crate) fn ident(&mut self) -> PResult<String> {
        match self.peek_kind() {
            Some(SqlToken::Word(w)) => {
                let name = w.value.clone();
                self.advance();
                Ok(name)
            }
            _ => Err(self.error("identifier")),
        }
    }

    /// The name of an unquoted word `@name` that is next (a user variable, or the host of
    /// `user@host`), without consuming it; `None` for `@@name` and anything else.
    pub(crate) fn at_word(&self) -> Option<String> {
        match self.peek_kind() {
            Some(SqlToken::Word(w)) if w.quote_style.is_none() => w
                .value
                .strip_prefix('@')
                .filter(|name| !name.starts_with('@'))
                .map(str::to_owned),
            _ => None,
        }
    }

    /// A quoted string literal.
    pub(crate) fn string(&mut self) -> PResult<String> {
        match self.peek_kind() {
            Some(SqlToken::SingleQuotedString(s) | SqlToken::DoubleQuotedString(s)) => {
                let text = s.clone();
                self.advance();
                Ok(text)
            }
            _ => Err(self.error("string literal")),
        }
    }

    /// An identifier or a string, as user names and hosts may be written either way.
    pub(crate) fn ident_or_string(&mut self) -> PResult<String> {
        match self.peek_kind() {
            Some(SqlToken::SingleQuotedString(_) | SqlToken::DoubleQuotedString(_)) => {
                self.string()
            }
            Some(SqlToken::Word(_)) => self.ident(),
            _ => Err(self.error("identifier or string")),
        }
    }

    /// `name` or `db.name`.
    pub(crate) fn object_name(&mut self) -> PResult<ObjectName> {
        let first = self.ident()?;
        if self.eat_punct('.') {
            Ok(ObjectName {
                database: Some(first),
                name: self.ident()?,
            })
        } else {
            Ok(ObjectName {
                database: None,
                name: first,
            })
        }
    }

    /// An unsigned integer that fits `T`, described as `what` in errors.
    pub(crate) fn integer<T: std::str::FromStr>(&mut self, what: &str) -> PResult<T> {
        match self.peek_kind() {
            Some(SqlToken::Number(n, _)) => {
                let value = n.parse().map_err(|_| self.error(what))?;
                self.advance();
                Ok(value)
            }
            _ => Err(self.error(what)),
        }
    }

    /// Whether a literal could start here, without building the error [`Parser::literal`]
    /// returns when none does (that error's position costs a scan of the source).
    pub(crate) fn at_literal(&self) -> bool {
        let signed = matches!(self.kind_at(self.pos + 1), Some(SqlToken::Number(..)));
        let token = match self.peek_kind() {
            Some(
                SqlToken::SingleQuotedString(_)
                | SqlToken::DoubleQuotedString(_)
                | SqlToken::Number(..),
            ) => true,
            Some(SqlToken::Minus | SqlToken::Plus) => signed,
            _ => false,
        };
        token || self.is_keyword("NULL") || self.is_keyword("TRUE") || self.is_keyword("FALSE")
    }

    /// `NULL`, `TRUE`, `FALSE`, a string, or a number with an optional sign.
    pub(crate) fn literal(&mut self) -> PResult<Literal> {
        let literal = match self.peek_kind() {
            Some(SqlToken::SingleQuotedString(s) | SqlToken::DoubleQuotedString(s)) => {
                Literal::String(s.clone())
            }
            Some(SqlToken::Number(n, _)) => Literal::Number(n.clone()),
            Some(sign @ (SqlToken::Minus | SqlToken::Plus)) => {
                let negative = *sign == SqlToken::Minus;
                self.advance();
                return match self.peek_kind() {
                    Some(SqlToken::Number(n, _)) => {
                        let number = if negative { format!("-{n}") } else { n.clone() };
                        self.advance();
                        Ok(Literal::Number(number))
                    }
                    _ => Err(self.error("number")),
                };
            }
            _ if self.is_keyword("NULL") => Literal::Null,
            _ if self.is_keyword("TRUE") => Literal::Boolean(true),
            _ if self.is_keyword("FALSE") => Literal::Boolean(false),
            _ => return Err(self.error("literal")),
        };
        self.advance();
        Ok(literal)
    }

    // ---- lists ---------------------------------------------------------------------------------

    /// `( item, item, … )` with at least one item.
    pub(crate) fn parenthesized<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.expect_punct('(')?;
        let mut items = vec![item(self)?];
        while self.eat_punct(',') {
            items.push(item(self)?);
        }
        if self.eat_punct(')') {
            Ok(items)
        } else {
            Err(self.error("',' or ')'"))
        }
    }

    /// `(name, name, …)`.
    pub(crate) fn ident_list(&mut self) -> PResult<Vec<String>> {
        self.parenthesized(Self::ident)
    }

    /// `[PARTITION | PARTITIONS] (p, …)` or `PARTITION p`, if present; empty when absent.
    pub(crate) fn partition_names(&mut self) -> PResult<Vec<String>> {
        if !self.eat_keyword("PARTITION") && !self.eat_keyword("PARTITIONS") {
            return Ok(Vec::new());
        }
        if self.is_punct('(') {
            self.ident_list()
        } else {
            Ok(vec![self.ident()?])
        }
    }

    /// `PROPERTIES ("k" = "v", …)`, if present; empty when absent.
    pub(crate) fn properties(&mut self) -> PResult<Properties> {
        if !self.eat_keyword("PROPERTIES") {
            return Ok(Vec::new());
        }
        self.parenthesized(|p| {
            let key = p.string()?;
            p.expect_punct('=')?;
            Ok((key, p.string()?))
        })
    }

    /// `KEYWORD = "value"`, as in `SNAPSHOT = "s"`.
    pub(crate) fn keyword_equals_string(&mut self, keyword: &str) -> PResult<String> {
        self.expect_keyword(keyword)?;
        self.expect_punct('=')?;
        self.string()
    }

    // ---- source-text spans ---------------------------------------------------------------------

    /// Consumes tokens with balanced parentheses up to the first one at depth 0 that `stop`
    /// accepts, or that ends the statement (`;`, an unmatched `)`, the end of input), and returns
    /// the consumed token indices.
    pub(crate) fn balanced_span(
        &mut self,
        stop: impl Fn(&SqlToken) -> bool,
    ) -> PResult<Range<usize>> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(kind) = self.peek_kind() {
            match kind {
                SqlToken::LParen => depth += 1,
                SqlToken::RParen if depth > 0 => depth -= 1,
                SqlToken::SemiColon | SqlToken::RParen if depth == 0 => break,
                kind if depth == 0 && stop(kind) => break,
                _ => {}
            }
            self.advance();
        }
        if depth > 0 {
            return Err(self.error("')'"));
        }
        Ok(start..self.pos)
    }

    /// The rest of the statement as one statement of DataFusion's parser (a query or `EXPLAIN`),
    /// parsed from the tokens already read.
    pub(crate) fn query_statement(&mut self) -> PResult<DFStatement> {
        let range = self.balanced_span(|_| false)?;
        if range.is_empty() {
            return Err(self.error("query"));
        }
        let parsed = DFParserBuilder::new(self.sqlparser_tokens(range.clone()))
            .with_dialect(&DIALECT)
            .with_recursion_limit(RECURSION_LIMIT)
            .build()
            .and_then(|mut parser| parser.parse_statements());
        let mut statements = match parsed {
            Ok(statements) => statements,
            Err(error) => {
                return Err(match error.find_root() {
                    DataFusionError::SQL(error, _) => self.sqlparser_error(range, error),
                    other => self.error_at(range.start, other.to_string()),
                });
            }
        };
        match (statements.pop_front(), statements.is_empty()) {
            (Some(statement), true) => Ok(statement),
            _ => Err(self.error_at(range.start, "one query")),
        }
    }

    /// A query (`SELECT …`, `WITH …` or a parenthesized query) up to the end of the statement.
    pub(crate) fn query(&mut self) -> PResult<DFStatement> {
        if self.is_keyword("SELECT") || self.is_keyword("WITH") || self.is_punct('(') {
            self.query_statement()
        } else {
            Err(self.expected_one_of(&["SELECT", "WITH"]))
        }
    }

    /// An expression, read up to the first token at depth 0 that `stop` accepts or that ends
    /// the statement; `what` names it in the error when there is none.
    pub(crate) fn expression(
        &mut self,
        stop: impl Fn(&SqlToken) -> bool,
        what: &str,
    ) -> PResult<SqlExpr> {
        let range = self.balanced_span(stop)?;
        if range.is_empty() {
            return Err(self.error(what));
        }
        let mut parser = SqlParser::new(&DIALECT)
            .with_tokens_with_locations(self.sqlparser_tokens(range.clone()))
            .with_recursion_limit(RECURSION_LIMIT);
        let expr = parser
            .parse_expr()
            .map_err(|e| self.sqlparser_error(range.clone(), &e))?;
        if parser.peek_token().token != SqlToken::EOF {
            return Err(self.error_at(range.start + parser.index(), "end of expression"));
        }
        Ok(expr)
    }

    /// The tokens `range` as sqlparser's parser takes them.
    fn sqlparser_tokens(&self, range: Range<usize>) -> Vec<TokenWithSpan> {
        self.tokens[range].iter().map(|t| t.token.clone()).collect()
    }

    /// An error of sqlparser's parser about the tokens `range`, placed at the token it names.
    /// sqlparser writes "Expected: <what>, found: <token> at Line: <l>, Column: <c>".
    fn sqlparser_error(&self, range: Range<usize>, error: &ParserError) -> ParseError {
        let message = match error {
            ParserError::ParserError(message) | ParserError::TokenizerError(message) => message,
            ParserError::RecursionLimitExceeded => {
                return self.error_at(
                    range.start,
                    format!("an expression nested at most {RECURSION_LIMIT} deep"),
                );
            }
        };
        let Some((expected, found)) = message
            .strip_prefix("Expected: ")
            .and_then(|rest| rest.split_once(", found: "))
        else {
            return self.error_at(range.start, message.to_lowercase());
        };
        let place = found
            .rsplit_once(" at Line: ")
            .and_then(|(_, place)| place.split_once(", Column: "))
            .and_then(|(line, column)| {
                Some(Location::new(line.parse().ok()?, column.parse().ok()?))
            });
        let index = place
            .and_then(|place| {
                self.tokens[range.clone()]
                    .iter()
                    .position(|t| t.token.span.start == place)
            })
            .map_or(range.end, |i| range.start + i);
        self.error_at(index, expected)
    }

    /// The exact source text of the tokens `range` (from the first's start to the last's end).
    pub(crate) fn span_text(&self, range: Range<usize>) -> String {
        match (
            self.tokens.get(range.start),
            range.end.checked_sub(1).and_then(|i| self.tokens.get(i)),
        ) {
            (Some(first), Some(last)) if range.start < range.end => {
                self.source[first.start..last.end].to_owned()
            }
            _ => String::new(),
        }
    }

    /// Moves the cursor back to a token index returned by an earlier span, to re-read it.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos.min(self.tokens.len());
    }

    /// The cursor's token index.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }
}
