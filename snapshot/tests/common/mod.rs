//! Shared fixtures for the snapshot crate's integration tests: engines, tables, generated rows.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Date32Array, Int64Array, StringArray};
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;
use tabvault_snapshot::{JobRecord, SnapshotService};
use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, Engine, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, ScanRequest, TableDef, TableProperties, TableSchema, Value, ViewDef,
};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One row of the test tables: `(k, v, d)`.
pub type Row = (i64, Option<String>, Option<i32>);

/// A DUPLICATE KEY table range-partitioned by `k` into p1 [0,100), p2 [100,200), p3 [200,MAX).
pub fn ranged_table(name: &str) -> TableDef {
    let bound = |lo: Option<i64>, hi: Option<i64>| PartitionBound::Range {
        lower: lo.map(Value::Int),
        upper: hi.map(Value::Int),
    };
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("v", ColumnType::String),
                ColumnDef::new("d", ColumnType::Date),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Range { column: "k".into() },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 3,
            },
            properties: TableProperties::default(),
        },
        partitions: vec![
            PartitionDef {
                name: "p1".into(),
                bound: bound(None, Some(100)),
            },
            PartitionDef {
                name: "p2".into(),
                bound: bound(Some(100), Some(200)),
            },
            PartitionDef {
                name: "p3".into(),
                bound: bound(Some(200), None),
            },
        ],
    }
}

/// An unpartitioned PRIMARY KEY table on `k`.
pub fn pk_table(name: &str) -> TableDef {
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("v", ColumnType::String),
                ColumnDef::new("d", ColumnType::Date),
            ],
            key_model: KeyModel::Primary,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        },
        partitions: vec![],
    }
}

/// Rows `k` in `keys` with `v = "<tag>-<k>"` and a date (NULL for every seventh key).
pub fn rows(keys: impl IntoIterator<Item = i64>, tag: &str) -> RecordBatch {
    let keys: Vec<i64> = keys.into_iter().collect();
    let values: Vec<String> = keys.iter().map(|k| format!("{tag}-{k}")).collect();
    let dates: Vec<Option<i32>> = keys
        .iter()
        .map(|k| (k % 7 != 0).then_some(19_000 + (*k as i32)))
        .collect();
    RecordBatch::try_from_iter(vec![
        ("k", Arc::new(Int64Array::from(keys)) as _),
        ("v", Arc::new(StringArray::from(values)) as _),
        ("d", Arc::new(Date32Array::from(dates)) as _),
    ])
    .expect("valid batch")
}

/// Creates database `db` with tables `t` (ranged), `pk` (primary key) and view `v`, loaded.
pub fn populate(engine: &Engine, db: &str) -> TestResult {
    engine.create_database(db, true)?;
    engine.create_table(db, &ranged_table("t"), false)?;
    engine.create_table(db, &pk_table("pk"), false)?;
    engine.create_view(
        db,
        &ViewDef {
            name: "v".into(),
            columns: vec![],
            query: "SELECT k FROM t".into(),
        },
        false,
    )?;
    engine.append(db, "t", rows(0..250, "a"))?;
    engine.append(db, "t", rows(50..60, "b"))?;
    engine.append(db, "pk", rows(0..40, "a"))?;
    engine.append(db, "pk", rows(10..20, "b"))?;
    engine.delete_keys(db, "pk", rows([3, 4, 5], "x"))?;
    Ok(())
}

/// Every row of `db.table` as sorted `(k, v, d)` triples.
pub fn table_rows(
    engine: &Engine,
    db: &str,
    table: &str,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for batch in engine.pin_table(db, table)?.scan(&ScanRequest::all())? {
        let k = batch.column(0).as_primitive::<Int64Type>();
        let v = batch.column(1).as_string::<i32>();
        let d = batch
            .column(2)
            .as_primitive::<arrow::datatypes::Date32Type>();
        for i in 0..batch.num_rows() {
            out.push((
                k.value(i),
                v.is_valid(i).then(|| v.value(i).to_owned()),
                d.is_valid(i).then(|| d.value(i)),
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// Partition name → visible version of `db.table`.
pub fn versions(
    engine: &Engine,
    db: &str,
    table: &str,
) -> Result<BTreeMap<String, u64>, Box<dyn std::error::Error>> {
    Ok(engine
        .pin_table(db, table)?
        .table()
        .partitions
        .values()
        .map(|p| (p.name.clone(), p.visible_version))
        .collect())
}

/// Opens a service on a fresh engine in a new temp dir.
pub fn service_in(dir: &std::path::Path) -> Result<SnapshotService, Box<dyn std::error::Error>> {
    Ok(SnapshotService::open(Engine::open(dir)?)?)
}

/// The properties map from pairs.
pub fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Asserts a finished job.
pub fn assert_finished(record: &JobRecord) {
    assert_eq!(record.state, "FINISHED", "job ended {record:?}");
    assert_eq!(record.status.to_string(), "[OK]");
}
