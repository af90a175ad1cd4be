//! The `tabvault` binary with `-e` and `-f`: printed results, `ERROR:` on stderr, exit codes, and a
//! script stopping at its first error.

use std::process::{Command, Output};

fn tabvault(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabvault"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("runs tabvault")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn execute_prints_tables_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tabvault(
        dir.path(),
        &[
            "-e",
            "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING); \
               INSERT INTO t VALUES (1, 'one'), (2, 'two'); SELECT k, v FROM t ORDER BY k;",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Query OK, 2 rows affected"), "{text}");
    assert!(text.contains("| one |"), "{text}");
    assert!(text.contains("2 rows in set"), "{text}");
}

#[test]
fn errors_go_to_stderr_with_exit_code_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tabvault(dir.path(), &["-e", "SELECT * FROM nowhere.t"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("ERROR: "), "{}", stderr(&out));
    let out = tabvault(dir.path(), &["-e", "CREATE TABLE ("]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ERROR: "));
}

#[test]
fn a_script_stops_at_its_first_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.sql");
    std::fs::write(
        &script,
        "CREATE DATABASE d;\nUSE d;\nCREATE TABLE a (k INT);\nINSERT INTO a VALUES ('x');\nCREATE TABLE b (k INT);\n",
    )
    .expect("script");
    let data = dir.path().join("data");
    let out = tabvault(&data, &["-f", script.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Invalid value \"x\" for column 'k' of type INT"));
    let out = tabvault(&data, &["-e", "SHOW TABLES FROM d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("| a "), "{text}");
    assert!(
        !text.contains("| b "),
        "the statement after the error ran: {text}"
    );
}

#[test]
fn backup_waits_for_its_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tabvault(
        dir.path(),
        &[
            "-e",
            "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1); \
               CREATE REPOSITORY r ON LOCATION 'repo'; BACKUP SNAPSHOT d.s TO r; SHOW SNAPSHOT ON r;",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("FINISHED"), "{text}");
    assert!(
        text.contains("| s "),
        "the snapshot is listed once the job finished: {text}"
    );
}

#[test]
fn wrong_password_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tabvault(dir.path(), &["-e", "CREATE USER 'bob' IDENTIFIED BY 'pw'"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tabvault(
        dir.path(),
        &[
            "--user",
            "bob",
            "--password",
            "nope",
            "-e",
            "SHOW DATABASES",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Access denied for user 'bob'"));
    let out = tabvault(
        dir.path(),
        &["--user", "bob", "--password", "pw", "-e", "SHOW DATABASES"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}
