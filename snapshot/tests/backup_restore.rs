//! Goal: BACKUP and RESTORE round trips through a local repository behave as docs/SQL.md ("Repositories, BACKUP and RESTORE") promises.
//! Method: populate a database, back it up, change and drop data, restore, compare every row; then
//! restore into a fresh engine from the same repository (migration). Pins: files missing from the
//! manifest, views lost, versions not restored, dedup not happening.

mod common;

use std::sync::Arc;

use arrow::array::{Date32Array, StringArray};
use arrow::record_batch::RecordBatch;
use common::*;
use tabvault_snapshot::{BackupRequest, ObjectSpec, RestoreRequest, SnapshotService};
use tabvault_storage::Engine;

fn backup(
    service: &SnapshotService,
    name: &str,
    objects: Vec<ObjectSpec>,
) -> Result<tabvault_snapshot::JobRecord, Box<dyn std::error::Error>> {
    let job = service.backup(&BackupRequest {
        database: "db".into(),
        snapshot: name.into(),
        repository: "repo".into(),
        objects,
        options: Default::default(),
    })?;
    Ok(job.wait())
}

#[test]
fn backup_then_restore_brings_back_every_row() -> TestResult {
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    let engine = service.engine().clone();
    populate(&engine, "db")?;
    service.create_repository(
        "repo",
        repo_dir.path().to_str().ok_or("path")?,
        &RepositoryOptions::default(),
        false,
        None,
    )?;
    let t_before = table_rows(&engine, "db", "t")?;
    let pk_before = table_rows(&engine, "db", "pk")?;
    let versions_before = versions(&engine, "db", "t")?;

    let record = backup(&service, "snap1", vec![])?;
    assert_finished(&record);
    assert!(record.progress.files_total > 0);
    assert_eq!(record.progress.files_done, record.progress.files_total);
    let repository = service.repository("repo")?;
    let listed = repository.list_snapshots()?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].timestamps, vec![record.timestamp.clone()]);

    engine.append("db", "t", tabvault_storage_rows(300..310))?;
    engine.drop_partition("db", "t", "p2", false)?;
    engine.delete_keys("db", "pk", rows(0..40, "x"))?;
    engine.drop_view("db", "v", false)?;

    let restore = service.restore(&RestoreRequest {
        database: "db".into(),
        snapshot: "snap1".into(),
        repository: "repo".into(),
        objects: vec![],
        options: tabvault_snapshot::RestoreOptions::at(&record.timestamp),
    })?;
    let restored = restore.wait();
    assert_finished(&restored);
    // p3 received rows after the backup; the restore overwrote it with the snapshot's content.
    assert_eq!(table_rows(&engine, "db", "t")?, t_before);
    assert_eq!(table_rows(&engine, "db", "pk")?, pk_before);
    assert_eq!(versions(&engine, "db", "t")?, versions_before);
    assert_eq!(engine.views("db")?.len(), 1);
    Ok(())
}

fn tabvault_storage_rows(keys: std::ops::Range<i64>) -> arrow::record_batch::RecordBatch {
    rows(keys, "late")
}

#[test]
fn repeated_backup_uploads_only_what_changed() -> TestResult {
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    let engine = service.engine().clone();
    populate(&engine, "db")?;
    service.create_repository(
        "repo",
        repo_dir.path().to_str().ok_or("path")?,
        &RepositoryOptions::default(),
        false,
        None,
    )?;
    let first = backup(&service, "s1", vec![])?;
    assert_finished(&first);
    assert_eq!(first.progress.files_transferred, first.progress.files_total);

    let second = backup(&service, "s2", vec![])?;
    assert_finished(&second);
    assert_eq!(second.progress.files_total, first.progress.files_total);
    assert_eq!(
        second.progress.files_transferred, 0,
        "unchanged data must not be uploaded again"
    );

    let rowsets_in_p2 =
        |engine: &tabvault_storage::Engine| -> Result<u64, Box<dyn std::error::Error>> {
            let version = engine.pin_table("db", "t")?;
            let p2 = version.table().partition("p2").ok_or("p2")?;
            Ok(p2.tablets.iter().map(|t| t.rowsets.len() as u64).sum())
        };
    let before = rowsets_in_p2(&engine)?;
    engine.append("db", "t", rows(120..125, "c"))?;
    let new_files = rowsets_in_p2(&engine)? - before;
    let third = backup(&service, "s3", vec![])?;
    assert_finished(&third);
    assert!(new_files > 0);
    assert_eq!(
        third.progress.files_transferred, new_files,
        "only the changed partition's new files are uploaded"
    );
    assert_eq!(
        third.progress.files_total,
        first.progress.files_total + new_files
    );
    Ok(())
}

