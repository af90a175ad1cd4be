//! `count(DISTINCT x)` over a stored integer column as a bitmap over the column's recorded range.
//!
//! DataFusion counts distinct values by grouping on them: each row probes a hash table as large
//! as the number of distinct values, a cache miss once that outgrows the caches (200 000 part
//! keys: 4 MiB per partition). The files of a stored table record each integer column's bounds,
//! so for a query without GROUP BY, [`DenseDistinctCounts`] plans `count(DISTINCT x)` as
//! [`DenseCountDistinct`] when the table's values of `x` span at most [`SPAN_MAX`] integers and
//! at most [`SPAN_PER_ROW_MAX`] per stored row, outside correlated subqueries: each
//! row sets one bit of a bitmap of that span (25 KiB for those part keys), partial bitmaps are
//! ORed and the answer is the number of bits set. A value outside the recorded bounds (which the
//! files' statistics rule out) is kept in a hash set beside the bitmap, so the count is exact
//! whatever the statistics say.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result as DfResult, ScalarValue, internal_err};
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, Aggregate, AggregateUDF, AggregateUDFImpl, Expr, LogicalPlan, Signature,
    Volatility,
};
use datafusion::optimizer::AnalyzerRule;

use crate::query::stored_column::read_stored_column;

/// The widest span of values a bitmap covers: 2^26 bits, 8 MiB per partial count.
const SPAN_MAX: i128 = 1 << 26;

/// The widest span per stored row: a bitmap is used only where it is not much larger than the
/// hash table of the values would be (8 bytes a value against 8 bytes per 64 values of span).
const SPAN_PER_ROW_MAX: i128 = 64;

/// `dense_count_distinct(x)`: `count(DISTINCT x)` for integer `x` whose values lie (almost all)
/// in `base..base + span`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct DenseCountDistinct {
    base: i64,
    span: usize,
    signature: Signature,
}

impl AggregateUDFImpl for DenseCountDistinct {
    fn name(&self) -> &str {
        "dense_count_distinct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(DistinctBits {
            base: self.base,
            words: vec![0; self.span.div_ceil(64)],
            span: self.span,
            outliers: HashSet::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let outlier = Arc::new(Field::new_list_field(DataType::Int64, true));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[bits]", args.name),
                DataType::Binary,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[outliers]", args.name),
                DataType::List(outlier),
                true,
            )),
        ])
    }

    fn default_value(&self, _data_type: &DataType) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }
}

/// The distinct values seen so far: a bit per value of `base..base + span`, and the others.
#[derive(Debug)]
struct DistinctBits {
    base: i64,
    span: usize,
    words: Vec<u64>,
    outliers: HashSet<i64>,
}

impl DistinctBits {
    fn insert(&mut self, value: i64) {
        let offset = value.wrapping_sub(self.base) as u64;
        if offset < self.span as u64 {
            self.words[(offset / 64) as usize] |= 1 << (offset % 64);
        } else {
            self.outliers.insert(value);
        }
    }
}

impl Accumulator for DistinctBits {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let [values] = values else {
            return internal_err!("dense_count_distinct takes one argument");
        };
        let values = cast(values, &DataType::Int64)?;
        let values = values.as_primitive::<Int64Type>();
        if values.null_count() == 0 {
            for &value in values.values() {
                self.insert(value);
            }
        } else {
            for value in values.iter().flatten() {
                self.insert(value);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let bits: u64 = self.words.iter().map(|w| u64::from(w.count_ones())).sum();
        let count = bits + self.outliers.len() as u64;
        Ok(ScalarValue::Int64(Some(
            i64::try_from(count).unwrap_or(i64::MAX),
        )))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.words.capacity() * 8 + self.outliers.capacity() * 16
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let bits: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let outliers: Int64Array = self.outliers.iter().copied().collect();
        Ok(vec![
            ScalarValue::Binary(Some(bits)),
            ScalarValue::List(Arc::new(
                datafusion::common::utils::SingleRowListArrayBuilder::new(Arc::new(outliers))
                    .build_list_array(),
            )),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let [bits, outliers] = states else {
            return internal_err!("dense_count_distinct merges two state columns");
        };
        for state in bits.as_binary::<i32>().iter().flatten() {
            if state.len() != self.words.len() * 8 {
                return internal_err!("dense_count_distinct state of {} bytes", state.len());
            }
            for (word, bytes) in self.words.iter_mut().zip(state.chunks_exact(8)) {
                let mut le = [0; 8];
                le.copy_from_slice(bytes);
                *word |= u64::from_le_bytes(le);
            }
        }
        for list in outliers.as_list::<i32>().iter().flatten() {
            self.update_batch(&[list])?;
        }
        Ok(())
    }
}

/// Plans `count(DISTINCT x)` of an aggregate without GROUP BY as [`DenseCountDistinct`] when
/// `x` is a stored integer column whose recorded bounds span at most [`SPAN_MAX`] values. An
/// analyzer rule, so that it runs before DataFusion's optimizer turns the count into a GROUP BY.
#[derive(Debug)]
pub(crate) struct DenseDistinctCounts;

impl AnalyzerRule for DenseDistinctCounts {
    fn name(&self) -> &str {
        "dense_distinct_counts"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Aggregate(aggregate)
                if aggregate.group_expr.is_empty() && !correlated(&aggregate)? =>
            {
                dense(aggregate)
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|rewritten| rewritten.data)
    }
}

/// Whether `aggregate` or its input refers to an outer query's columns. DataFusion decorrelates
/// such a subquery by grouping it on those columns, which would make one bitmap per group.
fn correlated(aggregate: &Aggregate) -> DfResult<bool> {
    let outer = aggregate
        .aggr_expr
        .iter()
        .any(datafusion::logical_expr::Expr::contains_outer);
    Ok(outer
        || aggregate
            .input
            .exists(|node| Ok(node.contains_outer_reference()))?)
}

/// `aggregate` with each `count(DISTINCT x)` that a bitmap can count replaced.
fn dense(aggregate: Aggregate) -> DfResult<Transformed<LogicalPlan>> {
    let mut changed = false;
    let mut exprs = Vec::with_capacity(aggregate.aggr_expr.len());
    for expr in &aggregate.aggr_expr {
        match dense_count(expr, &aggregate)? {
            Some(dense) => {
                changed = true;
                exprs.push(dense);
            }
            None => exprs.push(expr.clone()),
        }
    }
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Aggregate(aggregate)));
    }
    let rewritten = Aggregate::try_new(aggregate.input, aggregate.group_expr, exprs)?;
    Ok(Transformed::yes(LogicalPlan::Aggregate(rewritten)))
}

