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

#[cfg(test)]
mod tests {
    use super::*;

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
