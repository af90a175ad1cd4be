//! The engine owns only what it made: which directories it opens, what open-time recovery does
//! with damage (refuse corruption, cut only a torn final record, keep what was cut), what GC may
//! delete, and what `verify` and repair report. Every test here failed before these rules existed.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use tabvault_storage::internal::*;
use tabvault_storage::whitebox::*;
use tabvault_storage::*;

const DB: &str = "db";

fn def() -> TableDef {
    table_def(
        "t",
        vec![
            col("id", ColumnType::BigInt).not_null(),
            col("v", ColumnType::Int),
        ],
        KeyModel::Duplicate,
        &["id"],
        PartitionScheme::Unpartitioned,
        hash(&["id"], 2),
        vec![],
    )
}

fn rows(ids: std::ops::Range<i64>) -> Vec<Row> {
    ids.map(|i| vec![int(i), int(i * 10)]).collect()
}

/// A data directory with table `db.t` and `commits` appends of 5 rows each (one record each; no
/// background compaction, so the log holds exactly these records).
fn populated(root: &Path, commits: i64) -> R<Engine> {
    let engine = Engine::builder(root).auto_compaction(None).open()?;
    engine.create_database(DB, false)?;
    engine.create_table(DB, &def(), false)?;
    for c in 0..commits {
        engine.append(
            DB,
            "t",
            table_batch(&def().schema, &rows(c * 5..c * 5 + 5))?,
        )?;
    }
    Ok(engine)
}

/// Every file under `dir` with its content, to prove that nothing changed.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

fn the_log(root: &Path) -> R<PathBuf> {
    let logs: Vec<PathBuf> = files_under(&root.join(META_DIR))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tvlog"))
        .collect();
    match logs.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!("expected one log, found {other:?}").into()),
    }
}

/// Byte offsets where each record's frame starts in a log file (after the 8-byte magic).
fn frame_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 8;
    while let Some((_, len)) = decode_frame(&bytes[at..]) {
        offsets.push(at);
        at += len;
    }
    offsets
}

#[test]
fn a_foreign_directory_is_refused_and_left_untouched() -> R {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("data/photos"))?;
    std::fs::write(dir.path().join("data/photos/cat.jpg"), b"meow")?;
    std::fs::create_dir_all(dir.path().join("snapshots"))?;
    std::fs::write(dir.path().join("snapshots/notes.txt"), b"mine")?;
    std::fs::write(dir.path().join("README"), b"hello")?;
    let before = tree(dir.path());
    let err = Engine::open(dir.path())
        .err()
        .ok_or("opened a foreign directory")?;
    assert!(matches!(err, StorageError::DataDirectory { .. }), "{err}");
    assert!(
        err.to_string().contains("not a tabvault data directory"),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before, "the refused directory changed");
    assert!(!dir.path().join(LOCK_FILE).exists());
    Ok(())
}

#[test]
fn a_new_directory_is_marked_and_an_empty_one_is_adopted() -> R {
    let dir = tempfile::tempdir()?;
    let engine = Engine::open(dir.path().join("fresh"))?;
    assert!(engine.open_report().created);
    assert!(dir.path().join("fresh").join(MARKER_FILE).is_file());
    drop(engine);
    let engine = Engine::open(dir.path().join("fresh"))?;
    assert!(!engine.open_report().created);
    drop(engine);
    let empty = tempfile::tempdir()?;
    let engine = Engine::open(empty.path())?;
    assert!(
        engine.open_report().created,
        "an empty existing directory is new"
    );
    assert!(empty.path().join(MARKER_FILE).is_file());
    Ok(())
}

