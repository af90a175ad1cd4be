//! `information_schema.PARTITIONS`: one row per partition of each table the user may see, with
//! its rows, bytes and last change; an unpartitioned table has one row whose partition columns
//! are NULL, as in MySQL.

use datafusion::error::Result as DfResult;
use tabvault_storage::{Partition, PartitionBound, PartitionScheme, Value};

use super::rows::{Cell, Kind};
use super::{CATALOG_NAME, ObjectKind, Stats, visible_objects};
use crate::literal::backquote;
use crate::query::QueryEnv;

/// MySQL's columns.
pub(super) const COLUMNS: &[(&str, Kind)] = &[
    ("TABLE_CATALOG", Kind::Text),
    ("TABLE_SCHEMA", Kind::Text),
    ("TABLE_NAME", Kind::Text),
    ("PARTITION_NAME", Kind::Text),
    ("SUBPARTITION_NAME", Kind::Text),
    ("PARTITION_ORDINAL_POSITION", Kind::Int),
    ("SUBPARTITION_ORDINAL_POSITION", Kind::Int),
    ("PARTITION_METHOD", Kind::Text),
    ("SUBPARTITION_METHOD", Kind::Text),
    ("PARTITION_EXPRESSION", Kind::Text),
    ("SUBPARTITION_EXPRESSION", Kind::Text),
    ("PARTITION_DESCRIPTION", Kind::Text),
    ("TABLE_ROWS", Kind::Int),
    ("AVG_ROW_LENGTH", Kind::Int),
    ("DATA_LENGTH", Kind::Int),
    ("MAX_DATA_LENGTH", Kind::Int),
    ("INDEX_LENGTH", Kind::Int),
    ("DATA_FREE", Kind::Int),
    ("CREATE_TIME", Kind::Time),
    ("UPDATE_TIME", Kind::Time),
    ("CHECK_TIME", Kind::Time),
    ("CHECKSUM", Kind::Int),
    ("PARTITION_COMMENT", Kind::Text),
    ("NODEGROUP", Kind::Text),
    ("TABLESPACE_NAME", Kind::Text),
];

/// The rows the user of `env` sees.
pub(super) fn rows(env: &QueryEnv) -> DfResult<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for object in visible_objects(env) {
        let ObjectKind::Table(version) = &object.kind else {
            continue;
        };
        let names = [object.db.as_str(), object.name.as_str()];
        let scheme = &version.schema().partition_scheme;
        if *scheme == PartitionScheme::Unpartitioned {
            let stats = Stats::of(version, version.table().partitions.values())?;
            rows.push(row(names, None, stats));
            continue;
        }
        for (ordinal, partition) in version
            .table()
            .partitions_in_order()
            .into_iter()
            .enumerate()
        {
            let stats = Stats::of(version, [partition])?;
            let named = Named {
                partition,
                ordinal: i64::try_from(ordinal + 1).unwrap_or(i64::MAX),
                scheme,
            };
            rows.push(row(names, Some(named), stats));
        }
    }
    Ok(rows)
}

/// A partition of a partitioned table, with its place among the table's partitions.
struct Named<'a> {
    partition: &'a Partition,
    ordinal: i64,
    scheme: &'a PartitionScheme,
}

fn row([db, table]: [&str; 2], named: Option<Named<'_>>, stats: Stats) -> Vec<Cell> {
    let (name, ordinal, method, expression, description) = match named {
        Some(Named {
            partition,
            ordinal,
            scheme,
        }) => (
            partition.name.clone().into(),
            Cell::Int(ordinal),
            method_of(scheme).into(),
            scheme.column().map(backquote).into(),
            description_of(&partition.bound).into(),
        ),
        None => (Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null),
    };
    let [table_rows, average, data] = stats.size_cells();
    vec![
        CATALOG_NAME.into(),
        db.into(),
        table.into(),
        name,
        Cell::Null,
        ordinal,
        Cell::Null,
        method,
        Cell::Null,
        expression,
        Cell::Null,
        description,
        table_rows,
        average,
        data,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        stats.update_time(),
        Cell::Null,
        Cell::Null,
        "".into(),
        Cell::Null,
        Cell::Null,
    ]
}

/// `PARTITION_METHOD` of a partitioned table: `RANGE COLUMNS`/`LIST COLUMNS` being MySQL's names
/// for partitioning on a column's values, StarRocks shows the plain `RANGE`/`LIST`.
fn method_of(scheme: &PartitionScheme) -> Option<String> {
    match scheme {
        PartitionScheme::Unpartitioned => None,
        PartitionScheme::Range { .. } => Some("RANGE".to_owned()),
        PartitionScheme::List { .. } => Some("LIST".to_owned()),
    }
}

/// `PARTITION_DESCRIPTION` as MySQL writes it: a range partition's upper bound (`MAXVALUE` when
/// it has none), a list partition's values separated by commas.
fn description_of(bound: &PartitionBound) -> Option<String> {
    match bound {
        PartitionBound::Whole => None,
        PartitionBound::Range { upper, .. } => Some(
            upper
                .as_ref()
                .map_or_else(|| "MAXVALUE".to_owned(), value_text),
        ),
        PartitionBound::List(values) => {
            Some(values.iter().map(value_text).collect::<Vec<_>>().join(","))
        }
    }
}

/// A bound value as MySQL writes it in `PARTITION_DESCRIPTION`: numbers bare, others quoted.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(_) | Value::Date(_) | Value::DateTime(_) => format!("'{value}'"),
        other => other.to_string(),
    }
}
