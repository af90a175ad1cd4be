//! The column cache (`Database::column_cache`): a repeated scan is answered from decoded columns
//! kept by the first, with the same rows as a scan that decodes the files; the cache is keyed by
//! file content, so new, dropped and recreated tables never see another file's columns; it
//! stays within its budget; scans that prune by the key or stop early keep the Parquet reader.

mod common;

use common::{physical_plan, root, root_with_row_groups, rows, run};
use tabvault_sql::Session;

const SUMS: &str = "SELECT p, count(*) AS n, sum(v) AS sv, sum(d) AS sd, min(s) AS ms, \
                    max(s) AS xs FROM t WHERE v % 7 <> 3 GROUP BY p ORDER BY p";

fn answer(s: &mut Session) -> Vec<Vec<String>> {
    rows(&run(s, SUMS))
}

fn setup(s: &mut Session) {
    run(
        s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, p INT, v BIGINT, d DECIMAL(12,2), s STRING)
           DUPLICATE KEY(k) PARTITION BY RANGE(p) (PARTITION p0 VALUES LESS THAN (5),
           PARTITION p1 VALUES LESS THAN (10)) DISTRIBUTED BY HASH(k) BUCKETS 3;
         INSERT INTO t SELECT value, value % 10, value * 3, value / 100, concat('s', value % 97)
           FROM generate_series(1, 30000);
         INSERT INTO t SELECT value, value % 10, value * 1 AS v, value / 10, concat('t', value % 13)
           FROM generate_series(30001, 40000)",
    );
}

#[test]
fn a_repeated_scan_is_served_from_the_cache_with_the_same_rows() {
    let (_dir, database, mut s) = root();
    setup(&mut s);
    let cache = database.column_cache().clone();
    assert!(
        physical_plan(&mut s, SUMS).contains("CachedScanExec"),
        "{}",
        physical_plan(&mut s, SUMS)
    );
    let first = answer(&mut s);
    let (hits, misses) = (cache.hits(), cache.misses());
    assert!(
        misses > 0 && cache.used() > 0,
        "the first scan decoded and kept columns"
    );
    let second = answer(&mut s);
    assert_eq!(second, first);
    assert_eq!(cache.misses(), misses, "nothing decoded again");
    assert!(cache.hits() > hits);

    cache.set_budget(0);
    assert!(!physical_plan(&mut s, SUMS).contains("CachedScanExec"));
    assert_eq!(answer(&mut s), first, "the Parquet reader's rows");
    assert_eq!(first.len(), 10, "{first:?}");
}

#[test]
fn new_and_recreated_tables_never_see_another_files_columns() {
    let (_dir, database, mut s) = root();
    setup(&mut s);
    let before = answer(&mut s);
    run(
        &mut s,
        "INSERT INTO t VALUES (50000, 3, 1000000, 1.5, 'zz')",
    );
    let after = answer(&mut s);
    assert_ne!(after, before, "the new file's row is counted");
    let count = |answer: &[Vec<String>]| answer[3][1].parse::<u64>().expect("a count");
    assert_eq!(count(&after), count(&before) + 1);
    assert_eq!(after[3][5], "zz");

    run(
        &mut s,
        "DROP TABLE t;
         CREATE TABLE t (k BIGINT, p INT, v BIGINT, d DECIMAL(12,2), s STRING)
           DUPLICATE KEY(k) PARTITION BY RANGE(p) (PARTITION p0 VALUES LESS THAN (5),
           PARTITION p1 VALUES LESS THAN (10)) DISTRIBUTED BY HASH(k) BUCKETS 3;
         INSERT INTO t SELECT value, value % 10, value * 5, value / 100, concat('u', value % 5)
           FROM generate_series(1, 30000)",
    );
    let recreated = answer(&mut s);
    database.column_cache().set_budget(0);
    assert_eq!(recreated, answer(&mut s), "as the files hold them");
    assert_eq!((&*recreated[3][4], &*recreated[3][5]), ("u3", "u3"));
}

#[test]
fn the_cache_stays_within_its_budget_and_too_large_scans_bypass_it() {
    let (_dir, database, mut s) = root();
    setup(&mut s);
    let cache = database.column_cache().clone();
    cache.set_budget(64 << 10);
    let plan = physical_plan(&mut s, SUMS);
    assert!(
        !plan.contains("CachedScanExec"),
        "40 000 rows need more than half of 64 KiB: {plan}"
    );
    let narrow = "SELECT sum(p) FROM t";
    cache.set_budget(1 << 20);
    assert!(physical_plan(&mut s, narrow).contains("CachedScanExec"));
    let answer = rows(&run(&mut s, narrow));
    assert_eq!(answer, vec![vec!["180000".to_owned()]]);
    assert!(cache.used() > 0 && cache.used() <= 1 << 20);
    cache.set_budget(4 << 10);
    assert!(cache.used() <= 4 << 10, "shrinking evicts");
}

#[test]
fn key_filters_and_limits_keep_the_parquet_reader() {
    let (_dir, _database, mut s) = root();
    setup(&mut s);
    for query in [
        "SELECT v FROM t WHERE k = 1234",
        "SELECT v FROM t WHERE k < 100",
        "SELECT v FROM t LIMIT 5",
    ] {
        let plan = physical_plan(&mut s, query);
        assert!(plan.contains("DataSourceExec"), "{query}: {plan}");
        assert!(!plan.contains("CachedScanExec"), "{query}: {plan}");
    }
}

#[test]
fn streams_share_out_row_groups_and_every_row_is_read_once() {
    let (_dir, database, mut s) = root_with_row_groups(700);
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT, s STRING) DUPLICATE KEY(k)
           DISTRIBUTED BY HASH(k) BUCKETS 1;
         INSERT INTO t SELECT value, value * 3 AS v, concat('row ', value) AS s
           FROM generate_series(1, 20000)",
    );
    let query = "SELECT count(*), sum(v), count(DISTINCT s), min(s), max(s) FROM t WHERE v % 2 = 0";
    assert!(physical_plan(&mut s, query).contains("CachedScanExec"));
    let cold = rows(&run(&mut s, query));
    let warm = rows(&run(&mut s, query));
    database.column_cache().set_budget(0);
    let parquet = rows(&run(&mut s, query));
    assert_eq!(cold, parquet);
    assert_eq!(warm, parquet);
    assert_eq!(
        parquet,
        vec![vec![
            "10000".to_owned(),
            "300030000".to_owned(),
            "10000".to_owned(),
            "row 10".to_owned(),
            "row 9998".to_owned()
        ]]
    );
}

#[test]
fn row_groups_are_pruned_by_their_statistics() {
    let (_dir, database, mut s) = root_with_row_groups(700);
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1;
         INSERT INTO t SELECT value, value * 3 AS v FROM generate_series(1, 20000)",
    );
    // Rows are sorted by k, so v's row-group bounds are narrow: v < 3000 is in 2 of 29.
    let query = "SELECT count(*), sum(v) FROM t WHERE v < 3000";
    let cache = database.column_cache().clone();
    assert!(physical_plan(&mut s, query).contains("CachedScanExec"));
    let pruned = rows(&run(&mut s, query));
    assert!(
        cache.misses() <= 4,
        "a footer and the v chunks of at most 2 row groups per stream were decoded: {}",
        cache.misses()
    );
    assert_eq!(pruned, vec![vec!["999".to_owned(), "1498500".to_owned()]]);
    cache.set_budget(0);
    assert_eq!(rows(&run(&mut s, query)), pruned);
}
