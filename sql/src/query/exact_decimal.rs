//! Decimal `+`, `-` and `*` without per-value overflow checks where no overflow can happen.
//!
//! Arrow's decimal kernels check every value for `i128` overflow, even when DataFusion asks for
//! wrapping arithmetic; for `*` that is a call into the compiler's checked 128-bit multiply per
//! row. TPC-H Q1's four decimal operations spent more CPU there than in its eight aggregates.
//! [`ExactDecimalArithmetic`] puts an [`ExactDecimal`] call in place of each decimal operator; it
//! returns the same type and column name as the operator. For each batch, [`ExactDecimal`]
//! bounds the operands' magnitudes (one vectorised pass) and, when they cannot overflow `i128`,
//! computes the exact values with plain arithmetic; otherwise it hands the operands to Arrow's
//! kernel. Either way the answer, including any error, is Arrow's. The same rule puts the
//! faster decimal-to-double conversion of [`super::decimal_to_double`] in place of casts.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::compute::kernels::arity::{binary, unary};
use arrow::compute::kernels::numeric::{add_wrapping, mul_wrapping, sub_wrapping};
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result as DfResult, ScalarValue, internal_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use datafusion::physical_expr_common::datum::apply;

use crate::query::decimal_to_double::double_cast;

/// The largest precision of a `Decimal128`.
const PRECISION_MAX: i16 = 38;

/// An arithmetic operator [`ExactDecimal`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DecimalOp {
    Add,
    Subtract,
    Multiply,
}

impl DecimalOp {
    fn of(op: Operator) -> Option<Self> {
        match op {
            Operator::Plus => Some(Self::Add),
            Operator::Minus => Some(Self::Subtract),
            Operator::Multiply => Some(Self::Multiply),
            _ => None,
        }
    }

    fn operator(self) -> Operator {
        match self {
            Self::Add => Operator::Plus,
            Self::Subtract => Operator::Minus,
            Self::Multiply => Operator::Multiply,
        }
    }

    /// The result type Arrow gives `left op right` (Hive's decimal rules) for two `Decimal128`s of
    /// non-negative scale; `None` for other operands and for a scale Arrow refuses.
    fn result_type(self, left: &DataType, right: &DataType) -> Option<(u8, i8)> {
        let (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)) = (left, right) else {
            return None;
        };
        let (p1, s1, p2, s2) = (
            i16::from(*p1),
            i16::from(*s1),
            i16::from(*p2),
            i16::from(*s2),
        );
        if s1 < 0 || s2 < 0 {
            return None;
        }
        let (precision, scale) = match self {
            Self::Add | Self::Subtract => {
                let scale = s1.max(s2);
                (scale + (p1 - s1).max(p2 - s2) + 1, scale)
            }
            Self::Multiply => (p1 + p2 + 1, s1 + s2),
        };
        if scale > PRECISION_MAX {
            return None;
        }
        let precision = precision.min(PRECISION_MAX);
        Some((u8::try_from(precision).ok()?, i8::try_from(scale).ok()?))
    }

    /// Arrow's kernel for the operator, as DataFusion's `BinaryExpr` calls it.
    fn arrow_kernel(
        self,
        left: &dyn arrow::array::Datum,
        right: &dyn arrow::array::Datum,
    ) -> Result<ArrayRef, arrow::error::ArrowError> {
        match self {
            Self::Add => add_wrapping(left, right),
            Self::Subtract => sub_wrapping(left, right),
            Self::Multiply => mul_wrapping(left, right),
        }
    }
}

/// `left op right` on two decimals, computed without overflow checks when the operands'
/// magnitudes rule overflow out: the function [`ExactDecimalArithmetic`] puts in place of a
/// decimal operator.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExactDecimal {
    op: DecimalOp,
    signature: Signature,
}

