//! `SHOW DATABASES`, `SHOW TABLES`, `DESC` and `SHOW PARTITIONS`: catalog facts as text tables
//! with StarRocks' column names.

use tabvault_storage::{
    Distribution, Engine, KeyModel, Partition, PartitionBound, RowsetKind, ScanRequest,
    TableVersion, Value, format_datetime,
};

use crate::error::Result;
use crate::query::{INFORMATION_SCHEMA, information_schema_tables, is_information_schema};
use crate::result::QueryResult;

/// Columns of `SHOW PARTITIONS` (StarRocks' names, in StarRocks' order).
pub const PARTITION_COLUMNS: [&str; 12] = [
    "PartitionId",
    "PartitionName",
    "VisibleVersion",
    "VisibleVersionTime",
    "State",
    "PartitionKey",
    "Range",
    "DistributionKey",
    "Buckets",
    "ReplicationNum",
    "DataSize",
    "RowCount",
];

/// What `SHOW FULL COLUMNS` and `information_schema.COLUMNS` say a user may do with a column.
pub(crate) const COLUMN_PRIVILEGES: &str = "select,insert,update,references";

/// `SHOW DATABASES`: information_schema first, as MySQL lists it, then the visible databases.
pub fn show_databases(engine: &Engine, visible: impl Fn(&str) -> bool) -> Result<QueryResult> {
    let rows = std::iter::once(INFORMATION_SCHEMA.to_owned())
        .chain(engine.database_names().into_iter().filter(|n| visible(n)))
        .map(|n| vec![Some(n)])
        .collect();
    QueryResult::text_table(&["Database"], rows)
}

/// `SHOW TABLES`: the tables and views of `db` that are `visible`, by name.
pub fn show_tables(
    engine: &Engine,
    db: &str,
    full: bool,
    visible: impl Fn(&str) -> bool,
) -> Result<QueryResult> {
    let mut names: Vec<(String, &str)> = if is_information_schema(db) {
        information_schema_tables()
            .into_iter()
            .map(|n| (n.to_owned(), "SYSTEM VIEW"))
            .collect()
    } else {
        let mut names: Vec<(String, &str)> = engine
            .table_names(db)?
            .into_iter()
            .map(|n| (n, "BASE TABLE"))
            .collect();
        names.extend(engine.views(db)?.into_iter().map(|v| (v.name, "VIEW")));
        names
    };
    names.retain(|(n, _)| visible(n));
    names.sort();
    let column = format!("Tables_in_{db}");
    if !full {
        let rows = names.into_iter().map(|(n, _)| vec![Some(n)]).collect();
        return QueryResult::text_table(&[column.as_str()], rows);
    }
    let rows = names
        .into_iter()
        .map(|(n, kind)| vec![Some(n), Some(kind.to_owned())])
        .collect();
    QueryResult::text_table(&[column.as_str(), "Table_type"], rows)
}

/// MySQL's columns of `SHOW INDEX`.
const INDEX_COLUMNS: [&str; 13] = [
    "Table",
    "Non_unique",
    "Key_name",
    "Seq_in_index",
    "Column_name",
    "Collation",
    "Cardinality",
    "Sub_part",
    "Packed",
    "Null",
    "Index_type",
    "Comment",
    "Index_comment",
];

/// `SHOW INDEX`: no rows (no secondary indexes), MySQL's columns.
pub fn show_index() -> Result<QueryResult> {
    QueryResult::text_table(&INDEX_COLUMNS, Vec::new())
}

/// `SHOW FULL COLUMNS` from `DESC`'s rows (`Field, Type, Null, Key, Default, Extra`): MySQL's
/// `Field, Type, Collation, Null, Key, Default, Extra, Privileges, Comment`.
pub fn full_columns(describe: &QueryResult, comments: &[Option<String>]) -> Result<QueryResult> {
    let rows = crate::result::text_rows(describe)?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let cell = |k: usize| row.get(k).cloned().flatten();
            vec![
                cell(0),
                cell(1),
                None,
                cell(2),
                cell(3),
                cell(4),
                cell(5),
                Some(COLUMN_PRIVILEGES.to_owned()),
                Some(comments.get(i).cloned().flatten().unwrap_or_default()),
            ]
        })
        .collect();
    QueryResult::text_table(
        &[
            "Field",
            "Type",
            "Collation",
            "Null",
            "Key",
            "Default",
            "Extra",
            "Privileges",
            "Comment",
        ],
        rows,
    )
}