#[test]
fn restore_into_a_fresh_engine_migrates_the_database() -> TestResult {
    let repo_dir = tempfile::tempdir()?;
    let location = repo_dir.path().to_str().ok_or("path")?.to_owned();
    let (timestamp, t_rows, pk_rows) = {
        let data = tempfile::tempdir()?;
        let service = service_in(data.path())?;
        let engine = service.engine().clone();
        populate(&engine, "db")?;
        register(&service, "repo", &location)?;
        let record = backup(
            &service,
            "migrate",
            vec![
                ObjectSpec {
                    name: "t".into(),
                    partitions: Some(vec!["p1".into(), "p3".into()]),
                    alias: None,
                },
                ObjectSpec {
                    name: "pk".into(),
                    partitions: None,
                    alias: None,
                },
            ],
        )?;
        assert_finished(&record);
        (
            record.timestamp,
            table_rows(&engine, "db", "t")?,
            table_rows(&engine, "db", "pk")?,
        )
    };
    let other = tempfile::tempdir()?;
    let service = SnapshotService::open(Engine::open(other.path())?)?;
    service.create_repository("repo", &location, &RepositoryOptions::default(), true, None)?;
    let job = service.restore(&RestoreRequest {
        database: "newdb".into(),
        snapshot: "migrate".into(),
        repository: "repo".into(),
        objects: vec![
            ObjectSpec {
                name: "t".into(),
                partitions: None,
                alias: Some("t2".into()),
            },
            ObjectSpec {
                name: "pk".into(),
                partitions: None,
                alias: None,
            },
        ],
        options: tabvault_snapshot::RestoreOptions::at(&timestamp),
    })?;
    assert_finished(&job.wait());
    let engine = service.engine();
    let expected: Vec<_> = t_rows
        .into_iter()
        .filter(|r| r.0 < 100 || r.0 >= 200)
        .collect();
    assert_eq!(table_rows(engine, "newdb", "t2")?, expected);
    assert_eq!(table_rows(engine, "newdb", "pk")?, pk_rows);
    let partitions: Vec<String> = versions(engine, "newdb", "t2")?.into_keys().collect();
    assert_eq!(partitions, vec!["p1".to_owned(), "p3".to_owned()]);
    Ok(())
}