#[test]
fn a_marked_directory_without_its_metadata_is_refused() -> R {
    let dir = tempfile::tempdir()?;
    drop(populated(dir.path(), 3)?);
    let data_before = tree(&dir.path().join(DATA_DIR));
    assert!(!data_before.is_empty());
    std::fs::rename(dir.path().join(META_DIR), dir.path().join("meta.away"))?;
    let err = Engine::open(dir.path())
        .err()
        .ok_or("opened without meta/")?;
    assert!(err.to_string().contains("missing or empty"), "{err}");
    assert_eq!(tree(&dir.path().join(DATA_DIR)), data_before);
    // An empty meta/ (say, a mount point with nothing mounted) is refused the same way.
    std::fs::create_dir(dir.path().join(META_DIR))?;
    let err = Engine::open(dir.path())
        .err()
        .ok_or("opened with an empty meta/")?;
    assert!(err.to_string().contains("missing or empty"), "{err}");
    assert_eq!(tree(&dir.path().join(DATA_DIR)), data_before);
    // Put back, everything is there.
    std::fs::remove_dir(dir.path().join(META_DIR))?;
    std::fs::rename(dir.path().join("meta.away"), dir.path().join(META_DIR))?;
    let engine = Engine::open(dir.path())?;
    assert_eq!(all_rows(&engine, DB, "t")?.len(), 15);
    Ok(())
}

#[test]
fn an_unmarked_directory_with_a_tabvault_log_is_adopted() -> R {
    let dir = tempfile::tempdir()?;
    drop(populated(dir.path(), 2)?);
    std::fs::remove_file(dir.path().join(MARKER_FILE))?;
    let engine = Engine::open(dir.path())?;
    assert_eq!(all_rows(&engine, DB, "t")?.len(), 10);
    assert!(dir.path().join(MARKER_FILE).is_file());
    Ok(())
}

#[test]
fn a_newer_marker_or_log_version_is_refused_not_wiped() -> R {
    let dir = tempfile::tempdir()?;
    drop(populated(dir.path(), 2)?);
    let log = the_log(dir.path())?;
    let mut bytes = std::fs::read(&log)?;
    bytes[7] = 9;
    std::fs::write(&log, &bytes)?;
    let before = tree(dir.path());
    let err = Engine::open(dir.path()).err().ok_or("opened a newer log")?;
    assert!(
        matches!(err, StorageError::UnsupportedVersion { found: 9, .. }),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before);
    bytes[7] = 1;
    std::fs::write(&log, &bytes)?;
    std::fs::write(
        dir.path().join(MARKER_FILE),
        br#"{"format": "tabvault-data-directory", "version": 7}"#,
    )?;
    let err = Engine::open(dir.path())
        .err()
        .ok_or("opened a newer marker")?;
    assert!(
        matches!(err, StorageError::UnsupportedVersion { found: 7, .. }),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_flipped_bit_mid_log_is_corruption_and_nothing_is_deleted() -> R {
    let dir = tempfile::tempdir()?;
    drop(populated(dir.path(), 10)?);
    let log = the_log(dir.path())?;
    let mut bytes = std::fs::read(&log)?;
    let offsets = frame_offsets(&bytes);
    // Records: create database, create table, then 10 appends. Damage the 3rd append's payload.
    assert_eq!(offsets.len(), 12);
    let damaged = offsets[4];
    bytes[damaged + 20] ^= 0x04;
    std::fs::write(&log, &bytes)?;
    let before = tree(dir.path());
    let err = Engine::open(dir.path())
        .err()
        .ok_or("opened a corrupt log")?;
    let text = err.to_string();
    assert!(text.contains(&log.display().to_string()), "{text}");
    assert!(text.contains(&format!("offset {damaged}")), "{text}");
    assert!(text.contains("record 5"), "{text}");
    assert!(text.contains("corruption"), "{text}");
    assert_eq!(tree(dir.path()), before, "a refused open changed files");

    // Repair accepts the loss of the records after the damage and keeps all of it aside.
    let engine = Engine::builder(dir.path()).repair(true).open()?;
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows(0..10)));
    let report = engine.open_report().clone();
    assert!(report.log_truncated);
    assert_eq!(
        report.gc.files_quarantined,
        8 * 2,
        "8 lost appends of 2 tablets each"
    );
    let kept = report.lost_found.ok_or("nothing kept")?;
    assert_eq!(files_under(&kept.join(DATA_DIR)).len(), 16);
    let cut = files_under(&kept.join(META_DIR));
    assert_eq!(cut.len(), 1);
    assert_eq!(std::fs::read(&cut[0])?, bytes[damaged..]);
    assert!(engine.verify(true)?.is_clean());
    Ok(())
}

