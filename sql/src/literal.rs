//! Literals of the AST as typed storage values, and storage values back as SQL literals.

use tabvault_storage::{ColumnType, Value};

use crate::error::{Result, SqlError};
use crate::parser::{DataType, Literal};

/// Default length of `VARCHAR` written without one (StarRocks' classic maximum).
pub const DEFAULT_VARCHAR_LEN: u32 = 65_533;
/// Default precision of `DECIMAL` written without one (StarRocks' and MySQL's).
pub const DEFAULT_DECIMAL_PRECISION: u8 = 10;

/// The storage type of a declared column type, with StarRocks' defaults for omitted parameters:
/// `CHAR` is `CHAR(1)`, `VARCHAR` is `VARCHAR(65533)`, `DECIMAL` is `DECIMAL(10, 0)`.
pub fn column_type(ty: DataType) -> Result<ColumnType> {
    Ok(match ty {
        DataType::Boolean => ColumnType::Boolean,
        DataType::TinyInt => ColumnType::TinyInt,
        DataType::SmallInt => ColumnType::SmallInt,
        DataType::Int => ColumnType::Int,
        DataType::BigInt => ColumnType::BigInt,
        DataType::LargeInt => ColumnType::LargeInt,
        DataType::Float => ColumnType::Float,
        DataType::Double => ColumnType::Double,
        DataType::Decimal { precision, scale } => {
            let scale = scale.unwrap_or(0);
            ColumnType::Decimal {
                precision: precision.unwrap_or(DEFAULT_DECIMAL_PRECISION),
                scale: i8::try_from(scale).map_err(|_| {
                    SqlError::Invalid(format!("DECIMAL scale {scale} is out of range"))
                })?,
            }
        }
        DataType::Char(n) => ColumnType::Char(n.unwrap_or(1)),
        DataType::Varchar(n) => ColumnType::Varchar(n.unwrap_or(DEFAULT_VARCHAR_LEN)),
        DataType::String => ColumnType::String,
        DataType::Date => ColumnType::Date,
        DataType::DateTime => ColumnType::DateTime,
    })
}

/// A literal as an uncoerced value: numbers and strings stay text, for
/// [`Value::coerce_to`] to parse exactly (no float rounding of DECIMAL or LARGEINT digits).
pub fn raw_value(literal: &Literal) -> Value {
    match literal {
        Literal::Null => Value::Null,
        Literal::Boolean(b) => Value::Boolean(*b),
        Literal::Number(text) | Literal::String(text) => Value::String(text.clone()),
    }
}

/// A literal coerced to a column's type; `what` names the target in the error.
pub fn typed_value(literal: &Literal, ty: &ColumnType, what: &str) -> Result<Value> {
    let raw = match (literal, ty) {
        (Literal::Boolean(b), ty) if *ty != ColumnType::Boolean => Value::Int(i64::from(*b)),
        _ => raw_value(literal),
    };
    raw.coerce_to(ty).map_err(|_| {
        SqlError::Invalid(format!(
            "Invalid value {} for {what} of type {ty}",
            literal_text(literal)
        ))
    })
}

/// A literal as the user would write it, for error messages.
pub fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Null => "NULL".into(),
        Literal::Boolean(b) => b.to_string().to_uppercase(),
        Literal::Number(n) => n.clone(),
        Literal::String(s) => quote(s),
    }
}

/// A storage value as a double-quoted SQL literal (or `NULL`), which the parser reads back and
/// [`Value::coerce_to`] turns into the same value.
pub fn value_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        other => quote(&other.to_string()),
    }
}

/// `"text"` with backslashes and double quotes escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `` `name` `` with back quotes doubled.
pub fn backquote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_coerce_exactly() {
        let dec = ColumnType::Decimal {
            precision: 20,
            scale: 3,
        };
        let v = typed_value(&Literal::Number("12.5".into()), &dec, "c").expect("decimal");
        assert_eq!(v.to_string(), "12.500");
        let err = typed_value(&Literal::String("x".into()), &ColumnType::Int, "column 'c'")
            .expect_err("not an int")
            .to_string();
        assert_eq!(err, "Invalid value \"x\" for column 'c' of type INT");
        assert_eq!(
            typed_value(&Literal::Boolean(true), &ColumnType::Int, "c").expect("int"),
            Value::Int(1)
        );
    }

    #[test]
    fn values_print_as_literals_that_parse_back() {
        assert_eq!(value_literal(&Value::Date(0)), "\"1970-01-01\"");
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(backquote("a`b"), "`a``b`");
        assert_eq!(value_literal(&Value::Null), "NULL");
    }
}
