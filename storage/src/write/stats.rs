//! Per-column min/max/NULL-count statistics of a written file. NULLs are counted as batches pass
//! by (Arrow keeps the count); the bounds are read back from the statistics the Parquet writer
//! computes for each row group anyway, so no value is compared twice.

use arrow::array::{Array, AsArray};
use arrow::compute::{max, max_boolean, max_string, min, min_boolean, min_string};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type, Schema,
    TimestampMicrosecondType,
};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::file::metadata::RowGroupMetaData;

use crate::catalog::ColumnStats;
use crate::error::Result;
use crate::value::Value;

/// Strings longer than this are not recorded as bounds (they would bloat the metadata log). The
/// rowset writer has Parquet cut longer statistics to this length, which marks them inexact, and
/// [`row_group_bounds`] refuses inexact bounds.
pub(crate) const STRING_BOUND_LEN_MAX: usize = 64;

/// The statistics of a file of `schema` whose row groups are `row_groups`, with `null_counts`
/// NULLs per column (in `schema`'s order).
pub(crate) fn file_stats(
    schema: &Schema,
    row_groups: &[RowGroupMetaData],
    null_counts: &[u64],
) -> Result<Vec<ColumnStats>> {
    schema
        .fields()
        .iter()
        .zip(null_counts)
        .map(|(field, &null_count)| {
            let (min, max) = match row_groups.first() {
                None => (None, None),
                Some(first) => {
                    let converter =
                        StatisticsConverter::try_new(field.name(), schema, first.schema_descr())?;
                    row_group_bounds(&converter, row_groups)?
                }
            };
            Ok(ColumnStats {
                name: field.name().clone(),
                min,
                max,
                null_count,
            })
        })
        .collect()
}

/// The smallest and largest value of a column over `row_groups`, or none when a row group holding
/// values lacks an exact bound: bounds of the other row groups alone would be wrong.
fn row_group_bounds(
    converter: &StatisticsConverter<'_>,
    row_groups: &[RowGroupMetaData],
) -> Result<(Option<Value>, Option<Value>)> {
    let mins = converter.row_group_mins(row_groups)?;
    let maxes = converter.row_group_maxes(row_groups)?;
    let min_exact = converter.row_group_is_min_value_exact(row_groups)?;
    let max_exact = converter.row_group_is_max_value_exact(row_groups)?;
    let nulls = converter.row_group_null_counts(row_groups)?;
    for (index, group) in row_groups.iter().enumerate() {
        let all_null = nulls.is_valid(index)
            && i64::try_from(nulls.value(index)).is_ok_and(|n| n == group.num_rows());
        let exact =
            |flags: &arrow::array::BooleanArray| flags.is_valid(index) && flags.value(index);
        let bounded =
            mins.is_valid(index) && maxes.is_valid(index) && exact(&min_exact) && exact(&max_exact);
        if !all_null && !bounded {
            return Ok((None, None));
        }
    }
    let (lo, _) = min_max(mins.as_ref());
    let (_, hi) = min_max(maxes.as_ref());
    Ok(if lo.is_some() && hi.is_some() {
        (lo, hi)
    } else {
        (None, None)
    })
}