#[test]
fn a_torn_final_record_is_cut_and_kept() -> R {
    let dir = tempfile::tempdir()?;
    drop(populated(dir.path(), 3)?);
    let log = the_log(dir.path())?;
    let bytes = std::fs::read(&log)?;
    let offsets = frame_offsets(&bytes);
    let last = *offsets.last().ok_or("no records")?;
    let torn = last + (bytes.len() - last) / 2;
    std::fs::write(&log, &bytes[..torn])?;
    let engine = Engine::open(dir.path())?;
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows(0..10)));
    let report = engine.open_report().clone();
    assert!(report.log_truncated);
    assert_eq!(report.gc.files_quarantined, 2);
    let kept = report.lost_found.ok_or("nothing kept")?;
    assert_eq!(
        std::fs::read(&files_under(&kept.join(META_DIR))[0])?,
        bytes[last..torn]
    );
    let verify = engine.verify(true)?;
    assert!(verify.is_clean(), "{verify:?}");
    assert_eq!(verify.lost_found.len(), 1);
    Ok(())
}

#[test]
fn gc_deletes_only_the_engines_own_shapes() -> R {
    let dir = tempfile::tempdir()?;
    let engine = populated(dir.path(), 2)?;
    let referenced = referenced_files(&engine);
    drop(engine);
    let data = dir.path().join(DATA_DIR);
    let tablet = referenced[0].parent().ok_or("no parent")?.to_owned();
    let ours = [
        tablet.join("999999.parquet"),
        tablet.join("999998.parquet.tmp"),
    ];
    let theirs = [
        data.join("notes.txt"),
        data.join("photos/cat.jpg"),
        tablet.join("export.csv"),
        tablet.join("0042.parquet"),
        tablet.join("x.parquet"),
    ];
    for f in ours.iter().chain(&theirs) {
        std::fs::create_dir_all(f.parent().ok_or("no parent")?)?;
        std::fs::write(f, b"bytes")?;
    }
    let engine = Engine::open(dir.path())?;
    for f in &ours {
        assert!(!f.exists(), "{} survived", f.display());
    }
    for f in &theirs {
        assert_eq!(std::fs::read(f)?, b"bytes", "{} was touched", f.display());
    }
    assert_eq!(engine.open_report().gc.files_removed, 2);
    let verify = engine.verify(false)?;
    assert!(!verify.is_clean());
    let foreign: Vec<&Path> = verify.foreign.iter().map(PathBuf::as_path).collect();
    assert!(
        foreign.contains(&Path::new("data/notes.txt")),
        "{foreign:?}"
    );
    assert!(foreign.contains(&Path::new("data/photos")), "{foreign:?}");
    assert_eq!(foreign.len(), 5, "{foreign:?}");
    drop(engine);

    // Repair moves them out of data/ into lost+found/, deleting nothing.
    let engine = Engine::builder(dir.path()).repair(true).open()?;
    let kept = engine
        .open_report()
        .lost_found
        .clone()
        .ok_or("nothing kept")?;
    assert_eq!(std::fs::read(kept.join("data/photos/cat.jpg"))?, b"bytes");
    assert!(engine.verify(true)?.is_clean());
    assert_eq!(all_rows(&engine, DB, "t")?, sorted(rows(0..10)));
    Ok(())
}

#[test]
fn tables_have_a_bounded_number_of_tablets() -> R {
    let dir = tempfile::tempdir()?;
    let engine = Engine::open(dir.path())?;
    engine.create_database(DB, false)?;
    let mut wide = table_def(
        "wide",
        vec![col("id", ColumnType::BigInt).not_null()],
        KeyModel::Duplicate,
        &["id"],
        by_range("id"),
        hash(&["id"], 1024),
        (0..65)
            .map(|i| range(&format!("p{i}"), Some(i * 10), Some(i * 10 + 10)))
            .collect(),
    );
    let err = engine
        .create_table(DB, &wide, false)
        .err()
        .ok_or("created")?;
    assert!(err.to_string().contains("65536"), "{err}");
    let last = wide.partitions.pop().ok_or("no partitions")?;
    engine.create_table(DB, &wide, false)?;
    let err = engine
        .add_partition(DB, "wide", &last)
        .err()
        .ok_or("added")?;
    assert!(err.to_string().contains("at most 65536"), "{err}");
    Ok(())
}
