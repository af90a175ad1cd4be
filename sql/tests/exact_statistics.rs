//! Goal: `min`, `max` and `count(*)` of a DUPLICATE KEY table without a filter, which DataFusion
//! answers from the rowsets' recorded statistics instead of reading files, equal what a scan
//! computes, for every column type the statistics cover and for those they do not.
//! Method: proptest builds a table from several INSERTs of random rows (NULLs, negative numbers,
//! empty, short and over-long strings, all-NULL columns in some inserts, an empty insert) and
//! compares the unfiltered query with the same query under a filter every row passes and no
//! optimizer can remove (`random() >= 0`), which makes DataFusion scan.
//! Pins: a file whose column holds only NULLs taken as bounding that column; a bound recorded
//! wider or narrower than the values; a column without recorded bounds (DOUBLE, long strings)
//! answered from the bounds of the other files.

mod common;

use common::{columns, root, rows, run};
use proptest::prelude::*;
use tabvault_storage::civil_from_days;

/// One row: (k, i, d, s, dt) with each of i, d, s, dt possibly NULL.
type Row = (i64, Option<i32>, Option<f64>, Option<String>, Option<i32>);

fn row() -> impl Strategy<Value = Row> {
    (
        -1000i64..1000,
        proptest::option::of(-50i32..50),
        proptest::option::of(-1e3f64..1e3),
        proptest::option::of(prop_oneof![
            "[a-c]{0,3}",
            // Longer than the 64 bytes storage records as a bound.
            "[x-z]{70,80}",
        ]),
        proptest::option::of(-3650i32..3650),
    )
}

fn literal(row: &Row) -> String {
    let (k, i, d, s, dt) = row;
    let or_null = |v: Option<String>| v.unwrap_or_else(|| "NULL".to_owned());
    format!(
        "({k}, {}, {}, {}, {})",
        or_null(i.map(|v| v.to_string())),
        or_null(d.map(|v| format!("{v:?}"))),
        or_null(s.as_ref().map(|v| format!("'{v}'"))),
        or_null(dt.map(|v| {
            let (year, month, day) = civil_from_days(i64::from(v));
            format!("'{year:04}-{month:02}-{day:02}'")
        })),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn min_max_and_count_from_statistics_equal_a_scan(
        inserts in proptest::collection::vec(proptest::collection::vec(row(), 0..6), 1..5)
    ) {
        let (_dir, _db, mut s) = root();
        run(
            &mut s,
            "CREATE DATABASE d; USE d;
             CREATE TABLE t (k BIGINT, i INT, d DOUBLE, s VARCHAR(100), dt DATE)
             DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2",
        );
        for batch in inserts.iter().filter(|b| !b.is_empty()) {
            let values: Vec<String> = batch.iter().map(literal).collect();
            run(&mut s, &format!("INSERT INTO t VALUES {}", values.join(", ")));
        }
        // One query per column: DataFusion answers from statistics only when it can answer every
        // aggregate of the query so.
        for column in ["k", "i", "d", "s", "dt"] {
            let select = format!("SELECT count(*), min({column}), max({column}) FROM t");
            let from_statistics = run(&mut s, &select);
            let scanned = run(&mut s, &format!("{select} WHERE random() >= 0"));
            prop_assert_eq!(columns(&from_statistics), columns(&scanned));
            prop_assert_eq!(rows(&from_statistics), rows(&scanned), "{}", column);
        }
    }
}
