//! Goal: a filter on the partitioning column that the partitions decide (every partition it does
//! not prune holds only rows that satisfy it) is applied by partition pruning alone — DataFusion
//! plans no row filter for it — and every filter on that column still returns exactly the rows
//! that satisfy it, NULLs included, for DUPLICATE KEY and PRIMARY KEY tables.
//! Method: comparisons with dates around every partition bound, alone and as ranges, against a
//! count and sum computed from the inserted rows; EXPLAIN shows where a row filter remains.
//! Pins: the lowest range partition (no lower bound) holds a nullable column's NULLs, which no
//! comparison accepts, so a filter over it is never decided by its bound.

mod common;

use common::{physical_plan, root, rows, run};
use tabvault_sql::Session;

/// `(d, v)` rows: `d` is a day number from 2024-01-01 (`None` for NULL).
const ROWS: [(Option<i32>, i64); 7] = [
    (None, 1),
    (Some(-400), 2),
    (Some(-1), 4),
    (Some(0), 8),
    (Some(365), 16),
    (Some(366), 32),
    (Some(800), 64),
];

/// A day number as a DATE literal.
fn date(day: i32) -> String {
    let days = tabvault_storage::days_from_civil(2024, 1, 1) + i64::from(day);
    let (y, m, d) = tabvault_storage::civil_from_days(days);
    format!("'{y:04}-{m:02}-{d:02}'")
}

