//! SQLAlchemy (`mysql+pymysql://`) and pandas against `tabvault serve`: table and view names
//! (`SHOW FULL TABLES`), column and primary-key reflection from `SHOW CREATE TABLE` (what a
//! MySQL-dialect parser reads), `MetaData.reflect`, an automap ORM reading and inserting rows,
//! indexes (`SHOW INDEX`), and `pandas.read_sql` with a parameter.

mod common;

use common::TestServer;

#[test]
fn sqlalchemy_reflects_tables_and_pandas_reads_with_parameters() {
    let server = TestServer::start();
    server.mysql_ok(
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE orders (id BIGINT NOT NULL, customer VARCHAR(20), amount DECIMAL(10, 2),
           placed DATETIME, qty INT, flag BOOLEAN)
           PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2;
         CREATE VIEW big AS SELECT id, amount FROM orders WHERE amount > 100;
         INSERT INTO orders VALUES (1, 'ann', 12.50, '2024-01-02 03:04:05', 3, true),
           (2, 'bob', 250.00, '2024-02-03 04:05:06', 1, false);",
    );
    let script = r#"
import warnings
warnings.simplefilter("ignore")
try:
    import sqlalchemy, pandas
except ImportError as e:
    raise SystemExit(f"{e}: run scripts/test.sh (installs sqlalchemy and pandas)")
from sqlalchemy import create_engine, inspect, MetaData, text
engine = create_engine(f"mysql+pymysql://root@127.0.0.1:{PORT}/shop")
i = inspect(engine)
assert i.get_table_names() == ["orders"], i.get_table_names()
assert i.get_view_names() == ["big"], i.get_view_names()
columns = [(c["name"], str(c["type"]), c["nullable"]) for c in i.get_columns("orders")]
assert columns == [
    ("id", "BIGINT", False),
    ("customer", "VARCHAR(20)", True),
    ("amount", "DECIMAL(10, 2)", True),
    ("placed", "DATETIME", True),
    ("qty", "INTEGER", True),
    ("flag", "BOOLEAN", True),
], columns
assert i.get_indexes("orders") == []
assert i.get_pk_constraint("orders")["constrained_columns"] == ["id"], i.get_pk_constraint("orders")
meta = MetaData()
meta.reflect(bind=engine)
assert sorted(meta.tables) == ["orders"], sorted(meta.tables)
assert [c.name for c in meta.tables["orders"].primary_key] == ["id"]
# An ORM mapped by reflection alone (automap needs the primary key) reads and writes rows.
from sqlalchemy.ext.automap import automap_base
from sqlalchemy.orm import Session
Base = automap_base()
Base.prepare(autoload_with=engine)
Orders = Base.classes.orders
with Session(engine) as session:
    assert session.get(Orders, 2).customer == "bob"
    session.add(Orders(id=3, customer="cy", amount=7, qty=2, flag=True))
    session.commit()
with Session(engine) as session:
    assert session.get(Orders, 3).customer == "cy"
frame = pandas.read_sql(text("SELECT id, customer, amount FROM orders WHERE amount > :floor"),
                        engine, params={"floor": 100})
assert frame["customer"].tolist() == ["bob"], frame
assert float(frame["amount"][0]) == 250.0
print("ok")
"#;
    assert_eq!(server.python(script).trim(), "ok");
}
