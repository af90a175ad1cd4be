//! Shared test helpers: a server in-process on a free loopback port, the `mysql` command-line
//! client and pymysql scripts against it.
#![allow(dead_code)] // each test file uses a different subset

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tabvault_server::{Database, Server, ServerConfig};

/// Fails (never skips) when the clients the tests drive are missing.
pub fn require_clients() {
    let mysql = Command::new("mysql").arg("--version").output();
    assert!(
        mysql.is_ok_and(|o| o.status.success()),
        "the `mysql` client is missing: run scripts/test.sh (installs Debian's mariadb-client)"
    );
    let pymysql = Command::new("python3")
        .args(["-c", "import pymysql"])
        .output();
    assert!(
        pymysql.is_ok_and(|o| o.status.success()),
        "pymysql is missing: run scripts/test.sh (installs it from PyPI)"
    );
}

/// A server over a fresh data directory.
pub struct TestServer {
    pub server: Option<Server>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl TestServer {
    pub fn start() -> Self {
        Self::with_config(ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..ServerConfig::default()
        })
    }

    pub fn with_config(config: ServerConfig) -> Self {
        require_clients();
        let dir = tempfile::tempdir().expect("tempdir");
        let database = Database::open(dir.path().join("data")).expect("open");
        let server = Server::start(database, &config).expect("start");
        let port = server.local_addr().port();
        Self {
            server: Some(server),
            dir,
            port,
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Stops the server gracefully.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }

    /// `mysql` as `user` (with `password`, if any) running `sql` in batch mode.
    pub fn mysql(&self, user: &str, password: Option<&str>, sql: &str) -> Output {
        let mut command = Command::new("mysql");
        command
            .args(["--protocol=TCP", "-h", "127.0.0.1", "-u", user])
            .args(["-P", &self.port.to_string()])
            .args(["--batch", "--raw", "--skip-ssl"]);
        if let Some(password) = password {
            // From the environment, so it never shows in a process listing.
            command.env("MYSQL_PWD", password);
        }
        command.args(["-e", sql]);
        command.output().expect("run mysql")
    }

    /// `mysql` as root; panics with its stderr unless it succeeds; returns stdout.
    pub fn mysql_ok(&self, sql: &str) -> String {
        let output = self.mysql("root", None, sql);
        assert!(
            output.status.success(),
            "mysql failed on {sql}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a pymysql script; `PORT` is in its environment and `connect(user, password, db)`
    /// is defined. Panics with its stderr unless it exits 0; returns stdout.
    pub fn python(&self, script: &str) -> String {
        let prelude = r#"
import os, sys, pymysql
PORT = int(os.environ["PORT"])
def connect(user="root", password="", db=None, **kw):
    return pymysql.connect(host="127.0.0.1", port=PORT, user=user, password=password,
                           database=db, autocommit=True, **kw)
"#;
        let mut child = Command::new("python3")
            .arg("-")
            .env("PORT", self.port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{prelude}\n{script}").as_bytes())
            .expect("write script");
        let output = child.wait_with_output().expect("python3");
        assert!(
            output.status.success(),
            "python failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The seed page's three BACKUP examples, verbatim.
pub const SEED_BACKUPS: [(&str, &str); 3] = [
    (
        "snapshot_label1",
        "BACKUP SNAPSHOT example_db.snapshot_label1\nTO example_repo\nPROPERTIES (\"type\" = \"full\");",
    ),
    (
        "snapshot_label2",
        "BACKUP SNAPSHOT example_db.snapshot_label2\nTO example_repo\nON (example_tbl);",
    ),
    (
        "snapshot_label3",
        "BACKUP SNAPSHOT example_db.snapshot_label3\nTO example_repo\nON(\n    example_tbl PARTITION (p1, p2),\n    example_tbl2\n);",
    ),
];

/// The seed's database: example_tbl (partitions p1, p2, p3) and example_tbl2, with rows, and
/// the repository example_repo in `repo`.
pub fn seed_sql(repo: &Path) -> String {
    format!(
        r#"CREATE DATABASE example_db;
USE example_db;
CREATE TABLE example_tbl (
    event_date DATE NOT NULL,
    user_id BIGINT,
    city VARCHAR(32),
    amount DECIMAL(12, 2),
    seen DATETIME
)
DUPLICATE KEY(event_date, user_id)
PARTITION BY RANGE(event_date) (
    PARTITION p1 VALUES LESS THAN ("2024-04-01"),
    PARTITION p2 VALUES LESS THAN ("2024-07-01"),
    PARTITION p3 VALUES LESS THAN MAXVALUE
)
DISTRIBUTED BY HASH(user_id) BUCKETS 2;
CREATE TABLE example_tbl2 (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2;
INSERT INTO example_tbl VALUES
    ("2024-01-15", 1, "Paris", 9.99, "2024-01-15 10:20:30"),
    ("2024-05-01", 2, NULL, 120.50, NULL),
    ("2024-09-09", 3, "Oslo", -3.25, "2024-09-09 23:59:59");
INSERT INTO example_tbl2 VALUES (1, "one"), (2, "two");
CREATE REPOSITORY example_repo ON LOCATION "{}";
"#,
        repo.display()
    )
}
