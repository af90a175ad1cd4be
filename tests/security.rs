//! Security through the `tabvault` binary (issue 11): passwords are set, changed and checked and
//! never stored in clear; `serve` refuses a passwordless root beyond loopback; every file and
//! directory in the data directory is private to its owner from the moment it is created.
//!
//! Method: one process per step against a temp data directory, checking exit codes, messages and
//! the files on disk (modes read with `stat`, never changed by the test except where it widens the
//! directory on purpose).
//!
//! Pins: before the fix root could not get a password (anyone reaching the port was root),
//! `users.json` was 0644 and the data directory 0755.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{run_in, stderr, stdout, tabvault};

#[test]
fn passwords_are_set_changed_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let as_user = |user: &str, password: Option<&str>, sql: &str| {
        let mut args = vec!["-u", user, "-e", sql];
        if let Some(p) = password {
            args.extend(["-p", p]);
        }
        tabvault(dir.path(), &args)
    };
    let out = as_user(
        "root",
        None,
        "CREATE USER bob IDENTIFIED BY 'first'; ALTER USER 'bob'@'%' IDENTIFIED BY 'second';",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!as_user("bob", Some("first"), "SELECT 1").status.success());
    let out = as_user(
        "bob",
        Some("second"),
        "SET PASSWORD FOR root = PASSWORD('x')",
    );
    assert!(stderr(&out).contains("Access denied"), "{}", stderr(&out));
    let out = as_user("bob", Some("second"), "SET PASSWORD = PASSWORD('third')");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(as_user("bob", Some("third"), "SELECT 1").status.success());
    let out = as_user("root", None, "ALTER USER root IDENTIFIED BY 'r00t'");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = as_user("root", None, "SELECT 1");
    assert!(
        !out.status.success(),
        "root still logs in without its password"
    );
    assert!(as_user("root", Some("r00t"), "SELECT 1").status.success());
    let users = std::fs::read_to_string(dir.path().join("users.json")).expect("users.json");
    for secret in ["first", "second", "third", "r00t"] {
        assert!(!users.contains(secret), "{secret} stored in clear");
    }
    assert!(users.contains("$argon2id$"), "{users}");
}

#[test]
fn serve_refuses_a_passwordless_root_beyond_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tabvault(dir.path(), &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("while root has no password"),
        "{}",
        stderr(&out)
    );
    let empty = dir.path().join("empty-password");
    std::fs::write(&empty, "\n").expect("write");
    let out = tabvault(
        dir.path(),
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--root-password-file",
            empty.to_str().expect("utf-8"),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("one line"), "{}", stderr(&out));
}

/// Every entry below `dir` (not `dir` itself) whose permission bits are not `file_mode` (files)
/// or `dir_mode` (directories), with its mode.
fn wrong_modes(dir: &Path, file_mode: u32, dir_mode: u32) -> Vec<(String, u32)> {
    let mut wrong = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let meta = entry.metadata().expect("metadata");
            let mode = meta.permissions().mode() & 0o777;
            let expected = if meta.is_dir() {
                stack.push(entry.path());
                dir_mode
            } else {
                file_mode
            };
            if mode != expected {
                wrong.push((entry.path().display().to_string(), mode));
            }
        }
    }
    wrong
}

