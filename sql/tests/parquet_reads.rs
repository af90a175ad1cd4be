//! Queries that DataFusion's Parquet reader serves (the column cache off): rowset files are read
//! through their memory mapping, a file whose length is not the one its table version records is
//! an error naming it (never a crash or a short answer), and a plan with several output
//! partitions gives every row once, whether it is collected or read batch by batch.

mod common;

use common::{parquet_files, physical_plan, root, rows, run};
use tabvault_sql::{Output, Session, parse_statement};

fn setup(s: &mut Session) {
    run(
        s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT, s STRING) DUPLICATE KEY(k)
           DISTRIBUTED BY HASH(k) BUCKETS 4;
         INSERT INTO t SELECT value, value * 3, concat('s', value % 97)
           FROM generate_series(1, 50000)",
    );
}

#[test]
fn a_file_of_another_length_is_an_error_naming_it() {
    let (dir, database, mut s) = root();
    setup(&mut s);
    database.column_cache().set_budget(0);
    let query = "SELECT count(*), sum(v) FROM t WHERE s <> 'x'";
    assert!(physical_plan(&mut s, query).contains("DataSourceExec"));
    assert_eq!(rows(&run(&mut s, query)), [["50000", "3750075000"]]);

    let files = parquet_files(&dir.path().join("data"));
    assert_eq!(files.len(), 4, "{files:?}");
    for (file, change) in [(&files[0], -100_i64), (&files[1], 100)] {
        let length = std::fs::metadata(file).expect("metadata").len();
        let changed = length.checked_add_signed(change).expect("length");
        std::fs::OpenOptions::new()
            .write(true)
            .open(file)
            .and_then(|f| f.set_len(changed))
            .expect("length changed");
        let error = s.execute(query).expect_err("a file of the wrong length");
        let message = error.to_string();
        assert!(
            message.contains(&format!("{changed} bytes long"))
                && message.contains(&file.display().to_string()),
            "{message}"
        );
        std::fs::OpenOptions::new()
            .write(true)
            .open(file)
            .and_then(|f| f.set_len(length))
            .expect("length restored");
    }
}

#[test]
fn every_row_comes_once_from_several_output_partitions() {
    let (_dir, database, mut s) = root();
    setup(&mut s);
    database.column_cache().set_budget(0);
    let query = "SELECT k, v FROM t WHERE s <> 'x'";
    let plan = physical_plan(&mut s, query);
    assert!(
        plan.contains("DataSourceExec") && !plan.contains("CoalescePartitionsExec"),
        "{plan}"
    );

    let mut collected: Vec<(i64, i64)> = rows(&run(&mut s, query))
        .iter()
        .map(|r| (r[0].parse().expect("k"), r[1].parse().expect("v")))
        .collect();
    collected.sort_unstable();
    let expected: Vec<(i64, i64)> = (1..=50_000).map(|k| (k, k * 3)).collect();
    assert_eq!(collected, expected, "collected");

    let statement = parse_statement(query).expect("parses");
    let Output::Rows(stream) = s.execute_streaming(&statement).expect("runs") else {
        panic!("a query streams its rows");
    };
    let mut streamed: Vec<(i64, i64)> = Vec::new();
    for batch in stream {
        let batch = batch.expect("a batch");
        let result = tabvault_sql::QueryResult::rows(batch.schema(), vec![batch]);
        streamed.extend(rows(&result).iter().map(|r| {
            (
                r[0].parse::<i64>().expect("k"),
                r[1].parse::<i64>().expect("v"),
            )
        }));
    }
    streamed.sort_unstable();
    assert_eq!(streamed, expected, "streamed");
}
