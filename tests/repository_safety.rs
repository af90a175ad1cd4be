//! Goal: repository locations a user types in the `tabvault` binary can never put the data
//! directory's files in reach of repository cleanup, nor a repository's files in reach of the
//! engine's start-up cleanup (issue 10).
//! Method: the binary with `--data <tempdir>/tabvault-data`, one process per step (each open is a
//! restart), checking results, errors and the files on disk.
//! Pins: before the fix, `LOCATION ""` (or ".") then BACKUP then DROP SNAPSHOT deleted every live
//! table file, and a repository at "snapshots" lost its backups at the next start.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::run_in;

struct Dirs {
    tmp: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("tabvault-data")
    }

    fn sibling(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn run(&self, sql: &str) -> Output {
        let data = self.data();
        run_in(
            self.tmp.path(),
            &["--data", data.to_str().expect("utf-8 path"), "-e", sql],
            &[],
        )
    }

    fn ok(&self, sql: &str) -> String {
        let out = self.run(sql);
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn error(&self, sql: &str) -> String {
        let out = self.run(sql);
        assert_eq!(out.status.code(), Some(1), "{sql} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

const SETUP: &str =
    "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1), (2), (3);";

fn rows_of_t(dirs: &Dirs) -> String {
    dirs.ok("SELECT COUNT(*) AS n FROM d.t")
}

fn marker(dir: &Path) -> bool {
    dir.join("tabvault-repository.json").is_file()
}

#[test]
fn empty_and_data_directory_locations_are_refused() {
    let dirs = Dirs::new();
    dirs.ok(SETUP);
    let err = dirs.error(r#"CREATE REPOSITORY r ON LOCATION """#);
    assert!(
        err.contains("You must specify a location on the repository"),
        "{err}"
    );
    for (location, relation) in [
        (".", "contains the data directory"),
        ("tabvault-data", "is the data directory"),
        ("tabvault-data/backups", "lies inside the data directory"),
    ] {
        let err = dirs.error(&format!(r#"CREATE REPOSITORY r ON LOCATION "{location}""#));
        assert!(
            err.contains("Failed to create repository") && err.contains(relation),
            "{location}: {err}"
        );
    }
    let data = dirs.data().canonicalize().expect("data dir");
    let err = dirs.error(&format!(
        r#"CREATE REPOSITORY r ON LOCATION "file://{}/x""#,
        data.display()
    ));
    assert!(err.contains("lies inside the data directory"), "{err}");
    // The statements that used to wipe the tables now fail before touching anything.
    let err = dirs.error(r#"BACKUP SNAPSHOT d.s1 TO r"#);
    assert!(err.contains("Repository [r] does not exist"), "{err}");
    assert!(rows_of_t(&dirs).contains("| 3 "), "{}", rows_of_t(&dirs));
    let shown = dirs.ok("SHOW REPOSITORIES");
    assert!(!shown.contains("| r "), "{shown}");
}

#[test]
fn a_repository_named_snapshots_is_a_sibling_and_survives_restarts() {
    let dirs = Dirs::new();
    dirs.ok(SETUP);
    dirs.ok(r#"CREATE REPOSITORY r ON LOCATION "snapshots"; BACKUP SNAPSHOT d.s1 TO r;"#);
    assert!(marker(&dirs.sibling("snapshots")));
    // A new process: the engine's start-up cleanup of <data>/snapshots must not reach it.
    let listed = dirs.ok("SHOW SNAPSHOT ON r");
    assert!(listed.contains("| s1 "), "{listed}");
    // Shown as typed (and kept across the restart), not as the server path it resolved to.
    let shown = dirs.ok("SHOW REPOSITORIES");
    assert!(shown.contains("| snapshots "), "{shown}");
    let resolved = dirs.sibling("snapshots").canonicalize().expect("sibling");
    assert!(!shown.contains(&resolved.display().to_string()), "{shown}");
}

#[test]
fn drop_snapshot_on_a_repository_named_data_keeps_the_tables() {
    let dirs = Dirs::new();
    dirs.ok(SETUP);
    dirs.ok(
        r#"CREATE REPOSITORY r ON LOCATION "data"; BACKUP SNAPSHOT d.s1 TO r;
           CREATE REPOSITORY staging ON LOCATION "staging"; BACKUP SNAPSHOT d.s2 TO staging;"#,
    );
    assert!(marker(&dirs.sibling("data")) && marker(&dirs.sibling("staging")));
    dirs.ok("DROP SNAPSHOT s1 ON r");
    assert!(rows_of_t(&dirs).contains("| 3 "), "{}", rows_of_t(&dirs));
    let listed = dirs.ok("SHOW SNAPSHOT ON staging");
    assert!(listed.contains("| s2 "), "{listed}");
}

#[test]
fn a_non_empty_directory_without_a_repository_is_refused() {
    let dirs = Dirs::new();
    dirs.ok(SETUP);
    let theirs = dirs.sibling("photos");
    std::fs::create_dir_all(&theirs).expect("dir");
    std::fs::write(theirs.join("cat.jpg"), b"meow").expect("file");
    let err = dirs.error(r#"CREATE REPOSITORY r ON LOCATION "photos""#);
    assert!(
        err.contains("is not empty and holds no tabvault repository"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&theirs)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("cat.jpg")]);
}
