//! Parquet field ids in rowset files (docs/FORMAT.md §1.5).
//!
//! Goal: every rowset file the engine writes — appends, PRIMARY KEY deletes, compaction output —
//! gives each top-level column the field id [`field_id`] of its position in the table (the id a
//! backup's Iceberg schema gives it), and files written before that, which carry none, still read
//! in the same tables: scans, PRIMARY KEY merges and compaction over a tablet mixing both kinds
//! return the rows written, and no scan shows the `PARQUET:field_id` metadata the Parquet reader
//! adds to the fields of files that have ids.
//!
//! Method: footers are read with parquet's `SerializedFileReader` and each column descriptor's
//! id compared with `field_id`. A file "of the previous version" is written with the public
//! [`RowsetWriter`] and the table's plain Arrow schema (what the engine passed before) and
//! installed with [`Engine::install`], as RESTORE of an old backup would install it; rows are
//! then added by ordinary writes, so one tablet holds both kinds.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch};
use common::*;
use parquet::file::reader::{FileReader, SerializedFileReader};
use tabvault_storage::internal::*;
use tabvault_storage::whitebox::*;
use tabvault_storage::*;

const DB: &str = "db";

fn open(dir: &Path) -> R<Engine> {
    Ok(Engine::builder(dir).auto_compaction(None).open()?)
}

/// `(k BIGINT NOT NULL, v VARCHAR(16), n INT, d DATE)` with the given key model, one bucket (so
/// every file lands in the same tablet).
fn def(name: &str, model: KeyModel) -> TableDef {
    table_def(
        name,
        vec![
            col("k", ColumnType::BigInt).not_null(),
            col("v", ColumnType::Varchar(16)),
            col("n", ColumnType::Int),
            col("d", ColumnType::Date),
        ],
        model,
        &["k"],
        PartitionScheme::Unpartitioned,
        hash(&["k"], 1),
        vec![],
    )
}

fn row(k: i64, v: &str) -> Row {
    let day = i32::try_from(k).unwrap_or(i32::MAX);
    vec![int(k), s(v), Value::Int(k * 10), Value::Date(day)]
}

fn rows(range: std::ops::Range<i64>, v: &str) -> Vec<Row> {
    range.map(|k| row(k, v)).collect()
}

fn keys(keys: &[i64]) -> R<RecordBatch> {
    Ok(RecordBatch::try_from_iter(vec![(
        "k",
        Arc::new(Int64Array::from(keys.to_vec())) as _,
    )])?)
}

/// The field id of each top-level column of the Parquet file at `path`, by name (`None` for a
/// column without one).
fn file_ids(path: &Path) -> R<Vec<(String, Option<i32>)>> {
    let reader = SerializedFileReader::new(std::fs::File::open(path)?)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let root = schema.root_schema();
    Ok(root
        .get_fields()
        .iter()
        .map(|f| {
            let info = f.get_basic_info();
            (info.name().to_owned(), info.has_id().then(|| info.id()))
        })
        .collect())
}

/// The ids every file of the current version of `db.table` must carry: for each rowset, its
/// columns (all of the table's, or the key columns of a delete rowset) with `field_id` of their
/// position in the table.
fn check_every_file_has_ids(engine: &Engine, table: &str) -> R<usize> {
    let version = engine.pin_table(DB, table)?;
    let schema = version.schema();
    let mut checked = 0;
    for partition in version.table().partitions.values() {
        for tablet in &partition.tablets {
            for rowset in &tablet.rowsets {
                let columns: Vec<&str> = match rowset.kind {
                    RowsetKind::Data => schema.columns.iter().map(|c| c.name.as_str()).collect(),
                    RowsetKind::Delete => schema.key_columns.iter().map(String::as_str).collect(),
                };
                let expected: Vec<(String, Option<i32>)> = columns
                    .iter()
                    .map(|c| {
                        let index = schema.column_index(c).ok_or("column")?;
                        Ok(((*c).to_owned(), Some(field_id(index))))
                    })
                    .collect::<R<_>>()?;
                let path = engine.root().join(&rowset.file.path);
                assert_eq!(file_ids(&path)?, expected, "{}", path.display());
                checked += 1;
            }
        }
    }
    Ok(checked)
}