/// Every column type of docs/SQL.md ("Types"), with NULLs, in a DUPLICATE KEY and a PRIMARY KEY table, survives
/// backup → damage → restore exactly (compared as Arrow data, sorted by key).
#[test]
fn every_type_round_trips_with_nulls() -> TestResult {
    use arrow::array::{
        ArrayRef, BooleanArray, Decimal128Array, Float32Array, Float64Array, Int8Array, Int16Array,
        Int32Array, TimestampMicrosecondArray,
    };
    use tabvault_storage::{
        ColumnDef, ColumnType, Distribution, KeyModel, PartitionScheme, TableDef, TableProperties,
        TableSchema,
    };

    let columns = vec![
        ColumnDef::new("k", ColumnType::BigInt).not_null(),
        ColumnDef::new("b", ColumnType::Boolean),
        ColumnDef::new("ti", ColumnType::TinyInt),
        ColumnDef::new("si", ColumnType::SmallInt),
        ColumnDef::new("i", ColumnType::Int),
        ColumnDef::new("li", ColumnType::LargeInt),
        ColumnDef::new("f", ColumnType::Float),
        ColumnDef::new("d", ColumnType::Double),
        ColumnDef::new(
            "dec",
            ColumnType::Decimal {
                precision: 20,
                scale: 4,
            },
        ),
        ColumnDef::new("c", ColumnType::Char(4)),
        ColumnDef::new("vc", ColumnType::Varchar(16)),
        ColumnDef::new("s", ColumnType::String),
        ColumnDef::new("dt", ColumnType::Date),
        ColumnDef::new("ts", ColumnType::DateTime),
    ];
    let n = 500_i64;
    let null_every = |k: i64, m: i64| k % m == 0;
    let keys: Vec<i64> = (0..n).collect();
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(arrow::array::Int64Array::from(keys.clone())),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 3)).then_some(k % 2 == 0))
                .collect::<BooleanArray>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 5)).then_some((k % 100) as i8))
                .collect::<Int8Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 7)).then_some((k * 3) as i16))
                .collect::<Int16Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 11)).then_some((k * 1000) as i32))
                .collect::<Int32Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 13)).then_some(i128::from(*k) << 80))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(38, 0)?,
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 4)).then_some(*k as f32 / 3.0))
                .collect::<Float32Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 6)).then_some(*k as f64 * 1.5))
                .collect::<Float64Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 8)).then_some(i128::from(*k) * 12_345 - 99))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(20, 4)?,
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 9)).then(|| format!("c{}", k % 100)))
                .collect::<StringArray>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 10)).then(|| format!("varchar-{k}")))
                .collect::<StringArray>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 12)).then(|| "é".repeat((*k % 20) as usize)))
                .collect::<StringArray>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 14)).then_some(18_000 + *k as i32))
                .collect::<Date32Array>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| (!null_every(*k, 15)).then_some(1_700_000_000_000_000 + k * 1_000_001))
                .collect::<TimestampMicrosecondArray>(),
        ),
    ];
    let batch = RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(
            columns
                .iter()
                .map(|c| arrow::datatypes::Field::new(&c.name, c.ty.arrow_type(), c.nullable))
                .collect::<Vec<_>>(),
        )),
        arrays,
    )?;
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    let engine = service.engine().clone();
    engine.create_database("db", false)?;
    for (name, model) in [("dup", KeyModel::Duplicate), ("pk", KeyModel::Primary)] {
        let schema = TableSchema {
            columns: columns.clone(),
            key_model: model,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 3,
            },
            properties: TableProperties::default(),
        };
        engine.create_table(
            "db",
            &TableDef {
                name: name.into(),
                schema,
                partitions: vec![],
            },
            false,
        )?;
        engine.append("db", name, batch.clone())?;
    }
    service.create_repository(
        "repo",
        repo_dir.path().to_str().ok_or("path")?,
        &RepositoryOptions::default(),
        false,
        None,
    )?;
    let record = backup(&service, "types", vec![])?;
    assert_finished(&record);
    let sorted = |table: &str| -> Result<RecordBatch, Box<dyn std::error::Error>> {
        let version = engine.pin_table("db", table)?;
        let batches = version.scan(&tabvault_storage::ScanRequest::all())?;
        let all = arrow::compute::concat_batches(&version.schema().arrow_schema(), &batches)?;
        let order = arrow::compute::sort_to_indices(all.column(0), None, None)?;
        Ok(arrow::compute::take_record_batch(&all, &order)?)
    };
    let expected_dup = sorted("dup")?;
    assert_eq!(expected_dup.num_rows(), n as usize);
    assert_eq!(sorted("pk")?, expected_dup);
    engine.truncate("db", "dup", None)?;
    engine.delete_keys("db", "pk", rows(0..250, "x"))?;
    let restore = service.restore(&RestoreRequest {
        database: "db".into(),
        snapshot: "types".into(),
        repository: "repo".into(),
        objects: vec![],
        options: tabvault_snapshot::RestoreOptions::at(&record.timestamp),
    })?;
    assert_finished(&restore.wait());
    assert_eq!(sorted("dup")?, expected_dup);
    assert_eq!(sorted("pk")?, expected_dup);
    Ok(())
}
