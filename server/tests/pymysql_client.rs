//! pymysql against `tabvault serve`: Python types of the values, affected rows, COM_INIT_DB,
//! the seed's three BACKUP examples, SHOW BACKUP until FINISHED, RESTORE, SHOW RESTORE, and
//! error codes 1227, 1045, 1064, 1049, 1146.

mod common;

use common::{SEED_BACKUPS, TestServer, seed_sql};

#[test]
fn pymysql_drives_tables_backups_and_restores() {
    let server = TestServer::start();
    let repo = server.dir.path().join("repo");
    server.mysql_ok(&seed_sql(&repo));
    let backups: Vec<String> = SEED_BACKUPS
        .iter()
        .map(|(label, sql)| format!("({label:?}, {sql:?})"))
        .collect();
    let script = format!(
        r#"
import datetime, decimal
BACKUPS = [{backups}]

def code_of(fn):
    try:
        fn()
    except pymysql.err.MySQLError as e:
        return e.args[0]
    raise AssertionError("no error")

def poll(cur, show, label):
    for _ in range(3000):
        cur.execute(show)
        rows = [r for r in cur.fetchall() if r.get("SnapshotName", r.get("Label")) == label]
        state = rows[-1]["State"] if rows else None
        assert state != "CANCELLED", rows
        if state == "FINISHED":
            return
    raise AssertionError(label + " never finished: " + repr(rows))

conn = connect(db="example_db")
cur = conn.cursor()
assert cur.execute("INSERT INTO example_tbl2 VALUES (3, 'three'), (4, NULL)") == 2
assert cur.rowcount == 2
cur.execute("SELECT event_date, user_id, city, amount, seen FROM example_tbl ORDER BY user_id")
rows = cur.fetchall()
assert rows[0] == (datetime.date(2024, 1, 15), 1, "Paris", decimal.Decimal("9.99"),
                   datetime.datetime(2024, 1, 15, 10, 20, 30)), rows[0]
assert rows[1] == (datetime.date(2024, 5, 1), 2, None, decimal.Decimal("120.50"), None), rows[1]
assert [d[0] for d in cur.description] == ["event_date", "user_id", "city", "amount", "seen"]
cur.execute("SELECT k, v FROM example_tbl2 WHERE v IS NULL")
assert cur.fetchall() == ((4, None),)
cur.execute("SELECT CAST(1.5 AS DOUBLE) AS d, CAST(7 AS TINYINT) AS t")
assert cur.fetchall() == ((1.5, 7),)
cur.execute("SELECT DATABASE()")
assert cur.fetchone() == ("example_db",)
cur.execute("SHOW VARIABLES LIKE 'max_allowed_packet'")
assert cur.fetchone() == ("max_allowed_packet", str(16 << 20))

# COM_INIT_DB, and its unknown-database error.
plain = connect()
plain.select_db("example_db")
pc = plain.cursor()
pc.execute("SELECT COUNT(*) FROM example_tbl2")
assert pc.fetchone() == (4,)
assert code_of(lambda: plain.select_db("nosuch_db")) == 1049
assert code_of(lambda: connect(db="nosuch_db")) == 1049

# The seed page's three BACKUP examples, then SHOW BACKUP until FINISHED.
dc = conn.cursor(pymysql.cursors.DictCursor)
for label, statement in BACKUPS:
    dc.execute(statement)
    poll(dc, "SHOW BACKUP", label)

dc.execute("RESTORE SNAPSHOT example_db.snapshot_label2 FROM example_repo "
           "ON (example_tbl AS example_tbl_restored) "
           "PROPERTIES ('backup_timestamp' = 'LATEST')")
poll(dc, "SHOW RESTORE FROM example_db", "snapshot_label2")
cur.execute("SELECT COUNT(*), SUM(amount) FROM example_tbl_restored")
assert cur.fetchone() == (3, decimal.Decimal("127.24"))

# Errors.
cur.execute("CREATE USER 'carol' IDENTIFIED BY 'c4rol-pw'")
cur.execute("GRANT SELECT ON example_db.* TO USER 'carol'")
carol = connect(user="carol", password="c4rol-pw", db="example_db")
cc = carol.cursor()
cc.execute("SELECT COUNT(*) FROM example_tbl")
assert cc.fetchone() == (3,)
assert code_of(lambda: cc.execute("BACKUP SNAPSHOT example_db.x TO example_repo")) == 1227
assert code_of(lambda: cc.execute("INSERT INTO example_tbl2 VALUES (9, 'x')")) == 1227
assert code_of(lambda: connect(user="carol", password="wrong")) == 1045
assert code_of(lambda: connect(user="carol")) == 1045
assert code_of(lambda: connect(user="nobody")) == 1045
assert code_of(lambda: cur.execute("SELEC 1")) == 1064
assert code_of(lambda: cur.execute("SELECT * FROM nosuch_tbl")) == 1146
assert code_of(lambda: cur.execute("USE nosuch_db")) == 1049
assert code_of(lambda: cur.execute("CREATE DATABASE example_db")) == 1007
# A query's syntax is checked with the statement's: 1064, as MySQL and StarRocks answer it.
assert code_of(lambda: cur.execute("SELECT 1 FROM example_tbl WHERE")) == 1064
assert code_of(lambda: cur.execute("SELECT nosuch_column FROM example_tbl")) == 1105
# The connection is still usable after errors.
cur.execute("SELECT COUNT(*) FROM example_tbl2")
assert cur.fetchone() == (4,)
print("ok")
"#,
        backups = backups.join(", ")
    );
    assert_eq!(server.python(&script).trim(), "ok");
}
