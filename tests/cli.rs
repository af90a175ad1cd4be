//! The `tabvault` binary with `-e` and `-f`: printed results, `ERROR:` on stderr, exit codes, and a
//! script stopping at its first error.

mod common;

use std::process::Command;

use common::{stderr, stdout, tabvault};

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
    // The repository 'repo' resolves next to the data directory, inside the temp dir.
    let out = tabvault(
        &dir.path().join("tabvault-data"),
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
fn verify_snapshot_prints_rows_and_fails_on_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("tabvault-data");
    let out = tabvault(
        &data,
        &[
            "-e",
            "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1); \
               CREATE REPOSITORY r ON LOCATION 'repo'; BACKUP SNAPSHOT d.s TO r;",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify-snapshot", "--repository", "r", "--snapshot", "s"];
        args.extend_from_slice(extra);
        tabvault(&data, &args)
    };
    let out = verify(&[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for expected in [
        "| Role ",
        "| INFO ",
        "| META ",
        "| DATA ",
        "OK: 3 files verified",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // Delete the one data file: exit code 1 and the file reported MISSING.
    let data_dir = dir.path().join("repo").join("data");
    let shard = std::fs::read_dir(&data_dir)
        .expect("data/")
        .next()
        .expect("a shard");
    let file = std::fs::read_dir(shard.expect("entry").path())
        .expect("shard")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    std::fs::remove_file(&file).expect("remove");
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("| MISSING "), "{}", stdout(&out));

    let out = verify(&["--timestamp", "2000-01-01-00-00-00-000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Maybe specified wrong backup timestamp"),
        "{}",
        stderr(&out)
    );
    let out = tabvault(
        &dir.path().join("absent"),
        &["verify-snapshot", "--repository", "r", "--snapshot", "s"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("absent").exists(), "nothing is created");
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

/// Drives a program through a pseudo-terminal, line by line. It sends a line only once the line
/// editor is reading (rustyline switches bracketed paste on, `ESC[?2004h`, when it starts reading
/// and off, `ESC[?2004l`, when it returns a line), then prints everything the program wrote.
/// Python's `pty` module is on every machine that runs the suite; no sleeps, only reads.
const PTY_DRIVER: &str = r#"
import os, pty, select, sys
program, lines = sys.argv[1:4], sys.stdin.read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(program[0], program)
out = b""
def read_until(token, start):
    global out
    while True:
        found = out.find(token, start)
        if found >= 0:
            return found + len(token)
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            sys.exit("waited 120 s for %r; output so far: %r" % (token, out[-2000:]))
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            sys.exit("the shell ended early; output so far: %r" % out[-2000:])
        out += chunk
pos = read_until(b"\x1b[?2004h", 0)
for line in lines:
    os.write(fd, line.encode() + b"\r")
    pos = read_until(b"\x1b[?2004l", pos)
    if line.strip() != "exit":
        pos = read_until(b"\x1b[?2004h", pos)
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status))
"#;

#[test]
fn interactive_shell_through_a_pty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("home");
    let data = dir.path().join("data");
    let script = "CREATE DATABASE d;\nUSE d;\nCREATE TABLE t (k INT) DUPLICATE KEY(k);\n\
                  INSERT INTO t VALUES (1), (2), (3);\nSELECT\n  count(*) AS n\n  FROM t;\n\
                  SELECT nosuchcolumn FROM t;\nexit\n";
    let mut child = Command::new("python3")
        .args(["-c", PTY_DRIVER, env!("CARGO_BIN_EXE_tabvault"), "--data"])
        .arg(&data)
        .env("HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the pty driver");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script written");
    let out = child.wait_with_output().expect("driver ends");
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "driver failed: {}\n{text}",
        stderr(&out)
    );
    assert!(text.contains("tabvault shell on"), "{text}");
    assert!(
        text.contains("tabvault:d> "),
        "USE changes the prompt: {text}"
    );
    assert!(
        text.contains("    -> "),
        "a multi-line statement shows the continuation prompt: {text}"
    );
    assert!(text.contains("| 3 |"), "the multi-line SELECT ran: {text}");
    assert!(
        text.contains("ERROR: "),
        "errors are printed and the shell goes on: {text}"
    );
    let history =
        std::fs::read_to_string(home.path().join(".tabvault_history")).expect("history saved");
    assert!(history.contains("INSERT INTO t VALUES"), "{history}");
}

#[test]
fn column_cache_bytes_sizes_the_cache_and_zero_turns_it_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let setup = tabvault(
        dir.path(),
        &[
            "-e",
            "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v INT) DUPLICATE KEY(k); \
               INSERT INTO t VALUES (1, 10), (2, 20);",
        ],
    );
    assert!(setup.status.success(), "{}", stderr(&setup));
    let explain = "EXPLAIN SELECT sum(v) FROM d.t WHERE v > 5";
    let cached = tabvault(dir.path(), &["-e", explain]);
    assert!(cached.status.success(), "{}", stderr(&cached));
    assert!(
        stdout(&cached).contains("CachedScanExec"),
        "{}",
        stdout(&cached)
    );
    let off = tabvault(dir.path(), &["--column-cache-bytes", "0", "-e", explain]);
    assert!(off.status.success(), "{}", stderr(&off));
    assert!(!stdout(&off).contains("CachedScanExec"), "{}", stdout(&off));
    assert!(stdout(&off).contains("DataSourceExec"), "{}", stdout(&off));
    let sum = tabvault(
        dir.path(),
        &[
            "--column-cache-bytes",
            "1048576",
            "-e",
            "SELECT sum(v) FROM d.t",
        ],
    );
    assert!(stdout(&sum).contains("| 30 "), "{}", stdout(&sum));
}
