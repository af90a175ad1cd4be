//! Arrow record batches as MySQL binary-protocol rows, the answer to `COM_STMT_EXECUTE`: each
//! value as the Rust type opensrv encodes for the MySQL type [`column_of`](crate::columns) gives
//! the column (integers at their width and signedness, `FLOAT`/`DOUBLE`, `DATE`/`DATETIME`/`TIME`
//! as binary dates and times), decimals and strings as text, binary columns as bytes.

use std::io;
use std::time::Duration;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimeUnit, TimestampMicrosecondType, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow::error::ArrowError;
use arrow::util::display::ArrayFormatter;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use opensrv_mysql::RowWriter;
use tokio::io::AsyncWrite;

use crate::rows::{options, to_mysql_precision};

/// One non-NULL value of a binary row.
#[derive(Debug, PartialEq)]
pub(crate) enum BinValue {
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Text(String),
    Bytes(Vec<u8>),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Time(Duration),
}

impl BinValue {
    /// Writes the value as the next column of the row.
    fn write<W: AsyncWrite + Unpin>(self, rows: &mut RowWriter<'_, W>) -> io::Result<()> {
        match self {
            Self::I8(v) => rows.write_col(v),
            Self::I16(v) => rows.write_col(v),
            Self::I32(v) => rows.write_col(v),
            Self::I64(v) => rows.write_col(v),
            Self::U8(v) => rows.write_col(v),
            Self::U16(v) => rows.write_col(v),
            Self::U32(v) => rows.write_col(v),
            Self::U64(v) => rows.write_col(v),
            Self::F32(v) => rows.write_col(v),
            Self::F64(v) => rows.write_col(v),
            Self::Text(v) => rows.write_col(v),
            Self::Bytes(v) => rows.write_col(v),
            Self::Date(v) => rows.write_col(v),
            Self::DateTime(v) => rows.write_col(v),
            Self::Time(v) => rows.write_col(v),
        }
    }
}

/// A binary row; `None` is NULL.
pub(crate) type BinRow = Vec<Option<BinValue>>;

/// Writes `row` (one value per column) and ends it.
pub(crate) async fn write_row<W: AsyncWrite + Unpin>(
    rows: &mut RowWriter<'_, W>,
    row: BinRow,
) -> io::Result<()> {
    for cell in row {
        match cell {
            None => rows.write_col(None::<i64>)?,
            Some(value) => value.write(rows)?,
        }
    }
    rows.end_row().await
}

/// The binary rows of `batch`.
pub(crate) fn binary_rows(batch: &RecordBatch) -> Result<Vec<BinRow>, ArrowError> {
    let arrays: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(normalized)
        .collect::<Result<_, _>>()?;
    let options = options();
    let formatters: Vec<ArrayFormatter<'_>> = arrays
        .iter()
        .map(|array| ArrayFormatter::try_new(array.as_ref(), &options))
        .collect::<Result<_, _>>()?;
    (0..batch.num_rows())
        .map(|row| {
            arrays
                .iter()
                .zip(&formatters)
                .map(|(array, formatter)| {
                    if array.is_null(row) {
                        return Ok(None);
                    }
                    value(array.as_ref(), formatter, row).map(Some)
                })
                .collect()
        })
        .collect()
}

/// `array` with MySQL's precision and dictionaries decoded, so its type is the column's.
fn normalized(array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let array = to_mysql_precision(array)?;
    match array.data_type() {
        DataType::Dictionary(_, value) => cast(&array, value),
        _ => Ok(array),
    }
}

