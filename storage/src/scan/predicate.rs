//! Simple column predicates (`column op literal`), used both to filter rows and to skip partitions,
//! files and row groups whose bounds prove that no row can match.

use arrow::array::{ArrayRef, BooleanArray, Scalar};
use arrow::compute::kernels::cmp;
use arrow::compute::{is_not_null, is_null};
use arrow::record_batch::RecordBatch;

use crate::error::{CatalogKind, Result, StorageError};
use crate::schema::{PartitionBound, TableSchema};
use crate::types::ColumnType;
use crate::value::Value;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `IS NULL` (the value is ignored)
    IsNull,
    /// `IS NOT NULL` (the value is ignored)
    IsNotNull,
}

/// `column op value`. Scans return only rows for which every predicate holds (SQL semantics: a
/// comparison with NULL does not hold).
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    /// Column name.
    pub column: String,
    /// Operator.
    pub op: CompareOp,
    /// Literal operand, coerced to the column's type when the scan starts.
    pub value: Value,
}

impl Predicate {
    /// `column op value`.
    pub fn new(column: impl Into<String>, op: CompareOp, value: Value) -> Self {
        Self {
            column: column.into(),
            op,
            value,
        }
    }

    /// Checks the column exists and coerces the literal to its type.
    pub(crate) fn bind(&self, schema: &TableSchema) -> Result<BoundPredicate> {
        let column = schema
            .column(&self.column)
            .ok_or_else(|| StorageError::NotFound {
                kind: CatalogKind::Column,
                name: self.column.clone(),
            })?;
        let value = match self.op {
            CompareOp::IsNull | CompareOp::IsNotNull => Value::Null,
            _ => self.value.coerce_to(&column.ty).map_err(|_| {
                StorageError::InvalidData(format!(
                    "cannot compare column '{}' of type {} with {}",
                    self.column, column.ty, self.value
                ))
            })?,
        };
        Ok(BoundPredicate {
            column: self.column.clone(),
            ty: column.ty.clone(),
            op: self.op,
            value,
        })
    }
}

/// A predicate checked against a table schema, with its literal of the column's type.
#[derive(Clone, Debug)]
pub(crate) struct BoundPredicate {
    pub column: String,
    pub ty: ColumnType,
    pub op: CompareOp,
    pub value: Value,
}

