//! The partition spec of a table's Iceberg view: unpartitioned, unless the table's partitions map
//! exactly onto one Iceberg transform of its partition column, so that a reader pruning on the
//! transform's value never skips a file holding matching rows.
//!
//! - RANGE on DATE (or DATETIME with bounds at midnight) where every partition of the snapshot
//!   is exactly one calendar year `[Jan 1 Y, Jan 1 Y+1)` → `year`, else exactly one month →
//!   `month`, else exactly one day → `day` (the coarsest that fits every partition).
//! - LIST where every partition of the snapshot holds exactly one value → `identity`, for
//!   BOOLEAN, TINYINT/SMALLINT/INT, BIGINT, CHAR/VARCHAR/STRING, DATE and DATETIME columns.
//! - Anything else (an open bound, a span of another length, mixed lengths, a list of several
//!   values, another column type, an unpartitioned table) → the unpartitioned spec. Never a
//!   bucket transform: tabvault's bucket hash is not Iceberg's Murmur3.
//!
//! Transform results (spec "Partition Transforms"): `year` years since 1970 and `month` months
//! since 1970-01 (int), `day` the date, `identity` the value itself.

use serde_json::{Value as Json, json};
use tabvault_storage::internal::field_id;
use tabvault_storage::{
    ColumnType, MICROS_PER_DAY, PartitionBound, PartitionScheme, TableSchema, Value,
};
use tabvault_storage::{civil_from_days, days_from_civil};

use super::avro_binary::Encoder;
use super::bounds::single_value;

/// The id of a v2 table's first partition field.
pub(crate) const PARTITION_FIELD_ID_START: i32 = 1000;

/// The transforms the export uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transform {
    /// The value itself.
    Identity,
    /// Years since 1970.
    Year,
    /// Months since 1970-01.
    Month,
    /// The date (days since 1970-01-01).
    Day,
}

impl Transform {
    /// The transform's name in a partition spec.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
        }
    }
}

/// One field of a partition spec.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PartitionField {
    /// The field's name (the column's for identity, `<column>_<transform>` otherwise).
    pub name: String,
    /// How values derive from the source column.
    pub transform: Transform,
    /// The source column's field id.
    pub source_id: i32,
    /// The partition field's id (1000 and up).
    pub field_id: i32,
    /// The type of the field's values: INT for year and month, DATE for day, the source
    /// column's type for identity.
    pub result: ColumnType,
}

impl PartitionField {
    /// The field as a partition spec lists it.
    pub(crate) fn spec_json(&self) -> Json {
        json!({
            "name": self.name,
            "transform": self.transform.name(),
            "source-id": self.source_id,
            "field-id": self.field_id,
        })
    }

    /// The field of the manifest's `partition` record: optional, with its field id.
    pub(crate) fn avro_field(&self) -> Result<Json, String> {
        let ty = match self.result {
            ColumnType::Boolean => json!("boolean"),
            ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int => json!("int"),
            ColumnType::BigInt => json!("long"),
            ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => json!("string"),
            ColumnType::Date => json!({"type": "int", "logicalType": "date"}),
            ColumnType::DateTime => {
                json!({"type": "long", "logicalType": "timestamp-micros", "adjust-to-utc": false})
            }
            ref other => return Err(format!("no partition values of type {other}")),
        };
        Ok(json!({
            "name": self.name,
            "type": ["null", ty],
            "default": null,
            "field-id": self.field_id,
        }))
    }

    /// Writes a partition value as the manifest's `partition` record holds it: the optional's
    /// branch, then the value in the field's Avro type.
    pub(crate) fn encode_value(&self, value: &Value, e: &mut Encoder) -> Result<(), String> {
        let mismatch = || format!("partition value {value:?} is not a {}", self.result);
        let int = |i: i64| i32::try_from(i).map_err(|_| mismatch());
        if value.is_null() {
            e.null();
            return Ok(());
        }
        e.branch(1);
        match (&self.result, value) {
            (ColumnType::Boolean, Value::Boolean(b)) => e.boolean(*b),
            (ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int, Value::Int(i)) => {
                e.int(int(*i)?);
            }
            (ColumnType::BigInt, Value::Int(i)) => e.long(*i),
            (
                ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String,
                Value::String(s),
            ) => e.string(s),
            (ColumnType::Date, Value::Date(d)) => e.int(*d),
            (ColumnType::DateTime, Value::DateTime(us)) => e.long(*us),
            _ => return Err(mismatch()),
        }
        Ok(())
    }
}

