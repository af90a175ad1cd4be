//! DataFusion filters as storage predicates: `column op literal` (either side), `IS [NOT] NULL`.
//! A filter is translated only when its literal converts exactly to the column's type, so the
//! storage scan (which also prunes partitions, files and row groups with it) never drops a row the
//! filter keeps, and a partition whose bound the predicate holds for holds only rows the filter
//! keeps: a filter the partitions decide needs no row-by-row check there
//! (`provider::filter_pushdown`).

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use tabvault_storage::{ColumnType, CompareOp, Predicate, TableSchema, Value};

/// The storage predicate equivalent to `filter`, if there is one.
pub fn to_predicate(filter: &Expr, schema: &TableSchema) -> Option<Predicate> {
    match filter {
        Expr::IsNull(inner) => null_check(inner, CompareOp::IsNull, schema),
        Expr::IsNotNull(inner) => null_check(inner, CompareOp::IsNotNull, schema),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let op = compare_op(*op)?;
            match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v, _)) => comparison(&c.name, op, v, schema),
                (Expr::Literal(v, _), Expr::Column(c)) => {
                    comparison(&c.name, swapped(op), v, schema)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn null_check(inner: &Expr, op: CompareOp, schema: &TableSchema) -> Option<Predicate> {
    let Expr::Column(c) = inner else { return None };
    schema.column(&c.name)?;
    Some(Predicate::new(c.name.clone(), op, Value::Null))
}

fn comparison(
    column: &str,
    op: CompareOp,
    literal: &ScalarValue,
    schema: &TableSchema,
) -> Option<Predicate> {
    let ty = &schema.column(column)?.ty;
    let value = exact_value(literal, ty)?;
    Some(Predicate::new(column, op, value))
}

/// The literal as a value of `ty`, when that conversion loses nothing.
fn exact_value(literal: &ScalarValue, ty: &ColumnType) -> Option<Value> {
    let raw = match literal {
        ScalarValue::Boolean(Some(b)) => Value::Boolean(*b),
        ScalarValue::Int8(Some(v)) => Value::Int((*v).into()),
        ScalarValue::Int16(Some(v)) => Value::Int((*v).into()),
        ScalarValue::Int32(Some(v)) => Value::Int((*v).into()),
        ScalarValue::Int64(Some(v)) => Value::Int(*v),
        ScalarValue::UInt8(Some(v)) => Value::Int((*v).into()),
        ScalarValue::UInt16(Some(v)) => Value::Int((*v).into()),
        ScalarValue::UInt32(Some(v)) => Value::Int((*v).into()),
        ScalarValue::UInt64(Some(v)) => Value::Int(i64::try_from(*v).ok()?),
        ScalarValue::Float32(Some(v)) if is_float(ty) => Value::Float((*v).into()),
        ScalarValue::Float64(Some(v)) if is_float(ty) => Value::Float(*v),
        ScalarValue::Date32(Some(d)) => Value::Date(*d),
        ScalarValue::TimestampMicrosecond(Some(t), None) => Value::DateTime(*t),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
            if matches!(
                ty,
                ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String
            ) =>
        {
            Value::String(s.clone())
        }
        _ => return None,
    };
    // Integers into FLOAT/DOUBLE columns are exact only while they fit a double's mantissa.
    if let (Value::Int(i), true) = (&raw, is_float(ty))
        && i.unsigned_abs() > (1 << 53)
    {
        return None;
    }
    if matches!(ty, ColumnType::Decimal { .. } | ColumnType::LargeInt) {
        return None;
    }
    raw.coerce_to(ty).ok()
}

fn is_float(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Float | ColumnType::Double)
}

fn compare_op(op: Operator) -> Option<CompareOp> {
    Some(match op {
        Operator::Eq => CompareOp::Eq,
        Operator::NotEq => CompareOp::NotEq,
        Operator::Lt => CompareOp::Lt,
        Operator::LtEq => CompareOp::LtEq,
        Operator::Gt => CompareOp::Gt,
        Operator::GtEq => CompareOp::GtEq,
        _ => return None,
    })
}

/// `lit op col` as `col op' lit`.
fn swapped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::LtEq => CompareOp::GtEq,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::GtEq => CompareOp::LtEq,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};
    use tabvault_storage::{ColumnDef, Distribution, KeyModel, PartitionScheme, TableProperties};

    use super::*;

    fn schema() -> TableSchema {
        TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::TinyInt),
                ColumnDef::new("s", ColumnType::Varchar(3)),
                ColumnDef::new("f", ColumnType::Double),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Random { buckets: 1 },
            properties: TableProperties::default(),
        }
    }

    #[test]
    fn simple_comparisons_translate() {
        let s = schema();
        let p = to_predicate(&col("k").gt(lit(5i64)), &s).expect("pushed");
        assert_eq!(p, Predicate::new("k", CompareOp::Gt, Value::Int(5)));
        let p = to_predicate(&lit(5i64).gt(col("k")), &s).expect("pushed");
        assert_eq!(p.op, CompareOp::Lt);
        assert!(to_predicate(&col("k").is_null(), &s).is_some());
        assert!(to_predicate(&col("f").eq(lit(1.5f64)), &s).is_some());
    }

    #[test]
    fn inexact_conversions_are_not_pushed() {
        let s = schema();
        assert!(
            to_predicate(&col("k").gt(lit(500i64)), &s).is_none(),
            "out of TINYINT"
        );
        assert!(to_predicate(&col("s").eq(lit("toolong")), &s).is_none());
        assert!(to_predicate(&col("k").gt(lit(1.5f64)), &s).is_none());
        assert!(to_predicate(&col("nope").gt(lit(1i64)), &s).is_none());
        assert!(to_predicate(&col("k").gt(col("k")), &s).is_none());
    }
}
