//! Single typed values: partition bounds, column defaults, min/max statistics and predicate operands.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
    new_null_array,
};
use arrow::datatypes::DataType;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::types::ColumnType;

/// One value of some column type. `Null` is the SQL NULL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum Value {
    /// SQL NULL.
    #[serde(rename = "Null")]
    Null,
    /// BOOLEAN.
    #[serde(rename = "Boolean")]
    Boolean(bool),
    /// Any of TINYINT, SMALLINT, INT, BIGINT.
    #[serde(rename = "Int")]
    Int(i64),
    /// LARGEINT, kept as a decimal string in JSON (JSON numbers stop at 64 bits).
    #[serde(rename = "LargeInt")]
    LargeInt(#[serde(with = "i128_text")] i128),
    /// FLOAT or DOUBLE.
    #[serde(rename = "Float")]
    Float(f64),
    /// DECIMAL: the unscaled integer and the scale.
    #[serde(rename = "Decimal")]
    Decimal {
        /// The value times 10^scale.
        #[serde(with = "i128_text")]
        #[serde(rename = "unscaled")]
        unscaled: i128,
        /// Digits after the point.
        #[serde(rename = "scale")]
        scale: i8,
    },
    /// CHAR, VARCHAR or STRING.
    #[serde(rename = "String")]
    String(String),
    /// DATE, as days since 1970-01-01.
    #[serde(rename = "Date")]
    Date(i32),
    /// DATETIME, as microseconds since 1970-01-01 00:00:00.
    #[serde(rename = "DateTime")]
    DateTime(i64),
}

mod i128_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Value {
    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Converts this value to the given column type, parsing strings (dates, numbers) where needed.
    /// Used for partition bounds, defaults and predicate operands written as literals.
    pub fn coerce_to(&self, ty: &ColumnType) -> Result<Value> {
        let fail = || StorageError::InvalidDefinition(format!("value {self} is not a valid {ty}"));
        let v = match (self, ty) {
            (Self::Null, _) => Self::Null,
            (Self::String(s), _)
                if !matches!(
                    ty,
                    ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String
                ) =>
            {
                parse_literal(s.trim(), ty).ok_or_else(fail)?
            }
            (Self::Boolean(b), ColumnType::Boolean) => Self::Boolean(*b),
            (Self::Int(i), ColumnType::Boolean) if *i == 0 || *i == 1 => Self::Boolean(*i == 1),
            (Self::Int(i), ColumnType::TinyInt) => {
                Self::Int(i8::try_from(*i).map_err(|_| fail())?.into())
            }
            (Self::Int(i), ColumnType::SmallInt) => {
                Self::Int(i16::try_from(*i).map_err(|_| fail())?.into())
            }
            (Self::Int(i), ColumnType::Int) => {
                Self::Int(i32::try_from(*i).map_err(|_| fail())?.into())
            }
            (Self::Int(i), ColumnType::BigInt) => Self::Int(*i),
            (Self::Int(i), ColumnType::LargeInt) => Self::LargeInt((*i).into()),
            (Self::LargeInt(i), ColumnType::LargeInt) => Self::LargeInt(*i),
            (Self::Decimal { unscaled, scale: 0 }, ColumnType::LargeInt) => {
                Self::LargeInt(*unscaled)
            }
            (Self::LargeInt(i), ColumnType::Decimal { precision, scale }) => {
                decimal_checked(*i, 0, *precision, *scale).ok_or_else(fail)?
            }
            (Self::LargeInt(i), ColumnType::BigInt) => {
                Self::Int(i64::try_from(*i).map_err(|_| fail())?)
            }
            (Self::Int(i), ColumnType::Float | ColumnType::Double) => Self::Float(*i as f64),
            (Self::Float(x), ColumnType::Float | ColumnType::Double) => Self::Float(*x),
            (Self::Int(i), ColumnType::Decimal { precision, scale }) => {
                decimal_checked(i128::from(*i), 0, *precision, *scale).ok_or_else(fail)?
            }
            (
                Self::Decimal {
                    unscaled,
                    scale: from,
                },
                ColumnType::Decimal { precision, scale },
            ) => decimal_checked(*unscaled, *from, *precision, *scale).ok_or_else(fail)?,
            (
                Self::String(s),
                ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String,
            ) => {
                if ty.max_len_bytes().is_some_and(|n| s.len() > n) {
                    return Err(fail());
                }
                Self::String(s.clone())
            }
            (Self::Date(d), ColumnType::Date) => Self::Date(*d),
            (Self::Date(d), ColumnType::DateTime) => Self::DateTime(i64::from(*d) * MICROS_PER_DAY),
            (Self::DateTime(t), ColumnType::DateTime) => Self::DateTime(*t),
            _ => return Err(fail()),
        };
        Ok(v)
    }