impl ExactDecimal {
    fn new(op: DecimalOp) -> Self {
        Self {
            op,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ExactDecimal {
    fn name(&self) -> &str {
        match self.op {
            DecimalOp::Add => "exact_decimal_add",
            DecimalOp::Subtract => "exact_decimal_subtract",
            DecimalOp::Multiply => "exact_decimal_multiply",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn schema_name(&self, args: &[Expr]) -> DfResult<String> {
        let [left, right] = args else {
            return internal_err!("{} takes two arguments", self.name());
        };
        Ok(format!(
            "{} {} {}",
            left.schema_name(),
            self.op.operator(),
            right.schema_name()
        ))
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        let [left, right] = arg_types else {
            return internal_err!("{} takes two arguments", self.name());
        };
        match self.op.result_type(left, right) {
            Some((precision, scale)) => Ok(DataType::Decimal128(precision, scale)),
            None => internal_err!("{} cannot take {left} and {right}", self.name()),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(Field::new(
            self.name(),
            self.return_type(&types)?,
            nullable,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [left, right] = args.args.as_slice() else {
            return internal_err!("{} takes two arguments", self.name());
        };
        let DataType::Decimal128(precision, scale) = *args.return_field.data_type() else {
            return internal_err!("{} returns a Decimal128", self.name());
        };
        if let Some(values) = self.exact(left, right, precision, scale)? {
            return Ok(ColumnarValue::Array(values));
        }
        let op = self.op;
        apply(left, right, |l, r| op.arrow_kernel(l, r))
    }
}

impl ExactDecimal {
    /// The result computed without overflow checks, or `None` when that is not known to be
    /// exact: an operand is a NULL scalar, both are scalars, or their magnitudes could overflow
    /// `i128` (then only Arrow's checked kernel knows the answer).
    fn exact(
        &self,
        left: &ColumnarValue,
        right: &ColumnarValue,
        precision: u8,
        scale: i8,
    ) -> DfResult<Option<ArrayRef>> {
        let (Some(l), Some(r)) = (Typed::of(left), Typed::of(right)) else {
            return Ok(None);
        };
        let (l_bits, r_bits) = (l.magnitude_bits(), r.magnitude_bits());
        let values = match self.op {
            // |a·b| ≤ 2^(l_bits + r_bits) ≤ 2^126.
            DecimalOp::Multiply if l_bits + r_bits <= 126 => {
                combine(&l, &r, |a, b| a.wrapping_mul(b))
            }
            DecimalOp::Multiply => return Ok(None),
            DecimalOp::Add | DecimalOp::Subtract => {
                let l_mul = 10_i128.pow(u32::from(scale.abs_diff(l.scale)));
                let r_mul = 10_i128.pow(u32::from(scale.abs_diff(r.scale)));
                // Each rescaled operand is below 2^126 in magnitude, so their sum or difference is
                // below 2^127.
                if l_bits + bits(l_mul.unsigned_abs()) > 126
                    || r_bits + bits(r_mul.unsigned_abs()) > 126
                {
                    return Ok(None);
                }
                match (self.op, l_mul, r_mul) {
                    (DecimalOp::Add, 1, 1) => combine(&l, &r, |a, b| a.wrapping_add(b)),
                    (DecimalOp::Subtract, 1, 1) => combine(&l, &r, |a, b| a.wrapping_sub(b)),
                    (DecimalOp::Add, _, _) => combine(&l, &r, |a, b| {
                        a.wrapping_mul(l_mul).wrapping_add(b.wrapping_mul(r_mul))
                    }),
                    _ => combine(&l, &r, |a, b| {
                        a.wrapping_mul(l_mul).wrapping_sub(b.wrapping_mul(r_mul))
                    }),
                }
            }
        };
        let Some(values) = values? else {
            return Ok(None);
        };
        Ok(Some(Arc::new(
            values.with_precision_and_scale(precision, scale)?,
        )))
    }
}

/// One side of the operation.
enum Operand<'a> {
    Array(&'a PrimitiveArray<Decimal128Type>),
    Scalar(i128),
}

/// An operand with its scale.
struct Typed<'a> {
    operand: Operand<'a>,
    scale: i8,
}

impl<'a> Typed<'a> {
    /// The operand `value` is, when it is a decimal array or a non-NULL decimal scalar.
    fn of(value: &'a ColumnarValue) -> Option<Self> {
        match value {
            ColumnarValue::Array(array) => match *array.data_type() {
                DataType::Decimal128(_, scale) => Some(Self {
                    operand: Operand::Array(array.as_primitive::<Decimal128Type>()),
                    scale,
                }),
                _ => None,
            },
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), _, scale)) => Some(Self {
                operand: Operand::Scalar(*v),
                scale: *scale,
            }),
            ColumnarValue::Scalar(_) => None,
        }
    }
}

impl Typed<'_> {
    /// A `b` with every value, NULL slots included, at most 2^b in magnitude.
    fn magnitude_bits(&self) -> u32 {
        // v for v ≥ 0, |v| − 1 for v < 0: OR-ing them bounds every magnitude's bit length.
        let folded = |v: i128| (v ^ (v >> 127)).cast_unsigned();
        bits(match self.operand {
            Operand::Scalar(v) => folded(v),
            Operand::Array(array) => array.values().iter().fold(0, |all, &v| all | folded(v)),
        })
    }
}

/// The bit length of `v`: `v < 2^bits(v)`.
fn bits(v: u128) -> u32 {
    u128::BITS - v.leading_zeros()
}

/// `f` applied to each pair of values; `None` for two scalars (left to Arrow).
fn combine(
    l: &Typed<'_>,
    r: &Typed<'_>,
    f: impl Fn(i128, i128) -> i128,
) -> DfResult<Option<PrimitiveArray<Decimal128Type>>> {
    Ok(match (&l.operand, &r.operand) {
        (Operand::Array(a), Operand::Array(b)) => Some(binary(a, b, f)?),
        (Operand::Array(a), Operand::Scalar(b)) => Some(unary(a, |a| f(a, *b))),
        (Operand::Scalar(a), Operand::Array(b)) => Some(unary(b, |b| f(*a, b))),
        (Operand::Scalar(_), Operand::Scalar(_)) => None,
    })
}

/// The optimizer rule that puts [`ExactDecimal`] in place of each `+`, `-` and `*` of two
/// `Decimal128`s, and a `DecimalToDouble` in place of each computed `CAST(decimal AS DOUBLE)`
/// ([`double_cast`]).
#[derive(Debug, Default)]
pub struct ExactDecimalArithmetic;

impl OptimizerRule for ExactDecimalArithmetic {
    fn name(&self) -> &str {
        "exact_decimal_arithmetic"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        if plan.inputs().is_empty() {
            return Ok(Transformed::no(plan));
        }
        let schema = merge_schema(&plan.inputs());
        // Casts are replaced only where values are computed: a filter's cast stays one that
        // DataFusion's Parquet pruning understands.
        let casts = matches!(plan, LogicalPlan::Projection(_) | LogicalPlan::Aggregate(_));
        plan.map_expressions(|expr| rewrite_expr(expr, &schema, casts))
    }
}

/// `expr` with every decimal operator replaced, and with `casts`, every cast of a decimal to a
/// double ([`double_cast`]), its operands typed in `schema`.
fn rewrite_expr(expr: Expr, schema: &DFSchema, casts: bool) -> DfResult<Transformed<Expr>> {
    expr.transform_up(|expr| {
        if casts && matches!(expr, Expr::Cast(_)) {
            return Ok(double_cast(expr, schema));
        }
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
            return Ok(Transformed::no(expr));
        };
        let Some(decimal_op) = DecimalOp::of(*op) else {
            return Ok(Transformed::no(expr));
        };
        let (Ok(left_type), Ok(right_type), Ok(result_type)) = (
            left.get_type(schema),
            right.get_type(schema),
            expr.get_type(schema),
        ) else {
            return Ok(Transformed::no(expr));
        };
        let exact = decimal_op.result_type(&left_type, &right_type);
        if exact.map(|(p, s)| DataType::Decimal128(p, s)) != Some(result_type) {
            return Ok(Transformed::no(expr));
        }
        let function = ScalarUDF::new_from_impl(ExactDecimal::new(decimal_op));
        let args = vec![left.as_ref().clone(), right.as_ref().clone()];
        Ok(Transformed::yes(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::new(function), args),
        )))
    })
}

