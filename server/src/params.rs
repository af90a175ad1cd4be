//! The values a client binds in `COM_STMT_EXECUTE`, as typed values for the SQL layer: integers,
//! doubles, decimals, strings, blobs, dates, datetimes and NULLs each become the matching Arrow
//! scalar. Malformed parameter data is an error for the client, never a panic.

use chrono::{NaiveDate, NaiveDateTime};
use opensrv_mysql::{ColumnType, ParamParser, ParamValue, ValueInner};
use tabvault_sql::ScalarValue;

/// Most digits an Arrow `Decimal128` holds.
const MAX_DECIMAL_DIGITS: usize = 38;

/// The values of `params`, in order.
pub(crate) fn values_of(params: ParamParser<'_>) -> Result<Vec<ScalarValue>, String> {
    // The decoder stops early on malformed client data (a packet shorter than the parameters it
    // announces, an unknown type byte, no types bound): fewer values than parameters.
    let expected = usize::from(params.count());
    let values = params
        .into_iter()
        .map(|p| scalar_of(&p))
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() == expected {
        Ok(values)
    } else {
        Err("malformed parameters in COM_STMT_EXECUTE".into())
    }
}

/// One parameter as a typed value.
fn scalar_of(param: &ParamValue<'_>) -> Result<ScalarValue, String> {
    Ok(match param.value.into_inner() {
        ValueInner::NULL => ScalarValue::Null,
        ValueInner::Int(v) => ScalarValue::Int64(Some(v)),
        ValueInner::UInt(v) => ScalarValue::UInt64(Some(v)),
        ValueInner::Double(v) => ScalarValue::Float64(Some(v)),
        ValueInner::Bytes(bytes) => bytes_of(param.coltype, bytes)?,
        ValueInner::Date(bytes) => {
            let date = datetime_of(bytes)?.date();
            let days = (date - chrono::DateTime::UNIX_EPOCH.date_naive()).num_days();
            ScalarValue::Date32(Some(days.try_into().map_err(|_| bad_date())?))
        }
        ValueInner::Datetime(bytes) => ScalarValue::TimestampMicrosecond(
            Some(datetime_of(bytes)?.and_utc().timestamp_micros()),
            None,
        ),
        ValueInner::Time(_) => return Err("TIME parameters are not supported".into()),
    })
}

/// A string, decimal or blob parameter.
fn bytes_of(coltype: ColumnType, bytes: &[u8]) -> Result<ScalarValue, String> {
    match coltype {
        ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL => {
            let text = std::str::from_utf8(bytes).map_err(|_| bad_decimal(bytes))?;
            decimal_of(text).ok_or_else(|| bad_decimal(bytes))
        }
        ColumnType::MYSQL_TYPE_BLOB
        | ColumnType::MYSQL_TYPE_TINY_BLOB
        | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
        | ColumnType::MYSQL_TYPE_LONG_BLOB
        | ColumnType::MYSQL_TYPE_GEOMETRY
        | ColumnType::MYSQL_TYPE_BIT => Ok(ScalarValue::Binary(Some(bytes.to_vec()))),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(ScalarValue::Utf8(Some(text.to_owned()))),
            Err(_) => Ok(ScalarValue::Binary(Some(bytes.to_vec()))),
        },
    }
}

/// A decimal string (`-12.50`) as a `Decimal128` with the precision and scale it is written with.
fn decimal_of(text: &str) -> Option<ScalarValue> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all = format!("{whole}{fraction}");
    if all.is_empty() || !all.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = all.trim_start_matches('0');
    let precision = significant.len().max(fraction.len()).max(1);
    if precision > MAX_DECIMAL_DIGITS {
        return None;
    }
    let magnitude: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    Some(ScalarValue::Decimal128(
        Some(value),
        u8::try_from(precision).ok()?,
        i8::try_from(fraction.len()).ok()?,
    ))
}

/// A binary `DATE`/`DATETIME`: length 0, 4 (date), 7 (and time) or 11 (and microseconds).
fn datetime_of(bytes: &[u8]) -> Result<NaiveDateTime, String> {
    let at = |i: usize| u32::from(bytes.get(i).copied().unwrap_or(0));
    let (year, micros) = match bytes.len() {
        4 | 7 => (u32::from(u16::from_le_bytes([bytes[0], bytes[1]])), 0),
        11 => (
            u32::from(u16::from_le_bytes([bytes[0], bytes[1]])),
            u32::from_le_bytes([bytes[7], bytes[8], bytes[9], bytes[10]]),
        ),
        _ => return Err(bad_date()),
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| bad_date())?, at(2), at(3))
        .and_then(|d| d.and_hms_micro_opt(at(4), at(5), at(6), micros))
        .ok_or_else(bad_date)
}

fn bad_date() -> String {
    "a DATE or DATETIME parameter is not a valid date".into()
}

fn bad_decimal(bytes: &[u8]) -> String {
    format!(
        "Incorrect DECIMAL parameter '{}'",
        String::from_utf8_lossy(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_digits() {
        assert_eq!(
            decimal_of("-12.50"),
            Some(ScalarValue::Decimal128(Some(-1250), 4, 2))
        );
        assert_eq!(
            decimal_of("0.001"),
            Some(ScalarValue::Decimal128(Some(1), 3, 3))
        );
        assert_eq!(
            decimal_of("7"),
            Some(ScalarValue::Decimal128(Some(7), 1, 0))
        );
        for bad in ["", ".", "1e5", "1.2.3", "abc", &"9".repeat(39)] {
            assert_eq!(decimal_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn binary_dates_and_datetimes() {
        let day = datetime_of(&[0xe8, 0x07, 1, 2]).expect("date");
        assert_eq!(day.to_string(), "2024-01-02 00:00:00");
        let at = datetime_of(&[0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0]).expect("datetime");
        assert_eq!(at.to_string(), "2024-01-02 03:04:05.123456");
        for bad in [&[][..], &[0xe8, 0x07, 13, 1], &[1, 2, 3]] {
            assert!(datetime_of(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strings_and_blobs() {
        assert_eq!(
            bytes_of(ColumnType::MYSQL_TYPE_VAR_STRING, b"x?").expect("string"),
            ScalarValue::Utf8(Some("x?".into()))
        );
        assert_eq!(
            bytes_of(ColumnType::MYSQL_TYPE_BLOB, b"x").expect("blob"),
            ScalarValue::Binary(Some(b"x".to_vec()))
        );
        assert!(bytes_of(ColumnType::MYSQL_TYPE_NEWDECIMAL, b"x").is_err());
    }
}
