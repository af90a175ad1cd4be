//! Server-side prepared statements (`COM_STMT_PREPARE` / `EXECUTE` / `CLOSE`) driven by
//! mysql-connector-python's `cursor(prepared=True)`: typed parameters and typed binary rows, a `?`
//! in a string literal, `executemany` INSERTs, privileges as for text queries, closing and
//! re-preparing, and statement ids that belong to another connection.

mod common;

use common::TestServer;

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
try:
    other.cmd_stmt_execute(stmt["statement_id"], data=(1,), parameters=stmt["parameters"])
    raise SystemExit("another connection's statement ran")
except mysql.connector.Error as e:
    print("refused", e.errno)
cur = owner.cursor(prepared=True)
cur.execute("SELECT customer FROM orders WHERE id = ?", (2,))
assert cur.fetchall() == [("bob",)]
print("ok")
"#;
    let out = connector(&server, script);
    assert!(out.contains("refused"), "{out}");
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
