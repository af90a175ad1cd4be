//! Arrow record batches as MySQL text-protocol rows: each value as MySQL prints it (`DATETIME` as
//! `YYYY-MM-DD HH:MM:SS[.ffffff]`, booleans as 1/0), NULL as NULL.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// A row of cells; `None` is NULL.
pub(crate) type Row = Vec<Option<Cell>>;

/// One non-NULL value, as the text protocol sends it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// Text (numbers, dates, strings).
    Text(String),
    /// Raw bytes (binary columns).
    Bytes(Vec<u8>),
}

/// How the text protocol prints values (binary rows print decimals and strings the same way).
pub(crate) fn options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_null("")
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_date_format(Some("%Y-%m-%d"))
}

/// MySQL's `DATETIME` has at most microseconds: finer timestamps are truncated to them.
pub(crate) fn to_mysql_precision(array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => cast(
            array,
            &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
        ),
        _ => Ok(array.clone()),
    }
}

/// The rows of `batch`.
pub(crate) fn rows_of(batch: &RecordBatch) -> Result<Vec<Row>, ArrowError> {
    let options = options();
    let arrays: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(to_mysql_precision)
        .collect::<Result<_, _>>()?;
    let columns: Vec<Column<'_>> = arrays
        .iter()
        .map(|array| Column::new(array.as_ref(), &options))
        .collect::<Result<_, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| columns.iter().map(|c| c.cell(row)).collect())
        .collect())
}

enum Column<'a> {
    Bool(&'a arrow::array::BooleanArray),
    Binary(&'a dyn Array),
    Other(&'a dyn Array, ArrayFormatter<'a>),
}

impl<'a> Column<'a> {
    fn new(array: &'a dyn Array, options: &'a FormatOptions<'a>) -> Result<Self, ArrowError> {
        Ok(match array.data_type() {
            DataType::Boolean => Self::Bool(array.as_boolean()),
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Self::Binary(array),
            _ => Self::Other(array, ArrayFormatter::try_new(array, options)?),
        })
    }

    fn cell(&self, row: usize) -> Option<Cell> {
        match self {
            Self::Bool(array) => array
                .is_valid(row)
                .then(|| Cell::Text(if array.value(row) { "1" } else { "0" }.into())),
            Self::Binary(array) => array
                .is_valid(row)
                .then(|| Cell::Bytes(binary(*array, row))),
            Self::Other(array, formatter) => array
                .is_valid(row)
                .then(|| Cell::Text(formatter.value(row).to_string())),
        }
    }
}

fn binary(array: &dyn Array, row: usize) -> Vec<u8> {
    match array.data_type() {
        DataType::Binary => array.as_binary::<i32>().value(row).to_vec(),
        DataType::LargeBinary => array.as_binary::<i64>().value(row).to_vec(),
        _ => array.as_binary_view().value(row).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BooleanArray, Date32Array, Decimal128Array, Int32Array, StringArray,
        TimestampMicrosecondArray, TimestampNanosecondArray,
    };

    use super::*;

    fn text(s: &str) -> Option<Cell> {
        Some(Cell::Text(s.into()))
    }

    #[test]
    fn values_print_as_mysql_prints_them() {
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("i", Arc::new(Int32Array::from(vec![Some(-7), None]))),
            (
                "d",
                Arc::new(
                    Decimal128Array::from(vec![Some(12345), None])
                        .with_precision_and_scale(10, 2)
                        .expect("decimal"),
                ),
            ),
            ("day", Arc::new(Date32Array::from(vec![Some(19723), None]))),
            (
                "ts",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(1_704_164_645_000_000),
                    Some(1_704_164_645_250_000),
                ])),
            ),
            (
                "ns",
                Arc::new(TimestampNanosecondArray::from(vec![
                    Some(1_704_164_645_123_456_789),
                    None,
                ])),
            ),
            (
                "b",
                Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
            ),
            ("s", Arc::new(StringArray::from(vec![Some("x"), None]))),
        ];
        let batch = RecordBatch::try_from_iter(columns).expect("batch");
        let rows = rows_of(&batch).expect("rows");
        assert_eq!(
            rows[0],
            vec![
                text("-7"),
                text("123.45"),
                text("2024-01-01"),
                text("2024-01-02 03:04:05"),
                text("2024-01-02 03:04:05.123456"),
                text("1"),
                text("x")
            ]
        );
        assert_eq!(
            rows[1],
            vec![
                None,
                None,
                None,
                text("2024-01-02 03:04:05.250"),
                None,
                text("0"),
                None
            ]
        );
    }
}