impl BoundPredicate {
    /// Row mask over `batch` (which must contain the column).
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        let array: &ArrayRef =
            batch
                .column_by_name(&self.column)
                .ok_or_else(|| StorageError::NotFound {
                    kind: CatalogKind::Column,
                    name: self.column.clone(),
                })?;
        if self.value.is_null() {
            return Ok(match self.op {
                CompareOp::IsNull => is_null(array)?,
                CompareOp::IsNotNull => is_not_null(array)?,
                _ => BooleanArray::from(vec![false; array.len()]),
            });
        }
        let literal = Scalar::new(self.value.to_array(&self.ty, 1)?);
        let mask = match self.op {
            CompareOp::Eq => cmp::eq(array, &literal)?,
            CompareOp::NotEq => cmp::neq(array, &literal)?,
            CompareOp::Lt => cmp::lt(array, &literal)?,
            CompareOp::LtEq => cmp::lt_eq(array, &literal)?,
            CompareOp::Gt => cmp::gt(array, &literal)?,
            CompareOp::GtEq => cmp::gt_eq(array, &literal)?,
            CompareOp::IsNull => is_null(array)?,
            CompareOp::IsNotNull => is_not_null(array)?,
        };
        Ok(mask)
    }

    /// False only when no value within `[min, max]` (with `null_count` NULLs among `rows`) can
    /// satisfy the predicate. Unknown bounds or counts mean "may match".
    pub fn may_match_bounds(
        &self,
        min: Option<&Value>,
        max: Option<&Value>,
        null_count: Option<u64>,
        rows: u64,
    ) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        let v = &self.value;
        let cmp = |bound: Option<&Value>| bound.and_then(|b| b.compare(v));
        match self.op {
            CompareOp::IsNull => null_count.is_none_or(|n| n > 0),
            CompareOp::IsNotNull => null_count.is_none_or(|n| n < rows),
            _ if rows > 0 && null_count.is_some_and(|n| n >= rows) => false,
            CompareOp::Eq => cmp(min) != Some(Greater) && cmp(max) != Some(Less),
            CompareOp::NotEq => {
                !(cmp(min) == Some(std::cmp::Ordering::Equal)
                    && cmp(max) == Some(std::cmp::Ordering::Equal))
            }
            CompareOp::Lt => cmp(min).is_none_or(|o| o == Less),
            CompareOp::LtEq => cmp(min) != Some(Greater),
            CompareOp::Gt => cmp(max).is_none_or(|o| o == Greater),
            CompareOp::GtEq => cmp(max) != Some(Less),
        }
    }

    /// False only when no row of a partition with this bound can satisfy the predicate.
    pub fn may_match_partition(&self, bound: &PartitionBound) -> bool {
        match bound {
            PartitionBound::Whole => true,
            PartitionBound::List(values) => match self.op {
                CompareOp::IsNull => false,
                CompareOp::IsNotNull => true,
                _ => values
                    .iter()
                    .any(|x| self.may_match_bounds(Some(x), Some(x), Some(0), 1)),
            },
            PartitionBound::Range { lower, upper } => {
                use std::cmp::Ordering::{Greater, Less};
                // Values of the partition lie in [lower, upper).
                let lower_vs = lower.as_ref().and_then(|l| l.compare(&self.value));
                let upper_above = upper
                    .as_ref()
                    .is_none_or(|u| u.compare(&self.value) == Some(Greater));
                match self.op {
                    CompareOp::IsNull => lower.is_none(),
                    CompareOp::IsNotNull | CompareOp::NotEq => true,
                    CompareOp::Eq => lower_vs != Some(Greater) && upper_above,
                    CompareOp::Lt => lower.is_none() || lower_vs == Some(Less),
                    CompareOp::LtEq => lower_vs != Some(Greater),
                    CompareOp::Gt | CompareOp::GtEq => upper_above,
                }
            }
        }
    }
}