    /// Orders two values of the same kind; `None` when they are not comparable (different kinds).
    /// NULL sorts before everything.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Self::Null, Self::Null) => Some(Ordering::Equal),
            (Self::Null, _) => Some(Ordering::Less),
            (_, Self::Null) => Some(Ordering::Greater),
            (Self::Boolean(a), Self::Boolean(b)) => Some(a.cmp(b)),
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(b)),
            (Self::LargeInt(a), Self::LargeInt(b)) => Some(a.cmp(b)),
            (Self::Int(a), Self::LargeInt(b)) => Some(i128::from(*a).cmp(b)),
            (
                Self::LargeInt(a),
                Self::Decimal {
                    unscaled: b,
                    scale: sb,
                },
            ) => compare_decimals(*a, 0, *b, *sb),
            (
                Self::Decimal {
                    unscaled: a,
                    scale: sa,
                },
                Self::LargeInt(b),
            ) => compare_decimals(*a, *sa, *b, 0),
            (Self::LargeInt(a), Self::Int(b)) => Some(a.cmp(&i128::from(*b))),
            (Self::Float(a), Self::Float(b)) => Some(a.total_cmp(b)),
            (
                Self::Decimal {
                    unscaled: a,
                    scale: sa,
                },
                Self::Decimal {
                    unscaled: b,
                    scale: sb,
                },
            ) => compare_decimals(*a, *sa, *b, *sb),
            (Self::String(a), Self::String(b)) => Some(a.cmp(b)),
            (Self::Date(a), Self::Date(b)) => Some(a.cmp(b)),
            (Self::DateTime(a), Self::DateTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The value as an `i64` ordinal, for the integer-like kinds (ints, DATE days, DATETIME micros).
    pub fn as_ordinal(&self) -> Option<i64> {
        match self {
            Self::Int(i) | Self::DateTime(i) => Some(*i),
            Self::Date(d) => Some(i64::from(*d)),
            _ => None,
        }
    }

    /// Reads row `row` of `array` (of one of the Arrow types of [`ColumnType::arrow_type`]).
    pub fn from_array(array: &dyn Array, row: usize) -> Result<Value> {
        if array.is_null(row) {
            return Ok(Self::Null);
        }
        let any = array.as_any();
        let unsupported =
            || StorageError::InvalidData(format!("unsupported Arrow type {}", array.data_type()));
        let v = match array.data_type() {
            DataType::Boolean => Self::Boolean(
                downcast::<BooleanArray>(any)
                    .ok_or_else(unsupported)?
                    .value(row),
            ),
            DataType::Int8 => Self::Int(
                downcast::<Int8Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row)
                    .into(),
            ),
            DataType::Int16 => Self::Int(
                downcast::<Int16Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row)
                    .into(),
            ),
            DataType::Int32 => Self::Int(
                downcast::<Int32Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row)
                    .into(),
            ),
            DataType::Int64 => Self::Int(
                downcast::<Int64Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row),
            ),
            DataType::Float32 => Self::Float(
                downcast::<Float32Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row)
                    .into(),
            ),
            DataType::Float64 => Self::Float(
                downcast::<Float64Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row),
            ),
            DataType::Decimal128(_, scale) => {
                let unscaled = downcast::<Decimal128Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row);
                if *scale == 0 && matches!(array.data_type(), DataType::Decimal128(38, 0)) {
                    Self::LargeInt(unscaled)
                } else {
                    Self::Decimal {
                        unscaled,
                        scale: *scale,
                    }
                }
            }
            DataType::Utf8 => Self::String(
                downcast::<StringArray>(any)
                    .ok_or_else(unsupported)?
                    .value(row)
                    .to_owned(),
            ),
            DataType::Date32 => Self::Date(
                downcast::<Date32Array>(any)
                    .ok_or_else(unsupported)?
                    .value(row),
            ),
            DataType::Timestamp(_, _) => Self::DateTime(
                downcast::<TimestampMicrosecondArray>(any)
                    .ok_or_else(unsupported)?
                    .value(row),
            ),
            _ => return Err(unsupported()),
        };
        Ok(v)
    }

    /// An array of `len` copies of this value, of the Arrow type of `ty`. The value must already
    /// be coerced to `ty` ([`Value::coerce_to`]).
    pub fn to_array(&self, ty: &ColumnType, len: usize) -> Result<ArrayRef> {
        let mismatch = || StorageError::InvalidData(format!("value {self} does not fit type {ty}"));
        let array: ArrayRef = match (self, ty) {
            (Self::Null, _) => new_null_array(&ty.arrow_type(), len),
            (Self::Boolean(b), ColumnType::Boolean) => Arc::new(BooleanArray::from(vec![*b; len])),
            (Self::Int(i), ColumnType::TinyInt) => {
                Arc::new(Int8Array::from(vec![
                    i8::try_from(*i)
                        .map_err(|_| mismatch())?;
                    len
                ]))
            }
            (Self::Int(i), ColumnType::SmallInt) => {
                Arc::new(Int16Array::from(vec![
                    i16::try_from(*i)
                        .map_err(|_| mismatch())?;
                    len
                ]))
            }
            (Self::Int(i), ColumnType::Int) => {
                Arc::new(Int32Array::from(vec![
                    i32::try_from(*i)
                        .map_err(|_| mismatch())?;
                    len
                ]))
            }
            (Self::Int(i), ColumnType::BigInt) => Arc::new(Int64Array::from(vec![*i; len])),
            (
                Self::LargeInt(i)
                | Self::Decimal {
                    unscaled: i,
                    scale: 0,
                },
                ColumnType::LargeInt,
            ) => Arc::new(Decimal128Array::from(vec![*i; len]).with_data_type(ty.arrow_type())),
            (Self::Float(x), ColumnType::Float) => {
                Arc::new(Float32Array::from(vec![*x as f32; len]))
            }
            (Self::Float(x), ColumnType::Double) => Arc::new(Float64Array::from(vec![*x; len])),
            (Self::LargeInt(unscaled), ColumnType::Decimal { scale: 0, .. })
            | (Self::Decimal { unscaled, .. }, ColumnType::Decimal { .. })
                if self.decimal_scale() == ty_scale(ty) =>
            {
                Arc::new(
                    Decimal128Array::from(vec![*unscaled; len]).with_data_type(ty.arrow_type()),
                )
            }
            (
                Self::String(s),
                ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String,
            ) => Arc::new(StringArray::from(vec![s.as_str(); len])),
            (Self::Date(d), ColumnType::Date) => Arc::new(Date32Array::from(vec![*d; len])),
            (Self::DateTime(t), ColumnType::DateTime) => {
                Arc::new(TimestampMicrosecondArray::from(vec![*t; len]))
            }
            _ => return Err(mismatch()),
        };
        Ok(array)
    }
}

