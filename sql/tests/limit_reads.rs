//! Goal: `SELECT * … LIMIT 10` reads at most one row group of each file it opens.
//! Method: a table whose files hold many small row groups (`EngineBuilder::row_group_rows`);
//! EXPLAIN ANALYZE's `bytes_scanned` and `files_opened` against the largest row group of the
//! table's files, read from their Parquet footers.

mod common;

use std::fs::File;

use common::{parquet_files, root_with_row_groups, rows, run};
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

/// The value of metric `name` in EXPLAIN ANALYZE's text: a count, written as DataFusion writes
/// large ones (`457.8 K`, `1.2 M`).
fn metric(text: &str, name: &str) -> f64 {
    let start = text
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        + name.len()
        + 1;
    let rest = &text[start..];
    let end = rest.find([',', ']']).unwrap_or(rest.len());
    let mut parts = rest[..end].split_whitespace();
    let value: f64 = parts.next().and_then(|v| v.parse().ok()).expect("a number");
    let scale = match parts.next() {
        None => 1.0,
        Some("K") => 1e3,
        Some("M") => 1e6,
        Some("B") => 1e9,
        Some(unit) => panic!("unit {unit} of {name}"),
    };
    value * scale
}

#[test]
fn a_limit_reads_one_row_group_per_file_it_opens() {
    let (dir, _database, mut s) = root_with_row_groups(1000);
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT, s STRING) DUPLICATE KEY(k)
           DISTRIBUTED BY HASH(k) BUCKETS 2;
         INSERT INTO t SELECT value, value * 3 AS v, concat('row number ', value) AS s
           FROM generate_series(1, 40000)",
    );
    let mut largest = 0;
    let files = parquet_files(dir.path());
    for path in &files {
        let reader = SerializedFileReader::new(File::open(path).expect("open")).expect("parquet");
        let groups = reader.metadata().row_groups();
        assert!(
            groups.len() >= 10,
            "{path:?} has {} row groups",
            groups.len()
        );
        for group in groups {
            largest = largest.max(group.compressed_size());
        }
    }
    assert_eq!(files.len(), 2, "{files:?}");

    let analyzed = run(&mut s, "EXPLAIN ANALYZE SELECT * FROM t LIMIT 10");
    let text = rows(&analyzed).concat().join("\n");
    let scanned = metric(&text, "bytes_scanned");
    let opened = metric(&text, "files_opened");
    assert!(opened >= 1.0, "{text}");
    let bound = opened * f64::from(u32::try_from(largest).expect("small row groups"));
    assert!(
        scanned <= bound,
        "{scanned} bytes read from {opened} files, more than one row group ({largest} bytes) each"
    );
    assert_eq!(run(&mut s, "SELECT * FROM t LIMIT 10").row_count(), 10);
}
