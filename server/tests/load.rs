//! 32 concurrent pymysql clients run a bounded number of mixed queries and inserts while a
//! BACKUP runs; every acknowledged insert is in the table afterwards.

mod common;

use common::TestServer;

#[test]
fn concurrent_clients_lose_no_acknowledged_insert_during_a_backup() {
    let server = TestServer::start();
    let repo = server.dir.path().join("repo");
    server.mysql_ok(&format!(
        "CREATE DATABASE load_db; USE load_db;
         CREATE TABLE events (id BIGINT, client INT, note STRING) DUPLICATE KEY(id)
           DISTRIBUTED BY HASH(id) BUCKETS 4;
         INSERT INTO events SELECT value, -1, 'seed' FROM generate_series(1, 2000);
         CREATE REPOSITORY load_repo ON LOCATION \"{}\";",
        repo.display()
    ));
    let output = server.python(
        r#"
import threading
CLIENTS, OPS = 32, 12
acked, failures = [], []
lock = threading.Lock()
start = threading.Barrier(CLIENTS + 1)

def client(n):
    try:
        conn = connect(db="load_db")
        cur = conn.cursor()
        start.wait()
        for i in range(OPS):
            if i % 3 == 2:
                cur.execute("SELECT COUNT(*), MAX(id) FROM events WHERE client >= 0")
                assert len(cur.fetchall()) == 1
            else:
                ident = 1_000_000 + n * 1000 + i
                cur.execute("INSERT INTO events VALUES (%s, %s, %s)", (ident, n, "row %d" % i))
                assert cur.rowcount == 1
                with lock:
                    acked.append(ident)
        conn.close()
    except Exception as e:
        with lock:
            failures.append(repr(e))

threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
for t in threads:
    t.start()
admin = connect(db="load_db")
ac = admin.cursor(pymysql.cursors.DictCursor)
start.wait()
ac.execute("BACKUP SNAPSHOT load_db.during_load TO load_repo")
for t in threads:
    t.join()
assert not failures, failures
state = None
for _ in range(3000):
    ac.execute("SHOW BACKUP FROM load_db")
    state = ac.fetchall()[-1]["State"]
    if state in ("FINISHED", "CANCELLED"):
        break
assert state == "FINISHED", state
ac.execute("SELECT id FROM events WHERE client >= 0")
stored = {row["id"] for row in ac.fetchall()}
missing = set(acked) - stored
assert not missing, sorted(missing)[:10]
assert len(stored) == len(acked)
print(len(acked))
"#,
    );
    assert_eq!(output.trim(), (32 * 8).to_string());
}
