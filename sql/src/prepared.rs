//! Server-side prepared statements: a statement parsed once with `?` parameters, then run many
//! times with typed values bound to them. Values are never spliced into SQL text: a parameter that
//! is a whole `INSERT … VALUES` cell is a parameter cell of the parsed statement
//! ([`InsertValue::Param`](crate::InsertValue::Param)), which takes the value as a literal when the
//! row is built, and every other parameter (in queries, `INSERT … SELECT`, `DELETE … WHERE` and
//! `VALUES` expressions) is a DataFusion placeholder that the plan binds to the value.

use datafusion::common::ScalarValue;

use crate::error::{Result, SqlError};
use crate::parser::{Literal, Statement, parse_with_params};

/// Most parameters one statement may have: the MySQL protocol counts them in 16 bits.
pub const MAX_PARAMS: usize = u16::MAX as usize;

/// One parsed statement with its parameters counted, ready to run with values for them.
#[derive(Clone, Debug)]
pub struct Prepared {
    statement: Statement,
    params: usize,
}

impl Prepared {
    /// Parses `sql`, which must hold exactly one statement, and counts its `?` parameters (a `?`
    /// in a string, a quoted identifier or a comment is not one).
    pub fn new(sql: &str) -> Result<Self> {
        let (mut statements, params) = parse_with_params(sql)?;
        if params > MAX_PARAMS {
            return Err(SqlError::Invalid(format!(
                "Prepared statement contains too many placeholders ({params} > {MAX_PARAMS})"
            )));
        }
        let statement = match (statements.pop(), statements.is_empty()) {
            (Some(statement), true) => statement,
            (None, _) => return Err(SqlError::Invalid("Query was empty".into())),
            (Some(_), false) => {
                return Err(SqlError::Unsupported(
                    "a prepared statement holds exactly one statement".into(),
                ));
            }
        };
        let binds = matches!(
            statement,
            Statement::Query { .. } | Statement::Insert(_) | Statement::Delete(_)
        );
        if params > 0 && !binds {
            return Err(SqlError::Unsupported(
                "parameters are allowed in queries, INSERT and DELETE only".into(),
            ));
        }
        Ok(Self { statement, params })
    }

    /// How many `?` parameters the statement has: EXECUTE binds exactly that many values.
    pub fn param_count(&self) -> usize {
        self.params
    }

    /// The parsed statement; its parameters are `?1`, `?2`, … in order.
    pub(crate) fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Checks that `values` has exactly one value per parameter.
    pub(crate) fn check_values(&self, values: &[ScalarValue]) -> Result<()> {
        if values.len() == self.params {
            return Ok(());
        }
        Err(SqlError::Invalid(format!(
            "Incorrect arguments to EXECUTE: the statement has {} parameters, {} values given",
            self.params,
            values.len()
        )))
    }
}

/// The value bound to parameter `?n` (1-based) as a literal.
pub(crate) fn param_literal(values: &[ScalarValue], n: usize) -> Result<Literal> {
    literal_of(param_value(values, n)?)
}

/// The value bound to parameter `?n` (1-based).
fn param_value(values: &[ScalarValue], n: usize) -> Result<&ScalarValue> {
    n.checked_sub(1).and_then(|i| values.get(i)).ok_or_else(|| {
        SqlError::Invalid(format!(
            "No value for parameter ?{n}: parameters take their values from EXECUTE of a \
                 prepared statement"
        ))
    })
}

