//! Server-side prepared statements (`COM_STMT_PREPARE` / `EXECUTE` / `CLOSE`) driven by
//! mysql-connector-python's `cursor(prepared=True)`: typed parameters and typed binary rows, a `?`
//! in a string literal, `executemany` INSERTs, privileges as for text queries, closing and
//! re-preparing, and statement ids that belong to another connection.

mod common;

use common::TestServer;
use tabvault_server::ServerConfig;

/// Runs a mysql-connector-python script; `connector(user, password, db)` is defined. The pure
/// Python protocol implementation is used: the package ships no C extension for every platform.
fn connector(server: &TestServer, script: &str) -> String {
    let prelude = r#"
try:
    import mysql.connector
except ImportError as e:
    raise SystemExit(f"{e}: run scripts/test.sh (installs mysql-connector-python)")
def connector(user="root", password="", db=None):
    return mysql.connector.connect(host="127.0.0.1", port=PORT, user=user, password=password,
                                   database=db, autocommit=True, use_pure=True,
                                   ssl_disabled=True)
def packet(payload):
    """A client packet (sequence number 0) around `payload`."""
    return len(payload).to_bytes(3, "little") + b"\x00" + payload
def read_packet(conn):
    """The payload of the next packet the server sends on `conn`'s socket."""
    sock = conn._socket.sock
    def read_exact(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data
    return read_exact(int.from_bytes(read_exact(4)[:3], "little"))
def execute_raw(conn, statement_id, params):
    """Sends COM_STMT_EXECUTE with `params` (null map, bound flag, types, values) as given and
    returns the reply's first packet; the connection is not usable through `conn` afterwards."""
    import struct
    conn._socket.sock.sendall(packet(b"\x17" + struct.pack("<IBI", statement_id, 0, 1) + params))
    return read_packet(conn)
def errno(what, call):
    """The MySQL error number `call()` raises; exits the script if it raises none."""
    try:
        call()
    except mysql.connector.Error as e:
        return e.errno
    raise SystemExit(f"no error from {what}")
def error_code(reply):
    """The error number of an ERR packet, None for any other packet."""
    return int.from_bytes(reply[1:3], "little") if reply[:1] == b"\xff" else None
"#;
    server.python(&format!("{prelude}\n{script}"))
}

fn shop() -> TestServer {
    let server = TestServer::start();
    server.mysql_ok(
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE orders (id BIGINT NOT NULL, customer VARCHAR(20), amount DECIMAL(10, 2),
           placed DATE, at DATETIME, ratio DOUBLE, qty INT)
           PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2;
         INSERT INTO orders VALUES (1, 'ann', 12.50, '2024-01-02', '2024-01-02 03:04:05', 0.5, 3),
           (2, 'bob', 250.00, '2024-02-03', '2024-02-03 04:05:06', 1.25, NULL);
         CREATE DATABASE scratch; CREATE USER bob IDENTIFIED BY 'pw';
         GRANT SELECT ON scratch.* TO bob;",
    );
    server
}

#[test]
fn typed_parameters_select_typed_rows() {
    let server = shop();
    let script = r#"
import datetime, decimal
if True:
    conn = connector(db="shop")
    cur = conn.cursor(prepared=True)
    cur.execute(
        "SELECT id, customer, amount, placed, at, ratio, qty, '?' AS mark FROM orders "
        "WHERE id >= ? AND customer <> ? AND placed >= ? AND amount < ? AND ? IS NULL ORDER BY id",
        (1, "zed", datetime.date(2024, 1, 1), decimal.Decimal("300.00"), None))
    rows = cur.fetchall()
    assert rows == [
        (1, "ann", decimal.Decimal("12.50"), datetime.date(2024, 1, 2),
         datetime.datetime(2024, 1, 2, 3, 4, 5), 0.5, 3, "?"),
        (2, "bob", decimal.Decimal("250.00"), datetime.date(2024, 2, 3),
         datetime.datetime(2024, 2, 3, 4, 5, 6), 1.25, None, "?"),
    ], rows
    assert [type(v) for v in rows[0]] == [int, str, decimal.Decimal, datetime.date,
                                         datetime.datetime, float, int, str], rows[0]
    cur.execute("SELECT customer FROM orders WHERE at = ?", (datetime.datetime(2024, 2, 3, 4, 5, 6),))
    assert cur.fetchall() == [("bob",)]
    cur.execute("SELECT COUNT(*) FROM orders WHERE customer = '?'")
    assert cur.fetchall() == [(0,)]
    try:
        cur.execute("SELECT * FROM orders WHERE id = ? AND qty = ?", (1,))
        raise SystemExit("a missing parameter was accepted")
    except mysql.connector.Error as e:
        assert "argument" in str(e).lower(), e
    try:
        cur.execute("SELECT * FROM nowhere WHERE id = ?", (1,))
        raise SystemExit("an unknown table was accepted")
    except mysql.connector.Error as e:
        assert e.errno == 1146, e
    conn.close()
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn executemany_inserts_and_statements_close_and_reprepare() {
    let server = shop();
    let script = r#"
import datetime, decimal
conn = connector(db="shop")
cur = conn.cursor(prepared=True)
rows = [(10 + i, f"c{i}?", decimal.Decimal(f"{i}.25"), datetime.date(2024, 3, 1 + i), None, i / 4, i)
        for i in range(20)]
cur.executemany("INSERT INTO orders (id, customer, amount, placed, at, ratio, qty) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
cur.execute("SELECT id, customer, amount, placed, at, ratio, qty FROM orders WHERE id >= ? "
            "ORDER BY id", (10,))
assert cur.fetchall() == rows
cur.execute("DELETE FROM orders WHERE id >= ?", (20,))
cur.execute("SELECT COUNT(*) FROM orders")
assert cur.fetchall() == [(12,)]
cur.close()
# Each cursor prepares its own statement; closing it closes the statement, and the same text
# prepares again on a new cursor.
for _ in range(3):
    again = conn.cursor(prepared=True)
    again.execute("SELECT customer FROM orders WHERE id = ?", (1,))
    assert again.fetchall() == [("ann",)]
    again.close()
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn privileges_apply_as_for_text_queries() {
    let server = shop();
    let script = r#"
conn = connector(user="bob", password="pw", db="scratch")
def error(run):
    try:
        run()
    except mysql.connector.Error as e:
        return (e.errno, e.msg)
    raise SystemExit("bob read orders")
text = error(lambda: conn.cursor().execute("SELECT * FROM shop.orders WHERE id = 1"))
prepared = error(lambda: conn.cursor(prepared=True).execute(
    "SELECT * FROM shop.orders WHERE id = ?", (1,)))
assert text == prepared, (text, prepared)
assert text[0] == 1227, text
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn a_statement_id_of_another_connection_is_unknown() {
    let server = shop();
    let script = r#"
owner = connector(db="shop")
stmt = owner.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
other = connector(db="shop")
print("refused", errno("another connection's statement", lambda: other.cmd_stmt_execute(
    stmt["statement_id"], data=(1,), parameters=stmt["parameters"])))
# The refused connection goes on.
cur = other.cursor()
cur.execute("SELECT count(*) FROM orders")
assert cur.fetchall() == [(2,)]
cur = owner.cursor(prepared=True)
cur.execute("SELECT customer FROM orders WHERE id = ?", (2,))
assert cur.fetchall() == [("bob",)]
print("ok")
"#;
    let out = connector(&server, script);
    assert!(out.contains("refused 1243"), "{out}");
    assert_eq!(out.lines().last(), Some("ok"), "{out}");
}

#[test]
fn prepare_describes_the_columns_of_a_query() {
    let server = shop();
    let script = r#"
conn = connector(db="shop")
described = conn.cmd_stmt_prepare(
    b"SELECT id, customer, amount FROM orders WHERE id = ? AND customer <> ?")
names = [c[0] for c in described["columns"]]
assert names == ["id", "customer", "amount"], described["columns"]
assert len(described["parameters"]) == 2, described["parameters"]
conn.cmd_stmt_close(described["statement_id"])
# A statement without rows, and a query whose column type only the value decides, describe none.
for text in (b"INSERT INTO orders (id) VALUES (?)", b"SELECT ?"):
    described = conn.cmd_stmt_prepare(text)
    assert described["columns"] == [], (text, described["columns"])
    conn.cmd_stmt_close(described["statement_id"])
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn unknown_ids_long_data_and_reset_follow_the_protocol() {
    let server = TestServer::with_config(ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        max_statement_bytes: 4096,
        ..ServerConfig::default()
    });
    server.mysql_ok(
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE orders (id BIGINT NOT NULL, customer VARCHAR(20))
           PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2;
         INSERT INTO orders VALUES (1, 'ann'), (2, 'bob');",
    );
    let script = r#"
import io, struct
conn = connector(db="shop")
def execute(stmt, value):
    """EXECUTE straight away (a cursor sends COM_STMT_RESET first); the rows, strings decoded."""
    result = conn.cmd_stmt_execute(stmt["statement_id"], data=(value,),
                                   parameters=stmt["parameters"])
    conn.unread_result = True
    rows, _ = conn.get_rows(binary=True, columns=result[1])
    return [tuple(v.decode() if isinstance(v, (bytes, bytearray)) else v for v in row)
            for row in rows]
# Unknown statement ids: error 1243 for EXECUTE and RESET; long data for one is dropped unanswered.
got = errno("EXECUTE 4242", lambda: conn.cmd_stmt_execute(4242, data=(), parameters=()))
assert got == 1243, got
got = errno("RESET 4242", lambda: conn.cmd_stmt_reset(4242))
assert got == 1243, got
conn.cmd_stmt_send_long_data(4242, 0, io.BytesIO(b"x" * 100))
stmt = conn.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
rows = execute(stmt, 1)
assert rows == [("ann",)], rows
# Long data past the cap (the server's max_allowed_packet, 4096 here), sent in packets each
# within it, fails that EXECUTE only; the statement then runs again.
for _ in range(3):
    conn.cmd_stmt_send_long_data(stmt["statement_id"], 0, io.BytesIO(b"x" * 2000))
got = errno("EXECUTE past the cap", lambda: execute(stmt, 2))
assert got == 1153, got
rows = execute(stmt, 2)
assert rows == [("bob",)], rows
# RESET forgets long data: the next EXECUTE reads its parameter from its own packet.
conn.cmd_stmt_send_long_data(stmt["statement_id"], 0, io.BytesIO(b"junk"))
conn.cmd_stmt_reset(stmt["statement_id"])
rows = execute(stmt, 1)
assert rows == [("ann",)], rows
# Long data within the cap is the parameter's value (a cursor sends it for a file object).
cur = conn.cursor(prepared=True)
cur.execute("SELECT id FROM orders WHERE customer = ?", (io.BytesIO(b"bob"),))
rows = cur.fetchall()
assert rows == [(2,)], rows
# The types an EXECUTE past the cap binds stay bound, as after any EXECUTE: a client (libmysql)
# sends them once, and its next EXECUTE of the statement sends none.
raw = connector(db="shop")
stmt = raw.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
for _ in range(3):
    raw.cmd_stmt_send_long_data(stmt["statement_id"], 0, io.BytesIO(b"x" * 2000))
reply = execute_raw(raw, stmt["statement_id"], b"\x00\x01\x08\x00")
assert error_code(reply) == 1153, reply
reply = execute_raw(raw, stmt["statement_id"], b"\x00\x00" + struct.pack("<q", 2))
assert error_code(reply) is None, reply
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn packets_sent_together_are_each_read_whole() {
    let server = shop();
    let script = r#"
import struct
conn = connector(db="shop")
closed = conn.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
kept = conn.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
# Commands without a reply (CLOSE, long data) and a PING, all in one write: the server reads
# them from one buffer and answers the PING alone.
together = (packet(b"\x19" + struct.pack("<I", closed["statement_id"]))
            + b"".join(packet(b"\x18" + struct.pack("<IH", kept["statement_id"], 0) + b"y" * 300)
                       for _ in range(5))
            + packet(b"\x0e"))
conn._socket.sock.sendall(together)
reply = read_packet(conn)
assert reply[:1] == b"\x00", reply
got = errno("EXECUTE of the closed statement", lambda: conn.cmd_stmt_execute(
    closed["statement_id"], data=(1,), parameters=closed["parameters"]))
assert got == 1243, got
conn.cmd_stmt_reset(kept["statement_id"])
cur = conn.cursor()
cur.execute("SELECT count(*) FROM orders")
rows = cur.fetchall()
assert rows == [(2,)], rows
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}

#[test]
fn malformed_parameters_are_an_error_not_a_dead_connection() {
    let server = shop();
    let script = r#"
import struct
conn = connector(db="shop")
stmt = conn.cmd_stmt_prepare(b"SELECT customer FROM orders WHERE id = ?")
# A BIGINT announced with 3 of its 8 bytes, an unknown type byte, no types at all, no null map.
for params in (b"\x00\x01\x08\x00abc", b"\x00\x01\xee\x00" + bytes(8), b"\x00\x00", b""):
    reply = execute_raw(conn, stmt["statement_id"], params)
    assert error_code(reply) == 1210, (params, reply)
# A well-formed EXECUTE on the same statement and connection still runs.
reply = execute_raw(conn, stmt["statement_id"], b"\x00\x01\x08\x00" + struct.pack("<q", 2))
assert error_code(reply) is None, reply
print("ok")
"#;
    assert_eq!(connector(&server, script).trim(), "ok");
}
