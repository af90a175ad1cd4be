//! Limits and lifecycle: too many connections (1040), a statement over the size limit (1153), a
//! client leaving mid-result, and a graceful shutdown that cancels a running BACKUP and leaves a
//! data directory that reopens.

mod common;

use common::TestServer;
use tabvault_server::{Database, ServerConfig};

fn config(max_connections: usize, max_statement_bytes: usize) -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        max_connections,
        max_statement_bytes,
        ..ServerConfig::default()
    }
}

#[test]
fn connections_and_statements_beyond_the_limits_get_mysql_errors() {
    let server = TestServer::with_config(config(2, 1024));
    let output = server.python(
        r#"
held = [connect(), connect()]
try:
    connect()
    raise AssertionError("third connection accepted")
except pymysql.err.OperationalError as e:
    assert e.args[0] == 1040, e.args
    assert "Too many connections" in e.args[1], e.args
cur = held[0].cursor()
try:
    cur.execute("SELECT '" + "x" * 2000 + "'")
    raise AssertionError("large statement accepted")
except pymysql.err.MySQLError as e:
    assert e.args[0] == 1153, e.args
cur.execute("SELECT 1 + 1")
assert cur.fetchone() == (2,)
held[1].close()
# A slot is free again once a client leaves; retry until the server has seen the close.
for _ in range(1000):
    try:
        connect().close()
        break
    except pymysql.err.OperationalError as e:
        assert e.args[0] == 1040, e.args
else:
    raise AssertionError("slot never freed")
print("ok")
"#,
    );
    assert_eq!(output.trim(), "ok");
}

#[test]
fn a_client_leaving_mid_result_does_not_disturb_others() {
    let server = TestServer::start();
    server.mysql_ok(
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2;
         INSERT INTO t SELECT value, repeat('x', 200) FROM generate_series(1, 20000);",
    );
    let output = server.python(
        r#"
import socket
other = connect(db="d")
leaver = connect(db="d", cursorclass=pymysql.cursors.SSCursor)
cur = leaver.cursor()
cur.execute("SELECT a.k, a.v FROM t a")
assert cur.fetchone() is not None
# Leave abruptly in the middle of a ~4 MB result.
leaver._sock.shutdown(socket.SHUT_RDWR)
leaver._sock.close()
oc = other.cursor()
for _ in range(5):
    oc.execute("SELECT COUNT(*) FROM t")
    assert oc.fetchone() == (20000,)
fresh = connect(db="d").cursor()
fresh.execute("SELECT SUM(k) FROM t")
assert fresh.fetchone() == (200010000,)
print("ok")
"#,
    );
    assert_eq!(output.trim(), "ok");
}

#[test]
fn shutdown_cancels_running_backups_and_closes_the_engine() {
    let mut server = TestServer::start();
    let repo = server.dir.path().join("repo");
    server.mysql_ok(&format!(
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4;
         INSERT INTO t SELECT value, repeat('y', 100) FROM generate_series(1, 50000);
         CREATE REPOSITORY r ON LOCATION \"{}\";
         BACKUP SNAPSHOT d.at_shutdown TO r;",
        repo.display()
    ));
    server.stop();
    // The port is closed and the data directory reopens with the job settled.
    let refused = server.mysql("root", None, "SELECT 1");
    assert!(!refused.status.success());
    let database = Database::open(server.data_dir()).expect("reopen");
    let mut session = database.root_session().expect("root");
    let results = session.execute("SHOW BACKUP FROM d").expect("show");
    let batch = &results[0].batches[0];
    let state = batch
        .column_by_name("State")
        .expect("State column")
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .expect("text")
        .value(batch.num_rows() - 1)
        .to_owned();
    assert!(
        state == "FINISHED" || state == "CANCELLED",
        "job left in {state}"
    );
    let count = session
        .execute("SELECT COUNT(*) AS n FROM d.t")
        .expect("count");
    assert_eq!(count[0].row_count(), 1);
}
