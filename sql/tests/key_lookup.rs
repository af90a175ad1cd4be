//! Goal: a lookup of one value of a DUPLICATE KEY table's leading key column filters rows in the
//! Parquet decoder (no row filter is planned after the scan) and returns exactly the rows with
//! that key, alone or with other conditions; other filters keep their row filter.
//! Method: several inserts (several files per tablet, keys delta-encoded), then every key and
//! some absent ones looked up, against counts and sums computed from the inserted rows.

mod common;

use common::{physical_plan, root, rows, run};
use tabvault_sql::Session;

/// Rows `(k, v)` of insert `i` (0..4): keys 0..500, each twice, in a scrambled order.
fn inserted(i: i64) -> Vec<(i64, i64)> {
    (0..1000)
        .map(|r| ((r * 37 + i * 11) % 500, i * 1000 + r))
        .collect()
}

/// Inserts `rows` (each a parenthesised tuple of SQL literals) into `table` in one statement.
fn insert(s: &mut Session, table: &str, rows: impl Iterator<Item = String>) {
    let values: Vec<String> = rows.collect();
    run(
        s,
        &format!("INSERT INTO {table} VALUES {}", values.join(", ")),
    );
}

fn table() -> (tempfile::TempDir, Session, Vec<(i64, i64)>) {
    let (dir, _db, mut s) = root();
    // BUCKETS 3 and four inserts: several files per tablet, each sorted by `k`.
    run(&mut s, "CREATE DATABASE l; USE l");
    run(
        &mut s,
        "CREATE TABLE t (k BIGINT, v BIGINT NOT NULL) DUPLICATE KEY(k) \
         DISTRIBUTED BY HASH(k) BUCKETS 3",
    );
    let mut all = Vec::new();
    for i in 0..4 {
        let rows = inserted(i);
        insert(&mut s, "t", rows.iter().map(|(k, v)| format!("({k}, {v})")));
        all.extend(rows);
    }
    (dir, s, all)
}

fn count_and_sum(s: &mut Session, condition: &str) -> Vec<String> {
    let result = run(
        s,
        &format!("SELECT count(*), coalesce(sum(v), 0) FROM t WHERE {condition}"),
    );
    rows(&result).remove(0)
}

fn expected(all: &[(i64, i64)], keep: impl Fn(i64, i64) -> bool) -> Vec<String> {
    let kept: Vec<i64> = all
        .iter()
        .filter(|(k, v)| keep(*k, *v))
        .map(|(_, v)| *v)
        .collect();
    vec![kept.len().to_string(), kept.iter().sum::<i64>().to_string()]
}

fn has_row_filter(s: &mut Session, condition: &str) -> bool {
    physical_plan(s, &format!("SELECT v FROM t WHERE {condition}")).contains("FilterExec")
}

#[test]
fn key_lookups_return_exactly_their_rows() {
    let (_dir, mut s, all) = table();
    for key in (-2..505).step_by(7) {
        assert_eq!(
            count_and_sum(&mut s, &format!("k = {key}")),
            expected(&all, |k, _| k == key),
            "k = {key}"
        );
        assert_eq!(
            count_and_sum(&mut s, &format!("k = {key} AND v % 2 = 0")),
            expected(&all, |k, v| k == key && v % 2 == 0),
            "k = {key} AND v % 2 = 0"
        );
    }
    assert_eq!(
        count_and_sum(&mut s, "k > 490"),
        expected(&all, |k, _| k > 490)
    );
    assert_eq!(
        count_and_sum(&mut s, "k = 7 OR k = 9"),
        expected(&all, |k, _| k == 7 || k == 9)
    );
}

#[test]
fn only_a_key_lookup_filters_in_the_decoder() {
    let (_dir, mut s, _) = table();
    assert!(!has_row_filter(&mut s, "k = 7"));
    assert!(!has_row_filter(&mut s, "k = 7 AND v > 3"));
    assert!(has_row_filter(&mut s, "k > 7"));
    assert!(has_row_filter(&mut s, "v = 7"));
}

/// A leading key of few values (here 4 per file) would make a lookup read most rows: it is
/// filtered after decoding, as other queries are, and still returns exactly its rows.
#[test]
fn a_low_cardinality_key_is_filtered_after_decoding() {
    let (_dir, mut s, _) = table();
    run(
        &mut s,
        "CREATE TABLE few (s TINYINT NOT NULL, v BIGINT NOT NULL) DUPLICATE KEY(s) \
         DISTRIBUTED BY HASH(v) BUCKETS 2",
    );
    insert(&mut s, "few", (0..400).map(|v| format!("({}, {v})", v % 4)));
    let plan = physical_plan(&mut s, "SELECT v FROM few WHERE s = 3");
    assert!(plan.contains("FilterExec"), "{plan}");
    let result = run(&mut s, "SELECT count(*), sum(v) FROM few WHERE s = 3");
    let expected: i64 = (0..400).filter(|v| v % 4 == 3).sum();
    assert_eq!(
        rows(&result)[0],
        vec!["100".to_owned(), expected.to_string()]
    );
}

/// A key lookup reads its files in one stream, so that its whole plan runs on the calling thread:
/// here the key's bucket in each of two partitions, two tablets that a scan would read in two
/// streams on a machine of two or more cores. Its rows are still exactly the key's.
#[test]
fn a_key_lookup_reads_in_one_stream() {
    let (_dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE p; USE p");
    run(
        &mut s,
        "CREATE TABLE t (k BIGINT NOT NULL, d DATE NOT NULL, v BIGINT NOT NULL) \
         DUPLICATE KEY(k) PARTITION BY RANGE(d) (PARTITION p1 VALUES LESS THAN ('2020-01-01'), \
         PARTITION p2 VALUES LESS THAN ('2021-01-01')) DISTRIBUTED BY HASH(k) BUCKETS 2",
    );
    insert(
        &mut s,
        "t",
        (0..2000).map(|r| {
            let year = if r % 2 == 0 { 2019 } else { 2020 };
            format!("({}, '{year}-06-01', {r})", r % 500)
        }),
    );
    let plan = physical_plan(&mut s, "SELECT v FROM t WHERE k = 7 ORDER BY v");
    assert!(plan.contains("file_groups={1 group"), "{plan}");
    let result = run(&mut s, "SELECT v FROM t WHERE k = 7 ORDER BY v");
    let got: Vec<String> = rows(&result).into_iter().map(|r| r[0].clone()).collect();
    let expected: Vec<String> = (0..2000)
        .filter(|r| r % 500 == 7)
        .map(|r: i64| r.to_string())
        .collect();
    assert_eq!(got, expected);
}