/// The smallest and largest non-NULL value of `array`, for the types whose bounds are recorded.
fn min_max(array: &dyn Array) -> (Option<Value>, Option<Value>) {
    macro_rules! prim {
        ($t:ty, $wrap:expr) => {{
            let a = array.as_primitive::<$t>();
            (min(a).map($wrap), max(a).map($wrap))
        }};
    }
    match array.data_type() {
        DataType::Boolean => {
            let a = array.as_boolean();
            (
                min_boolean(a).map(Value::Boolean),
                max_boolean(a).map(Value::Boolean),
            )
        }
        DataType::Int8 => prim!(Int8Type, |v| Value::Int(v.into())),
        DataType::Int16 => prim!(Int16Type, |v| Value::Int(v.into())),
        DataType::Int32 => prim!(Int32Type, |v| Value::Int(v.into())),
        DataType::Int64 => prim!(Int64Type, Value::Int),
        DataType::Date32 => prim!(Date32Type, Value::Date),
        DataType::Timestamp(_, _) => prim!(TimestampMicrosecondType, Value::DateTime),
        DataType::Decimal128(38, 0) => prim!(Decimal128Type, Value::LargeInt),
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            prim!(Decimal128Type, |unscaled| Value::Decimal {
                unscaled,
                scale
            })
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            let bound =
                |s: &str| (s.len() <= STRING_BOUND_LEN_MAX).then(|| Value::String(s.to_owned()));
            let lo = min_string(a).and_then(bound);
            let hi = max_string(a).and_then(bound);
            // A long extreme means the other recorded values are not the true bound: record none.
            if lo.is_none() || hi.is_none() {
                (None, None)
            } else {
                (lo, hi)
            }
        }
        // Floats are left without bounds: NaN ordering differs between Parquet statistics and
        // Arrow's comparison kernels, so pruning on them could drop matching rows.
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int8Array, Int64Array,
        RecordBatch, StringArray,
    };
    use arrow::datatypes::Field;
    use parquet::arrow::ArrowWriter;
    use proptest::prelude::*;

    use super::*;
    use crate::schema::Compression;
    use crate::write::writer_properties;

    /// One row: every column's value, `None` for NULL.
    type Row = (
        Option<i64>,
        Option<i8>,
        Option<i32>,
        Option<i64>,
        Option<i128>,
        Option<String>,
        Option<bool>,
        Option<f64>,
    );

    fn row() -> impl Strategy<Value = Row> {
        (
            proptest::option::of(any::<i64>()),
            proptest::option::of(any::<i8>()),
            proptest::option::of(-100_000..100_000_i32),
            proptest::option::of(-999_999_999_999_i64..=999_999_999_999),
            proptest::option::of(any::<i128>()),
            proptest::option::of("[a-zé]{0,70}"),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<f64>()),
        )
    }

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::new(vec![
            Field::new("i64", DataType::Int64, true),
            Field::new("i8", DataType::Int8, true),
            Field::new("date", DataType::Date32, true),
            Field::new("decimal", DataType::Decimal128(12, 2), true),
            Field::new("largeint", DataType::Decimal128(38, 0), true),
            Field::new("string", DataType::Utf8, true),
            Field::new("bool", DataType::Boolean, true),
            Field::new("double", DataType::Float64, true),
        ]))
    }

    fn batch(rows: &[Row]) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>()),
            Arc::new(rows.iter().map(|r| r.1).collect::<Int8Array>()),
            Arc::new(rows.iter().map(|r| r.2).collect::<Date32Array>()),
            Arc::new(
                rows.iter()
                    .map(|r| r.3.map(i128::from))
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(12, 2)
                    .expect("decimal"),
            ),
            Arc::new(
                rows.iter()
                    .map(|r| r.4)
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(38, 0)
                    .expect("largeint"),
            ),
            Arc::new(rows.iter().map(|r| r.5.clone()).collect::<StringArray>()),
            Arc::new(rows.iter().map(|r| r.6).collect::<BooleanArray>()),
            Arc::new(rows.iter().map(|r| r.7).collect::<Float64Array>()),
        ];
        RecordBatch::try_new(schema(), columns).expect("batch")
    }

    /// The true bounds of `values`, as the statistics record them.
    fn bounds<T: Ord + Clone>(
        values: impl Iterator<Item = Option<T>>,
        wrap: impl Fn(T) -> Value,
    ) -> (Option<Value>, Option<Value>) {
        let present: Vec<T> = values.flatten().collect();
        (
            present.iter().min().cloned().map(&wrap),
            present.iter().max().cloned().map(&wrap),
        )
    }

    proptest! {
        /// Bounds read back from the Parquet writer's row-group statistics are the true bounds of
        /// what was written, over any number of row groups and batches; strings are bounded
        /// whenever none is longer than 64 bytes and otherwise either truly or not at all; doubles
        /// never are.
        #[test]
        fn bounds_are_the_written_values_own(
            rows in proptest::collection::vec(row(), 1..120),
            group_rows in 1..40_usize,
            batch_rows in 1..50_usize,
        ) {
            let schema = schema();
            let props = writer_properties(Compression::Lz4, group_rows, None);
            let mut writer =
                ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).expect("writer");
            let mut nulls = vec![0_u64; schema.fields().len()];
            for chunk in rows.chunks(batch_rows) {
                let batch = batch(chunk);
                for (n, c) in nulls.iter_mut().zip(batch.columns()) {
                    *n += c.null_count() as u64;
                }
                writer.write(&batch).expect("write");
            }
            writer.flush().expect("flush");
            let stats = file_stats(&schema, writer.flushed_row_groups(), &nulls).expect("stats");
            let expected = [
                bounds(rows.iter().map(|r| r.0), Value::Int),
                bounds(rows.iter().map(|r| r.1), |v| Value::Int(v.into())),
                bounds(rows.iter().map(|r| r.2), Value::Date),
                bounds(rows.iter().map(|r| r.3), |v| Value::Decimal { unscaled: v.into(), scale: 2 }),
                bounds(rows.iter().map(|r| r.4), Value::LargeInt),
                bounds(rows.iter().map(|r| r.5.clone()), Value::String),
                bounds(rows.iter().map(|r| r.6), Value::Boolean),
            ];
            for (index, want) in expected.iter().enumerate() {
                let got = (stats[index].min.clone(), stats[index].max.clone());
                let long = rows.iter().any(|r| r.5.as_ref().is_some_and(|s| s.len() > 64));
                if index == 5 && long {
                    prop_assert!(got == *want || got == (None, None), "{got:?} vs {want:?}");
                } else {
                    prop_assert_eq!(&got, want, "column {}", index);
                }
            }
            prop_assert_eq!((stats[7].min.clone(), stats[7].max.clone()), (None, None));
            for (stat, n) in stats.iter().zip(&nulls) {
                prop_assert_eq!(stat.null_count, *n);
            }
        }
    }
}