#[test]
fn every_file_in_the_data_directory_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("nested").join("tabvault-data");
    let sql = format!(
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT) DUPLICATE KEY(k); \
         INSERT INTO t VALUES (1), (2); CREATE USER bob IDENTIFIED BY 'pw'; \
         CREATE REPOSITORY r ON LOCATION '{}'; BACKUP SNAPSHOT d.s TO r;",
        dir.path().join("repo").display()
    );
    let out = tabvault(&data, &["-e", &sql]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::fs::metadata(&data)
        .expect("data dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700, "data directory mode {mode:o}");
    for name in ["users.json", "repositories.json"] {
        assert!(data.join(name).is_file(), "{name} written");
    }
    assert_eq!(wrong_modes(&data, 0o600, 0o700), vec![]);
}

#[test]
fn a_shared_data_directory_is_reported_and_temp_files_with_secrets_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    assert!(tabvault(&data, &["-e", "SELECT 1"]).status.success());
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for leftover in ["users.json.tmp", "repositories.json.tmp"] {
        std::fs::write(data.join(leftover), "a save cut short").expect("plant");
    }
    let out = tabvault(&data, &["-e", "SHOW DATABASES"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("accessible to other users"),
        "{}",
        stderr(&out)
    );
    for leftover in ["users.json.tmp", "repositories.json.tmp"] {
        assert!(!data.join(leftover).exists(), "{leftover} left behind");
    }
}

/// Runs `sql` in `data` as `user` (no password) with `extra` arguments before `-e`, from `cwd`.
fn as_user_in(cwd: &Path, data: &Path, user: &str, extra: &[&str], sql: &str) -> Output {
    let data = data.to_str().expect("utf-8");
    let mut args = vec!["--data", data, "-u", user];
    args.extend_from_slice(extra);
    args.extend(["-e", sql]);
    run_in(cwd, &args, &[])
}

/// The first Parquet file below `dir`.
fn a_parquet_file(dir: &Path) -> PathBuf {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                return path;
            }
        }
    }
    panic!("no parquet file below {}", dir.display());
}