/// Scans `db.table` fully, with a projection and with a predicate, checking that no batch shows
/// field-id metadata and that each batch has exactly the scan's output schema; returns the full
/// scan's rows sorted.
fn scan_checked(engine: &Engine, table: &str) -> R<Vec<Row>> {
    let version = engine.pin_table(DB, table)?;
    let requests = [
        ScanRequest::all(),
        ScanRequest {
            columns: Some(vec!["d".into(), "k".into()]),
            predicates: vec![],
            partitions: None,
        },
        ScanRequest {
            columns: None,
            predicates: vec![Predicate::new("k", CompareOp::GtEq, int(2))],
            partitions: None,
        },
    ];
    for request in &requests {
        let expected = version.output_schema(request)?;
        assert!(!has_field_ids(&expected));
        for batch in version.scan(request)? {
            assert_eq!(batch.schema(), expected, "{request:?}");
        }
    }
    scan_sorted(&version, &ScanRequest::all())
}

/// Writes `rows` of `schema` as the previous version did (the table's Arrow schema, no field
/// ids) to `dir/name` and returns it as a staged rowset of partition version `version`.
fn old_file(
    dir: &Path,
    name: &str,
    schema: &TableSchema,
    rows: &[Row],
    version: u64,
) -> R<StagedRowset> {
    let io: Arc<dyn StorageIo> = Arc::new(RealIo);
    let mut writer = RowsetWriter::create(
        &io,
        dir,
        name.into(),
        schema.arrow_schema(),
        writer_properties(Compression::Zstd, 1024, None),
        None,
    )?;
    writer.write(&table_batch(schema, rows)?)?;
    let meta = writer.finish()?;
    let path = dir.join(name);
    assert!(
        file_ids(&path)?.iter().all(|(_, id)| id.is_none()),
        "the old-style file has no field ids"
    );
    Ok(StagedRowset {
        kind: RowsetKind::Data,
        version,
        path,
        size_bytes: meta.size_bytes,
        checksum: meta.checksum,
        rows: meta.rows,
        columns: meta.columns,
    })
}

/// Creates `table` holding one old-style data rowset of `rows` (partition version 2).
fn install_old(engine: &Engine, dir: &Path, table: &TableDef, rows: &[Row]) -> R {
    let staged = old_file(
        dir,
        &format!("{}.parquet", table.name),
        &table.schema,
        rows,
        2,
    )?;
    engine.install(
        &InstallPlan {
            database: DB.into(),
            tables: vec![InstallTable {
                name: table.name.clone(),
                schema: table.schema.clone(),
                partitions: vec![InstallPartition {
                    def: PartitionDef {
                        name: table.name.clone(),
                        bound: PartitionBound::Whole,
                    },
                    version: 2,
                    tablets: vec![vec![staged]],
                }],
            }],
            views: vec![],
        },
        None,
    )?;
    Ok(())
}

/// Appends, PRIMARY KEY deletes and compaction output all carry each column's field id, and the
/// engine's scans never show them.
#[test]
fn new_rowset_files_carry_the_field_id_of_every_column() -> R {
    let dir = tempfile::tempdir()?;
    let engine = open(dir.path())?;
    engine.create_database(DB, false)?;
    for (name, model) in [("dup", KeyModel::Duplicate), ("pk", KeyModel::Primary)] {
        let table = def(name, model);
        engine.create_table(DB, &table, false)?;
        engine.append(DB, name, table_batch(&table.schema, &rows(0..10, "a"))?)?;
        engine.append(DB, name, table_batch(&table.schema, &rows(5..15, "b"))?)?;
        if model == KeyModel::Primary {
            engine.delete_keys(DB, name, keys(&[1, 2, 3])?)?;
        }
        let files = check_every_file_has_ids(&engine, name)?;
        assert_eq!(files, if model == KeyModel::Primary { 3 } else { 2 });
        let before = scan_checked(&engine, name)?;
        assert!(engine.compact_table(DB, name)?.tablets_compacted > 0);
        assert_eq!(check_every_file_has_ids(&engine, name)?, 1, "compacted");
        assert_eq!(scan_checked(&engine, name)?, before);
    }
    // The ids are the columns' positions + 1, as the Iceberg schema of a backup gives them.
    let path = referenced_files(&engine)[0].clone();
    assert_eq!(
        file_ids(&path)?,
        vec![
            ("k".to_owned(), Some(1)),
            ("v".to_owned(), Some(2)),
            ("n".to_owned(), Some(3)),
            ("d".to_owned(), Some(4)),
        ]
    );
    assert!(engine.verify(true)?.problems.is_empty());
    Ok(())
}