/// A bound value as the literal that means it: numbers keep every digit, dates and datetimes are
/// strings, as in StarRocks; the column's type then takes it as it takes a written literal.
fn literal_of(value: &ScalarValue) -> Result<Literal> {
    if value.is_null() {
        return Ok(Literal::Null);
    }
    let unsupported = || {
        SqlError::Invalid(format!(
            "a parameter of type {} cannot be stored",
            value.data_type()
        ))
    };
    Ok(match value {
        ScalarValue::Boolean(Some(b)) => Literal::Boolean(*b),
        ScalarValue::Float32(Some(f)) if !f.is_finite() => return Err(unsupported()),
        ScalarValue::Float64(Some(f)) if !f.is_finite() => return Err(unsupported()),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_)
        | ScalarValue::Float32(_)
        | ScalarValue::Float64(_)
        | ScalarValue::Decimal128(..)
        | ScalarValue::Decimal256(..) => Literal::Number(value.to_string()),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => Literal::String(s.clone()),
        ScalarValue::Binary(Some(b))
        | ScalarValue::BinaryView(Some(b))
        | ScalarValue::LargeBinary(Some(b)) => {
            Literal::String(String::from_utf8(b.clone()).map_err(|_| unsupported())?)
        }
        ScalarValue::Date32(Some(_)) | ScalarValue::TimestampMicrosecond(Some(_), None) => {
            Literal::String(temporal_text(value).ok_or_else(unsupported)?)
        }
        _ => return Err(unsupported()),
    })
}

/// A date as `YYYY-MM-DD`, a timestamp as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
fn temporal_text(value: &ScalarValue) -> Option<String> {
    use arrow::temporal_conversions::{date32_to_datetime, timestamp_us_to_datetime};
    match value {
        ScalarValue::Date32(Some(days)) => Some(date32_to_datetime(*days)?.date().to_string()),
        ScalarValue::TimestampMicrosecond(Some(us), None) => {
            Some(timestamp_us_to_datetime(*us)?.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(sql: &str) -> Prepared {
        Prepared::new(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    #[test]
    fn bound_values_become_the_literals_that_mean_them() {
        let values = [
            ScalarValue::Int64(Some(-7)),
            ScalarValue::Utf8(Some("it's".into())),
            ScalarValue::Float64(Some(2.5)),
            ScalarValue::Null,
            ScalarValue::Decimal128(Some(12345), 10, 2),
            ScalarValue::Date32(Some(19723)),
            ScalarValue::TimestampMicrosecond(Some(1_704_164_645_250_000), None),
            ScalarValue::Binary(Some(b"raw".to_vec())),
        ];
        let literals: Vec<String> = (1..=values.len())
            .map(|n| param_literal(&values, n).expect("literal").to_string())
            .collect();
        assert_eq!(
            literals,
            [
                "-7",
                "\"it's\"",
                "2.5",
                "NULL",
                "123.45",
                "\"2024-01-01\"",
                "\"2024-01-02 03:04:05.250\"",
                "\"raw\""
            ]
        );
    }

    #[test]
    fn unstorable_values_and_missing_values_are_errors() {
        for value in [
            ScalarValue::Float64(Some(f64::NAN)),
            ScalarValue::Binary(Some(vec![0xff])),
        ] {
            assert!(param_literal(std::slice::from_ref(&value), 1).is_err());
        }
        assert!(param_literal(&[], 1).is_err());
        assert!(param_literal(&[ScalarValue::Null], 0).is_err());
    }

    #[test]
    fn the_value_count_must_match() {
        let insert = prepared("INSERT INTO t VALUES (?, '?', ? + 1)");
        assert_eq!(insert.param_count(), 2);
        assert_eq!(
            insert.statement().to_string(),
            "INSERT INTO `t` VALUES (?1, \"?\", ?2 + 1)"
        );
        let err = insert.check_values(&[]).expect_err("too few").to_string();
        assert!(err.contains("2 parameters, 0 values"), "{err}");
        assert!(
            insert
                .check_values(&[ScalarValue::Null, ScalarValue::Null])
                .is_ok()
        );
    }

    #[test]
    fn one_statement_only() {
        assert!(Prepared::new("SELECT ?; SELECT ?").is_err());
        assert!(Prepared::new("").is_err());
        assert_eq!(prepared("SELECT '?' FROM t WHERE a = ?").param_count(), 1);
        assert!(Prepared::new("CREATE VIEW v AS SELECT ?").is_err());
        assert_eq!(prepared("SHOW TABLES").param_count(), 0);
    }
}
