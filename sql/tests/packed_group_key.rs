//! Goal: grouping by short CHAR/VARCHAR columns, which is planned on one packed integer key,
//! forms exactly the groups the values form: NULLs, empty strings and multi-byte characters
//! included, through views and aliases; columns too long to pack are grouped as before.
//! Method: proptest inserts random rows and compares GROUP BY and DISTINCT answers with groups
//! computed from the inserted rows; EXPLAIN shows which queries are packed.

mod common;

use std::collections::BTreeMap;

use common::{physical_plan, root, rows, run};
use proptest::prelude::*;
use tabvault_sql::Session;

/// One row: `a CHAR(1)`, `b VARCHAR(3)` (both nullable), `c CHAR(2) NOT NULL`, `v INT`.
type Row = (Option<String>, Option<String>, String, i32);

/// A string of at most `max` bytes from an alphabet with a two-byte character.
fn text(max: usize) -> impl Strategy<Value = String> {
    "[abé]{0,3}".prop_filter("too long", move |s| s.len() <= max)
}

fn row() -> impl Strategy<Value = Row> {
    (
        proptest::option::of(text(1)),
        proptest::option::of(text(3)),
        text(2),
        -5_i32..5,
    )
}

fn literal(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |s| format!("'{s}'"))
}

fn table(rows: &[Row]) -> (tempfile::TempDir, Session) {
    let (dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE g; USE g");
    run(
        &mut s,
        "CREATE TABLE t (v INT, a CHAR(1), b VARCHAR(3), c CHAR(2) NOT NULL) \
         DUPLICATE KEY(v) DISTRIBUTED BY HASH(v) BUCKETS 2",
    );
    // Two inserts: groups span files.
    for part in rows.chunks(rows.len().div_ceil(2)) {
        let values: Vec<String> = part
            .iter()
            .map(|(a, b, c, v)| {
                let (a, b, c) = (
                    literal(a.as_deref()),
                    literal(b.as_deref()),
                    literal(Some(c)),
                );
                format!("({v}, {a}, {b}, {c})")
            })
            .collect();
        run(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        );
    }
    (dir, s)
}

fn shown(value: Option<&str>) -> String {
    value.unwrap_or("NULL").to_owned()
}

/// The answer's rows, sorted.
fn answer(s: &mut Session, query: &str) -> Vec<Vec<String>> {
    let mut out = rows(&run(s, query));
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn groups_are_the_values(rows in proptest::collection::vec(row(), 1..60)) {
        let (_dir, mut s) = table(&rows);

        let mut by_ab: BTreeMap<Vec<String>, (i64, i64)> = BTreeMap::new();
        let mut by_c: BTreeMap<String, i64> = BTreeMap::new();
        for (a, b, c, v) in &rows {
            let group = by_ab.entry(vec![shown(a.as_deref()), shown(b.as_deref())]).or_default();
            group.0 += 1;
            group.1 += i64::from(*v);
            *by_c.entry(c.clone()).or_default() += 1;
        }
        let mut expected: Vec<Vec<String>> = by_ab
            .iter()
            .map(|(key, (n, sum))| {
                let mut row = key.clone();
                row.extend([n.to_string(), sum.to_string()]);
                row
            })
            .collect();
        expected.sort();
        let query = "SELECT a, b, count(*), sum(v) FROM t GROUP BY a, b";
        prop_assert!(physical_plan(&mut s, query).contains("pack_group_key"));
        prop_assert_eq!(answer(&mut s, query), expected);

        let mut distinct: Vec<Vec<String>> = by_ab.keys().map(|k| vec![k[1].clone(), k[0].clone()]).collect();
        distinct.sort();
        let query = "SELECT DISTINCT b, a FROM t";
        prop_assert!(physical_plan(&mut s, query).contains("pack_group_key"));
        prop_assert_eq!(answer(&mut s, query), distinct);

        let mut counted: Vec<Vec<String>> =
            by_c.iter().map(|(c, n)| vec![c.clone(), n.to_string()]).collect();
        counted.sort();
        prop_assert_eq!(answer(&mut s, "SELECT c, count(*) FROM t GROUP BY c"), counted);
    }
}

#[test]
fn views_and_aliases_are_followed_to_the_declared_lengths() {
    let rows: Vec<Row> = vec![
        (Some("a".into()), Some("bb".into()), "é".into(), 1),
        (None, Some("bb".into()), "é".into(), 2),
        (Some("a".into()), None, "".into(), 3),
    ];
    let (_dir, mut s) = table(&rows);
    run(
        &mut s,
        "CREATE VIEW w AS SELECT a AS x, c FROM t WHERE v > 1",
    );
    let query = "SELECT x, c, count(*) FROM w GROUP BY x, c";
    assert!(physical_plan(&mut s, query).contains("pack_group_key"));
    assert_eq!(
        answer(&mut s, query),
        [vec!["NULL", "é", "1"], vec!["a", "", "1"]]
    );
    let query = "SELECT q.y, count(*) FROM (SELECT b AS y FROM t) AS q GROUP BY q.y";
    assert!(physical_plan(&mut s, query).contains("pack_group_key"));
    assert_eq!(answer(&mut s, query), [vec!["NULL", "1"], vec!["bb", "2"]]);
}

#[test]
fn columns_too_long_to_pack_are_grouped_as_before() {
    let (_dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE g; USE g");
    run(
        &mut s,
        "CREATE TABLE t (v INT, a CHAR(3), b VARCHAR(5), s STRING) \
         DUPLICATE KEY(v) DISTRIBUTED BY HASH(v) BUCKETS 1",
    );
    run(
        &mut s,
        "INSERT INTO t VALUES (1, 'abc', 'defgh', 'x'), (2, 'abc', 'defgh', 'x')",
    );
    // 4 + 6 bytes do not fit in one key; a STRING has no declared length; an expression is not
    // a stored column.
    for query in [
        "SELECT a, b, count(*) FROM t GROUP BY a, b",
        "SELECT s, count(*) FROM t GROUP BY s",
        "SELECT upper(a), count(*) FROM t GROUP BY upper(a)",
    ] {
        assert!(
            !physical_plan(&mut s, query).contains("pack_group_key"),
            "{query}"
        );
        assert_eq!(
            answer(&mut s, query)[0].last().map(String::as_str),
            Some("2")
        );
    }
    // Each alone fits.
    let query = "SELECT b, count(*) FROM t GROUP BY b";
    assert!(physical_plan(&mut s, query).contains("pack_group_key"));
    assert_eq!(answer(&mut s, query), [vec!["defgh", "2"]]);
}