/// The [`DenseCountDistinct`] call, named as `expr`, that counts what `expr` counts, if `expr`
/// is a plain `count(DISTINCT column)` of a stored integer column with a narrow recorded span.
fn dense_count(expr: &Expr, aggregate: &Aggregate) -> DfResult<Option<Expr>> {
    let (inner, alias) = match expr {
        Expr::Alias(alias) => (alias.expr.as_ref(), Some(alias)),
        other => (other, None),
    };
    let Expr::AggregateFunction(AggregateFunction {
        func,
        params:
            AggregateFunctionParams {
                args,
                distinct: true,
                filter: None,
                order_by,
                null_treatment: None,
            },
    }) = inner
    else {
        return Ok(None);
    };
    let [Expr::Column(column)] = args.as_slice() else {
        return Ok(None);
    };
    if func.name() != "count" || !order_by.is_empty() {
        return Ok(None);
    }
    let (_, field) = aggregate
        .input
        .schema()
        .qualified_field_from_column(column)?;
    // The stored integer types (TINYINT to BIGINT) as queries see them.
    if !matches!(
        field.data_type(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
    ) {
        return Ok(None);
    }
    let bounds = read_stored_column(&aggregate.input, column, |table, name| {
        table.integer_bounds(name)
    });
    let Some(((min, max), rows)) = bounds else {
        return Ok(None);
    };
    let span = i128::from(max) - i128::from(min) + 1;
    let narrow = span <= SPAN_MAX && span <= SPAN_PER_ROW_MAX * i128::from(rows);
    let Ok(span) = usize::try_from(span) else {
        return Ok(None);
    };
    if !narrow || span == 0 {
        return Ok(None);
    }
    let function = AggregateUDF::new_from_impl(DenseCountDistinct {
        base: min,
        span,
        signature: Signature::any(1, Volatility::Immutable),
    });
    let call = Expr::AggregateFunction(AggregateFunction::new_udf(
        Arc::new(function),
        args.clone(),
        false,
        None,
        vec![],
        None,
    ));
    Ok(Some(match alias {
        Some(alias) => call.alias_qualified(alias.relation.clone(), alias.name.clone()),
        None => call.alias(inner.schema_name().to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use arrow::array::Int32Array;
    use proptest::prelude::*;

    use super::*;

    fn bits(base: i64, span: usize) -> DistinctBits {
        DistinctBits {
            base,
            span,
            words: vec![0; span.div_ceil(64)],
            outliers: HashSet::new(),
        }
    }

    proptest! {
        /// Counted in partial bitmaps that are then merged, the count is the number of
        /// distinct non-NULL values, values outside the span included.
        #[test]
        fn counts_distinct_values(
            parts in proptest::collection::vec(
                proptest::collection::vec(proptest::option::weighted(0.9, -20_i32..150), 0..80),
                1..4,
            ),
            base in -10_i64..10,
            span in 1_usize..130,
        ) {
            let mut total = bits(base, span);
            for part in &parts {
                let mut partial = bits(base, span);
                let values: ArrayRef = Arc::new(Int32Array::from(part.clone()));
                partial.update_batch(&[values]).expect("updates");
                let state: Vec<ArrayRef> = partial
                    .state()
                    .expect("state")
                    .iter()
                    .map(|s| s.to_array().expect("an array"))
                    .collect();
                total.merge_batch(&state).expect("merges");
            }
            let distinct: HashSet<i32> = parts.iter().flatten().flatten().copied().collect();
            let count = i64::try_from(distinct.len()).expect("small");
            prop_assert_eq!(total.evaluate().expect("evaluates"), ScalarValue::Int64(Some(count)));
        }
    }
}
