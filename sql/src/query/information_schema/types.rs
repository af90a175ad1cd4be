//! How `information_schema.COLUMNS` describes a column's type: MySQL's `DATA_TYPE`,
//! `COLUMN_TYPE`, lengths and precisions. `COLUMN_TYPE` is spelled as SHOW CREATE TABLE spells
//! it; the types of view and system-table columns, known only as Arrow types, are first mapped
//! back to the storage type that holds them.

use arrow::datatypes::DataType;
use tabvault_storage::ColumnType;

use crate::ddl::type_sql;

/// MySQL's facts about one column type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TypeFacts {
    /// `DATA_TYPE`: the lower-case type name without parameters (`int`, `decimal`).
    pub data_type: String,
    /// `COLUMN_TYPE`: the full type (`int(11)`, `decimal(10,2)`, `varchar(20)`).
    pub column_type: String,
    /// `CHARACTER_MAXIMUM_LENGTH` of `CHAR(n)`/`VARCHAR(n)`.
    pub max_length: Option<i64>,
    /// `NUMERIC_PRECISION` of numbers (digits; MySQL's values for integers and floats).
    pub precision: Option<i64>,
    /// `NUMERIC_SCALE` of exact numbers.
    pub scale: Option<i64>,
    /// `DATETIME_PRECISION` of `DATETIME` (whole seconds as StarRocks shows it).
    pub datetime_precision: Option<i64>,
    /// Whether the type holds text, and so has a character set and collation.
    pub is_text: bool,
}

/// The facts of a storage column type.
pub(crate) fn facts(ty: &ColumnType) -> TypeFacts {
    let column_type = type_sql(ty);
    let data_type = column_type.split('(').next().unwrap_or_default().to_owned();
    let (precision, scale) = match ty {
        ColumnType::TinyInt => (Some(3), Some(0)),
        ColumnType::SmallInt => (Some(5), Some(0)),
        ColumnType::Int => (Some(10), Some(0)),
        ColumnType::BigInt => (Some(19), Some(0)),
        ColumnType::LargeInt => (Some(39), Some(0)),
        ColumnType::Float => (Some(12), None),
        ColumnType::Double => (Some(22), None),
        ColumnType::Decimal { precision, scale } => {
            (Some(i64::from(*precision)), Some(i64::from(*scale)))
        }
        _ => (None, None),
    };
    let max_length = match ty {
        ColumnType::Char(n) | ColumnType::Varchar(n) => Some(i64::from(*n)),
        _ => None,
    };
    TypeFacts {
        data_type,
        column_type,
        max_length,
        precision,
        scale,
        datetime_precision: (*ty == ColumnType::DateTime).then_some(0),
        is_text: matches!(
            ty,
            ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String
        ),
    }
}

/// The facts of a column known by its Arrow type (a view's or a system table's column): as the
/// storage type that holds such values, else the Arrow type's own name with no other facts.
pub(crate) fn arrow_facts(ty: &DataType) -> TypeFacts {
    if let Some(stored) = storage_type(ty) {
        return facts(&stored);
    }
    let name = ty.to_string().to_lowercase();
    TypeFacts {
        data_type: name.clone(),
        column_type: name,
        max_length: None,
        precision: None,
        scale: None,
        datetime_precision: None,
        is_text: false,
    }
}

fn storage_type(ty: &DataType) -> Option<ColumnType> {
    Some(match ty {
        DataType::Boolean => ColumnType::Boolean,
        DataType::Int8 => ColumnType::TinyInt,
        DataType::Int16 => ColumnType::SmallInt,
        DataType::Int32 => ColumnType::Int,
        DataType::Int64 => ColumnType::BigInt,
        DataType::Float32 => ColumnType::Float,
        DataType::Float64 => ColumnType::Double,
        DataType::Decimal128(38, 0) => ColumnType::LargeInt,
        DataType::Decimal128(precision, scale) => ColumnType::Decimal {
            precision: *precision,
            scale: *scale,
        },
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => ColumnType::String,
        DataType::Date32 => ColumnType::Date,
        DataType::Timestamp(..) => ColumnType::DateTime,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_spelled_as_mysql_clients_expect() {
        let int = facts(&ColumnType::Int);
        assert_eq!(
            (int.data_type.as_str(), int.column_type.as_str()),
            ("int", "int(11)")
        );
        let dec = facts(&ColumnType::Decimal {
            precision: 10,
            scale: 2,
        });
        assert_eq!(dec.column_type, "decimal(10,2)");
        assert_eq!((dec.precision, dec.scale), (Some(10), Some(2)));
        let text = facts(&ColumnType::Varchar(20));
        assert_eq!(
            (text.data_type.as_str(), text.max_length, text.is_text),
            ("varchar", Some(20), true)
        );
        assert_eq!(arrow_facts(&DataType::Int64).column_type, "bigint(20)");
        assert_eq!(arrow_facts(&DataType::UInt8).data_type, "uint8");
    }
}
