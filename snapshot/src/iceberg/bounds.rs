//! Single-value binary serialisation (Iceberg spec, Appendix D) of the min/max statistics a
//! rowset records, for a data file's `lower_bounds` / `upper_bounds`.
//!
//! int and date: 4-byte little-endian; long and timestamp: 8-byte little-endian; boolean: one
//! byte; string: UTF-8 bytes without length; decimal: the unscaled value in two's-complement
//! big-endian using the fewest bytes. FLOAT and DOUBLE get no bounds (tabvault records none, and
//! Iceberg's ordering of NaN and -0.0 would need care).

use tabvault_storage::{ColumnType, Value};

/// The Appendix D bytes of `value` as a bound of a column of type `ty`: `Ok(None)` when no bound
/// is written (NULL, FLOAT, DOUBLE), `Err` naming the mismatch when the statistic does not have
/// the column's type (a manifest another tool wrote, or a bug): a wrong bound would make readers
/// skip files that hold matching rows.
pub(crate) fn single_value(ty: &ColumnType, value: &Value) -> Result<Option<Vec<u8>>, String> {
    let bytes = match (ty, value) {
        (_, Value::Null) | (ColumnType::Float | ColumnType::Double, _) => return Ok(None),
        (ColumnType::Boolean, Value::Boolean(b)) => vec![u8::from(*b)],
        (ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int, Value::Int(i)) => {
            i32::try_from(*i)
                .map_err(|_| format!("{i} does not fit the column's type {ty}"))?
                .to_le_bytes()
                .to_vec()
        }
        (ColumnType::BigInt, Value::Int(i)) => i.to_le_bytes().to_vec(),
        (ColumnType::LargeInt, Value::LargeInt(i)) => minimal_be(*i),
        (
            ColumnType::Decimal { scale, .. },
            Value::Decimal {
                unscaled,
                scale: value_scale,
            },
        ) if scale == value_scale => minimal_be(*unscaled),
        (ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String, Value::String(s)) => {
            s.as_bytes().to_vec()
        }
        (ColumnType::Date, Value::Date(d)) => d.to_le_bytes().to_vec(),
        (ColumnType::DateTime, Value::DateTime(us)) => us.to_le_bytes().to_vec(),
        _ => return Err(format!("statistic {value:?} is not a value of type {ty}")),
    };
    Ok(Some(bytes))
}

/// Two's-complement big-endian bytes of `v`, dropping leading bytes that only repeat the sign.
fn minimal_be(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while let (Some(&byte), Some(&next)) = (bytes.get(start), bytes.get(start + 1)) {
        let redundant = (byte == 0x00 && next & 0x80 == 0) || (byte == 0xFF && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes.get(start..).unwrap_or(&bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(ty: ColumnType, value: Value) -> Option<Vec<u8>> {
        single_value(&ty, &value).expect("matching type")
    }

    #[test]
    fn appendix_d_encodings() {
        assert_eq!(
            bytes(ColumnType::Boolean, Value::Boolean(true)),
            Some(vec![1])
        );
        assert_eq!(
            bytes(ColumnType::TinyInt, Value::Int(-2)),
            Some(vec![0xFE, 0xFF, 0xFF, 0xFF])
        );
        assert_eq!(
            bytes(ColumnType::Int, Value::Int(258)),
            Some(vec![2, 1, 0, 0])
        );
        assert_eq!(
            bytes(ColumnType::BigInt, Value::Int(1)),
            Some(vec![1, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            bytes(ColumnType::Date, Value::Date(19_000)),
            Some(19_000i32.to_le_bytes().to_vec())
        );
        assert_eq!(
            bytes(ColumnType::DateTime, Value::DateTime(-1)),
            Some(vec![0xFF; 8])
        );
        assert_eq!(
            bytes(ColumnType::Varchar(8), Value::String("é".into())),
            Some(vec![0xC3, 0xA9])
        );
        assert_eq!(bytes(ColumnType::Double, Value::Float(1.0)), None);
        assert_eq!(bytes(ColumnType::Int, Value::Null), None);
    }

    #[test]
    fn decimals_use_the_fewest_twos_complement_bytes() {
        let dec = |unscaled| Value::Decimal { unscaled, scale: 2 };
        let ty = ColumnType::Decimal {
            precision: 20,
            scale: 2,
        };
        assert_eq!(bytes(ty.clone(), dec(0)), Some(vec![0x00]));
        assert_eq!(bytes(ty.clone(), dec(127)), Some(vec![0x7F]));
        assert_eq!(bytes(ty.clone(), dec(128)), Some(vec![0x00, 0x80]));
        assert_eq!(bytes(ty.clone(), dec(-1)), Some(vec![0xFF]));
        assert_eq!(bytes(ty.clone(), dec(-129)), Some(vec![0xFF, 0x7F]));
        assert_eq!(bytes(ty, dec(1234)), Some(vec![0x04, 0xD2]));
        assert_eq!(
            bytes(ColumnType::LargeInt, Value::LargeInt(i128::MIN)),
            Some(i128::MIN.to_be_bytes().to_vec())
        );
    }

    #[test]
    fn mismatched_statistics_are_refused() {
        assert!(single_value(&ColumnType::Int, &Value::String("1".into())).is_err());
        assert!(single_value(&ColumnType::SmallInt, &Value::Int(i64::MAX)).is_err());
        let three = ColumnType::Decimal {
            precision: 9,
            scale: 3,
        };
        assert!(
            single_value(
                &three,
                &Value::Decimal {
                    unscaled: 1,
                    scale: 2
                }
            )
            .is_err()
        );
    }
}
