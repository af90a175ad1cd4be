//! SQL column types (StarRocks' names) and the one Arrow type each maps to.

use std::fmt;

use arrow::datatypes::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};

/// Largest DECIMAL precision: what fits an Arrow `Decimal128`.
pub const DECIMAL_PRECISION_MAX: u8 = 38;

/// A column type as a user declares it. Each maps to exactly one Arrow type ([`ColumnType::arrow_type`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnType {
    /// `BOOLEAN` → `Boolean`.
    #[serde(rename = "Boolean")]
    Boolean,
    /// `TINYINT` → `Int8`.
    #[serde(rename = "TinyInt")]
    TinyInt,
    /// `SMALLINT` → `Int16`.
    #[serde(rename = "SmallInt")]
    SmallInt,
    /// `INT` → `Int32`.
    #[serde(rename = "Int")]
    Int,
    /// `BIGINT` → `Int64`.
    #[serde(rename = "BigInt")]
    BigInt,
    /// `LARGEINT` (128-bit) → `Decimal128(38, 0)`, Arrow having no 128-bit integer.
    #[serde(rename = "LargeInt")]
    LargeInt,
    /// `FLOAT` → `Float32`.
    #[serde(rename = "Float")]
    Float,
    /// `DOUBLE` → `Float64`.
    #[serde(rename = "Double")]
    Double,
    /// `DECIMAL(p, s)` → `Decimal128(p, s)`.
    #[serde(rename = "Decimal")]
    Decimal {
        /// Total digits, 1..=38.
        #[serde(rename = "precision")]
        precision: u8,
        /// Digits after the point, 0..=precision.
        #[serde(rename = "scale")]
        scale: i8,
    },
    /// `CHAR(n)` → `Utf8`, at most `n` bytes.
    #[serde(rename = "Char")]
    Char(u32),
    /// `VARCHAR(n)` → `Utf8`, at most `n` bytes.
    #[serde(rename = "Varchar")]
    Varchar(u32),
    /// `STRING` → `Utf8`.
    #[serde(rename = "String")]
    String,
    /// `DATE` → `Date32` (days since 1970-01-01).
    #[serde(rename = "Date")]
    Date,
    /// `DATETIME` → `Timestamp(Microsecond, None)`.
    #[serde(rename = "DateTime")]
    DateTime,
}

impl ColumnType {
    /// The Arrow type that stores values of this column.
    pub fn arrow_type(&self) -> DataType {
        match self {
            Self::Boolean => DataType::Boolean,
            Self::TinyInt => DataType::Int8,
            Self::SmallInt => DataType::Int16,
            Self::Int => DataType::Int32,
            Self::BigInt => DataType::Int64,
            Self::LargeInt => DataType::Decimal128(DECIMAL_PRECISION_MAX, 0),
            Self::Float => DataType::Float32,
            Self::Double => DataType::Float64,
            Self::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale),
            Self::Char(_) | Self::Varchar(_) | Self::String => DataType::Utf8,
            Self::Date => DataType::Date32,
            Self::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// Checks parameters: DECIMAL precision and scale, CHAR/VARCHAR lengths.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Decimal { precision, scale } => {
                if *precision == 0 || *precision > DECIMAL_PRECISION_MAX {
                    return Err(StorageError::InvalidDefinition(format!(
                        "DECIMAL precision must be between 1 and {DECIMAL_PRECISION_MAX}, got {precision}"
                    )));
                }
                if *scale < 0 || *scale as u8 > *precision {
                    return Err(StorageError::InvalidDefinition(format!(
                        "DECIMAL scale must be between 0 and the precision {precision}, got {scale}"
                    )));
                }
                Ok(())
            }
            Self::Char(0) | Self::Varchar(0) => Err(StorageError::InvalidDefinition(
                "CHAR/VARCHAR length must be at least 1".into(),
            )),
            Self::Char(n) if *n > 255 => Err(StorageError::InvalidDefinition(format!(
                "CHAR length must be at most 255, got {n}"
            ))),
            _ => Ok(()),
        }
    }

    /// The byte-length limit of string columns, if any.
    pub fn max_len_bytes(&self) -> Option<usize> {
        match self {
            Self::Char(n) | Self::Varchar(n) => Some(*n as usize),
            _ => None,
        }
    }

    /// True for the types whose values order like integers (ranges can be routed on `i64`).
    pub fn is_integer_like(&self) -> bool {
        matches!(
            self,
            Self::TinyInt | Self::SmallInt | Self::Int | Self::BigInt | Self::Date | Self::DateTime
        )
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean => f.write_str("BOOLEAN"),
            Self::TinyInt => f.write_str("TINYINT"),
            Self::SmallInt => f.write_str("SMALLINT"),
            Self::Int => f.write_str("INT"),
            Self::BigInt => f.write_str("BIGINT"),
            Self::LargeInt => f.write_str("LARGEINT"),
            Self::Float => f.write_str("FLOAT"),
            Self::Double => f.write_str("DOUBLE"),
            Self::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            Self::Char(n) => write!(f, "CHAR({n})"),
            Self::Varchar(n) => write!(f, "VARCHAR({n})"),
            Self::String => f.write_str("STRING"),
            Self::Date => f.write_str("DATE"),
            Self::DateTime => f.write_str("DATETIME"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parameters_are_checked() {
        assert!(
            ColumnType::Decimal {
                precision: 10,
                scale: 2
            }
            .validate()
            .is_ok()
        );
        assert!(
            ColumnType::Decimal {
                precision: 39,
                scale: 2
            }
            .validate()
            .is_err()
        );
        assert!(
            ColumnType::Decimal {
                precision: 4,
                scale: 5
            }
            .validate()
            .is_err()
        );
        assert!(ColumnType::Varchar(0).validate().is_err());
    }

    #[test]
    fn display_uses_sql_names() {
        assert_eq!(
            ColumnType::Decimal {
                precision: 9,
                scale: 3
            }
            .to_string(),
            "DECIMAL(9, 3)"
        );
        assert_eq!(
            ColumnType::LargeInt.arrow_type(),
            DataType::Decimal128(38, 0)
        );
    }
}
