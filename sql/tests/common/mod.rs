//! Helpers shared by the SQL integration tests.

#![allow(dead_code)] // each test file uses a different subset

use arrow::util::display::{ArrayFormatter, FormatOptions};
use tabvault_sql::{Database, QueryResult, Session};

/// A fresh database in a temporary directory and a root session on it (jobs waited for).
pub fn root() -> (tempfile::TempDir, Database, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (database, session) = root_in(dir.path());
    (dir, database, session)
}

/// A fresh database whose engine writes row groups of at most `rows` rows, and a root session on
/// it: for tests of how scans read row groups.
pub fn root_with_row_groups(rows: usize) -> (tempfile::TempDir, Database, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = tabvault_storage::Engine::builder(dir.path())
        .row_group_rows(rows)
        .open()
        .expect("engine");
    let database = Database::with_engine(engine).expect("database");
    let session = database.root_session().expect("root");
    (dir, database, session)
}

/// A database in `data` and a root session on it (jobs waited for).
pub fn root_in(data: &std::path::Path) -> (Database, Session) {
    let database = Database::open(data).expect("open");
    let mut session = database.root_session().expect("root");
    session.set_wait_for_jobs(true);
    (database, session)
}

/// Runs `sql` and returns the last result.
pub fn run(session: &mut Session, sql: &str) -> QueryResult {
    let mut results = session
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    results.pop().expect("a statement")
}

/// The result's rows as text (NULL as `NULL`).
pub fn rows(result: &QueryResult) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in &result.batches {
        let formatters: Vec<ArrayFormatter<'_>> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter"))
            .collect();
        for row in 0..batch.num_rows() {
            out.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    out
}

/// The result's column names.
pub fn columns(result: &QueryResult) -> Vec<String> {
    result
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// The physical plan DataFusion makes for `query`, as EXPLAIN prints it.
pub fn physical_plan(session: &mut Session, query: &str) -> String {
    let explained = run(session, &format!("EXPLAIN {query}"));
    let names = columns(&explained);
    let (Some(kind), Some(plan)) = (
        names.iter().position(|c| c == "plan_type"),
        names.iter().position(|c| c == "plan"),
    ) else {
        panic!("EXPLAIN answered columns {names:?}");
    };
    rows(&explained)
        .into_iter()
        .find(|row| row[kind] == "physical_plan")
        .map(|row| row[plan].clone())
        .unwrap_or_else(|| panic!("no physical plan for {query}"))
}

/// Every `.parquet` file under `dir`, in path order.
pub fn parquet_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            found.push(path);
        }
    }
    found.sort();
    found
}