/// The partition spec's fields as `metadata.json` and the manifest header list them.
pub(crate) fn spec_json(fields: &[PartitionField]) -> Json {
    Json::Array(fields.iter().map(PartitionField::spec_json).collect())
}

/// The highest partition field id (999 when there are none).
pub(crate) fn last_partition_id(fields: &[PartitionField]) -> i32 {
    fields
        .iter()
        .map(|f| f.field_id)
        .max()
        .unwrap_or(PARTITION_FIELD_ID_START - 1)
}

/// What one file (or the files of one manifest) say about one partition field in a manifest
/// list: the spec's `field_summary`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldSummary {
    /// Whether some value is NULL.
    pub contains_null: bool,
    /// Whether some value is NaN (never: no float partition values).
    pub contains_nan: bool,
    /// Appendix D bytes of the smallest non-NULL value.
    pub lower: Option<Vec<u8>>,
    /// Appendix D bytes of the largest non-NULL value.
    pub upper: Option<Vec<u8>>,
}

/// The summaries of `fields` over the partition tuples `values` (one per file).
pub(crate) fn summaries(
    fields: &[PartitionField],
    values: &[&[Value]],
) -> Result<Vec<FieldSummary>, String> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let column = values.iter().filter_map(|tuple| tuple.get(i));
            let mut lower: Option<&Value> = None;
            let mut upper: Option<&Value> = None;
            let mut contains_null = false;
            for value in column {
                if value.is_null() {
                    contains_null = true;
                    continue;
                }
                let below = |other: &Value| value.compare(other).is_some_and(|o| o.is_lt());
                let above = |other: &Value| value.compare(other).is_some_and(|o| o.is_gt());
                if lower.is_none_or(below) {
                    lower = Some(value);
                }
                if upper.is_none_or(above) {
                    upper = Some(value);
                }
            }
            let bytes = |v: Option<&Value>| match v {
                Some(v) => single_value(&field.result, v),
                None => Ok(None),
            };
            Ok(FieldSummary {
                contains_null,
                contains_nan: false,
                lower: bytes(lower)?,
                upper: bytes(upper)?,
            })
        })
        .collect()
}

/// The spec of a table whose snapshot holds partitions with `bounds`, and each partition's value
/// (in the order of `bounds`); `None` for the unpartitioned spec (also when there are none).
pub(crate) fn partition_spec(
    schema: &TableSchema,
    bounds: &[&PartitionBound],
) -> Option<(PartitionField, Vec<Value>)> {
    if bounds.is_empty() {
        return None;
    }
    let (column, list) = match &schema.partition_scheme {
        PartitionScheme::Unpartitioned => return None,
        PartitionScheme::Range { column } => (column, false),
        PartitionScheme::List { column } => (column, true),
    };
    let index = schema.column_index(column)?;
    let ty = &schema.columns.get(index)?.ty;
    let field = |name: String, transform: Transform, result: ColumnType| PartitionField {
        name,
        transform,
        source_id: field_id(index),
        field_id: PARTITION_FIELD_ID_START,
        result,
    };
    if list {
        let values = bounds
            .iter()
            .map(|b| single_list_value(ty, b))
            .collect::<Option<Vec<_>>>()?;
        return Some((
            field(column.clone(), Transform::Identity, ty.clone()),
            values,
        ));
    }
    let days = bounds
        .iter()
        .map(|b| day_range(ty, b))
        .collect::<Option<Vec<_>>>()?;
    [Transform::Year, Transform::Month, Transform::Day]
        .into_iter()
        .find_map(|transform| {
            let values = days
                .iter()
                .map(|&(lower, upper)| exact_value(transform, lower, upper))
                .collect::<Option<Vec<_>>>()?;
            let result = if transform == Transform::Day {
                ColumnType::Date
            } else {
                ColumnType::Int
            };
            let name = format!("{column}_{}", transform.name());
            Some((field(name, transform, result), values))
        })
}

