//! One commit per statement: partition overwrites and view replacement (issue 10, item 5).
//!
//! Goal: `Engine::overwrite` (INSERT OVERWRITE) and `Engine::create_or_replace_view` (CREATE OR
//! REPLACE VIEW) each publish exactly one metadata record, and a failing one changes nothing: the
//! old rows (or view), the log sequence number, the partition versions and the data files stay.
//!
//! Method: each test opens an engine in a fresh temp dir, writes known rows, and compares the
//! sequence number, scans, versions and data files before and after, and again after a reopen.
//!
//! Bug pinned: INSERT OVERWRITE ran a truncate and an append as two commits, so an append that
//! failed (a value longer than its VARCHAR, a row fitting no partition) left the table empty;
//! CREATE OR REPLACE VIEW dropped the view in one commit and created it in another.

mod common;

use arrow::record_batch::RecordBatch;
use common::*;
use tabvault_storage::*;

const DB: &str = "db";

fn rows(ids: impl IntoIterator<Item = i64>) -> Vec<Row> {
    ids.into_iter()
        .map(|i| vec![int(i), s(&format!("n{i}")), int(i * 10)])
        .collect()
}

fn batch(ids: impl IntoIterator<Item = i64>) -> R<RecordBatch> {
    table_batch(&dup_def("t").schema, &rows(ids))
}

/// A database `db` with table `t` holding rows 0..20 and 30..40 (every partition at version 2).
fn setup(dir: &std::path::Path) -> R<Engine> {
    let engine = Engine::open(dir)?;
    engine.create_database(DB, false)?;
    engine.create_table(DB, &dup_def("t"), false)?;
    engine.append(DB, "t", batch((0..20).chain(30..40))?)?;
    Ok(engine)
}

/// Everything a failed statement must leave unchanged: last sequence number, data files, rows
/// and partition versions of `t`.
type State = (u64, Vec<std::path::PathBuf>, Vec<Row>, Vec<(String, u64)>);

fn state(engine: &Engine) -> R<State> {
    Ok((
        engine.last_seq(),
        data_files(engine.root()),
        all_rows(engine, DB, "t")?,
        versions(engine, DB, "t")?,
    ))
}

#[test]
fn overwrite_of_all_partitions_is_one_record() -> R {
    let dir = tempfile::tempdir()?;
    let engine = setup(dir.path())?;
    let seq = engine.last_seq();
    let info = engine.overwrite(DB, "t", None, batch([1, 2, 35])?)?;
    assert_eq!(info.seq, seq + 1);
    assert_eq!(engine.last_seq(), seq + 1, "exactly one record");
    assert_eq!(info.rows_appended, 3);
    // Every partition gets one new version, p1 too although no new row lands in it.
    let mut touched: Vec<(String, u64)> = info
        .partitions
        .iter()
        .map(|p| (p.partition.clone(), p.version))
        .collect();
    touched.sort();
    let expected = vec![("p0".into(), 3), ("p1".into(), 3), ("p2".into(), 3)];
    assert_eq!(touched, expected);
    assert_eq!(versions(&engine, DB, "t")?, expected);
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows([1, 2, 35])));
    // The replaced rowsets' files are gone; only the new ones remain.
    assert_eq!(data_files(dir.path()), referenced_files(&engine));
    drop(engine);
    let engine = Engine::open(dir.path())?;
    assert_eq!(engine.last_seq(), seq + 1);
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows([1, 2, 35])));
    assert_eq!(versions(&engine, DB, "t")?, expected);
    Ok(())
}

#[test]
fn overwrite_of_named_partitions_keeps_the_others() -> R {
    let dir = tempfile::tempdir()?;
    let engine = setup(dir.path())?;
    let seq = engine.last_seq();
    let p1 = ["p1".to_owned(), "p1".to_owned()];
    engine.overwrite(DB, "t", Some(&p1), batch([11, 12])?)?;
    assert_eq!(engine.last_seq(), seq + 1);
    let expect: Vec<i64> = (0..10).chain([11, 12]).chain(30..40).collect();
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows(expect.clone())));
    assert_eq!(
        versions(&engine, DB, "t")?,
        vec![("p0".into(), 2), ("p1".into(), 3), ("p2".into(), 2)]
    );
    // No rows at all: the named partition is emptied, still in one record.
    engine.overwrite(DB, "t", Some(&p1[..1]), batch([])?)?;
    assert_eq!(engine.last_seq(), seq + 2);
    let expect: Vec<i64> = (0..10).chain(30..40).collect();
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows(expect)));
    assert_eq!(data_files(dir.path()), referenced_files(&engine));
    Ok(())
}