#[cfg(test)]
mod tests {
    use arrow::array::{Decimal128Array, RecordBatch};
    use arrow::datatypes::Schema;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    use super::*;
    use crate::query::answers::answer_text as run;

    /// A decimal column: precision, scale and values, mostly within the precision, some not.
    type Column = (u8, i8, Vec<Option<i128>>);

    /// Values of one of six kinds: within the precision, any `i64`, near 2^63 (two multiplied
    /// are near `i128`'s limit, on either side of it), up to 2^100, 2^120 to 2^126 (two added or
    /// subtracted after rescaling are near the limit), or a mix of those.
    fn value(precision: u8, kind: u8) -> BoxedStrategy<i128> {
        let bound = 10_i128.pow(u32::from(precision));
        let within = ((1 - bound)..bound).boxed();
        let wide = any::<i64>().prop_map(i128::from).boxed();
        let near_limit = ((1_i128 << 62)..(1_i128 << 64), any::<bool>())
            .prop_map(|(v, negative)| if negative { -v } else { v })
            .boxed();
        let huge = (-(1_i128 << 100)..(1_i128 << 100)).boxed();
        let near_sum_limit = ((1_i128 << 120)..(1_i128 << 126), any::<bool>())
            .prop_map(|(v, negative)| if negative { -v } else { v })
            .boxed();
        match kind {
            0 => within,
            1 => wide,
            2 => near_limit,
            3 => huge,
            4 => near_sum_limit,
            _ => prop_oneof![8 => within, 1 => wide, 1 => near_limit, 1 => huge].boxed(),
        }
    }

