//! Parquet field ids in rowset files (docs/FORMAT.md §1.5) as SQL sees them.
//!
//! Goal: rowset files now carry `PARQUET:field_id` on their columns, which the Parquet reader
//! turns into field metadata; no query result may show it, and tables that mix files written
//! before (no ids) with new ones read, merge, compact, back up, restore and load through
//! `FILES()` as before — DUPLICATE KEY tables through DataFusion's Parquet source, PRIMARY KEY
//! tables through storage's merge, repository snapshots through `snapshot()`.
//!
//! Method: a table is created by SQL in a scratch database only to get its exact schema; a
//! file without ids is written with storage's `RowsetWriter` and the plain Arrow schema (what
//! tabvault wrote before) and installed as a new table, as a RESTORE of an old backup would;
//! INSERTs then add files with ids to the same tablet. Every result's schema and batches are
//! checked for field metadata.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use common::{columns, root, rows, run};
use tabvault_sql::query::ImportPolicy;
use tabvault_sql::{QueryResult, Session};
use tabvault_storage::internal::{has_field_ids, writer_properties};
use tabvault_storage::whitebox::{RealIo, RowsetWriter, StorageIo};
use tabvault_storage::{
    Compression, InstallPartition, InstallPlan, InstallTable, PartitionBound, PartitionDef,
    RowsetKind, StagedRowset,
};

/// Runs `sql` and checks that neither the result's schema nor any batch shows a field id.
fn query(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let result: QueryResult = run(session, sql);
    assert!(columns(&result).iter().all(|c| !c.is_empty()), "{sql}");
    assert!(!has_field_ids(&result.schema), "{sql}: {:?}", result.schema);
    for batch in &result.batches {
        assert!(
            !has_field_ids(&batch.schema()),
            "{sql}: {:?}",
            batch.schema()
        );
    }
    rows(&result)
}

fn text_rows(pairs: &[(i64, &str)]) -> Vec<Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| vec![k.to_string(), (*v).to_owned()])
        .collect()
}

/// Creates `d.<name>` with the schema of `tmpl.<name>` holding one file without field ids of
/// keys `0..10` with value "old" (a copy of the file is left at `copy`).
fn install_old_table(session: &Session, staging: &Path, name: &str, copy: &Path) {
    let engine = session.database().engine();
    let schema = engine
        .pin_table("tmpl", name)
        .expect("template")
        .schema()
        .clone();
    let io: Arc<dyn StorageIo> = Arc::new(RealIo);
    let file = format!("{name}.parquet");
    let mut writer = RowsetWriter::create(
        &io,
        staging,
        file.clone(),
        schema.arrow_schema(),
        writer_properties(Compression::Zstd, 1024, None),
        None,
    )
    .expect("writer");
    let batch = RecordBatch::try_new(
        schema.arrow_schema(),
        vec![
            Arc::new(Int64Array::from((0..10).collect::<Vec<i64>>())),
            Arc::new(StringArray::from(vec!["old"; 10])),
        ],
    )
    .expect("batch");
    writer.write(&batch).expect("write");
    let meta = writer.finish().expect("finish");
    std::fs::copy(staging.join(&file), copy).expect("copy");
    engine
        .install(
            &InstallPlan {
                database: "d".into(),
                tables: vec![InstallTable {
                    name: name.into(),
                    schema,
                    partitions: vec![InstallPartition {
                        def: PartitionDef {
                            name: name.into(),
                            bound: PartitionBound::Whole,
                        },
                        version: 2,
                        tablets: vec![vec![StagedRowset {
                            kind: RowsetKind::Data,
                            version: 2,
                            path: staging.join(&file),
                            size_bytes: meta.size_bytes,
                            checksum: meta.checksum,
                            rows: meta.rows,
                            columns: meta.columns,
                        }]],
                    }],
                }],
                views: vec![],
            },
            None,
        )
        .expect("install");
}