#[test]
fn failing_overwrite_keeps_old_rows_and_sequence_number() -> R {
    let dir = tempfile::tempdir()?;
    let engine = setup(dir.path())?;
    let before = state(&engine)?;
    let too_long = {
        let mut r = rows(0..5);
        r.push(vec![int(5), s("abcdefghij"), int(1)]);
        table_batch(&dup_def("t").schema, &r)?
    };
    let (p1, zz) = (["p1".to_owned()], ["zz".to_owned()]);
    let cases: Vec<(Option<&[String]>, RecordBatch, &str)> = vec![
        (None, too_long, "'name'"),
        // 25 fits no partition.
        (None, batch([1, 25])?, "25"),
        // 5 belongs to p0, which the overwrite does not name.
        (Some(&p1), batch([11, 5])?, "p0"),
        (Some(&zz), batch([1])?, "zz"),
    ];
    for (partitions, rows, needle) in cases {
        let err = engine
            .overwrite(DB, "t", partitions, rows)
            .expect_err(needle);
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
        assert_eq!(state(&engine)?, before, "after {err}");
    }
    drop(engine);
    let engine = Engine::open(dir.path())?;
    assert_eq!(state(&engine)?, before);
    Ok(())
}

#[test]
fn operations_of_a_batch_apply_in_order_around_an_overwrite() -> R {
    let dir = tempfile::tempdir()?;
    let engine = setup(dir.path())?;
    let seq = engine.last_seq();
    // An append before the overwrite is replaced by it; one after it adds to the new rows.
    let mut write = WriteBatch::new();
    write
        .append(DB, "t", batch([3, 13])?)
        .overwrite(DB, "t", None, batch([1, 31])?)
        .append(DB, "t", batch([2, 32])?);
    engine.write(write)?;
    assert_eq!(engine.last_seq(), seq + 1);
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows([1, 2, 31, 32])));
    assert_eq!(
        versions(&engine, DB, "t")?,
        vec![("p0".into(), 3), ("p1".into(), 3), ("p2".into(), 3)]
    );
    assert_eq!(data_files(dir.path()), referenced_files(&engine));
    Ok(())
}

#[test]
fn create_or_replace_view_is_one_record() -> R {
    let dir = tempfile::tempdir()?;
    let engine = setup(dir.path())?;
    let view = |query: &str| ViewDef {
        name: "v".into(),
        columns: vec![],
        query: query.into(),
    };
    let seq = engine.last_seq();
    // No view yet: it is created.
    engine.create_or_replace_view(DB, &view("SELECT 1"))?;
    assert_eq!(engine.last_seq(), seq + 1);
    engine.create_or_replace_view(DB, &view("SELECT 2"))?;
    assert_eq!(engine.last_seq(), seq + 2, "drop and create in one record");
    assert_eq!(engine.views(DB)?, vec![view("SELECT 2")]);
    // Refused replacements change nothing: a table's name, a bad column name, an empty query.
    let table = ViewDef {
        name: "t".into(),
        ..view("SELECT 3")
    };
    let bad_column = ViewDef {
        columns: vec!["a/b".into()],
        ..view("SELECT 3")
    };
    for bad in [table, bad_column, view(" ")] {
        assert!(engine.create_or_replace_view(DB, &bad).is_err(), "{bad:?}");
    }
    assert_eq!(engine.last_seq(), seq + 2);
    assert_eq!(engine.views(DB)?, vec![view("SELECT 2")]);
    drop(engine);
    let engine = Engine::open(dir.path())?;
    assert_eq!(engine.views(DB)?, vec![view("SELECT 2")]);
    Ok(())
}
