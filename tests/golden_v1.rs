//! Golden fixtures of format version 1 (`tests/fixtures/v1`, made by `make.sql` there with the
//! code of 2026-12-06): a data directory (a partitioned DUPLICATE KEY table written in two
//! commits, a PRIMARY KEY table with an update and a delete, a view, a user with a grant, a
//! finished BACKUP job, a registered repository) and the local repository that BACKUP wrote.
//! Whatever the code becomes, it must open them and read the same rows, and RESTORE from the
//! repository; their rowset files (no Parquet field ids) must keep reading next to files written
//! now. The tests work on copies; the fixtures are never opened in place.

use std::path::{Path, PathBuf};

use arrow::util::display::{ArrayFormatter, FormatOptions};
use tabvault::{Database, QueryResult, Session};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A copy of the fixtures: `data/` and `repository/` side by side in a fresh directory.
fn copied() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture().join("data"), &dir.path().join("data"));
    copy_tree(
        &fixture().join("repository"),
        &dir.path().join("repository"),
    );
    dir
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let mut results = session
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    text(&results.pop().expect("a result"))
}

fn text(result: &QueryResult) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in &result.batches {
        let columns: Vec<ArrayFormatter<'_>> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter"))
            .collect();
        for row in 0..batch.num_rows() {
            out.push(columns.iter().map(|c| c.value(row).to_string()).collect());
        }
    }
    out
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

const SALES: &[&[&str]] = &[
    &["1", "2024-03-01", "apple", "1.50"],
    &["2", "2024-07-09", "pear", "2.25"],
    &["3", "2025-01-02", "NULL", "10.00"],
    &["4", "2025-06-30", "plum", "0.99"],
];

#[test]
fn a_v1_data_directory_opens_with_its_rows_view_users_and_jobs() {
    let dir = copied();
    let database = Database::open(dir.path().join("data")).expect("opens a v1 data directory");
    let mut root = database.root_session().expect("root");
    assert_eq!(
        rows(
            &mut root,
            "SELECT id, day, item, amount FROM shop.sales ORDER BY id"
        ),
        strings(SALES)
    );
    assert_eq!(
        rows(&mut root, "SELECT item, qty FROM shop.stock ORDER BY item"),
        strings(&[&["apple", "8"], &["plum", "7"]])
    );
    assert_eq!(
        rows(&mut root, "SELECT id FROM shop.big_sales ORDER BY id"),
        strings(&[&["2"], &["3"]])
    );
    let shown = rows(&mut root, "SHOW BACKUP FROM shop");
    assert_eq!(
        (shown[0][1].as_str(), shown[0][3].as_str()),
        ("v1", "FINISHED")
    );
    let repositories = rows(&mut root, "SHOW REPOSITORIES");
    assert_eq!(repositories[0][1], "golden_repo");

    let mut reader = database
        .session("reader", Some("pw"))
        .expect("the v1 user logs in with its password");
    assert_eq!(
        rows(&mut reader, "SELECT count(*) FROM shop.sales"),
        strings(&[&["4"]])
    );
    let denied = reader
        .execute("INSERT INTO shop.sales VALUES (9, '2024-01-01', 'x', 1)")
        .expect_err("reader has SELECT only");
    assert!(denied.to_string().contains("INSERT"), "{denied}");
    assert!(database.session("reader", Some("wrong")).is_err());
}

#[test]
fn a_v1_repository_restores() {
    let dir = copied();
    let database = Database::open(dir.path().join("data")).expect("opens");
    let mut root = database.root_session().expect("root");
    root.set_wait_for_jobs(true);
    let location = dir.path().join("repository");
    root.execute(&format!(
        "CREATE REPOSITORY golden_copy ON LOCATION \"{}\"",
        location.display()
    ))
    .expect("a v1 repository is adopted");
    let snapshots = rows(&mut root, "SHOW SNAPSHOT ON golden_copy");
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    let (name, timestamp) = (snapshots[0][0].clone(), snapshots[0][1].clone());
    assert_eq!(name, "v1");
    root.execute(&format!(
        "RESTORE SNAPSHOT shop.v1 FROM golden_copy ON (sales AS sales_back, stock AS stock_back) \
         PROPERTIES (\"backup_timestamp\" = \"{timestamp}\")"
    ))
    .expect("restores from a v1 repository");
    assert_eq!(
        rows(
            &mut root,
            "SELECT id, day, item, amount FROM shop.sales_back ORDER BY id"
        ),
        strings(SALES)
    );
    assert_eq!(
        rows(
            &mut root,
            "SELECT item, qty FROM shop.stock_back ORDER BY item"
        ),
        strings(&[&["apple", "8"], &["plum", "7"]])
    );
}

/// The v1 files carry no Parquet field ids; rows written now go to files that do. Tables holding
/// both read, merge (PRIMARY KEY upserts and deletes over v1 rows) and compact to the same rows.
#[test]
fn v1_files_and_new_files_with_field_ids_read_merge_and_compact_together() {
    let dir = copied();
    let database = Database::open(dir.path().join("data")).expect("opens");
    let mut root = database.root_session().expect("root");
    root.execute(
        "INSERT INTO shop.sales VALUES (5, '2025-08-01', 'kiwi', 3.00), (6, '2024-01-05', NULL, 0.50); \
         INSERT INTO shop.stock VALUES ('plum', 1), ('fig', 4); \
         DELETE FROM shop.stock WHERE item = 'apple'",
    )
    .expect("writes");
    let mut sales: Vec<&[&str]> = SALES.to_vec();
    sales.extend([
        &["5", "2025-08-01", "kiwi", "3.00"][..],
        &["6", "2024-01-05", "NULL", "0.50"][..],
    ]);
    let stock = strings(&[&["fig", "4"], &["plum", "1"]]);
    for round in ["mixed", "compacted"] {
        assert_eq!(
            rows(
                &mut root,
                "SELECT id, day, item, amount FROM shop.sales ORDER BY id"
            ),
            strings(&sales),
            "{round}"
        );
        assert_eq!(
            rows(&mut root, "SELECT item, qty FROM shop.stock ORDER BY item"),
            stock,
            "{round}"
        );
        assert_eq!(
            rows(
                &mut root,
                "SELECT count(*) FROM shop.sales WHERE amount > 1"
            ),
            strings(&[&["4"]]),
            "{round}"
        );
        root.execute("ALTER TABLE shop.sales COMPACT; ALTER TABLE shop.stock COMPACT")
            .expect("compacts");
    }
}
