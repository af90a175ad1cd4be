//! Per-column min/max/NULL-count statistics, gathered from the batches as they are written so that
//! nothing is re-read later.

use arrow::array::{Array, AsArray};
use arrow::compute::{max, max_boolean, max_string, min, min_boolean, min_string};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType,
};

use crate::catalog::ColumnStats;
use crate::value::Value;

/// Strings longer than this are not recorded as bounds (they would bloat the metadata log).
const STRING_BOUND_LEN_MAX: usize = 64;

/// Folds the statistics of `array` into `stats`. Returns false when the array holds values whose
/// bounds cannot be recorded (floats, over-long strings): the caller must then drop the column's
/// bounds for the whole file, since bounds of the other batches alone would be wrong.
pub(crate) fn accumulate(stats: &mut ColumnStats, array: &dyn Array) -> bool {
    stats.null_count += array.null_count() as u64;
    if array.null_count() == array.len() {
        return true;
    }
    let (lo, hi) = min_max(array);
    let known = lo.is_some() && hi.is_some();
    stats.min = merge(stats.min.take(), lo, std::cmp::Ordering::Less);
    stats.max = merge(stats.max.take(), hi, std::cmp::Ordering::Greater);
    known
}

/// Marks statistics as unknown (used once a column's bounds cannot be kept exactly).
fn merge(current: Option<Value>, new: Option<Value>, keep_if: std::cmp::Ordering) -> Option<Value> {
    match (current, new) {
        (Some(c), Some(n)) => Some(if n.compare(&c) == Some(keep_if) { n } else { c }),
        (None, n) => n,
        (c, None) => c,
    }
}

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
