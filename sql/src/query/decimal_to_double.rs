//! `CAST(decimal AS DOUBLE)` with the value converted through `i64` where it fits.
//!
//! Arrow converts each `Decimal128` value with `i128 as f64`, a call into the compiler's software
//! routine (`__floattidf`) per row: 5% of TPC-H Q1, whose `l_extendedprice * (1 - l_discount)`
//! multiplies a DECIMAL by a DOUBLE. A value that fits in `i64` converts to the same `f64` in one
//! instruction (both conversions round the same integer to the nearest double), so
//! [`DecimalToDouble`] takes that path for an array whose values all fit and Arrow's for the
//! others, then divides by `10^scale` as Arrow does: the answers are Arrow's, bit for bit.

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Float64Type};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result as DfResult, internal_err};
use datafusion::logical_expr::expr::{Cast, ScalarFunction};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};

/// `CAST(x AS DOUBLE)` for a `Decimal128` `x`: the function [`double_cast`] puts in place of
/// such a cast. It keeps the cast's name (a cast is named after its operand).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DecimalToDouble {
    signature: Signature,
}

impl DecimalToDouble {
    fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DecimalToDouble {
    fn name(&self) -> &str {
        "decimal_to_double"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn schema_name(&self, args: &[Expr]) -> DfResult<String> {
        let [value] = args else {
            return internal_err!("{} takes one argument", self.name());
        };
        Ok(value.schema_name().to_string())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Float64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Float64,
            nullable,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return internal_err!("{} takes one argument", self.name());
        };
        match value {
            ColumnarValue::Array(array) => {
                let DataType::Decimal128(_, scale) = *array.data_type() else {
                    return internal_err!("{} takes a Decimal128", self.name());
                };
                let divisor = 10_f64.powi(i32::from(scale));
                let decimals = array.as_primitive::<Decimal128Type>();
                let doubles = if fit_in_i64(decimals.values()) {
                    decimals.unary::<_, Float64Type>(|v| small_to_f64(v) / divisor)
                } else {
                    decimals.unary::<_, Float64Type>(|v| to_f64(v) / divisor)
                };
                Ok(ColumnarValue::Array(Arc::new(doubles)))
            }
            ColumnarValue::Scalar(scalar) => {
                Ok(ColumnarValue::Scalar(scalar.cast_to(&DataType::Float64)?))
            }
        }
    }
}

/// Whether every value (the slots under NULLs too) fits in `i64`. Checked for the whole array
/// first because a per-value branch does not help: the compiler computes both of its arms for
/// every value, so the software routine would still run on each.
fn fit_in_i64(values: &[i128]) -> bool {
    values
        .iter()
        .fold(true, |fit, &v| fit & (i128::from(v as i64) == v))
}

/// `v as f64` for a `v` that fits in `i64`.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "the caller checked that `v` fits in i64; rounding to the nearest double is what the cast does"
)]
fn small_to_f64(v: i128) -> f64 {
    (v as i64) as f64
}

/// `v as f64`, Arrow's conversion, for arrays with a value beyond `i64`.
#[expect(
    clippy::cast_precision_loss,
    reason = "rounding to the nearest double is what the cast does"
)]
fn to_f64(v: i128) -> f64 {
    v as f64
}

/// `expr` with a [`DecimalToDouble`] call in place of a `CAST(x AS DOUBLE)` whose `x` is a
/// `Decimal128` in `schema`; any other expression unchanged. A cast carries field metadata
/// through (a column of a foreign Parquet file read by `FILES()` may have some) and the function
/// does not, so a cast with metadata on either side stays a cast.
pub(crate) fn double_cast(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    let Expr::Cast(Cast { expr: value, field }) = &expr else {
        return Transformed::no(expr);
    };
    let decimal = value.to_field(schema).is_ok_and(|(_, operand)| {
        matches!(operand.data_type(), DataType::Decimal128(..)) && operand.metadata().is_empty()
    });
    if !decimal || field.data_type() != &DataType::Float64 || !field.metadata().is_empty() {
        return Transformed::no(expr);
    }
    let function = ScalarUDF::new_from_impl(DecimalToDouble::new());
    Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(function),
        vec![value.as_ref().clone()],
    )))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Decimal128Array};
    use arrow::compute::cast;
    use proptest::prelude::*;

    use super::*;

    /// Values of every size: within `i64`, at its edges, and far beyond.
    fn value() -> impl Strategy<Value = Option<i128>> {
        prop_oneof![
            4 => any::<i64>().prop_map(|v| Some(i128::from(v))),
            1 => Just(Some(i128::from(i64::MAX))),
            1 => Just(Some(i128::from(i64::MIN))),
            1 => Just(Some(i128::from(i64::MAX) + 1)),
            1 => Just(Some(i128::from(i64::MIN) - 1)),
            2 => any::<i128>().prop_map(Some),
            1 => Just(None),
        ]
    }

    /// Arrays of values that all fit in `i64` (the fast path) and arrays of values of any size.
    fn values() -> impl Strategy<Value = Vec<Option<i128>>> {
        let small = proptest::option::weighted(0.9, any::<i64>().prop_map(i128::from));
        prop_oneof![
            proptest::collection::vec(small, 1..50),
            proptest::collection::vec(value(), 1..50),
        ]
    }

    proptest! {
        /// Every value converts to the double Arrow's cast gives, bit for bit, at any scale.
        #[test]
        fn same_doubles_as_arrow(
            values in values(),
            scale in -10_i8..=38,
        ) {
            let decimals = Decimal128Array::from(values)
                .with_precision_and_scale(38, scale)
                .expect("a valid decimal type");
            let arrow = cast(&decimals, &DataType::Float64).expect("Arrow casts");
            let field = Arc::new(Field::new("x", decimals.data_type().clone(), true));
            let ours = DecimalToDouble::new()
                .invoke_with_args(ScalarFunctionArgs {
                    args: vec![ColumnarValue::Array(Arc::new(decimals))],
                    arg_fields: vec![field],
                    number_rows: arrow.len(),
                    return_field: Arc::new(Field::new("y", DataType::Float64, true)),
                    config_options: Arc::default(),
                })
                .expect("the conversion runs")
                .into_array(arrow.len())
                .expect("an array");
            let (ours, arrow) = (ours.as_primitive::<Float64Type>(), arrow.as_primitive::<Float64Type>());
            prop_assert_eq!(ours.nulls(), arrow.nulls());
            for i in 0..arrow.len() {
                if arrow.is_valid(i) {
                    prop_assert_eq!(ours.value(i).to_bits(), arrow.value(i).to_bits());
                }
            }
        }
    }
}
