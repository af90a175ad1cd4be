//! `avg(x)` from the `sum(x)` and row count an aggregate computes anyway.
//!
//! TPC-H Q1 asks for `sum(l_quantity)` beside `avg(l_quantity)`, `sum(l_extendedprice)` beside
//! `avg(l_extendedprice)`, and `count(*)`. DataFusion keeps a sum and a count per group for each
//! `avg`, beside the sums and the count it keeps anyway. [`AvgFromSums`] plans each `avg` as
//! [`AvgOfParts`] of a `sum` and a `count` of the same aggregate, sharing those already there,
//! when that leaves the aggregate with no more aggregate functions than it had.
//!
//! The answers are DataFusion's own, bit for bit. A `Float64` average is the sum divided by the
//! count: `avg` and `sum` add the same values in the same order (row by row into each group, or
//! each batch's Arrow sum without GROUP BY). A decimal average is the sum scaled up by the four
//! digits `avg` adds to the scale, divided by the count with truncation, and an error if the
//! scaling overflows or the average leaves its precision, as DataFusion's `DecimalAverager`
//! does. Decimals are shared only up to precision 25, where `avg` sums in `i128` as `sum` does
//! (wider ones it sums in `i256`).
//!
//! One difference: DataFusion computes every group's average, while [`AvgOfParts`] is computed
//! only for the rows the query goes on to use. An average that overflows (possible only with
//! values outside the column's declared precision, as a foreign file could hold, or about 10^9
//! rows) is an error only in a group that a HAVING, LIMIT or CASE keeps.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Array, Float64Array};
use arrow::datatypes::{DataType, Decimal128Type, DecimalType, Int64Type};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result as DfResult, exec_err, internal_err};
use datafusion::functions_aggregate::average::Avg;
use datafusion::functions_aggregate::count::Count;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams, ScalarFunction};
use datafusion::logical_expr::{
    Aggregate, AggregateUDFImpl, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Projection,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// The widest decimal whose `avg` DataFusion sums in `i128`, as `sum` does: its intermediate sum
/// needs 13 more digits than the input (`AVG_SUM_HEADROOM_DIGITS`), and `i128` holds 38.
const SHARED_DECIMAL_PRECISION_MAX: u8 = 25;

/// The digits `avg` adds to a decimal's precision and scale.
const AVG_EXTRA_DIGITS: u8 = 4;

/// The prefix of the names given to the sums and counts this rule adds to an aggregate.
const PART_PREFIX: &str = "__tabvault_avg_part_";

/// What an `avg` computes from its parts: the type of its argument decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Average {
    /// `Float64` in, `Float64` out.
    Float,
    /// `Decimal128(precision, scale)` in, four more digits of both out.
    Decimal { precision: u8, scale: i8 },
}

impl Average {
    /// The average `avg` computes over `arg`, if its parts may be shared.
    fn of(arg: &Expr, schema: &DFSchema) -> Option<Self> {
        match arg.get_type(schema).ok()? {
            DataType::Float64 => Some(Self::Float),
            DataType::Decimal128(precision, scale)
                if precision <= SHARED_DECIMAL_PRECISION_MAX && scale >= 0 =>
            {
                Some(Self::Decimal { precision, scale })
            }
            _ => None,
        }
    }

    /// The type `avg` returns.
    fn output(self) -> DataType {
        match self {
            Self::Float => DataType::Float64,
            Self::Decimal { precision, scale } => {
                DataType::Decimal128(precision + AVG_EXTRA_DIGITS, scale + AVG_EXTRA_DIGITS as i8)
            }
        }
    }
}

/// `avg_of_parts(sum, count)`: the average DataFusion's `avg` gives for a group whose argument
/// sums to `sum` over `count` non-NULL values; NULL when `count` is 0.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct AvgOfParts {
    average: Average,
    signature: Signature,
}