#[test]
fn files_needs_the_file_privilege_and_reads_only_below_import_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    let import = dir.path().join("import");
    std::fs::create_dir(&import).expect("mkdir");
    std::fs::write(import.join("rows.csv"), "k,v\n1,one\n2,two\n").expect("csv");
    let setup = "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING) DUPLICATE KEY(k); \
                 INSERT INTO t VALUES (7, 'secret'); CREATE USER bob; GRANT SELECT ON d.* TO bob;";
    let out = as_user_in(dir.path(), &data, "root", &[], setup);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = |path: &Path, format: &str| {
        format!(
            "SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"{format}\")",
            path.display()
        )
    };
    let own_file = a_parquet_file(&data.join("data"));
    let import_arg = ["--import-root", import.to_str().expect("utf-8")];
    let everything = ["--import-root", "/"];

    // bob's FILES() read with `extra` arguments fails with a message containing `expected`.
    let bob_refused = |extra: &[&str], path: &Path, format: &str, expected: &str| {
        let out = as_user_in(dir.path(), &data, "bob", extra, &files(path, format));
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        assert!(!stdout(&out).contains("secret"));
    };

    // Without FILE, bob reads nothing, not even below an import root.
    bob_refused(
        &import_arg,
        &import.join("rows.csv"),
        "csv",
        "the FILE privilege",
    );
    bob_refused(&everything, &own_file, "parquet", "the FILE privilege");

    // FILE is global only; with it bob reads below the import roots and nowhere else.
    let out = as_user_in(dir.path(), &data, "root", &[], "GRANT FILE ON d.* TO bob");
    assert!(
        stderr(&out).contains("global privilege"),
        "{}",
        stderr(&out)
    );
    let out = as_user_in(dir.path(), &data, "root", &[], "GRANT FILE ON *.* TO bob");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = as_user_in(
        dir.path(),
        &data,
        "bob",
        &import_arg,
        &files(&import.join("rows.csv"), "csv"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("two"), "{}", stdout(&out));
    bob_refused(&[], &import.join("rows.csv"), "csv", "disabled");
    bob_refused(
        &import_arg,
        Path::new("/etc/passwd"),
        "csv",
        "outside the server's import roots",
    );

    // Not even an import root of `/` opens the data directory or a device.
    bob_refused(&everything, &own_file, "parquet", "data directory");
    bob_refused(
        &everything,
        Path::new("/dev/zero"),
        "csv",
        "not a regular file",
    );

    // A byte cap per statement.
    let capped = [
        "--import-root",
        import.to_str().expect("utf-8"),
        "--import-max-bytes",
        "4",
    ];
    bob_refused(&capped, &import.join("rows.csv"), "csv", "more than the 4");

    // root's shell reads below its working directory by default, as the README's scripts do.
    let out = as_user_in(
        &import,
        &data,
        "root",
        &[],
        &files(Path::new("rows.csv"), "csv"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("one"), "{}", stdout(&out));
}

#[test]
fn show_lists_only_what_the_user_may_see() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    let setup = format!(
        "CREATE DATABASE d1; CREATE DATABASE d2; \
         CREATE TABLE d1.t (k INT) DUPLICATE KEY(k); CREATE TABLE d1.hidden (k INT) DUPLICATE KEY(k); \
         CREATE TABLE d2.u (k INT) DUPLICATE KEY(k); INSERT INTO d1.t VALUES (1); \
         INSERT INTO d2.u VALUES (2); CREATE USER bob; GRANT SELECT ON d1.t TO bob; \
         CREATE REPOSITORY r ON LOCATION '{}'; BACKUP SNAPSHOT d1.s1 TO r; BACKUP SNAPSHOT d2.s2 TO r;",
        dir.path().join("repo").display()
    );
    let out = as_user_in(dir.path(), &data, "root", &[], &setup);
    assert!(out.status.success(), "{}", stderr(&out));
    let bob = |sql: &str| as_user_in(dir.path(), &data, "bob", &[], sql);

    let out = bob("SHOW DATABASES");
    assert!(
        stdout(&out).contains("d1") && !stdout(&out).contains("d2"),
        "{}",
        stdout(&out)
    );
    let out = bob("SHOW TABLES FROM d1");
    assert!(
        stdout(&out).contains("| t ") && !stdout(&out).contains("hidden"),
        "{}",
        stdout(&out)
    );
    let out = bob("SHOW BACKUP");
    assert!(
        stdout(&out).contains("s1") && !stdout(&out).contains("s2"),
        "{}",
        stdout(&out)
    );
    for sql in [
        "USE d2",
        "SHOW TABLES FROM d2",
        "SHOW BACKUP FROM d2",
        "SHOW RESTORE FROM d2",
        "SHOW REPOSITORIES",
        "SHOW SNAPSHOT ON r",
    ] {
        let out = bob(sql);
        assert!(!out.status.success(), "{sql} succeeded for bob");
        assert!(
            stderr(&out).contains("Access denied"),
            "{sql}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains(dir.path().to_str().expect("utf-8")),
            "{sql}"
        );
    }
    // root still sees everything.
    let out = as_user_in(
        dir.path(),
        &data,
        "root",
        &[],
        "SHOW DATABASES; SHOW REPOSITORIES",
    );
    assert!(
        stdout(&out).contains("d2") && stdout(&out).contains("repo"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn errors_shown_to_users_without_admin_carry_no_server_paths() {
    // A table file lost under the engine (a disk fault, a careless `rm`), or cut short; the
    // query with LIMIT reads through DataFusion's Parquet reader, which checks each file's length.
    fn remove(file: &std::path::Path) -> std::io::Result<()> {
        std::fs::remove_file(file)
    }
    fn shorten(file: &std::path::Path) -> std::io::Result<()> {
        let length = std::fs::metadata(file)?.len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(file)?
            .set_len(length / 2)
    }
    type Damage = fn(&std::path::Path) -> std::io::Result<()>;
    let damages: [(Damage, &str); 2] = [
        (remove, "SELECT * FROM d.t"),
        (shorten, "SELECT * FROM d.t LIMIT 1"),
    ];
    for (damage, query) in damages {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("tabvault-data");
        let setup = "CREATE DATABASE d; CREATE TABLE d.t (k INT) DUPLICATE KEY(k); \
                     INSERT INTO d.t VALUES (1); CREATE USER bob; GRANT SELECT ON d.* TO bob;";
        let out = as_user_in(dir.path(), &data, "root", &[], setup);
        assert!(out.status.success(), "{}", stderr(&out));
        damage(&a_parquet_file(&data.join("data"))).expect("damaged");
        let shown_path = data.canonicalize().expect("canonical");
        let out = as_user_in(dir.path(), &data, "bob", &[], query);
        assert!(!out.status.success());
        let text = stderr(&out);
        assert!(
            !text.contains(shown_path.to_str().expect("utf-8")),
            "{text}"
        );
        assert!(text.contains("<data directory>"), "{text}");
        let out = as_user_in(dir.path(), &data, "root", &[], query);
        assert!(
            stderr(&out).contains(shown_path.to_str().expect("utf-8")),
            "{}",
            stderr(&out)
        );
    }
}