impl Value {
    fn decimal_scale(&self) -> Option<i8> {
        match self {
            Self::LargeInt(_) => Some(0),
            Self::Decimal { scale, .. } => Some(*scale),
            _ => None,
        }
    }
}

fn ty_scale(ty: &ColumnType) -> Option<i8> {
    match ty {
        ColumnType::Decimal { scale, .. } => Some(*scale),
        ColumnType::LargeInt => Some(0),
        _ => None,
    }
}

fn downcast<T: 'static>(any: &dyn std::any::Any) -> Option<&T> {
    any.downcast_ref::<T>()
}

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

fn decimal_checked(unscaled: i128, from_scale: i8, precision: u8, scale: i8) -> Option<Value> {
    let diff = i32::from(scale) - i32::from(from_scale);
    let rescaled = if diff >= 0 {
        unscaled.checked_mul(10i128.checked_pow(diff.unsigned_abs())?)?
    } else {
        let div = 10i128.checked_pow(diff.unsigned_abs())?;
        if unscaled % div != 0 {
            return None;
        }
        unscaled / div
    };
    let limit = 10i128.checked_pow(u32::from(precision))?;
    (rescaled.abs() < limit).then_some(Value::Decimal {
        unscaled: rescaled,
        scale,
    })
}

fn compare_decimals(a: i128, sa: i8, b: i128, sb: i8) -> Option<Ordering> {
    let scale = sa.max(sb);
    let a = a.checked_mul(10i128.checked_pow(u32::try_from(scale - sa).ok()?)?)?;
    let b = b.checked_mul(10i128.checked_pow(u32::try_from(scale - sb).ok()?)?)?;
    Some(a.cmp(&b))
}

fn parse_literal(s: &str, ty: &ColumnType) -> Option<Value> {
    match ty {
        ColumnType::Boolean => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(Value::Boolean(true)),
            "false" | "0" => Some(Value::Boolean(false)),
            _ => None,
        },
        ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt => {
            Value::Int(s.parse().ok()?).coerce_to(ty).ok()
        }
        ColumnType::LargeInt => Some(Value::LargeInt(s.parse().ok()?)),
        ColumnType::Float | ColumnType::Double => Some(Value::Float(s.parse().ok()?)),
        ColumnType::Decimal { precision, scale } => {
            let (unscaled, from) = parse_decimal(s)?;
            decimal_checked(unscaled, from, *precision, *scale)
        }
        ColumnType::Date => parse_date(s).map(Value::Date),
        ColumnType::DateTime => parse_datetime(s).map(Value::DateTime),
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
            Some(Value::String(s.to_owned()))
        }
    }
}

