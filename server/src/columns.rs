//! MySQL column definitions for Arrow fields.

use arrow::datatypes::{DataType, Field};
use opensrv_mysql::{Column, ColumnFlags, ColumnType};

/// The MySQL column describing `field`.
pub(crate) fn column_of(field: &Field) -> Column {
    let (coltype, mut colflags) = type_of(field.data_type());
    if !field.is_nullable() {
        colflags |= ColumnFlags::NOT_NULL_FLAG;
    }
    Column {
        table: String::new(),
        column: field.name().clone(),
        coltype,
        colflags,
    }
}

fn type_of(data_type: &DataType) -> (ColumnType, ColumnFlags) {
    let none = ColumnFlags::empty();
    let unsigned = ColumnFlags::UNSIGNED_FLAG;
    match data_type {
        DataType::Null => (ColumnType::MYSQL_TYPE_NULL, none),
        DataType::Boolean | DataType::Int8 => (ColumnType::MYSQL_TYPE_TINY, none),
        DataType::UInt8 => (ColumnType::MYSQL_TYPE_TINY, unsigned),
        DataType::Int16 => (ColumnType::MYSQL_TYPE_SHORT, none),
        DataType::UInt16 => (ColumnType::MYSQL_TYPE_SHORT, unsigned),
        DataType::Int32 => (ColumnType::MYSQL_TYPE_LONG, none),
        DataType::UInt32 => (ColumnType::MYSQL_TYPE_LONG, unsigned),
        DataType::Int64 => (ColumnType::MYSQL_TYPE_LONGLONG, none),
        DataType::UInt64 => (ColumnType::MYSQL_TYPE_LONGLONG, unsigned),
        DataType::Float16 | DataType::Float32 => (ColumnType::MYSQL_TYPE_FLOAT, none),
        DataType::Float64 => (ColumnType::MYSQL_TYPE_DOUBLE, none),
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => (ColumnType::MYSQL_TYPE_NEWDECIMAL, none),
        DataType::Date32 | DataType::Date64 => (ColumnType::MYSQL_TYPE_DATE, none),
        DataType::Timestamp(..) => (ColumnType::MYSQL_TYPE_DATETIME, none),
        DataType::Time32(_) | DataType::Time64(_) => (ColumnType::MYSQL_TYPE_TIME, none),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => (ColumnType::MYSQL_TYPE_BLOB, ColumnFlags::BINARY_FLAG),
        DataType::Dictionary(_, value) => type_of(value),
        _ => (ColumnType::MYSQL_TYPE_VAR_STRING, none),
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::TimeUnit;

    use super::*;

    #[test]
    fn arrow_types_map_to_mysql_types() {
        let cases = [
            (DataType::Int32, ColumnType::MYSQL_TYPE_LONG),
            (DataType::Int64, ColumnType::MYSQL_TYPE_LONGLONG),
            (
                DataType::Decimal128(10, 2),
                ColumnType::MYSQL_TYPE_NEWDECIMAL,
            ),
            (DataType::Float64, ColumnType::MYSQL_TYPE_DOUBLE),
            (DataType::Date32, ColumnType::MYSQL_TYPE_DATE),
            (
                DataType::Timestamp(TimeUnit::Microsecond, None),
                ColumnType::MYSQL_TYPE_DATETIME,
            ),
            (DataType::Utf8, ColumnType::MYSQL_TYPE_VAR_STRING),
        ];
        for (arrow, mysql) in cases {
            let column = column_of(&Field::new("c", arrow.clone(), true));
            assert_eq!(column.coltype, mysql, "{arrow}");
            assert!(!column.colflags.contains(ColumnFlags::NOT_NULL_FLAG));
        }
        let column = column_of(&Field::new("u", DataType::UInt64, false));
        assert!(column.colflags.contains(ColumnFlags::UNSIGNED_FLAG));
        assert!(column.colflags.contains(ColumnFlags::NOT_NULL_FLAG));
    }
}
