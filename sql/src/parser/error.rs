//! The one error the parser returns: where the input stopped making sense, what was there and what
//! would have been accepted.

use thiserror::Error;

/// A syntax error, positioned in the source text.
///
/// `line` and `column` are 1-based and count characters (not bytes), so a client can underline
/// the spot; `offset` is the byte offset for programs that slice the source.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("syntax error at line {line}, column {column}: expected {expected}, found {found}")]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
    /// Byte offset of the offending token in the source.
    pub offset: usize,
    /// What was found, ready to print: a quoted token such as `'repo'`, or `end of input`.
    pub found: String,
    /// What would have been accepted, such as `TO` or `identifier`.
    pub expected: String,
}

impl ParseError {
    /// An error at byte `offset` of `source`. `offset` past the end or inside a character is
    /// clamped to the nearest preceding character boundary, so any offset is safe.
    pub(crate) fn at(
        source: &str,
        offset: usize,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line,
            column,
            offset,
            found: found.into(),
            expected: expected.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ParseError;

    #[test]
    fn positions_count_lines_and_characters() {
        let e = ParseError::at("ab\ncdé fg", 8, "'fg'", "TO");
        assert_eq!((e.line, e.column, e.offset), (2, 5, 8));
        assert_eq!(
            e.to_string(),
            "syntax error at line 2, column 5: expected TO, found 'fg'"
        );
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_are_clamped() {
        let e = ParseError::at("é", 1, "x", "y");
        assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
        let e = ParseError::at("ab", 99, "end of input", "y");
        assert_eq!((e.line, e.column, e.offset), (1, 3, 2));
    }
}
