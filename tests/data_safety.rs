//! Data safety through the `tabvault` binary, where a user meets it: directories tabvault did not
//! create are refused untouched, a data directory whose metadata is missing is refused, one flipped
//! bit in the metadata log is reported as corruption (nothing deleted), and `tabvault verify
//! [--repair]` reports and, when asked, sets aside what is damaged.

mod common;

use std::path::{Path, PathBuf};

use common::{tabvault, text};

/// Every file under `dir` with its bytes, sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

fn parquet_files(dir: &Path) -> usize {
    tree(dir)
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "parquet"))
        .count()
}

const SETUP: &str = "CREATE DATABASE d; USE d; \
    CREATE TABLE t (k INT NOT NULL, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1;";

fn count(data: &Path) -> String {
    let out = tabvault(data, &["-e", "SELECT COUNT(*) AS n FROM d.t"]);
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn a_directory_tabvault_did_not_create_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("data/2024")).expect("mkdir");
    std::fs::write(dir.path().join("data/2024/report.parquet"), b"user data").expect("write");
    std::fs::create_dir_all(dir.path().join("snapshots")).expect("mkdir");
    std::fs::write(dir.path().join("snapshots/holiday.jpg"), b"jpeg").expect("write");
    let before = tree(dir.path());
    let out = tabvault(dir.path(), &["-e", "SHOW DATABASES"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not a tabvault data directory"),
        "{}",
        text(&out)
    );
    assert_eq!(
        tree(dir.path()),
        before,
        "tabvault changed a directory it refused"
    );
}

#[test]
fn a_data_directory_without_its_metadata_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    let setup = format!("{SETUP} INSERT INTO t VALUES (1, 10), (2, 20);");
    assert!(tabvault(&data, &["-e", &setup]).status.success());
    std::fs::rename(data.join("meta"), dir.path().join("meta.elsewhere")).expect("move meta");
    let files = parquet_files(&data);
    assert!(files > 0);
    let out = tabvault(&data, &["-e", "SHOW DATABASES"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing or empty"), "{}", text(&out));
    assert_eq!(parquet_files(&data), files, "table files were deleted");
    std::fs::rename(dir.path().join("meta.elsewhere"), data.join("meta")).expect("move back");
    assert!(count(&data).contains("| 2 |"), "{}", count(&data));
}

#[test]
fn one_flipped_bit_mid_log_is_corruption_and_verify_repair_sets_it_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    assert!(tabvault(&data, &["-e", SETUP]).status.success());
    // Five inserts: fewer rowsets than the compaction trigger, so each stays a file of one row.
    for i in 0..5 {
        let insert = format!("INSERT INTO d.t VALUES ({i}, {i})");
        assert!(tabvault(&data, &["-e", &insert]).status.success());
    }
    let files = parquet_files(&data);
    assert_eq!(files, 5);
    let log = std::fs::read_dir(data.join("meta"))
        .expect("meta")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "tvlog"))
        .expect("a log");
    let mut bytes = std::fs::read(&log).expect("log");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&log, &bytes).expect("flip");
    let before = tree(&data);

    let out = tabvault(&data, &["-e", "SELECT COUNT(*) FROM d.t"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("corruption"), "{}", text(&out));
    assert!(text(&out).contains("offset"), "{}", text(&out));
    let out = tabvault(&data, &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("corruption"), "{}", text(&out));
    assert_eq!(tree(&data), before, "a refused open changed the directory");

    let out = tabvault(&data, &["verify", "--repair"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("lost+found"), "{}", text(&out));
    // Nothing is gone: every table file is either still in data/ or kept in lost+found/.
    assert_eq!(parquet_files(&data), files);
    let survivors = parquet_files(&data.join("data"));
    assert!(survivors < files, "{survivors} of {files}");
    assert!(
        count(&data).contains(&format!("| {survivors} ")),
        "{}",
        count(&data)
    );
    let out = tabvault(&data, &["verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("OK"), "{}", text(&out));
}

#[test]
fn verify_lists_foreign_files_and_repair_moves_them_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    let setup = format!("{SETUP} INSERT INTO t VALUES (1, 10);");
    assert!(tabvault(&data, &["-e", &setup]).status.success());
    std::fs::write(data.join("data/notes.txt"), b"mine").expect("write");
    let out = tabvault(&data, &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("FOREIGN  data/notes.txt"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(data.join("data/notes.txt")).expect("kept"),
        b"mine"
    );
    let out = tabvault(&data, &["verify", "--repair"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!data.join("data/notes.txt").exists());
    let kept = tree(&data.join("lost+found"));
    assert!(
        kept.iter()
            .any(|(p, b)| p.ends_with("data/notes.txt") && b == b"mine"),
        "{kept:?}"
    );
    assert!(count(&data).contains("| 1 "), "{}", count(&data));
}