/// The non-NULL value at `row`.
fn value(array: &dyn Array, text: &ArrayFormatter<'_>, row: usize) -> Result<BinValue, ArrowError> {
    let out_of_range = || ArrowError::CastError(format!("value at row {row} is out of range"));
    Ok(match array.data_type() {
        DataType::Boolean => BinValue::I8(i8::from(array.as_boolean().value(row))),
        DataType::Int8 => BinValue::I8(array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => BinValue::I16(array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => BinValue::I32(array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => BinValue::I64(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => BinValue::U8(array.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => BinValue::U16(array.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => BinValue::U32(array.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => BinValue::U64(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float16 => BinValue::F32(array.as_primitive::<Float16Type>().value(row).into()),
        DataType::Float32 => BinValue::F32(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => BinValue::F64(array.as_primitive::<Float64Type>().value(row)),
        DataType::Date32 => BinValue::Date(
            array
                .as_primitive::<Date32Type>()
                .value_as_date(row)
                .ok_or_else(out_of_range)?,
        ),
        DataType::Date64 => BinValue::Date(
            array
                .as_primitive::<Date64Type>()
                .value_as_date(row)
                .ok_or_else(out_of_range)?,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => BinValue::DateTime(
            array
                .as_primitive::<TimestampMicrosecondType>()
                .value_as_datetime(row)
                .ok_or_else(out_of_range)?,
        ),
        DataType::Timestamp(_, tz) => {
            let micros = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            )?;
            return value(micros.as_ref(), text, 0);
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            BinValue::Time(time_of_day(time(array, row).ok_or_else(out_of_range)?))
        }
        DataType::Binary => BinValue::Bytes(array.as_binary::<i32>().value(row).to_vec()),
        DataType::LargeBinary => BinValue::Bytes(array.as_binary::<i64>().value(row).to_vec()),
        DataType::BinaryView => BinValue::Bytes(array.as_binary_view().value(row).to_vec()),
        DataType::FixedSizeBinary(_) => {
            BinValue::Bytes(array.as_fixed_size_binary().value(row).to_vec())
        }
        _ => BinValue::Text(text.value(row).try_to_string()?),
    })
}

/// The time of day at `row` of a `Time32`/`Time64` array.
fn time(array: &dyn Array, row: usize) -> Option<NaiveTime> {
    match array.data_type() {
        DataType::Time32(TimeUnit::Second) => {
            array.as_primitive::<Time32SecondType>().value_as_time(row)
        }
        DataType::Time32(_) => array
            .as_primitive::<Time32MillisecondType>()
            .value_as_time(row),
        DataType::Time64(TimeUnit::Microsecond) => array
            .as_primitive::<Time64MicrosecondType>()
            .value_as_time(row),
        _ => array
            .as_primitive::<Time64NanosecondType>()
            .value_as_time(row),
    }
}

/// A time of day as the duration since midnight, which opensrv sends as `TIME`.
fn time_of_day(time: NaiveTime) -> Duration {
    Duration::new(
        u64::from(time.num_seconds_from_midnight()),
        time.nanosecond() % 1_000_000_000,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, StringViewArray,
        TimestampNanosecondArray, UInt64Array,
    };

    use super::*;

    #[test]
    fn values_keep_their_mysql_types() {
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("i", Arc::new(Int32Array::from(vec![Some(-7), None]))),
            (
                "u",
                Arc::new(UInt64Array::from(vec![Some(u64::MAX), Some(0)])),
            ),
            ("f", Arc::new(Float64Array::from(vec![Some(2.5), None]))),
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
                "ns",
                Arc::new(TimestampNanosecondArray::from(vec![
                    Some(1_704_164_645_123_456_789),
                    None,
                ])),
            ),
            ("b", Arc::new(BooleanArray::from(vec![Some(true), None]))),
            ("s", Arc::new(StringViewArray::from(vec![Some("x"), None]))),
        ];
        let batch = RecordBatch::try_from_iter(columns).expect("batch");
        let rows = binary_rows(&batch).expect("rows");
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let at = NaiveDate::from_ymd_opt(2024, 1, 2)
            .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 123_456))
            .expect("datetime");
        assert_eq!(
            rows[0],
            vec![
                Some(BinValue::I32(-7)),
                Some(BinValue::U64(u64::MAX)),
                Some(BinValue::F64(2.5)),
                Some(BinValue::Text("123.45".into())),
                Some(BinValue::Date(day)),
                Some(BinValue::DateTime(at)),
                Some(BinValue::I8(1)),
                Some(BinValue::Text("x".into())),
            ]
        );
        assert_eq!(
            rows[1],
            vec![
                None,
                Some(BinValue::U64(0)),
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
    }
}
