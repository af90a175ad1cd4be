//! Over the MySQL protocol with pymysql: SHOW PROCESSLIST, `KILL QUERY` and `KILL` from another
//! connection, rows that stream to the client while the query runs, and a client that leaves
//! mid-query cancelling it.

mod common;

use common::TestServer;

/// Lists the connection ids whose statement runs, until `id`'s does (it runs until killed, so the
/// loop always ends); the helper the scripts below share.
const WAIT_RUNNING: &str = r#"
def wait_running(admin, id):
    cur = admin.cursor()
    while True:
        cur.execute("SHOW FULL PROCESSLIST")
        rows = {r[0]: r for r in cur.fetchall()}
        row = rows.get(str(id))
        if row is not None and row[4] == "Query":
            return row

def wait_gone(admin, id):
    cur = admin.cursor()
    while True:
        cur.execute("SHOW PROCESSLIST")
        if str(id) not in [r[0] for r in cur.fetchall()]:
            return
"#;

#[test]
fn kill_query_and_kill_connection_from_another_client() {
    let server = TestServer::start();
    server.mysql_ok("CREATE USER bob IDENTIFIED BY 'pw'");
    let script = format!(
        r#"{WAIT_RUNNING}
import threading
LONG = "SELECT count(*) FROM generate_series(1, 1000000000000)"
admin = connect()
busy = connect(read_timeout=120)
busy_id = busy.thread_id()
outcome = {{}}
def run():
    try:
        busy.cursor().execute(LONG)
        outcome["result"] = "finished"
    except pymysql.err.MySQLError as e:
        outcome["result"] = e.args[0]
worker = threading.Thread(target=run)
worker.start()
row = wait_running(admin, busy_id)
assert row[1] == "root" and "generate_series" in row[8], row

bob = connect(user="bob", password="pw")
cur = bob.cursor()
cur.execute("SHOW PROCESSLIST")
assert all(r[1] == "bob" for r in cur.fetchall())
try:
    cur.execute(f"KILL QUERY {{busy_id}}")
    raise AssertionError("bob killed root's query")
except pymysql.err.MySQLError as e:
    assert e.args[0] == 1095, e.args
try:
    cur.execute("KILL 987654")
    raise AssertionError("killed an unknown id")
except pymysql.err.MySQLError as e:
    assert e.args[0] == 1094, e.args

admin.cursor().execute(f"KILL QUERY {{busy_id}}")
worker.join()
assert outcome["result"] == 1317, outcome
c = busy.cursor()
c.execute("SELECT 1 + 1")
assert c.fetchone() == (2,), "the connection survives KILL QUERY"

admin.cursor().execute(f"KILL {{busy_id}}")
wait_gone(admin, busy_id)
try:
    busy.cursor().execute("SELECT 1")
    raise AssertionError("the killed connection still answers")
except pymysql.err.OperationalError:
    pass
print("ok")
"#
    );
    assert_eq!(server.python(&script).trim(), "ok");
}

/// A query whose result is far too large to collect (10^12 rows) sends its first rows at once,
/// and the client closing its socket mid-result cancels it: the connection leaves the process
/// list and the server goes on serving.
#[test]
fn rows_stream_and_a_client_that_leaves_cancels_its_query() {
    let server = TestServer::start();
    let script = format!(
        r#"{WAIT_RUNNING}
import socket
admin = connect()
reader = connect(read_timeout=120, cursorclass=pymysql.cursors.SSCursor)
reader_id = reader.thread_id()
cur = reader.cursor()
cur.execute("SELECT value FROM generate_series(1, 1000000000000)")
first = [cur.fetchone()[0] for _ in range(5)]
assert first == [1, 2, 3, 4, 5], first
wait_running(admin, reader_id)
# What the kernel does when a client dies: its side of the socket closes.
reader._sock.shutdown(socket.SHUT_RDWR)
wait_gone(admin, reader_id)

# A statement that is not reading rows is cancelled too when its client leaves.
idle = connect()
idle_id = idle.thread_id()
import threading
def run():
    try:
        idle.cursor().execute("SELECT count(*) FROM generate_series(1, 1000000000000)")
    except Exception:
        pass
threading.Thread(target=run, daemon=True).start()
wait_running(admin, idle_id)
idle._sock.shutdown(socket.SHUT_RDWR)
wait_gone(admin, idle_id)

c = admin.cursor()
c.execute("SELECT 40 + 2")
assert c.fetchone() == (42,)
print("ok")
"#
    );
    assert_eq!(server.python(&script).trim(), "ok");
}