impl BoundPredicate {
    /// True only when every row a partition with this bound can hold satisfies the predicate:
    /// then a reader of that partition need not check it. `nullable` says whether the
    /// partitioning column admits NULL, which the range partition without a lower bound holds and
    /// no comparison accepts.
    pub fn holds_for_partition(&self, bound: &PartitionBound, nullable: bool) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        let vs_value = |bound: &Option<Value>| bound.as_ref().and_then(|b| b.compare(&self.value));
        match bound {
            PartitionBound::Whole => false,
            PartitionBound::List(values) => values.iter().all(|x| self.holds_for_value(x)),
            PartitionBound::Range { lower, upper } => {
                if nullable && lower.is_none() {
                    return false;
                }
                // Values of the partition lie in [lower, upper).
                let (lower, upper) = (vs_value(lower), vs_value(upper));
                match self.op {
                    CompareOp::IsNotNull => true,
                    CompareOp::IsNull | CompareOp::Eq => false,
                    CompareOp::GtEq => lower.is_some_and(|o| o != Less),
                    CompareOp::Gt => lower == Some(Greater),
                    CompareOp::Lt | CompareOp::LtEq => upper.is_some_and(|o| o != Greater),
                    CompareOp::NotEq => {
                        lower == Some(Greater) || upper.is_some_and(|o| o != Greater)
                    }
                }
            }
        }
    }

    /// Whether the non-NULL value `x` of the column satisfies the predicate.
    fn holds_for_value(&self, x: &Value) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let ordering = x.compare(&self.value);
        match self.op {
            CompareOp::IsNotNull => !x.is_null(),
            CompareOp::IsNull => x.is_null(),
            CompareOp::Eq => ordering == Some(Equal),
            CompareOp::NotEq => ordering.is_some_and(|o| o != Equal),
            CompareOp::Lt => ordering == Some(Less),
            CompareOp::LtEq => ordering.is_some_and(|o| o != Greater),
            CompareOp::Gt => ordering == Some(Greater),
            CompareOp::GtEq => ordering.is_some_and(|o| o != Less),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(lower: Option<i64>, upper: Option<i64>) -> PartitionBound {
        PartitionBound::Range {
            lower: lower.map(Value::Int),
            upper: upper.map(Value::Int),
        }
    }

    #[test]
    fn a_predicate_holds_for_a_partition_only_when_every_value_there_satisfies_it() {
        let year = range(Some(10), Some(20));
        assert!(pred(CompareOp::GtEq, 10).holds_for_partition(&year, true));
        assert!(!pred(CompareOp::GtEq, 11).holds_for_partition(&year, true));
        assert!(pred(CompareOp::Gt, 9).holds_for_partition(&year, true));
        assert!(!pred(CompareOp::Gt, 10).holds_for_partition(&year, true));
        assert!(pred(CompareOp::Lt, 20).holds_for_partition(&year, true));
        assert!(pred(CompareOp::LtEq, 25).holds_for_partition(&year, true));
        assert!(!pred(CompareOp::Lt, 19).holds_for_partition(&year, true));
        assert!(pred(CompareOp::NotEq, 20).holds_for_partition(&year, true));
        assert!(pred(CompareOp::NotEq, 9).holds_for_partition(&year, true));
        assert!(!pred(CompareOp::NotEq, 15).holds_for_partition(&year, true));
        assert!(!pred(CompareOp::Eq, 10).holds_for_partition(&year, true));
        assert!(pred(CompareOp::GtEq, 0).holds_for_partition(&range(Some(10), None), true));
        assert!(!pred(CompareOp::Lt, 30).holds_for_partition(&range(Some(10), None), true));
        // The partition without a lower bound holds the NULLs of a nullable column.
        let lowest = range(None, Some(10));
        assert!(!pred(CompareOp::Lt, 10).holds_for_partition(&lowest, true));
        assert!(pred(CompareOp::Lt, 10).holds_for_partition(&lowest, false));
        assert!(!pred(CompareOp::IsNotNull, 0).holds_for_partition(&lowest, true));
        assert!(pred(CompareOp::IsNotNull, 0).holds_for_partition(&year, true));
        let list = PartitionBound::List(vec![Value::Int(1), Value::Int(3)]);
        assert!(pred(CompareOp::Lt, 4).holds_for_partition(&list, true));
        assert!(!pred(CompareOp::Lt, 3).holds_for_partition(&list, true));
        assert!(!pred(CompareOp::Gt, 0).holds_for_partition(&PartitionBound::Whole, false));
    }

    fn pred(op: CompareOp, v: i64) -> BoundPredicate {
        BoundPredicate {
            column: "c".into(),
            ty: ColumnType::BigInt,
            op,
            value: Value::Int(v),
        }
    }

    #[test]
    fn bounds_prune_only_impossible_ranges() {
        let (lo, hi) = (Value::Int(10), Value::Int(20));
        assert!(pred(CompareOp::Eq, 15).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(!pred(CompareOp::Eq, 25).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(!pred(CompareOp::Lt, 10).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(pred(CompareOp::LtEq, 10).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(!pred(CompareOp::Gt, 20).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(pred(CompareOp::GtEq, 20).may_match_bounds(Some(&lo), Some(&hi), Some(0), 5));
        assert!(pred(CompareOp::Eq, 25).may_match_bounds(None, None, None, 5));
    }

    #[test]
    fn range_partitions_exclude_their_upper_bound() {
        let bound = PartitionBound::Range {
            lower: Some(Value::Int(10)),
            upper: Some(Value::Int(20)),
        };
        assert!(!pred(CompareOp::Eq, 20).may_match_partition(&bound));
        assert!(!pred(CompareOp::GtEq, 20).may_match_partition(&bound));
        assert!(pred(CompareOp::Gt, 18).may_match_partition(&bound));
        assert!(pred(CompareOp::Eq, 10).may_match_partition(&bound));
        assert!(!pred(CompareOp::Lt, 10).may_match_partition(&bound));
    }
}
