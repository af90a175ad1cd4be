//! `information_schema` and `SHOW TABLE STATUS` through a session (docs/SQL.md): each table's
//! rows for a small catalog, visibility for a user who sees one database, names in any letter
//! case, joins, and SHOW TABLE STATUS with LIKE and WHERE.

mod common;

use common::{columns, root, run};
use tabvault_sql::{Database, Session};

/// `shop` (a partitioned DUPLICATE KEY table, a PRIMARY KEY table, a view), `hr` (one table),
/// and `alice`, who may read `shop` only.
fn catalog() -> (tempfile::TempDir, Database, Session) {
    let (dir, db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE orders (day DATE NOT NULL, id INT NOT NULL COMMENT 'order id',
                              amount DECIMAL(10, 2), note VARCHAR(20) DEFAULT 'none')
           DUPLICATE KEY(day, id)
           PARTITION BY RANGE(day) (PARTITION p2023 VALUES LESS THAN ('2024-01-01'),
                                    PARTITION p2024 VALUES LESS THAN ('2025-01-01'))
           DISTRIBUTED BY HASH(id) BUCKETS 1;
         CREATE TABLE customers (cid BIGINT NOT NULL, name STRING) PRIMARY KEY(cid)
           DISTRIBUTED BY HASH(cid) BUCKETS 1;
         CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
         INSERT INTO orders VALUES ('2023-05-01', 1, 50.00, 'a'), ('2024-02-01', 2, 150.00, 'b'),
                                   ('2024-03-01', 3, 250.00, 'c');
         INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
         INSERT INTO customers VALUES (1, 'anne');
         CREATE DATABASE hr; USE hr;
         CREATE TABLE staff (sid INT) DUPLICATE KEY(sid) DISTRIBUTED BY HASH(sid) BUCKETS 1;
         CREATE USER 'alice' IDENTIFIED BY 'pw'; GRANT SELECT ON shop.* TO USER 'alice'",
    );
    (dir, db, s)
}