/// The one value of a LIST partition holding exactly one, when identity can carry it.
fn single_list_value(ty: &ColumnType, bound: &PartitionBound) -> Option<Value> {
    let PartitionBound::List(values) = bound else {
        return None;
    };
    let [value] = values.as_slice() else {
        return None;
    };
    let carried = matches!(
        ty,
        ColumnType::Boolean
            | ColumnType::TinyInt
            | ColumnType::SmallInt
            | ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::Char(_)
            | ColumnType::Varchar(_)
            | ColumnType::String
            | ColumnType::Date
            | ColumnType::DateTime
    );
    // A value of another type than the column's (a bug, or a manifest another tool wrote) would
    // make readers prune wrongly: refuse it rather than guess.
    (carried && !value.is_null() && matches!(single_value(ty, value), Ok(Some(_))))
        .then(|| value.clone())
}

/// A closed RANGE bound of a DATE or DATETIME column as `[lower, upper)` in whole days.
fn day_range(ty: &ColumnType, bound: &PartitionBound) -> Option<(i64, i64)> {
    let PartitionBound::Range {
        lower: Some(lower),
        upper: Some(upper),
    } = bound
    else {
        return None;
    };
    let days = |v: &Value| match (ty, v) {
        (ColumnType::Date, Value::Date(d)) => Some(i64::from(*d)),
        (ColumnType::DateTime, Value::DateTime(us)) if us.rem_euclid(MICROS_PER_DAY) == 0 => {
            Some(us.div_euclid(MICROS_PER_DAY))
        }
        _ => None,
    };
    Some((days(lower)?, days(upper)?))
}