fn parse_decimal(s: &str) -> Option<(i128, i8)> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let joined = format!("{int_part}{frac_part}");
    let unscaled: i128 = if joined.is_empty() {
        0
    } else {
        joined.parse().ok()?
    };
    let scale = i8::try_from(frac_part.len()).ok()?;
    Some((if negative { -unscaled } else { unscaled }, scale))
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let mut parts = s.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    i32::try_from(days_from_civil(year, month, day)).ok()
}

/// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` into microseconds since the epoch.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let days = i64::from(parse_date(date)?);
    let mut micros = days.checked_mul(MICROS_PER_DAY)?;
    if let Some(time) = time {
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut fields = hms.splitn(3, ':');
        let h: i64 = fields.next()?.parse().ok()?;
        let m: i64 = fields.next()?.parse().ok()?;
        let sec: i64 = fields.next().unwrap_or("0").parse().ok()?;
        if h > 23 || m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0 {
            return None;
        }
        if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac_micros: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse().ok()?
        };
        micros = micros.checked_add(((h * 60 + m) * 60 + sec) * 1_000_000 + frac_micros)?;
    }
    Some(micros)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats microseconds since the epoch as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
pub fn format_datetime(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let secs = rest / 1_000_000;
    let frac = rest % 1_000_000;
    let base = format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Boolean(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::LargeInt(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Decimal { unscaled, scale } => {
                let scale = usize::try_from(*scale).unwrap_or(0);
                let digits = unscaled.unsigned_abs().to_string();
                let sign = if *unscaled < 0 { "-" } else { "" };
                if scale == 0 {
                    return write!(f, "{sign}{digits}");
                }
                let padded = format!("{digits:0>width$}", width = scale + 1);
                let (int_part, frac_part) = padded.split_at(padded.len() - scale);
                write!(f, "{sign}{int_part}.{frac_part}")
            }
            Self::String(s) => write!(f, "{s}"),
            Self::Date(d) => {
                let (y, m, day) = civil_from_days(i64::from(*d));
                write!(f, "{y:04}-{m:02}-{day:02}")
            }
            Self::DateTime(t) => f.write_str(&format_datetime(*t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_text() {
        for text in ["1970-01-01", "2000-02-29", "2024-12-31", "1899-03-01"] {
            let days = parse_date(text).expect("valid date");
            assert_eq!(Value::Date(days).to_string(), text);
        }
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
    }

    #[test]
    fn datetimes_parse_with_fraction() {
        let t = parse_datetime("2024-01-02 03:04:05.5").expect("valid");
        assert_eq!(format_datetime(t), "2024-01-02 03:04:05.500000");
        assert_eq!(parse_datetime("2024-01-02 24:00:00"), None);
    }

    #[test]
    fn coercion_parses_and_range_checks() {
        let v = Value::String("12.50".into()).coerce_to(&ColumnType::Decimal {
            precision: 5,
            scale: 2,
        });
        assert_eq!(
            v.expect("fits"),
            Value::Decimal {
                unscaled: 1250,
                scale: 2
            }
        );
        assert!(Value::Int(300).coerce_to(&ColumnType::TinyInt).is_err());
        assert!(
            Value::String("abc".into())
                .coerce_to(&ColumnType::Int)
                .is_err()
        );
        assert!(
            Value::String("toolong".into())
                .coerce_to(&ColumnType::Varchar(3))
                .is_err()
        );
    }

    #[test]
    fn values_survive_json() {
        let v = Value::LargeInt(i128::MAX);
        let text = serde_json::to_string(&v).expect("serialize");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("parse"), v);
    }

    #[test]
    fn arrays_read_back_their_value() {
        for (v, ty) in [
            (Value::Int(-5), ColumnType::SmallInt),
            (Value::LargeInt(1 << 100), ColumnType::LargeInt),
            (
                Value::Decimal {
                    unscaled: -1234,
                    scale: 2,
                },
                ColumnType::Decimal {
                    precision: 9,
                    scale: 2,
                },
            ),
            (Value::Date(19_000), ColumnType::Date),
            (Value::String("x".into()), ColumnType::Varchar(4)),
        ] {
            let array = v.to_array(&ty, 3).expect("fits");
            assert_eq!(Value::from_array(array.as_ref(), 2).expect("read"), v);
        }
    }
}