impl AvgOfParts {
    fn new(average: Average) -> Self {
        Self {
            average,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for AvgOfParts {
    fn name(&self) -> &str {
        "avg_of_parts"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(self.average.output())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [sums, counts] = args.args.as_slice() else {
            return internal_err!("{} takes two arguments", self.name());
        };
        let sums = sums.to_array(args.number_rows)?;
        let counts = counts.to_array(args.number_rows)?;
        let Some(counts) = counts.as_primitive_opt::<Int64Type>() else {
            return internal_err!("{} takes an Int64 count", self.name());
        };
        if sums.len() != counts.len() || counts.null_count() > 0 {
            return internal_err!("{} takes as many sums as counts, none NULL", self.name());
        }
        let averages: Arc<dyn Array> = match self.average {
            Average::Float => {
                let Some(sums) = sums.as_primitive_opt() else {
                    return internal_err!("{} takes a Float64 sum", self.name());
                };
                Arc::new(float_averages(sums, counts.values()))
            }
            Average::Decimal { .. } => {
                let (DataType::Decimal128(_, sum_scale), DataType::Decimal128(precision, scale)) =
                    (sums.data_type().clone(), self.average.output())
                else {
                    return internal_err!("{} takes a Decimal128 sum", self.name());
                };
                let sums = sums.as_primitive::<Decimal128Type>();
                Arc::new(decimal_averages(
                    sums,
                    counts.values(),
                    (sum_scale, precision, scale),
                )?)
            }
        };
        Ok(ColumnarValue::Array(averages))
    }
}

/// `sum / count` per row, NULL where the sum is NULL or the count 0.
fn float_averages(sums: &Float64Array, counts: &[i64]) -> Float64Array {
    counts
        .iter()
        .enumerate()
        .map(|(row, &count)| {
            (sums.is_valid(row) && count != 0).then(|| sums.value(row) / count as f64)
        })
        .collect()
}

/// `sum × 10^(scale − sum_scale) / count` per row, truncated, as `DecimalAverager::avg`
/// computes it; NULL where the sum is NULL or the count 0; an error where it overflows.
fn decimal_averages(
    sums: &Decimal128Array,
    counts: &[i64],
    (sum_scale, precision, scale): (i8, u8, i8),
) -> DfResult<Decimal128Array> {
    let Some(factor) = u32::try_from(scale - sum_scale)
        .ok()
        .and_then(|digits| 10_i128.checked_pow(digits))
    else {
        return internal_err!("average scale {scale} is below its sum's scale {sum_scale}");
    };
    let mut averages = Vec::with_capacity(counts.len());
    for (row, &count) in counts.iter().enumerate() {
        if sums.is_null(row) || count == 0 {
            averages.push(None);
            continue;
        }
        let average = sums
            .value(row)
            .checked_mul(factor)
            .map(|scaled| scaled / i128::from(count))
            .filter(|&average| Decimal128Type::is_valid_decimal_precision(average, precision));
        match average {
            Some(average) => averages.push(Some(average)),
            None => return exec_err!("Arithmetic Overflow in AvgAccumulator"),
        }
    }
    Ok(Decimal128Array::from(averages).with_precision_and_scale(precision, scale)?)
}

/// Plans each `avg` of an aggregate from a shared `sum` and count where that does not add
/// aggregate functions (see the module documentation).
#[derive(Debug)]
pub(crate) struct AvgFromSums;

impl OptimizerRule for AvgFromSums {
    fn name(&self) -> &str {
        "avg_from_sums"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = plan else {
            return Ok(Transformed::no(plan));
        };
        match Sharing::plan(&aggregate)? {
            Some(sharing) => sharing.apply(aggregate).map(Transformed::yes),
            None => Ok(Transformed::no(LogicalPlan::Aggregate(aggregate))),
        }
    }
}

/// Where each of an aggregate's outputs comes from once its averages share parts.
#[derive(Debug)]
enum Output {
    /// The aggregate function at this index of the new list.
    Part(usize),
    /// An average of the sum and count at these indexes.
    Average {
        average: Average,
        sum: usize,
        count: usize,
    },
}

/// One of an aggregate's functions, as [`Sharing::plan`] first sorts them.
enum Call<'a> {
    /// Not an average to share: kept, at this index of the new list.
    Kept(usize),
    /// An average of this argument.
    Average(Average, &'a Expr),
}

impl<'a> Call<'a> {
    /// `expr` as an average whose parts may be shared, if it is one.
    fn average(expr: &'a Expr, schema: &DFSchema) -> Option<Self> {
        let arg = plain_call::<Avg>(expr)?;
        Some(Self::Average(Average::of(arg, schema)?, arg))
    }
}

/// A new list of aggregate functions, and how the old outputs are computed from it.
#[derive(Debug)]
struct Sharing {
    parts: Vec<Expr>,
    outputs: Vec<Output>,
}

impl Sharing {
    /// The sharing for `aggregate`, if it has averages to share and sharing adds no function.
    fn plan(aggregate: &Aggregate) -> DfResult<Option<Self>> {
        if aggregate
            .group_expr
            .iter()
            .any(|expr| matches!(expr, Expr::GroupingSet(_)))
            || [aggregate.input.schema(), &aggregate.schema]
                .iter()
                .any(|schema| {
                    schema
                        .fields()
                        .iter()
                        .any(|f| f.name().starts_with(PART_PREFIX))
                })
        {
            return Ok(None);
        }
        let schema = aggregate.input.schema();
        let mut sharing = Self {
            parts: Vec::with_capacity(aggregate.aggr_expr.len()),
            outputs: Vec::with_capacity(aggregate.aggr_expr.len()),
        };
        // The functions other than averages first, so that an average finds a `sum` or `count`
        // wherever it stands in the list.
        let calls: Vec<Call> = aggregate
            .aggr_expr
            .iter()
            .map(|expr| match Call::average(expr, schema) {
                Some(call) => call,
                None => {
                    sharing.parts.push(expr.clone());
                    Call::Kept(sharing.parts.len() - 1)
                }
            })
            .collect();
        if sharing.parts.len() == calls.len() {
            return Ok(None);
        }
        for call in calls {
            let output = match call {
                Call::Kept(index) => Output::Part(index),
                Call::Average(average, arg) => {
                    let sum = sharing.find_or_add(
                        |part| plain_call::<Sum>(part) == Some(arg),
                        || sum(arg.clone()),
                    );
                    let nullable = arg.nullable(schema)?;
                    let count = sharing.find_or_add(
                        |part| counts_rows_of(part, arg, nullable),
                        || count(if nullable { arg.clone() } else { lit(1_i64) }),
                    );
                    Output::Average {
                        average,
                        sum,
                        count,
                    }
                }
            };
            sharing.outputs.push(output);
        }
        Ok((sharing.parts.len() <= aggregate.aggr_expr.len()).then_some(sharing))
    }

    /// The index of the first part `matches` accepts, after adding `make()` if none does.
    fn find_or_add(
        &mut self,
        matches: impl Fn(&Expr) -> bool,
        make: impl FnOnce() -> Expr,
    ) -> usize {
        if let Some(index) = self.parts.iter().position(matches) {
            return index;
        }
        let index = self.parts.len();
        self.parts
            .push(make().alias(format!("{PART_PREFIX}{index}")));
        index
    }

    /// `aggregate` with the new list of functions, under a projection that gives back its
    /// schema: the group columns, then each output from its part or parts.
    fn apply(self, aggregate: Aggregate) -> DfResult<LogicalPlan> {
        let original = aggregate.schema.clone();
        let groups = aggregate.group_expr.len();
        let shared = Aggregate::try_new(aggregate.input, aggregate.group_expr, self.parts)?;
        let part = |index: usize| {
            let (qualifier, field) = shared.schema.qualified_field(groups + index);
            Expr::Column(Column::new(qualifier.cloned(), field.name()))
        };
        let mut exprs = Vec::with_capacity(original.fields().len());
        for (index, (qualifier, field)) in original.iter().enumerate() {
            let expr = match index
                .checked_sub(groups)
                .map(|output| &self.outputs[output])
            {
                None => Expr::Column(Column::new(qualifier.cloned(), field.name())),
                Some(Output::Part(index)) => part(*index),
                Some(Output::Average {
                    average,
                    sum,
                    count,
                }) => Expr::ScalarFunction(ScalarFunction::new_udf(
                    Arc::new(ScalarUDF::new_from_impl(AvgOfParts::new(*average))),
                    vec![part(*sum), part(*count)],
                )),
            };
            exprs.push(expr.alias_qualified(qualifier.cloned(), field.name()));
        }
        let projection = Projection::try_new(exprs, Arc::new(LogicalPlan::Aggregate(shared)))?;
        Ok(LogicalPlan::Projection(projection))
    }
}

/// The argument of `expr` if it is a call of the aggregate function `F` with one argument and
/// nothing else (no DISTINCT, FILTER, ORDER BY or null treatment), under any aliases.
fn plain_call<F: AggregateUDFImpl>(expr: &Expr) -> Option<&Expr> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = unaliased(expr) else {
        return None;
    };
    let AggregateFunctionParams {
        args,
        distinct: false,
        filter: None,
        order_by,
        null_treatment: None,
    } = params
    else {
        return None;
    };
    match args.as_slice() {
        [arg] if order_by.is_empty() && func.inner().is::<F>() => Some(arg),
        _ => None,
    }
}

/// Whether `part` counts the rows where `arg` is not NULL: `count(arg)`, or when `arg` is never
/// NULL, a count of a literal that is not NULL (`count(*)`).
fn counts_rows_of(part: &Expr, arg: &Expr, nullable: bool) -> bool {
    match plain_call::<Count>(part) {
        Some(counted) if counted == arg => true,
        Some(Expr::Literal(value, _)) => !nullable && !value.is_null(),
        _ => false,
    }
}

/// `expr` under any aliases.
fn unaliased(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(alias) => unaliased(&alias.expr),
        expr => expr,
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, Int32Array, RecordBatch};
    use arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    use super::*;
    use crate::query::answers::answer_text as run;

    /// One row: a group, a nullable decimal, a nullable double and a decimal that is never NULL.
    type Row = (Option<i32>, Option<i128>, Option<f64>, i128);

    /// The rows of one table, its decimals' precision and scale, and how many partitions
    /// (each a partial aggregate DataFusion merges) hold them.
    #[derive(Debug, Clone)]
    struct Table {
        precision: u8,
        scale: i8,
        partitions: usize,
        rows: Vec<Row>,
    }

    /// Decimals within the precision mostly, some anywhere in `i128` (a foreign file's), so that
    /// sums wrap and averages overflow.
    fn decimal(precision: u8) -> BoxedStrategy<i128> {
        let bound = 10_i128.pow(u32::from(precision));
        prop_oneof![
            8 => (1 - bound)..bound,
            1 => any::<i128>(),
            1 => (bound - 3)..bound,
        ]
        .boxed()
    }

    fn double() -> BoxedStrategy<f64> {
        prop_oneof![8 => -1e6..1e6, 1 => any::<f64>(), 1 => Just(0.1)].boxed()
    }

    fn table() -> impl Strategy<Value = Table> {
        (1_u8..=SHARED_DECIMAL_PRECISION_MAX + 3, 1_usize..4).prop_flat_map(
            |(precision, partitions)| {
                let row = (
                    option::weighted(0.9, 0..3_i32),
                    option::weighted(0.8, decimal(precision)),
                    option::weighted(0.8, double()),
                    decimal(precision),
                );
                (
                    Just(precision),
                    0..=i8::try_from(precision).unwrap_or(i8::MAX),
                    Just(partitions),
                    vec(row, 0..40),
                )
                    .prop_map(|(precision, scale, partitions, rows)| Table {
                        precision,
                        scale,
                        partitions,
                        rows,
                    })
            },
        )
    }

    fn context(table: &Table, shared: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if shared {
            ctx.add_optimizer_rule(Arc::new(AvgFromSums));
        }
        let decimal = DataType::Decimal128(table.precision, table.scale);
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int32, true),
            Field::new("d", decimal.clone(), true),
            Field::new("f", DataType::Float64, true),
            Field::new("n", decimal, false),
        ]));
        let chunk = table.rows.len().div_ceil(table.partitions).max(1);
        let partitions: Vec<Vec<RecordBatch>> = table
            .rows
            .chunks(chunk)
            .map(|rows| {
                rows.chunks(BATCH_ROWS)
                    .map(|rows| batch(table, &schema, rows))
                    .collect()
            })
            .collect();
        let partitions = if partitions.is_empty() {
            vec![vec![RecordBatch::new_empty(schema.clone())]]
        } else {
            partitions
        };
        let memory = MemTable::try_new(schema, partitions).expect("a valid table");
        ctx.register_table("t", Arc::new(memory))
            .expect("the table registers");
        ctx
    }

    /// Rows per batch: a partition holds several, as a scan gives them.
    const BATCH_ROWS: usize = 6;

    /// One batch of `rows`.
    fn batch(table: &Table, schema: &Arc<Schema>, rows: &[Row]) -> RecordBatch {
        let decimals = |values: Vec<Option<i128>>| -> ArrayRef {
            Arc::new(
                Decimal128Array::from(values)
                    .with_precision_and_scale(table.precision, table.scale)
                    .expect("a valid decimal type"),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(rows.iter().map(|row| row.0).collect::<Int32Array>()),
            decimals(rows.iter().map(|row| row.1).collect()),
            Arc::new(rows.iter().map(|row| row.2).collect::<Float64Array>()),
            decimals(rows.iter().map(|row| Some(row.3)).collect()),
        ];
        RecordBatch::try_new(schema.clone(), columns).expect("a valid batch")
    }

    /// Queries whose averages share parts: grouped and not, with the parts before and after
    /// the averages, aliases, a filter, an average in an expression and in HAVING.
    const QUERIES: [&str; 4] = [
        "SELECT g, sum(d), avg(d) AS a, count(*), avg(f), sum(f), avg(n), count(d), \
         sum(n) FROM t GROUP BY g ORDER BY g",
        "SELECT avg(d), avg(n), sum(d) AS s, count(*) AS c, avg(f), count(f), sum(f) FROM t",
        "SELECT g, avg(n), count(*) FROM t WHERE f > 0 OR f IS NULL GROUP BY g ORDER BY g",
        "SELECT g, avg(n) + 1, count(1), sum(n) FROM t GROUP BY g HAVING avg(n) > 0 ORDER BY g",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Shared parts give DataFusion's own answers: names, types, values and errors.
        #[test]
        fn same_answers_as_datafusion(table in table()) {
            for sql in QUERIES {
                let shared = run(&context(&table, true), sql);
                let own = run(&context(&table, false), sql);
                prop_assert_eq!(shared, own, "{}", sql);
            }
        }
    }

    fn plan(sql: &str) -> String {
        let table = Table {
            precision: 12,
            scale: 2,
            partitions: 1,
            rows: vec![(Some(1), Some(5), Some(0.5), 7)],
        };
        run(&context(&table, true), &format!("EXPLAIN {sql}"))
    }

    #[test]
    fn shares_only_what_adds_no_function() {
        let shared =
            plan("SELECT sum(n), avg(n), avg(d), sum(d), count(d), count(*) FROM t GROUP BY g");
        // Two in the logical plan and two in the physical one.
        assert_eq!(shared.matches("avg_of_parts(").count(), 4, "{shared}");
        let aggregate = shared.lines().find(|line| line.contains("Aggregate:"));
        assert!(
            aggregate.is_some_and(|line| !line.contains("avg(")),
            "{shared}"
        );
        // A nullable argument needs its own count: sharing would add a function here.
        let nullable = plan("SELECT sum(d), avg(d), avg(f), count(*) FROM t GROUP BY g");
        assert!(!nullable.contains("avg_of_parts"), "{nullable}");
        // Alone, an average would become two functions: it stays.
        let alone = plan("SELECT avg(d) FROM t GROUP BY g");
        assert!(!alone.contains("avg_of_parts"), "{alone}");
        // DISTINCT averages, and decimals that `avg` sums in `i256`, are left to DataFusion.
        let distinct = plan("SELECT sum(d), count(*), avg(DISTINCT d) FROM t");
        assert!(!distinct.contains("avg_of_parts"), "{distinct}");
        let wide = plan(
            "SELECT sum(CAST(d AS DECIMAL(30, 2))), count(*), \
            avg(CAST(d AS DECIMAL(30, 2))) FROM t",
        );
        assert!(!wide.contains("avg_of_parts"), "{wide}");
    }
}
