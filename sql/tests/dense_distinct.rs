//! Goal: `count(DISTINCT x)` of a stored integer column, counted in a bitmap over the column's
//! recorded range, gives DataFusion's answer and column name: NULLs ignored, with filters, other
//! aggregates and views; columns whose range is too wide, and grouped counts, are counted as
//! before.
//! Method: proptest inserts random rows in several statements and compares the counts with the
//! distinct values of the inserted rows; EXPLAIN shows which counts use the bitmap.

mod common;

use std::collections::HashSet;

use common::{columns, physical_plan, root, rows, run};
use proptest::prelude::*;
use tabvault_sql::Session;

/// One row: `k INT NOT NULL`, `a INT`, `b TINYINT`, `w BIGINT`.
type Row = (i32, Option<i32>, Option<i8>, i64);

fn row() -> impl Strategy<Value = Row> {
    (
        0_i32..1000,
        proptest::option::weighted(0.8, -300_i32..300),
        proptest::option::of(any::<i8>()),
        prop_oneof![1 => Just(1_i64 << 40), 12 => -5_i64..5],
    )
}

fn sql(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

fn table(rows: &[Row]) -> (tempfile::TempDir, Session) {
    let (dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE d; USE d");
    run(
        &mut s,
        "CREATE TABLE t (k INT NOT NULL, a INT, b TINYINT, w BIGINT) \
         DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3",
    );
    for part in rows.chunks(rows.len().div_ceil(3)) {
        let values: Vec<String> = part
            .iter()
            .map(|(k, a, b, w)| format!("({k}, {}, {}, {w})", sql(*a), sql(*b)))
            .collect();
        run(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        );
    }
    (dir, s)
}

fn count<T: std::hash::Hash + Eq>(values: impl Iterator<Item = T>) -> String {
    values.collect::<HashSet<T>>().len().to_string()
}

fn answer(s: &mut Session, query: &str) -> Vec<String> {
    rows(&run(s, query)).remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    // At least 10 rows: `a`'s 600 values are then at most 64 per row, narrow enough.
    fn counts_are_the_distinct_values(rows in proptest::collection::vec(row(), 10..80)) {
        let (_dir, mut s) = table(&rows);
        let query = "SELECT count(DISTINCT a), count(*), count(DISTINCT b) FROM t";
        let a_values = rows.iter().filter_map(|r| r.1);
        let b_values = rows.iter().filter_map(|r| r.2);
        let expected = vec![count(a_values), rows.len().to_string(), count(b_values)];
        prop_assert!(physical_plan(&mut s, query).contains("dense_count_distinct"));
        prop_assert_eq!(answer(&mut s, query), expected);

        let query = "SELECT count(DISTINCT a) FROM t WHERE k < 500";
        let kept = rows.iter().filter(|r| r.0 < 500).filter_map(|r| r.1);
        prop_assert!(physical_plan(&mut s, query).contains("dense_count_distinct"));
        prop_assert_eq!(answer(&mut s, query), vec![count(kept)]);

        // `w` spans 2^40 values when it holds one: then the bitmap would be too large.
        let query = "SELECT count(DISTINCT w) FROM t";
        let wide = rows.iter().any(|r| r.3 == 1 << 40);
        prop_assert_eq!(!physical_plan(&mut s, query).contains("dense_count_distinct"), wide);
        prop_assert_eq!(answer(&mut s, query), vec![count(rows.iter().map(|r| r.3))]);
    }
}

#[test]
fn names_views_and_grouped_counts() {
    let inserted: Vec<Row> = vec![
        (1, Some(5), None, 0),
        (2, Some(5), Some(1), 0),
        (3, None, Some(1), 0),
    ];
    let (_dir, mut s) = table(&inserted);
    let result = run(&mut s, "SELECT count(DISTINCT a) FROM t");
    assert_eq!(columns(&result), ["count(DISTINCT t.a)"]);
    assert_eq!(rows(&result), [["1"]]);

    run(&mut s, "CREATE VIEW v AS SELECT a AS x FROM t WHERE k > 1");
    let query = "SELECT count(DISTINCT x) AS n FROM v";
    assert!(physical_plan(&mut s, query).contains("dense_count_distinct"));
    let result = run(&mut s, query);
    assert_eq!(columns(&result), ["n"]);
    assert_eq!(rows(&result), [["1"]]);

    let query = "SELECT b, count(DISTINCT a) FROM t GROUP BY b ORDER BY b";
    assert!(!physical_plan(&mut s, query).contains("dense_count_distinct"));
    assert_eq!(rows(&run(&mut s, query)), [["1", "1"], ["NULL", "1"]]);

    // No row left: zero, as count(DISTINCT) says.
    let query = "SELECT count(DISTINCT a) FROM t WHERE k < 0";
    assert!(physical_plan(&mut s, query).contains("dense_count_distinct"));
    assert_eq!(answer(&mut s, query), ["0"]);

    // A correlated subquery is grouped by the outer column once decorrelated: no bitmap per
    // group.
    let query = "SELECT k, (SELECT count(DISTINCT a) FROM t AS u WHERE u.b = t.b) AS n \
                 FROM t ORDER BY k";
    assert!(!physical_plan(&mut s, query).contains("dense_count_distinct"));
    assert_eq!(
        rows(&run(&mut s, query)),
        [["1", "0"], ["2", "1"], ["3", "1"]]
    );

    let query = "SELECT count(DISTINCT a + 1) FROM t";
    assert!(!physical_plan(&mut s, query).contains("dense_count_distinct"));
    assert_eq!(answer(&mut s, query), ["1"]);

    run(
        &mut s,
        "CREATE TABLE e (k INT NOT NULL, a INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    assert_eq!(answer(&mut s, "SELECT count(DISTINCT a) FROM e"), ["0"]);
}