    fn column(rows: usize) -> impl Strategy<Value = Column> {
        (
            1_u8..=38,
            prop_oneof![2 => Just(0_u8), 1 => Just(2_u8), 1 => Just(4_u8), 2 => 1_u8..=5],
        )
            .prop_flat_map(move |(precision, kind)| {
                (
                    Just(precision),
                    0..=i8::try_from(precision).unwrap_or(i8::MAX),
                    vec(option::weighted(0.9, value(precision, kind)), rows),
                )
            })
    }

    fn columns() -> impl Strategy<Value = (Column, Column)> {
        (1_usize..40).prop_flat_map(|rows| (column(rows), column(rows)))
    }

    fn context(columns: &(Column, Column), exact: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if exact {
            ctx.add_optimizer_rule(Arc::new(ExactDecimalArithmetic));
        }
        let arrays: Vec<ArrayRef> = [&columns.0, &columns.1]
            .into_iter()
            .map(|(precision, scale, values)| {
                let array = Decimal128Array::from(values.clone())
                    .with_precision_and_scale(*precision, *scale)
                    .expect("a valid decimal type");
                Arc::new(array) as ArrayRef
            })
            .collect();
        let fields: Vec<Field> = ["a", "b"]
            .iter()
            .zip(&arrays)
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a valid batch");
        let table = MemTable::try_new(schema, vec![vec![batch]]).expect("a valid table");
        ctx.register_table("t", Arc::new(table))
            .expect("the table registers");
        ctx
    }

    const QUERY: &str = "SELECT a + b, a - b, a * b, b * (1 - a), a * 2.5, 1 + b, \
        sum(a * b) OVER (), a * b * a FROM t WHERE a * b <> 0 OR a - b > 0";

    /// Decimals cast to doubles, computed and aggregated, and in a filter.
    const DOUBLES: &str = "SELECT sum(a * 2.5), avg(CAST(b AS DOUBLE) * (1 - 0.5)), \
        max(CAST(a AS DOUBLE)), count(*) FROM t WHERE CAST(b AS DOUBLE) > -1e300";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The rewritten operators give what Arrow's kernels give: the same names, types,
        /// values and errors, for values within their precision or not, NULLs and scalars.
        #[test]
        fn same_answers_as_arrow(columns in columns()) {
            let exact = run(&context(&columns, true), QUERY);
            let arrow = run(&context(&columns, false), QUERY);
            prop_assert_eq!(exact, arrow);
            let exact = run(&context(&columns, true), DOUBLES);
            let arrow = run(&context(&columns, false), DOUBLES);
            prop_assert_eq!(exact, arrow);
        }
    }

    fn optimized_plan(columns: &(Column, Column), sql: &str) -> String {
        run(&context(columns, true), &format!("EXPLAIN {sql}"))
    }

    #[test]
    fn rewrites_decimal_operators_arrow_accepts() {
        let columns = ((12, 2, vec![Some(1)]), (30, 2, vec![Some(2)]));
        let plan = optimized_plan(&columns, "SELECT a * b, a + b, a - b FROM t");
        for name in [
            "exact_decimal_multiply",
            "exact_decimal_add",
            "exact_decimal_subtract",
        ] {
            assert!(plan.contains(name), "{name} missing from {plan}");
        }
        // A decimal times a float is a float product: Arrow's kernel computes it, of the
        // decimal converted by `decimal_to_double`; a filter keeps its cast.
        let plan = optimized_plan(
            &columns,
            "SELECT a * 2.5 FROM t WHERE CAST(b AS DOUBLE) > 1.5",
        );
        assert!(
            plan.contains("decimal_to_double(t.a) * Float64(2.5)"),
            "{plan}"
        );
        assert!(
            plan.contains("CAST(t.b AS Float64) > Float64(1.5)"),
            "{plan}"
        );
        assert!(!plan.contains("exact_decimal"), "{plan}");
    }
}
