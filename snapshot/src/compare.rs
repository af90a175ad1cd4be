//! Restoring onto an existing table: the checks that decide whether its schema matches the
//! snapshot's, with StarRocks' messages naming the first difference (reference §4).

use tabvault_storage::{ColumnDef, PartitionScheme, Table, TableSchema};

use crate::error::SnapshotError;
use crate::manifest::PartitionEntry;

fn column_text(column: Option<&ColumnDef>) -> String {
    match column {
        None => "(none)".into(),
        Some(c) => {
            let null = if c.nullable { "NULL" } else { "NOT NULL" };
            match &c.default {
                Some(d) => format!("{} {} {null} DEFAULT \"{d}\"", c.name, c.ty),
                None => format!("{} {} {null}", c.name, c.ty),
            }
        }
    }
}

fn same_column(a: &ColumnDef, b: &ColumnDef) -> bool {
    a.name == b.name && a.ty == b.ty && a.nullable == b.nullable && a.default == b.default
}

fn scheme_kind(scheme: &PartitionScheme) -> &'static str {
    match scheme {
        PartitionScheme::Unpartitioned => "UNPARTITIONED",
        PartitionScheme::Range { .. } => "RANGE",
        PartitionScheme::List { .. } => "LIST",
    }
}

/// Checks that existing table `name` may receive `partitions` of a snapshot table with `snapshot`
/// schema: columns, keys, partitioning, distribution, then each partition's bound.
pub fn check_existing_table(
    name: &str,
    existing: &Table,
    snapshot: &TableSchema,
    partitions: &[PartitionEntry],
) -> Result<(), SnapshotError> {
    let mismatch = |why: String| {
        Err(SnapshotError::SchemaMismatch(format!(
            "Table {name} already exist but with different schema, {why}"
        )))
    };
    let mine = &existing.schema;
    let count = mine.columns.len().max(snapshot.columns.len());
    for i in 0..count {
        let (a, b) = (mine.columns.get(i), snapshot.columns.get(i));
        if !matches!((a, b), (Some(a), Some(b)) if same_column(a, b)) {
            return mismatch(format!(
                "column: {} in existed table is different from the column in backup snapshot, column: {}",
                column_text(a),
                column_text(b)
            ));
        }
    }
    if mine.key_model != snapshot.key_model {
        return Err(SnapshotError::SchemaMismatch(format!(
            "Table {name} already exist but with different key type"
        )));
    }
    if mine.key_columns != snapshot.key_columns {
        return mismatch("errMsg: key columns are inconsistent".into());
    }
    if scheme_kind(&mine.partition_scheme) != scheme_kind(&snapshot.partition_scheme) {
        return mismatch("errMsg: partition type is inconsistent".into());
    }
    if mine.partition_scheme != snapshot.partition_scheme {
        return mismatch("errMsg: partition columns is inconsistent".into());
    }
    let same_kind = std::mem::discriminant(&mine.distribution)
        == std::mem::discriminant(&snapshot.distribution);
    let same_columns = match (&mine.distribution, &snapshot.distribution) {
        (
            tabvault_storage::Distribution::Hash { columns: a, .. },
            tabvault_storage::Distribution::Hash { columns: b, .. },
        ) => a == b,
        _ => true,
    };
    if !same_kind || !same_columns {
        return mismatch("errMsg: partition distribution col hash is inconsistent".into());
    }
    if mine.distribution.buckets() != snapshot.distribution.buckets() {
        return mismatch("errMsg: bucket num is inconsistent".into());
    }
    if matches!(mine.partition_scheme, PartitionScheme::Unpartitioned) {
        return Ok(());
    }
    for partition in partitions {
        match existing.partition(&partition.name) {
            Some(current) if current.bound != partition.bound => {
                return Err(SnapshotError::SchemaMismatch(format!(
                    "Partition {} in table {name} has different range with partition in repository",
                    partition.name
                )));
            }
            Some(_) => {}
            None => {
                if existing
                    .partitions
                    .values()
                    .any(|p| p.bound.overlaps(&partition.bound))
                {
                    return Err(SnapshotError::SchemaMismatch(format!(
                        "Partition {} in table {name} has conflict range with existing ranges",
                        partition.name
                    )));
                }
            }
        }
    }
    Ok(())
}