#[test]
fn field_ids_never_reach_query_results_and_old_files_still_read() {
    let (dir, _db, mut s) = root();
    let staging = dir.path().join("staging");
    std::fs::create_dir(&staging).expect("staging");
    let import = tempfile::tempdir().expect("import root");
    run(
        &mut s,
        "CREATE DATABASE tmpl; CREATE DATABASE d; USE tmpl; \
         CREATE TABLE dup (k BIGINT NOT NULL, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1; \
         CREATE TABLE pk (k BIGINT NOT NULL, v STRING) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    install_old_table(&s, &staging, "dup", &import.path().join("a-old.parquet"));
    install_old_table(&s, &staging, "pk", &import.path().join("unused.parquet"));
    std::fs::remove_file(import.path().join("unused.parquet")).expect("rm");
    run(
        &mut s,
        "USE d; INSERT INTO dup VALUES (5, 'new'), (10, 'new'); \
         INSERT INTO pk VALUES (5, 'new'), (10, 'new'); DELETE FROM pk WHERE k = 1",
    );

    let mut dup_expected: Vec<(i64, &str)> = (0..10).map(|k| (k, "old")).collect();
    dup_expected.extend([(5, "new"), (10, "new")]);
    dup_expected.sort_unstable();
    let mut pk_expected: Vec<(i64, &str)> = (0..10)
        .filter(|k| *k != 1)
        .map(|k| (k, if k == 5 { "new" } else { "old" }))
        .collect();
    pk_expected.push((10, "new"));

    let check = |s: &mut Session, table: &str| {
        let expected = if table.contains("dup") {
            &dup_expected
        } else {
            &pk_expected
        };
        assert_eq!(
            query(s, &format!("SELECT k, v FROM {table} ORDER BY k, v")),
            text_rows(expected),
            "{table}"
        );
        let at_least_5: Vec<(i64, &str)> =
            expected.iter().copied().filter(|(k, _)| *k >= 5).collect();
        assert_eq!(
            query(
                s,
                &format!("SELECT * FROM {table} WHERE k >= 5 ORDER BY k, v")
            ),
            text_rows(&at_least_5),
            "{table}"
        );
        assert_eq!(
            query(s, &format!("SELECT count(*) FROM {table}")),
            vec![vec![expected.len().to_string()]]
        );
        let new = expected.iter().filter(|(_, v)| *v == "new").count();
        assert_eq!(
            query(
                s,
                &format!("SELECT v, count(*) FROM {table} GROUP BY v ORDER BY v")
            ),
            vec![
                vec!["new".to_owned(), new.to_string()],
                vec!["old".to_owned(), (expected.len() - new).to_string()],
            ],
            "{table}"
        );
    };
    check(&mut s, "dup");
    check(&mut s, "pk");

    // A new file (with ids) next to the old one (without): FILES() reads both as one table.
    let version = s.database().engine().pin_table("d", "dup").expect("dup");
    let tablet = &version
        .table()
        .partitions
        .values()
        .next()
        .expect("partition")
        .tablets[0];
    assert_eq!(tablet.rowsets.len(), 2);
    std::fs::copy(
        dir.path().join(&tablet.rowsets[1].file.path),
        import.path().join("b-new.parquet"),
    )
    .expect("copy");
    drop(version);
    s.database().set_import_policy(
        ImportPolicy::new(&[import.path().to_owned()], 1 << 30).expect("policy"),
    );
    assert_eq!(
        query(
            &mut s,
            &format!(
                "SELECT k, v FROM FILES(\"path\" = \"{}\", \"format\" = \"parquet\") ORDER BY k, v",
                import.path().display()
            )
        ),
        text_rows(&dup_expected)
    );

    // A repository snapshot read in place and restored, then both tables compacted.
    run(
        &mut s,
        "CREATE REPOSITORY r ON LOCATION \"memory://field-ids\"; BACKUP SNAPSHOT d.s TO r",
    );
    check(&mut s, "snapshot('r', 's', 'dup')");
    check(&mut s, "snapshot('r', 's', 'pk')");
    run(
        &mut s,
        "RESTORE SNAPSHOT d.s FROM r ON (dup AS restored_dup, pk AS restored_pk) \
         PROPERTIES (\"backup_timestamp\" = \"LATEST\")",
    );
    check(&mut s, "restored_dup");
    check(&mut s, "restored_pk");
    run(&mut s, "ALTER TABLE dup COMPACT; ALTER TABLE pk COMPACT");
    check(&mut s, "dup");
    check(&mut s, "pk");
    for table in ["dup", "pk"] {
        let version = s.database().engine().pin_table("d", table).expect("table");
        let rowsets = &version
            .table()
            .partitions
            .values()
            .next()
            .expect("partition")
            .tablets[0]
            .rowsets;
        assert_eq!(rowsets.len(), 1, "{table} compacted");
    }
}