/// `DESC t`: `Field, Type, Null, Key, Default, Extra`.
pub fn describe(version: &TableVersion) -> Result<QueryResult> {
    let schema = version.schema();
    let rows = schema
        .columns
        .iter()
        .map(|c| {
            let is_key = schema.key_columns.contains(&c.name);
            vec![
                Some(c.name.clone()),
                Some(c.ty.to_string()),
                Some(if c.nullable { "YES" } else { "NO" }.to_owned()),
                Some(is_key.to_string()),
                c.default.as_ref().map(ToString::to_string),
                Some(String::new()),
            ]
        })
        .collect();
    QueryResult::text_table(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}

/// `DESC v` of a view: its output columns, all nullable.
pub fn describe_fields(fields: &arrow::datatypes::Fields) -> Result<QueryResult> {
    let rows = fields
        .iter()
        .map(|f| {
            vec![
                Some(f.name().clone()),
                Some(f.data_type().to_string()),
                Some(if f.is_nullable() { "YES" } else { "NO" }.to_owned()),
                Some("false".to_owned()),
                None,
                Some(String::new()),
            ]
        })
        .collect();
    QueryResult::text_table(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}

/// `SHOW PARTITIONS FROM t`. `DataSize` is in bytes (the table's Parquet files, tombstones
/// included); `RowCount` counts visible rows (for PRIMARY KEY tables, after upserts and deletes).
pub fn show_partitions(version: &TableVersion) -> Result<QueryResult> {
    let schema = version.schema();
    let key = schema.partition_scheme.column().unwrap_or("").to_owned();
    let (distribution_key, buckets) = match &schema.distribution {
        Distribution::Hash { columns, buckets } => (columns.join(", "), *buckets),
        Distribution::Random { buckets } => ("RANDOM".to_owned(), *buckets),
    };
    let mut rows = Vec::new();
    for partition in version.table().partitions_in_order() {
        let rows_visible = row_count(version, partition)?;
        rows.push(vec![
            Some(partition.id.to_string()),
            Some(partition.name.clone()),
            Some(partition.visible_version.to_string()),
            Some(format_datetime(
                i64::try_from(partition.visible_version_time_ms)
                    .unwrap_or(i64::MAX / 1000)
                    .saturating_mul(1000),
            )),
            Some("NORMAL".to_owned()),
            Some(key.clone()),
            Some(bound_text(&partition.bound)),
            Some(distribution_key.clone()),
            Some(buckets.to_string()),
            Some(schema.properties.replication_num.to_string()),
            Some(data_size(partition).to_string()),
            Some(rows_visible.to_string()),
        ]);
    }
    QueryResult::text_table(&PARTITION_COLUMNS, rows)
}

fn data_size(partition: &Partition) -> u64 {
    partition
        .tablets
        .iter()
        .flat_map(|t| t.rowsets.iter())
        .map(|r| r.file.size_bytes)
        .sum()
}

/// The rows of `partition` a query would see: for PRIMARY KEY tables, after upserts and deletes
/// (a count by key); for DUPLICATE KEY tables, the rows of its data files.
pub(crate) fn row_count(version: &TableVersion, partition: &Partition) -> Result<u64> {
    if version.schema().key_model == KeyModel::Primary {
        let key = version.schema().key_columns.clone();
        let request = ScanRequest::all()
            .columns(key)
            .partitions([partition.name.clone()]);
        return Ok(version.count(&request)?);
    }
    Ok(partition
        .tablets
        .iter()
        .flat_map(|t| t.rowsets.iter())
        .filter(|r| r.kind == RowsetKind::Data)
        .map(|r| r.file.rows)
        .sum())
}

/// StarRocks' rendering of a partition's range or values.
fn bound_text(bound: &PartitionBound) -> String {
    let value = |v: &Option<Value>, missing: &str| {
        v.as_ref()
            .map_or_else(|| missing.to_owned(), ToString::to_string)
    };
    match bound {
        PartitionBound::Whole => String::new(),
        PartitionBound::Range { lower, upper } => format!(
            "[keys: [{}]; ..keys: [{}]; )",
            value(lower, "MINVALUE"),
            value(upper, "MAXVALUE")
        ),
        PartitionBound::List(values) => format!(
            "({})",
            values
                .iter()
                .map(|v| format!("('{v}')"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