/// The value of `transform` shared by every day of `[lower, upper)`, when that range is exactly
/// one year, month or day.
fn exact_value(transform: Transform, lower: i64, upper: i64) -> Option<Value> {
    let (year, month, day) = civil_from_days(lower);
    let years = year - 1970;
    match transform {
        Transform::Year if month == 1 && day == 1 && upper == days_from_civil(year + 1, 1, 1) => {
            Some(Value::Int(years))
        }
        Transform::Month if day == 1 => {
            let (next_year, next_month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            (upper == days_from_civil(next_year, next_month, 1))
                .then(|| Value::Int(years * 12 + i64::from(month) - 1))
        }
        Transform::Day if upper == lower + 1 => i32::try_from(lower).ok().map(Value::Date),
        _ => None,
    }
    .filter(|v| !matches!(v, Value::Int(i) if i32::try_from(*i).is_err()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabvault_storage::{ColumnDef, Distribution, KeyModel, TableProperties};

    fn schema(scheme: PartitionScheme) -> TableSchema {
        TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("d", ColumnType::Date),
                ColumnDef::new("ts", ColumnType::DateTime),
                ColumnDef::new("region", ColumnType::Varchar(8)),
                ColumnDef::new("amount", ColumnType::Double),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: scheme,
            distribution: Distribution::Random { buckets: 1 },
            properties: TableProperties::default(),
        }
    }

    fn range(column: &str) -> TableSchema {
        schema(PartitionScheme::Range {
            column: column.into(),
        })
    }

    fn list(column: &str) -> TableSchema {
        schema(PartitionScheme::List {
            column: column.into(),
        })
    }

    fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d)
    }

    fn dates(lower: (i64, u32, u32), upper: (i64, u32, u32)) -> PartitionBound {
        let date = |(y, m, d)| Some(Value::Date(i32::try_from(day(y, m, d)).expect("date")));
        PartitionBound::Range {
            lower: date(lower),
            upper: date(upper),
        }
    }

    fn spec(
        schema: &TableSchema,
        bounds: &[PartitionBound],
    ) -> Option<(String, Transform, i32, ColumnType, Vec<Value>)> {
        let refs: Vec<&PartitionBound> = bounds.iter().collect();
        partition_spec(schema, &refs).map(|(f, values)| {
            assert_eq!(f.field_id, 1000);
            (f.name, f.transform, f.source_id, f.result, values)
        })
    }

    #[test]
    fn whole_years_get_the_year_transform() {
        let bounds = [
            dates((2023, 1, 1), (2024, 1, 1)),
            dates((1969, 1, 1), (1970, 1, 1)),
        ];
        assert_eq!(
            spec(&range("d"), &bounds),
            Some((
                "d_year".into(),
                Transform::Year,
                2,
                ColumnType::Int,
                vec![Value::Int(53), Value::Int(-1)]
            ))
        );
    }

    #[test]
    fn whole_months_get_the_month_transform() {
        let bounds = [
            dates((2024, 2, 1), (2024, 3, 1)),
            dates((2024, 12, 1), (2025, 1, 1)),
            dates((1969, 12, 1), (1970, 1, 1)),
        ];
        assert_eq!(
            spec(&range("d"), &bounds),
            Some((
                "d_month".into(),
                Transform::Month,
                2,
                ColumnType::Int,
                vec![
                    Value::Int(54 * 12 + 1),
                    Value::Int(54 * 12 + 11),
                    Value::Int(-1)
                ]
            ))
        );
    }

    #[test]
    fn whole_days_get_the_day_transform_also_on_datetime_at_midnight() {
        let bounds = [
            dates((2024, 2, 28), (2024, 2, 29)),
            dates((2024, 2, 29), (2024, 3, 1)),
        ];
        let expected_days = vec![
            Value::Date(day(2024, 2, 28) as i32),
            Value::Date(day(2024, 2, 29) as i32),
        ];
        assert_eq!(
            spec(&range("d"), &bounds),
            Some((
                "d_day".into(),
                Transform::Day,
                2,
                ColumnType::Date,
                expected_days.clone()
            ))
        );
        let micros = |d: i64| Some(Value::DateTime(d * MICROS_PER_DAY));
        let bounds = [
            PartitionBound::Range {
                lower: micros(day(2024, 2, 28)),
                upper: micros(day(2024, 2, 29)),
            },
            PartitionBound::Range {
                lower: micros(day(2024, 2, 29)),
                upper: micros(day(2024, 3, 1)),
            },
        ];
        assert_eq!(
            spec(&range("ts"), &bounds),
            Some((
                "ts_day".into(),
                Transform::Day,
                3,
                ColumnType::Date,
                expected_days
            ))
        );
        let years = [PartitionBound::Range {
            lower: micros(day(2020, 1, 1)),
            upper: micros(day(2021, 1, 1)),
        }];
        assert_eq!(
            spec(&range("ts"), &years).map(|s| (s.1, s.4)),
            Some((Transform::Year, vec![Value::Int(50)]))
        );
    }

    #[test]
    fn single_value_lists_get_identity() {
        let bounds = [
            PartitionBound::List(vec![Value::String("eu".into())]),
            PartitionBound::List(vec![Value::String("us".into())]),
        ];
        assert_eq!(
            spec(&list("region"), &bounds),
            Some((
                "region".into(),
                Transform::Identity,
                4,
                ColumnType::Varchar(8),
                vec![Value::String("eu".into()), Value::String("us".into())]
            ))
        );
        let dates = [PartitionBound::List(vec![Value::Date(19_000)])];
        assert_eq!(
            spec(&list("d"), &dates).map(|s| (s.1, s.3)),
            Some((Transform::Identity, ColumnType::Date))
        );
    }

    #[test]
    fn anything_else_is_unpartitioned() {
        let year = dates((2023, 1, 1), (2024, 1, 1));
        let month = dates((2024, 1, 1), (2024, 2, 1));
        let refused: Vec<(TableSchema, Vec<PartitionBound>)> = vec![
            // No partitions; an unpartitioned table.
            (range("d"), vec![]),
            (
                schema(PartitionScheme::Unpartitioned),
                vec![PartitionBound::Whole],
            ),
            // Open bounds.
            (
                range("d"),
                vec![PartitionBound::Range {
                    lower: None,
                    upper: Some(Value::Date(0)),
                }],
            ),
            (
                range("d"),
                vec![
                    year.clone(),
                    PartitionBound::Range {
                        lower: Some(Value::Date(19_723)),
                        upper: None,
                    },
                ],
            ),
            // Spans of no transform: two years, a year not starting on Jan 1, a week, two days.
            (range("d"), vec![dates((2022, 1, 1), (2024, 1, 1))]),
            (range("d"), vec![dates((2023, 2, 1), (2024, 2, 1))]),
            (range("d"), vec![dates((2024, 1, 1), (2024, 1, 8))]),
            (range("d"), vec![dates((2024, 1, 1), (2024, 1, 3))]),
            (range("d"), vec![dates((2024, 1, 15), (2024, 2, 15))]),
            // Mixed granularity.
            (range("d"), vec![year.clone(), month.clone()]),
            (range("d"), vec![month, dates((2024, 2, 1), (2024, 2, 2))]),
            // DATETIME bounds not at midnight.
            (
                range("ts"),
                vec![PartitionBound::Range {
                    lower: Some(Value::DateTime(1)),
                    upper: Some(Value::DateTime(MICROS_PER_DAY + 1)),
                }],
            ),
            // RANGE on another type.
            (
                range("k"),
                vec![PartitionBound::Range {
                    lower: Some(Value::Int(0)),
                    upper: Some(Value::Int(1)),
                }],
            ),
            // Lists of several values, a NULL, a value of the wrong type, a column of a type
            // identity does not carry here.
            (
                list("region"),
                vec![
                    PartitionBound::List(vec![Value::String("eu".into())]),
                    PartitionBound::List(vec![
                        Value::String("us".into()),
                        Value::String("ap".into()),
                    ]),
                ],
            ),
            (
                list("region"),
                vec![PartitionBound::List(vec![Value::Null])],
            ),
            (
                list("region"),
                vec![PartitionBound::List(vec![Value::Int(1)])],
            ),
            (
                list("amount"),
                vec![PartitionBound::List(vec![Value::Float(1.5)])],
            ),
            // A range bound in a LIST table, a date range holding values of another type.
            (list("d"), vec![year]),
            (
                range("d"),
                vec![PartitionBound::Range {
                    lower: Some(Value::Int(0)),
                    upper: Some(Value::Int(365)),
                }],
            ),
        ];
        for (schema, bounds) in refused {
            assert_eq!(spec(&schema, &bounds), None, "{bounds:?}");
        }
    }

    #[test]
    fn summaries_bound_the_values_in_appendix_d_bytes() -> Result<(), String> {
        let field = PartitionField {
            name: "d_year".into(),
            transform: Transform::Year,
            source_id: 2,
            field_id: 1000,
            result: ColumnType::Int,
        };
        let tuples = [
            vec![Value::Int(54)],
            vec![Value::Int(-1)],
            vec![Value::Int(3)],
        ];
        let refs: Vec<&[Value]> = tuples.iter().map(Vec::as_slice).collect();
        assert_eq!(
            summaries(std::slice::from_ref(&field), &refs)?,
            vec![FieldSummary {
                contains_null: false,
                contains_nan: false,
                lower: Some((-1i32).to_le_bytes().to_vec()),
                upper: Some(54i32.to_le_bytes().to_vec()),
            }]
        );
        let mut written = Encoder::default();
        field.encode_value(&Value::Int(54), &mut written)?;
        // The optional's second branch (1 → zig-zag 2), then int 54 (zig-zag 108).
        assert_eq!(written.into_bytes(), [2, 108]);
        assert!(
            field
                .encode_value(&Value::Int(i64::MAX), &mut Encoder::default())
                .is_err()
        );
        Ok(())
    }
}