/// The result's rows as text (NULL as `NULL`).
fn text(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    common::rows(&run(s, sql))
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn schemata_lists_visible_databases() {
    let (_dir, db, mut s) = catalog();
    let sql = "SELECT * FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME";
    let all = run(&mut s, sql);
    assert_eq!(
        columns(&all),
        [
            "CATALOG_NAME",
            "SCHEMA_NAME",
            "DEFAULT_CHARACTER_SET_NAME",
            "DEFAULT_COLLATION_NAME",
            "SQL_PATH"
        ]
    );
    assert_eq!(
        common::rows(&all),
        [
            row(&["def", "hr", "utf8", "utf8_general_ci", "NULL"]),
            row(&[
                "def",
                "information_schema",
                "utf8",
                "utf8_general_ci",
                "NULL"
            ]),
            row(&["def", "shop", "utf8", "utf8_general_ci", "NULL"]),
        ]
    );
    let mut alice = db.session("alice", Some("pw")).expect("login");
    assert_eq!(
        text(
            &mut alice,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"
        ),
        [row(&["information_schema"]), row(&["shop"])]
    );
    assert_eq!(
        text(&mut alice, "SHOW DATABASES"),
        [row(&["information_schema"]), row(&["shop"])]
    );
}

#[test]
fn tables_report_types_engines_rows_and_sizes() {
    let (_dir, _db, mut s) = catalog();
    let tables = text(
        &mut s,
        "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS,
                TABLE_COLLATION, TABLE_COMMENT, CREATE_TIME
         FROM information_schema.TABLES WHERE TABLE_SCHEMA <> 'information_schema'
         ORDER BY TABLE_SCHEMA, TABLE_NAME",
    );
    assert_eq!(
        tables,
        [
            row(&[
                "def",
                "hr",
                "staff",
                "BASE TABLE",
                "StarRocks",
                "0",
                "utf8_general_ci",
                "",
                "NULL"
            ]),
            row(&[
                "def",
                "shop",
                "big_orders",
                "VIEW",
                "NULL",
                "NULL",
                "NULL",
                "VIEW",
                "NULL"
            ]),
            row(&[
                "def",
                "shop",
                "customers",
                "BASE TABLE",
                "StarRocks",
                "2",
                "utf8_general_ci",
                "",
                "NULL"
            ]),
            row(&[
                "def",
                "shop",
                "orders",
                "BASE TABLE",
                "StarRocks",
                "3",
                "utf8_general_ci",
                "",
                "NULL"
            ]),
        ]
    );
    let sizes = text(
        &mut s,
        "SELECT DATA_LENGTH, AVG_ROW_LENGTH, UPDATE_TIME IS NOT NULL FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders'",
    );
    let bytes: u64 = sizes[0][0].parse().expect("bytes");
    assert!(bytes > 0);
    assert_eq!(sizes[0][1], (bytes / 3).to_string());
    assert_eq!(sizes[0][2], "true");
    assert_eq!(
        text(
            &mut s,
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = 'information_schema' ORDER BY TABLE_NAME"
        ),
        ["COLUMNS", "PARTITIONS", "SCHEMATA", "TABLES", "VIEWS"].map(|t| row(&[t, "SYSTEM VIEW"]))
    );
}

#[test]
fn columns_spell_types_keys_and_defaults_as_mysql() {
    let (_dir, _db, mut s) = catalog();
    let cols = text(
        &mut s,
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE,
                CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_TYPE, COLUMN_KEY,
                COLUMN_COMMENT
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop'
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    );
    let n = "NULL";
    assert_eq!(
        cols,
        [
            row(&[
                "big_orders",
                "id",
                "1",
                n,
                "NO",
                "int",
                n,
                "10",
                "0",
                "int(11)",
                "",
                ""
            ]),
            row(&[
                "big_orders",
                "amount",
                "2",
                n,
                "YES",
                "decimal",
                n,
                "10",
                "2",
                "decimal(10,2)",
                "",
                ""
            ]),
            row(&[
                "customers",
                "cid",
                "1",
                n,
                "NO",
                "bigint",
                n,
                "19",
                "0",
                "bigint(20)",
                "PRI",
                ""
            ]),
            row(&[
                "customers",
                "name",
                "2",
                n,
                "YES",
                "string",
                n,
                n,
                n,
                "string",
                "",
                ""
            ]),
            row(&[
                "orders", "day", "1", n, "NO", "date", n, n, n, "date", "DUP", ""
            ]),
            row(&[
                "orders", "id", "2", n, "NO", "int", n, "10", "0", "int(11)", "DUP", "order id"
            ]),
            row(&[
                "orders",
                "amount",
                "3",
                n,
                "YES",
                "decimal",
                n,
                "10",
                "2",
                "decimal(10,2)",
                "",
                ""
            ]),
            row(&[
                "orders",
                "note",
                "4",
                "none",
                "YES",
                "varchar",
                "20",
                n,
                n,
                "varchar(20)",
                "",
                ""
            ]),
        ]
    );
    assert_eq!(
        text(
            &mut s,
            "SELECT COUNT(*) FROM information_schema.COLUMNS
             WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'TABLES'"
        ),
        [row(&["21"])]
    );
}

#[test]
fn views_and_partitions_describe_their_objects() {
    let (_dir, _db, mut s) = catalog();
    assert_eq!(
        text(
            &mut s,
            "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE
             FROM information_schema.VIEWS"
        ),
        [row(&[
            "shop",
            "big_orders",
            "SELECT id, amount FROM orders WHERE amount > 100",
            "NONE",
            "NO"
        ])]
    );
    assert_eq!(
        text(
            &mut s,
            "SELECT TABLE_NAME, PARTITION_NAME, PARTITION_ORDINAL_POSITION, PARTITION_METHOD,
                    PARTITION_EXPRESSION, PARTITION_DESCRIPTION, TABLE_ROWS
             FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'shop'
             ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION"
        ),
        [
            row(&["customers", "NULL", "NULL", "NULL", "NULL", "NULL", "2"]),
            row(&[
                "orders",
                "p2023",
                "1",
                "RANGE",
                "`day`",
                "'2024-01-01'",
                "1"
            ]),
            row(&[
                "orders",
                "p2024",
                "2",
                "RANGE",
                "`day`",
                "'2025-01-01'",
                "2"
            ]),
        ]
    );
    let sizes = text(
        &mut s,
        "SELECT SUM(p.DATA_LENGTH) = MAX(t.DATA_LENGTH)
         FROM information_schema.PARTITIONS p JOIN information_schema.TABLES t
           ON p.TABLE_SCHEMA = t.TABLE_SCHEMA AND p.TABLE_NAME = t.TABLE_NAME
         WHERE t.TABLE_NAME = 'orders'",
    );
    assert_eq!(sizes, [row(&["true"])]);
}

#[test]
fn a_user_sees_only_what_they_may() {
    let (_dir, db, _s) = catalog();
    let mut alice = db.session("alice", Some("pw")).expect("login");
    for table in ["TABLES", "COLUMNS", "PARTITIONS"] {
        let schemas = text(
            &mut alice,
            &format!("SELECT DISTINCT TABLE_SCHEMA FROM information_schema.{table} ORDER BY 1"),
        );
        assert!(
            !schemas.contains(&row(&["hr"])),
            "{table} shows hr: {schemas:?}"
        );
        assert!(schemas.contains(&row(&["shop"])), "{table}: {schemas:?}");
    }
    assert_eq!(
        text(
            &mut alice,
            "SELECT TABLE_NAME FROM information_schema.VIEWS"
        ),
        [row(&["big_orders"])]
    );
    run(&mut alice, "USE information_schema");
    assert_eq!(
        text(
            &mut alice,
            "SELECT COUNT(*) FROM TABLES WHERE TABLE_SCHEMA = 'shop'"
        ),
        [row(&["3"])]
    );
    assert_eq!(common::rows(&run(&mut alice, "SHOW TABLES")).len(), 5);
    assert!(alice.execute("SHOW TABLE STATUS FROM hr").is_err());
}

#[test]
fn names_match_in_any_case_and_tables_join() {
    let (_dir, _db, mut s) = catalog();
    for name in [
        "information_schema.tables",
        "INFORMATION_SCHEMA.TABLES",
        "information_schema.TABLES",
        "Information_Schema.Tables",
    ] {
        assert_eq!(
            text(
                &mut s,
                &format!("SELECT COUNT(*) FROM {name} WHERE TABLE_SCHEMA = 'shop'")
            ),
            [row(&["3"])],
            "{name}"
        );
    }
    let joined = text(
        &mut s,
        "SELECT t.TABLE_NAME, COUNT(c.COLUMN_NAME) AS n
         FROM information_schema.TABLES t
         JOIN information_schema.COLUMNS c
           ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
         WHERE t.TABLE_SCHEMA = 'shop' AND t.TABLE_TYPE = 'BASE TABLE'
         GROUP BY t.TABLE_NAME ORDER BY n DESC",
    );
    assert_eq!(joined, [row(&["orders", "4"]), row(&["customers", "2"])]);
    assert!(s.execute("CREATE DATABASE INFORMATION_SCHEMA").is_err());
}

#[test]
fn column_names_match_in_any_case_in_queries_of_information_schema_alone() {
    let (_dir, _db, mut s) = catalog();
    let lower = text(
        &mut s,
        "SELECT t.table_name AS name, Table_Type FROM information_schema.tables t
         WHERE table_schema = 'shop' ORDER BY name",
    );
    assert_eq!(
        lower,
        [
            row(&["big_orders", "VIEW"]),
            row(&["customers", "BASE TABLE"]),
            row(&["orders", "BASE TABLE"]),
        ]
    );
    run(&mut s, "USE information_schema");
    assert_eq!(
        text(
            &mut s,
            "SELECT count(*) FROM columns WHERE table_name = 'orders'"
        ),
        [row(&["4"])]
    );
    // A quoted name is taken as written, so a lower-case quoted name names no column.
    let quoted = s
        .execute("SELECT `table_name` FROM information_schema.tables")
        .expect_err("a quoted lower-case name is not folded");
    assert!(quoted.to_string().contains("table_name"), "{quoted}");
    // A query that also reads a user table keeps every name as written: user columns are
    // case-sensitive, so `table_name` does not resolve against information_schema here.
    run(
        &mut s,
        "CREATE DATABASE misc; USE misc;
         CREATE TABLE notes (table_name STRING) DUPLICATE KEY(table_name)
           DISTRIBUTED BY HASH(table_name) BUCKETS 1;
         INSERT INTO notes VALUES ('orders')",
    );
    assert_eq!(
        text(
            &mut s,
            "SELECT n.table_name, t.TABLE_TYPE FROM misc.notes n
             JOIN information_schema.TABLES t ON t.TABLE_NAME = n.table_name"
        ),
        [row(&["orders", "BASE TABLE"])]
    );
}

#[test]
fn show_table_status_has_mysql_columns_and_filters() {
    let (_dir, _db, mut s) = catalog();
    run(&mut s, "USE shop");
    let all = run(&mut s, "SHOW TABLE STATUS");
    assert_eq!(
        columns(&all),
        [
            "Name",
            "Engine",
            "Version",
            "Row_format",
            "Rows",
            "Avg_row_length",
            "Data_length",
            "Max_data_length",
            "Index_length",
            "Data_free",
            "Auto_increment",
            "Create_time",
            "Update_time",
            "Check_time",
            "Collation",
            "Checksum",
            "Create_options",
            "Comment"
        ]
    );
    let names: Vec<String> = common::rows(&all)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(names, ["big_orders", "customers", "orders"]);
    let like = text(&mut s, "SHOW TABLE STATUS FROM shop LIKE 'ord%'");
    assert_eq!(like.len(), 1);
    assert_eq!(&like[0][..2], ["orders", "StarRocks"]);
    assert_eq!(like[0][4], "3");
    let filtered = text(&mut s, "SHOW TABLE STATUS IN shop WHERE Engine IS NULL");
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0][0], "big_orders");
    assert_eq!(filtered[0][17], "VIEW");
    assert_eq!(text(&mut s, "SHOW TABLE STATUS FROM hr LIKE 'x%'").len(), 0);
}