/// Tables `dup` (nullable `d`, every row) and `pk` (`d` a NOT NULL key column, the rows with a
/// date) with yearly partitions from 2024, the first without a lower bound, the last to MAXVALUE.
fn tables() -> (tempfile::TempDir, Session) {
    let (dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE p; USE p");
    let partitions = "PARTITION BY RANGE(d) (PARTITION p2023 VALUES LESS THAN ('2024-01-01'), \
                      PARTITION p2024 VALUES LESS THAN ('2025-01-01'), \
                      PARTITION pmax VALUES LESS THAN (MAXVALUE))";
    run(
        &mut s,
        &format!(
            "CREATE TABLE dup (v BIGINT NOT NULL, d DATE) DUPLICATE KEY(v) {partitions} \
             DISTRIBUTED BY HASH(v) BUCKETS 2"
        ),
    );
    run(
        &mut s,
        &format!(
            "CREATE TABLE pk (v BIGINT NOT NULL, d DATE NOT NULL) PRIMARY KEY(v, d) {partitions} \
             DISTRIBUTED BY HASH(v) BUCKETS 2"
        ),
    );
    let values = |with_null: bool| {
        ROWS.iter()
            .filter(|(d, _)| with_null || d.is_some())
            .map(|(d, v)| format!("({}, {v})", d.map_or("NULL".to_owned(), date)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    run(
        &mut s,
        &format!("INSERT INTO dup (d, v) VALUES {}", values(true)),
    );
    run(
        &mut s,
        &format!("INSERT INTO pk (d, v) VALUES {}", values(false)),
    );
    (dir, s)
}

/// `SELECT count(*), sum(v)` of `table` under `condition`, as text.
fn count_and_sum(s: &mut Session, table: &str, condition: &str) -> Vec<String> {
    let result = run(
        s,
        &format!("SELECT count(*), coalesce(sum(v), 0) FROM {table} WHERE {condition}"),
    );
    rows(&result).remove(0)
}

/// Whether the plan of `SELECT v FROM dup WHERE condition` filters rows itself.
fn filters_rows(s: &mut Session, condition: &str) -> bool {
    physical_plan(s, &format!("SELECT v FROM dup WHERE {condition}")).contains("FilterExec")
}

/// A comparison operator and what it means for day numbers.
type Comparison = (&'static str, fn(i32, i32) -> bool);

#[test]
fn filters_on_the_partition_column_return_exactly_their_rows() {
    let (_dir, mut s) = tables();
    let days = [-401, -400, -1, 0, 1, 365, 366, 367, 800];
    let ops: [Comparison; 6] = [
        ("<", |a, b| a < b),
        ("<=", |a, b| a <= b),
        (">", |a, b| a > b),
        (">=", |a, b| a >= b),
        ("=", |a, b| a == b),
        ("<>", |a, b| a != b),
    ];
    let expected = |keep: &dyn Fn(i32) -> bool| {
        let kept: Vec<i64> = ROWS
            .iter()
            .filter(|(d, _)| d.is_some_and(keep))
            .map(|(_, v)| *v)
            .collect();
        vec![kept.len().to_string(), kept.iter().sum::<i64>().to_string()]
    };
    for table in ["dup", "pk"] {
        for day in days {
            for (op, holds) in ops {
                let condition = format!("d {op} {}", date(day));
                let want = expected(&|d| holds(d, day));
                assert_eq!(
                    count_and_sum(&mut s, table, &condition),
                    want,
                    "{table}: {condition}"
                );
                // No column read but the filter's, and a LIMIT below the filter's count.
                let count = run(
                    &mut s,
                    &format!("SELECT count(*) FROM {table} WHERE {condition}"),
                );
                assert_eq!(rows(&count)[0][0], want[0], "{table}: count(*) {condition}");
                let limited = run(
                    &mut s,
                    &format!(
                        "SELECT count(*) FROM (SELECT v FROM {table} WHERE {condition} LIMIT 1) AS l"
                    ),
                );
                let at_most_one = if want[0] == "0" { "0" } else { "1" };
                assert_eq!(
                    rows(&limited)[0][0],
                    at_most_one,
                    "{table}: LIMIT 1 {condition}"
                );
            }
            for upper in days {
                let condition = format!("d >= {} AND d < {}", date(day), date(upper));
                assert_eq!(
                    count_and_sum(&mut s, table, &condition),
                    expected(&|d| d >= day && d < upper),
                    "{table}: {condition}"
                );
            }
        }
    }
}

#[test]
fn only_filters_the_partitions_decide_skip_the_row_filter() {
    let (_dir, mut s) = tables();
    // Exactly the year 2024, which is one partition.
    assert!(!filters_rows(
        &mut s,
        "d >= '2024-01-01' AND d < '2025-01-01'"
    ));
    assert!(!filters_rows(&mut s, "d >= '2025-01-01'"));
    // Part of 2024 only.
    assert!(filters_rows(
        &mut s,
        "d >= '2024-06-01' AND d < '2025-01-01'"
    ));
    // The lowest partition also holds the NULLs, which `d < …` does not accept.
    assert!(filters_rows(&mut s, "d < '2024-01-01'"));
    // Not the partitioning column.
    assert!(filters_rows(&mut s, "v > 3"));
}

/// Which rows of [`ROWS`] (day, `v`) a condition keeps.
type Keep = dyn Fn(Option<i32>, i64) -> bool;

/// Other spellings of a filter on the partitioning column, alone and with other conditions, a
/// LIMIT and every column returned, read exactly their rows through the filtered branch.
#[test]
fn other_forms_of_partition_filters_return_exactly_their_rows() {
    let (_dir, mut s) = tables();
    let sum = |keep: &Keep| -> Vec<String> {
        let kept: Vec<i64> = ROWS
            .iter()
            .filter(|(d, v)| keep(*d, *v))
            .map(|(_, v)| *v)
            .collect();
        vec![kept.len().to_string(), kept.iter().sum::<i64>().to_string()]
    };
    let cases: [(&str, &Keep); 5] = [
        ("'2024-06-01' < d", &|d, _| d.is_some_and(|d| d > 152)),
        ("d IS NULL", &|d, _| d.is_none()),
        ("d IS NOT NULL AND d < '2025-06-01'", &|d, _| {
            d.is_some_and(|d| d < 517)
        }),
        ("d > '2023-12-31' AND v > 8", &|d, v| {
            d.is_some_and(|d| d > -1) && v > 8
        }),
        ("x.d <= '2024-12-31'", &|d, _| d.is_some_and(|d| d <= 365)),
    ];
    for (condition, keep) in cases {
        let result = run(
            &mut s,
            &format!("SELECT count(*), coalesce(sum(v), 0) FROM dup AS x WHERE {condition}"),
        );
        assert_eq!(rows(&result)[0], sum(keep), "{condition}");
        let all = run(
            &mut s,
            &format!("SELECT * FROM dup AS x WHERE {condition} ORDER BY v"),
        );
        let mut expected: Vec<i64> = ROWS
            .iter()
            .filter(|(d, v)| keep(*d, *v))
            .map(|(_, v)| *v)
            .collect();
        expected.sort_unstable();
        let got: Vec<i64> = rows(&all)
            .iter()
            .map(|r| r[0].parse().expect("v"))
            .collect();
        assert_eq!(got, expected, "SELECT * … {condition}");
        let limited = run(
            &mut s,
            &format!(
                "SELECT count(*) FROM (SELECT d FROM dup AS x WHERE {condition} LIMIT 2) AS l"
            ),
        );
        assert_eq!(
            rows(&limited)[0][0],
            expected.len().min(2).to_string(),
            "LIMIT 2 {condition}"
        );
    }
}

/// A filter that decides some of the partitions it leaves but not all is checked row by row only
/// in the others: the plan reads the decided ones in a branch without a row filter.
#[test]
fn a_row_filter_reads_only_the_partitions_it_does_not_decide() {
    let (_dir, mut s) = tables();
    let physical = &physical_plan(&mut s, "SELECT v FROM dup WHERE d > '2024-06-01'");
    let union = physical.find("UnionExec").expect("a union of two reads");
    let filter = physical.find("FilterExec").expect("a row filter");
    assert!(union < filter, "{physical}");
    // One branch reads pmax with no filter, the other p2024 under the filter.
    let reads =
        physical.matches("DataSourceExec").count() + physical.matches("CachedScanExec").count();
    assert_eq!(reads, 2, "{physical}");
}
