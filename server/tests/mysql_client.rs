//! The `mysql` command-line client against `tabvault serve`: tables, rows and their column
//! types, the seed's three BACKUP examples, SHOW BACKUP until FINISHED, RESTORE, SHOW RESTORE,
//! and the errors a user meets (1227, 1045, 1064, 1049, 1146).

mod common;

use common::{SEED_BACKUPS, TestServer, seed_sql};

/// Rows of `mysql --batch` output (header included), split on tabs.
fn table(output: &str) -> Vec<Vec<String>> {
    output
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The `State` of the job of `label` in a SHOW BACKUP/RESTORE output.
fn state_of(output: &str, label: &str) -> Option<String> {
    let rows = table(output);
    let header = rows.first()?;
    // SHOW BACKUP names the snapshot SnapshotName, SHOW RESTORE names it Label.
    let name = header
        .iter()
        .position(|c| c == "SnapshotName" || c == "Label")?;
    let state = header.iter().position(|c| c == "State")?;
    rows.iter()
        .skip(1)
        .rfind(|r| r.get(name).is_some_and(|n| n == label))
        .and_then(|r| r.get(state).cloned())
}

/// Polls `show` (one statement per poll, no sleeping) until the job of `label` is FINISHED.
fn poll_until_finished(server: &TestServer, show: &str, label: &str) -> usize {
    let mut output = String::new();
    for polls in 1..=3_000 {
        output = server.mysql_ok(show);
        match state_of(&output, label).as_deref() {
            Some("FINISHED") => return polls,
            Some("CANCELLED") => panic!("{label} was cancelled:\n{output}"),
            _ => {}
        }
    }
    panic!("{label} never finished:\n{output}");
}

#[test]
fn the_mysql_client_drives_tables_backups_and_restores() {
    let server = TestServer::start();
    let repo = server.dir.path().join("repo");
    server.mysql_ok(&seed_sql(&repo));

    // Values, NULLs and column types.
    let output = server.mysql_ok(
        "USE example_db; SELECT event_date, user_id, city, amount, seen FROM example_tbl ORDER BY user_id",
    );
    assert_eq!(
        table(&output),
        vec![
            vec!["event_date", "user_id", "city", "amount", "seen"],
            vec!["2024-01-15", "1", "Paris", "9.99", "2024-01-15 10:20:30"],
            vec!["2024-05-01", "2", "NULL", "120.50", "NULL"],
            vec!["2024-09-09", "3", "Oslo", "-3.25", "2024-09-09 23:59:59"],
        ]
    );
    let output = std::process::Command::new("mysql")
        .args([
            "--protocol=TCP",
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "--skip-ssl",
        ])
        .args([
            "-P",
            &server.port.to_string(),
            "--column-type-info",
            "-t",
            "-e",
        ])
        .arg(
            "SELECT event_date, user_id, city, amount, seen, CAST(k AS INT) AS k, 1.5e0 AS f \
             FROM example_db.example_tbl, example_db.example_tbl2 LIMIT 1",
        )
        .output()
        .expect("mysql");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let types = String::from_utf8_lossy(&output.stdout);
    let reported: Vec<&str> = types
        .lines()
        .filter_map(|l| l.strip_prefix("Type:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        reported,
        [
            "DATE",
            "LONGLONG",
            "VAR_STRING",
            "NEWDECIMAL",
            "DATETIME",
            "LONG",
            "DOUBLE"
        ],
        "{types}"
    );

    // The seed page's three BACKUP examples, each polled with SHOW BACKUP until FINISHED.
    for (label, statement) in SEED_BACKUPS {
        let output = server.mysql_ok(&format!("USE example_db; {statement}"));
        assert!(output.trim().is_empty(), "{output}");
        poll_until_finished(&server, "SHOW BACKUP FROM example_db", label);
    }
    let snapshots = server.mysql_ok("SHOW SNAPSHOT ON example_repo");
    for (label, _) in SEED_BACKUPS {
        assert!(snapshots.contains(label), "{snapshots}");
    }

    // RESTORE, followed with SHOW RESTORE until FINISHED.
    server.mysql_ok(
        "RESTORE SNAPSHOT example_db.snapshot_label3 FROM example_repo \
         ON (example_tbl PARTITION (p1) AS restored_tbl, example_tbl2 AS restored_tbl2) \
         PROPERTIES (\"backup_timestamp\" = \"LATEST\")",
    );
    poll_until_finished(&server, "SHOW RESTORE FROM example_db", "snapshot_label3");
    let output = server.mysql_ok(
        "USE example_db; SELECT user_id, city FROM restored_tbl; SELECT COUNT(*) AS n FROM restored_tbl2",
    );
    assert_eq!(output, "user_id\tcity\n1\tParis\nn\n2\n");

    // A user without ADMIN is refused BACKUP with 1227; reads work.
    server.mysql_ok(
        "CREATE USER 'bob' IDENTIFIED BY 'b0b-pw'; GRANT SELECT ON example_db.* TO USER 'bob'",
    );
    let output = server.mysql(
        "bob",
        Some("b0b-pw"),
        "SELECT COUNT(*) FROM example_db.example_tbl2; BACKUP SNAPSHOT example_db.nope TO example_repo",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains('2'));
    assert!(stderr.contains("ERROR 1227 (42000)"), "{stderr}");
    assert!(stderr.contains("ADMIN"), "{stderr}");

    // A wrong password is refused at login with 1045.
    for (user, password) in [("bob", Some("wrong")), ("bob", None), ("nobody", None)] {
        let output = server.mysql(user, password, "SELECT 1");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains("ERROR 1045 (28000)"), "{stderr}");
        assert!(
            stderr.contains(&format!("Access denied for user '{user}'")),
            "{stderr}"
        );
        assert!(!stderr.contains("wrong"), "password echoed: {stderr}");
    }

    // Syntax error 1064, unknown database 1049 (USE and connect-time), unknown table 1146.
    let cases = [
        ("SELEC 1", "ERROR 1064 (42000)"),
        ("USE nosuch_db", "ERROR 1049 (42000)"),
        ("SELECT * FROM example_db.nosuch", "ERROR 1146 (42S02)"),
        ("SELECT @@nosuch_var", "ERROR 1193"),
    ];
    for (sql, expected) in cases {
        let output = server.mysql("root", None, sql);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{sql}: {stderr}");
    }
    let output = std::process::Command::new("mysql")
        .args([
            "--protocol=TCP",
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "--batch",
            "--skip-ssl",
        ])
        .args([
            "-P",
            &server.port.to_string(),
            "-D",
            "nosuch_db",
            "-e",
            "SELECT 1",
        ])
        .output()
        .expect("mysql");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR 1049 (42000)"), "{stderr}");

    // Connect-time database and the client's chatter.
    let output = std::process::Command::new("mysql")
        .args(["--protocol=TCP", "-h", "127.0.0.1", "-u", "root", "--batch", "--skip-ssl"])
        .args(["-P", &server.port.to_string(), "-D", "example_db", "-e"])
        .arg("SELECT DATABASE(); SELECT COUNT(*) AS n FROM example_tbl; SELECT @@version_comment LIMIT 1")
        .output()
        .expect("mysql");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("DATABASE()\nexample_db\nn\n3\n"),
        "{stdout}"
    );
    assert!(stdout.contains("tabvault"), "{stdout}");
}