/// One tablet holding a file without field ids (older tabvault) and files with them: scans,
/// PRIMARY KEY merges (newer upserts and deletes over old rows) and compaction (which concatenates
/// batches of both kinds) give the rows written, and the compacted file has ids.
#[test]
fn tablets_mixing_files_without_and_with_field_ids_scan_merge_and_compact() -> R {
    let dir = tempfile::tempdir()?;
    let staging = dir.path().join("staging");
    std::fs::create_dir(&staging)?;
    let engine = open(&dir.path().join("engine"))?;
    engine.create_database(DB, false)?;

    // DUPLICATE KEY: old rows, then new ones; every row stays.
    let dup = def("dup", KeyModel::Duplicate);
    install_old(&engine, &staging, &dup, &rows(0..10, "old"))?;
    engine.append(DB, "dup", table_batch(&dup.schema, &rows(5..15, "new"))?)?;
    let expected = sorted(
        rows(0..10, "old")
            .into_iter()
            .chain(rows(5..15, "new"))
            .collect(),
    );
    assert_eq!(scan_checked(&engine, "dup")?, expected);

    // PRIMARY KEY: old rows, newer upserts of some keys, then deletes of old and new keys.
    let pk = def("pk", KeyModel::Primary);
    install_old(&engine, &staging, &pk, &rows(0..10, "old"))?;
    engine.append(DB, "pk", table_batch(&pk.schema, &rows(5..15, "new"))?)?;
    engine.delete_keys(DB, "pk", keys(&[1, 7, 14])?)?;
    let pk_expected = sorted(
        rows(0..5, "old")
            .into_iter()
            .chain(rows(5..15, "new"))
            .filter(|r| ![int(1), int(7), int(14)].contains(&r[0]))
            .collect(),
    );
    assert_eq!(scan_checked(&engine, "pk")?, pk_expected);

    for (name, rows) in [("dup", &expected), ("pk", &pk_expected)] {
        let version = engine.pin_table(DB, name)?;
        let tablet = &version
            .table()
            .partitions
            .values()
            .next()
            .ok_or("partition")?
            .tablets[0];
        let old = engine.root().join(&tablet.rowsets[0].file.path);
        assert!(file_ids(&old)?.iter().all(|(_, id)| id.is_none()));
        let newest = engine
            .root()
            .join(&tablet.rowsets.last().ok_or("rowset")?.file.path);
        assert!(file_ids(&newest)?.iter().all(|(_, id)| id.is_some()));
        drop(version);

        let report = engine.compact_table(DB, name)?;
        assert_eq!(report.tablets_compacted, 1, "{name}");
        assert_eq!(check_every_file_has_ids(&engine, name)?, 1, "{name}");
        assert_eq!(
            &scan_checked(&engine, name)?,
            rows,
            "{name} after compaction"
        );
    }
    assert!(engine.verify(true)?.problems.is_empty());
    drop(engine);
    // And after reopening.
    let engine = open(&dir.path().join("engine"))?;
    assert_eq!(scan_checked(&engine, "dup")?, expected);
    assert_eq!(scan_checked(&engine, "pk")?, pk_expected);
    Ok(())
}

/// `without_field_ids` removes the key at every level and keeps other metadata.
#[test]
fn without_field_ids_strips_only_the_ids() {
    use arrow::datatypes::{DataType, Field, Schema};
    use std::collections::HashMap;
    let meta = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let item =
        Field::new("item", DataType::Int32, true).with_metadata(meta(&[("PARQUET:field_id", "3")]));
    let schema = Schema::new(vec![
        Field::new("a", DataType::Int64, false)
            .with_metadata(meta(&[("PARQUET:field_id", "1"), ("other", "x")])),
        Field::new("l", DataType::List(Arc::new(item)), true)
            .with_metadata(meta(&[("PARQUET:field_id", "2")])),
    ]);
    assert!(has_field_ids(&schema));
    let stripped = without_field_ids(&schema);
    assert!(!has_field_ids(&stripped));
    assert_eq!(stripped.field(0).metadata(), &meta(&[("other", "x")]));
    assert_eq!(
        stripped.field(1).data_type(),
        &DataType::List(Arc::new(Field::new("item", DataType::Int32, true)))
    );
    let plain = def("t", KeyModel::Primary).schema;
    assert_eq!(
        without_field_ids(&plain.file_arrow_schema()),
        *plain.arrow_schema()
    );
    assert_eq!(
        without_field_ids(&plain.key_file_arrow_schema()),
        *plain.key_arrow_schema()
    );
    assert!(!has_field_ids(&plain.arrow_schema()));
}
