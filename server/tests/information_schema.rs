//! information_schema and SHOW TABLE STATUS through the MySQL server, as pymysql (and the BI
//! tools built on such drivers) send them: values arrive typed, a user sees only their
//! databases, `USE information_schema` works.

mod common;

use common::TestServer;

#[test]
fn pymysql_reads_information_schema_and_table_status() {
    let server = TestServer::start();
    server.mysql_ok(
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE orders (id INT NOT NULL, amount DECIMAL(10, 2)) DUPLICATE KEY(id)
           DISTRIBUTED BY HASH(id) BUCKETS 1;
         INSERT INTO orders VALUES (1, 9.50), (2, 20.00);
         CREATE VIEW big AS SELECT id FROM orders WHERE amount > 10;
         CREATE DATABASE hr; USE hr;
         CREATE TABLE staff (sid INT) DUPLICATE KEY(sid) DISTRIBUTED BY HASH(sid) BUCKETS 1;
         CREATE USER 'carol' IDENTIFIED BY 'c4rol-pw'; GRANT SELECT ON shop.* TO USER 'carol';",
    );
    let script = r#"
import datetime
conn = connect()
cur = conn.cursor()
cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_NAME")
assert cur.fetchall() == (("big", "VIEW"), ("orders", "BASE TABLE")), cur.fetchall()
assert [d[0] for d in cur.description] == ["TABLE_NAME", "TABLE_TYPE"]

cur.execute("SELECT TABLE_ROWS, UPDATE_TIME FROM information_schema.tables "
            "WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders'")
rows, updated = cur.fetchone()
assert rows == 2 and isinstance(updated, datetime.datetime), (rows, updated)

cur.execute("SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION")
assert cur.fetchall() == (("id", "int(11)", "DUP"), ("amount", "decimal(10,2)", "")), cur.fetchall()

dc = conn.cursor(pymysql.cursors.DictCursor)
dc.execute("SHOW TABLE STATUS FROM shop")
status = dc.fetchall()
assert [r["Name"] for r in status] == ["big", "orders"], status
orders = status[1]
assert orders["Engine"] == "StarRocks" and orders["Rows"] == 2, orders
assert orders["Data_length"] > 0 and orders["Collation"] == "utf8_general_ci", orders
dc.execute("SHOW TABLE STATUS FROM shop LIKE 'ord%'")
assert [r["Name"] for r in dc.fetchall()] == ["orders"]

carol = connect(user="carol", password="c4rol-pw", db="information_schema")
cc = carol.cursor()
cc.execute("SELECT DISTINCT TABLE_SCHEMA FROM TABLES ORDER BY 1")
assert cc.fetchall() == (("information_schema",), ("shop",)), cc.fetchall()
cc.execute("SHOW DATABASES")
assert cc.fetchall() == (("information_schema",), ("shop",)), cc.fetchall()
print("ok")
"#;
    assert_eq!(server.python(script).trim(), "ok");
}
