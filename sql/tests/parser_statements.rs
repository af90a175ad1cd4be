//! Parser tests, one family of statements at a time.
//!
//! Goal: every statement of docs/SQL.md parses into the AST an executor expects, including the seed
//! page's three BACKUP examples and the reference's RESTORE / SHOW SNAPSHOT / CREATE REPOSITORY
//! forms verbatim, and each prints back to SQL that parses to the same AST. Errors carry the
//! right position and wording.

use datafusion::sql::sqlparser::ast::Expr;
use tabvault_sql::{
    AlterTableAction, Backup, Broker, ColumnSpec, CreateRepository, CreateTable, DataType,
    DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant, GrantItems, GrantObject, Grantee,
    Insert, InsertSource, InsertValue, KeyKind, KeysSpec, Literal, NewPassword, ObjectKind,
    ObjectName, ParseError, PartitionBy, PartitionKind, PartitionSpec, PartitionValues, Privilege,
    Restore, ShowFilter, ShowSnapshot, SnapshotObject, Statement, TimestampComparison,
    TimestampCondition, UserIdentity, VerifySnapshot, parse_statement, parse_statements,
};

type Result = std::result::Result<(), ParseError>;

/// Parses `sql`, checks that its printed form parses back equal, and returns it.
fn parse(sql: &str) -> std::result::Result<Statement, ParseError> {
    let statement = parse_statement(sql)?;
    let printed = statement.to_string();
    assert_eq!(
        parse_statement(&printed)?,
        statement,
        "reprint of {sql}: {printed}"
    );
    Ok(statement)
}

/// `text`, an expression, as the parser reads a `DELETE` condition.
fn expr(text: &str) -> Expr {
    match parse(&format!("DELETE FROM t WHERE {text}")) {
        Ok(Statement::Delete(delete)) => *delete.predicate,
        other => panic!("{text}: {other:?}"),
    }
}

fn name(db: Option<&str>, name: &str) -> ObjectName {
    ObjectName {
        database: db.map(str::to_owned),
        name: name.to_owned(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn object(name: &str, partitions: &[&str], alias: Option<&str>) -> SnapshotObject {
    SnapshotObject {
        kind: None,
        name: name.to_owned(),
        partitions: strings(partitions),
        alias: alias.map(str::to_owned),
    }
}

fn string(s: &str) -> Literal {
    Literal::String(s.to_owned())
}

fn error(sql: &str) -> ParseError {
    match parse_statements(sql) {
        Ok(statements) => panic!("{sql} parsed as {statements:?}"),
        Err(e) => e,
    }
}

// ---- the seed page ----------------------------------------------------------------------------

const SEED_EXAMPLES: &str = r#"BACKUP SNAPSHOT example_db.snapshot_label1
TO example_repo
PROPERTIES ("type" = "full");
BACKUP SNAPSHOT example_db.snapshot_label2
TO example_repo
ON (example_tbl);
BACKUP SNAPSHOT example_db.snapshot_label3
TO example_repo
ON(
    example_tbl PARTITION (p1, p2),
    example_tbl2
);"#;

#[test]
fn seed_page_backup_examples_parse_verbatim() -> Result {
    let statements = parse_statements(SEED_EXAMPLES)?;
    let backup = |label: &str, on: Vec<SnapshotObject>, properties| {
        Statement::Backup(Backup {
            snapshot: name(Some("example_db"), label),
            repository: "example_repo".into(),
            on,
            properties,
        })
    };
    assert_eq!(
        statements,
        vec![
            backup("snapshot_label1", vec![], props(&[("type", "full")])),
            backup(
                "snapshot_label2",
                vec![object("example_tbl", &[], None)],
                vec![]
            ),
            backup(
                "snapshot_label3",
                vec![
                    object("example_tbl", &["p1", "p2"], None),
                    object("example_tbl2", &[], None)
                ],
                vec![]
            ),
        ]
    );
    for statement in &statements {
        assert_eq!(&parse(&statement.to_string())?, statement);
    }
    Ok(())
}

// ---- the reference's BACKUP / RESTORE / SNAPSHOT / REPOSITORY forms --------------------------

#[test]
fn mysql_comment_hints_are_comments_and_names_may_start_with_digits() -> Result {
    assert_eq!(
        parse_statements("/*!40101 SET NAMES utf8mb4 */;\n/*!40101 SET @x=@@y */;")?,
        vec![]
    );
    let Statement::Backup(backup) = parse("BACKUP SNAPSHOT db.2024export TO r")? else {
        panic!("not a backup");
    };
    assert_eq!(backup.snapshot, name(Some("db"), "2024export"));
    assert!(matches!(
        parse("CREATE TABLE 1events (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")?,
        Statement::CreateTable(table) if table.name.name == "1events"
    ));
    Ok(())
}

#[test]
fn backup_variants() -> Result {
    let s = parse("backup snapshot snap to `my repo` on (TABLE t partition (p1), VIEW v, view)")?;
    assert_eq!(
        s,
        Statement::Backup(Backup {
            snapshot: name(None, "snap"),
            repository: "my repo".into(),
            on: vec![
                SnapshotObject {
                    kind: Some(ObjectKind::Table),
                    ..object("t", &["p1"], None)
                },
                SnapshotObject {
                    kind: Some(ObjectKind::View),
                    ..object("v", &[], None)
                },
                object("view", &[], None),
            ],
            properties: vec![],
        })
    );
    let classic = parse("BACKUP SNAPSHOT db.s TO r PROPERTIES (\"timeout\" = \"86400\")")?;
    let v34 = parse("BACKUP DATABASE db SNAPSHOT s TO r PROPERTIES (\"timeout\"=\"86400\")")?;
    assert_eq!(classic, v34);
    let Statement::Backup(backup) = parse("BACKUP SNAPSHOT db.2024_snap TO r")? else {
        panic!("not a backup")
    };
    assert_eq!(backup.snapshot, name(Some("db"), "2024_snap"));
    Ok(())
}

#[test]
fn restore_examples_parse_verbatim() -> Result {
    let s = parse(
        r#"RESTORE SNAPSHOT example_db1.`snapshot_label1`
FROM `example_repo`
ON ( `backup_tbl` )
PROPERTIES
(
    "backup_timestamp"="2018-05-04-16-45-08",
    "replication_num" = "1"
);"#,
    )?;
    assert_eq!(
        s,
        Statement::Restore(Restore {
            snapshot: name(Some("example_db1"), "snapshot_label1"),
            repository: "example_repo".into(),
            on: vec![object("backup_tbl", &[], None)],
            properties: props(&[
                ("backup_timestamp", "2018-05-04-16-45-08"),
                ("replication_num", "1")
            ]),
        })
    );
    let s = parse(
        r#"RESTORE SNAPSHOT example_db1.`snapshot_label2`
FROM `example_repo`
ON
(
    `backup_tbl` PARTITION (`p1`, `p2`),
    `backup_tbl2` AS `new_tbl`
)
PROPERTIES
(
    "backup_timestamp"="2018-05-04-17-11-01"
);"#,
    )?;
    let Statement::Restore(restore) = s else {
        panic!("not a restore: {s:?}")
    };
    assert_eq!(
        restore.on,
        vec![
            object("backup_tbl", &["p1", "p2"], None),
            object("backup_tbl2", &[], Some("new_tbl")),
        ]
    );
    Ok(())
}

/// An alias in BACKUP parses (the executor refuses it with StarRocks' message).
#[test]
fn backup_parses_an_alias_for_the_executor_to_refuse() -> Result {
    let Statement::Backup(backup) = parse("BACKUP SNAPSHOT s TO r ON (t AS u)")? else {
        panic!("a BACKUP");
    };
    assert_eq!(backup.on[0].alias.as_deref(), Some("u"));
    Ok(())
}

#[test]
fn show_snapshot_forms() -> Result {
    let show = |snapshot: Option<&str>, timestamp: Option<&str>| {
        Statement::ShowSnapshot(ShowSnapshot {
            repository: "example_repo".into(),
            snapshot: snapshot.map(str::to_owned),
            timestamp: timestamp.map(str::to_owned),
        })
    };
    assert_eq!(parse("SHOW SNAPSHOT ON example_repo;")?, show(None, None));
    assert_eq!(
        parse(r#"SHOW SNAPSHOT ON example_repo WHERE SNAPSHOT = "backup1";"#)?,
        show(Some("backup1"), None)
    );
    assert_eq!(
        parse(
            r#"SHOW SNAPSHOT ON example_repo
WHERE SNAPSHOT = "backup2" AND TIMESTAMP = "2018-05-05-15-34-26";"#
        )?,
        show(Some("backup2"), Some("2018-05-05-15-34-26"))
    );
    Ok(())
}

#[test]
fn admin_verify_snapshot_forms() -> Result {
    let verify = |snapshot: &str, properties: &[(&str, &str)]| {
        Statement::VerifySnapshot(VerifySnapshot {
            snapshot: snapshot.into(),
            repository: "repo".into(),
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        })
    };
    assert_eq!(
        parse("ADMIN VERIFY SNAPSHOT s1 ON repo")?,
        verify("s1", &[])
    );
    assert_eq!(
        parse(r#"admin verify snapshot "s1" ON `repo` PROPERTIES ("backup_timestamp" = "ts")"#)?,
        verify("s1", &[("backup_timestamp", "ts")])
    );
    for bad in [
        "ADMIN VERIFY s1 ON repo",
        "ADMIN VERIFY SNAPSHOT s1",
        "ADMIN VERIFY SNAPSHOT ON repo",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn drop_snapshot_forms() -> Result {
    let drop = |names: Option<&[&str]>, timestamp: Option<(TimestampComparison, &str)>, force| {
        Statement::DropSnapshot(DropSnapshot {
            if_exists: false,
            repository: "repo".into(),
            snapshots: names.map(|n| n.iter().map(|s| (*s).to_owned()).collect()),
            timestamp: timestamp.map(|(op, t)| TimestampCondition {
                op,
                timestamp: t.into(),
            }),
            force,
        })
    };
    let one: Option<&[&str]> = Some(&["s1"]);
    assert_eq!(parse("DROP SNAPSHOT s1 ON repo")?, drop(one, None, false));
    let Statement::DropSnapshot(if_exists) = parse("DROP SNAPSHOT IF EXISTS s1 ON repo")? else {
        panic!("not a DROP SNAPSHOT");
    };
    assert!(if_exists.if_exists);
    assert_eq!(if_exists.snapshots, Some(vec!["s1".to_owned()]));
    assert_eq!(
        parse("DROP SNAPSHOT `s1` ON repo FORCE")?,
        drop(one, None, true)
    );
    assert_eq!(
        parse(r#"DROP SNAPSHOT ON repo WHERE SNAPSHOT = "s1""#)?,
        drop(one, None, false)
    );
    assert_eq!(
        parse(r#"DROP SNAPSHOT ON repo WHERE SNAPSHOT = "s1" AND TIMESTAMP = "t" FORCE"#)?,
        drop(one, Some((TimestampComparison::Equal, "t")), true)
    );
    // StarRocks' current forms.
    assert_eq!(
        parse("DROP SNAPSHOT ON repo WHERE TIMESTAMP <= '2024-01-01-12-00-00'")?,
        drop(
            None,
            Some((TimestampComparison::AtMost, "2024-01-01-12-00-00")),
            false
        )
    );
    assert_eq!(
        parse("drop snapshot on repo where timestamp >= 't' and snapshot = 'b'")?,
        drop(
            Some(&["b"]),
            Some((TimestampComparison::AtLeast, "t")),
            false
        )
    );
    assert_eq!(
        parse("DROP SNAPSHOT ON repo WHERE SNAPSHOT IN ('a', 'b', \"c\")")?,
        drop(Some(&["a", "b", "c"]), None, false)
    );
    for bad in [
        "DROP SNAPSHOT ON repo",
        "DROP SNAPSHOT ON repo WHERE SNAPSHOT > 'a'",
        "DROP SNAPSHOT ON repo WHERE SNAPSHOT LIKE 'a%'",
        "DROP SNAPSHOT ON repo WHERE TIMESTAMP < 't'",
        "DROP SNAPSHOT ON repo WHERE SNAPSHOT = 'a' AND SNAPSHOT = 'b'",
        "DROP SNAPSHOT ON repo WHERE SNAPSHOT = 'a' OR TIMESTAMP <= 't'",
        "DROP SNAPSHOT ON repo WHERE SNAPSHOT IN ()",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn create_repository_forms() -> Result {
    let s = parse(
        r#"CREATE READ ONLY REPOSITORY repo_name
WITH BROKER broker_name
ON LOCATION "s3a://bucket_s3/backup"
PROPERTIES ("aws.s3.access_key" = "XXXX", "aws.s3.secret_key"="yyyy",
    "aws.s3.endpoint" = "s3.us-east-1.amazonaws.com")"#,
    )?;
    assert_eq!(
        s,
        Statement::CreateRepository(CreateRepository {
            read_only: true,
            name: "repo_name".into(),
            broker: Some(Broker::Named("broker_name".into())),
            location: "s3a://bucket_s3/backup".into(),
            properties: props(&[
                ("aws.s3.access_key", "XXXX"),
                ("aws.s3.secret_key", "yyyy"),
                ("aws.s3.endpoint", "s3.us-east-1.amazonaws.com"),
            ]),
        })
    );
    let s = parse(
        r#"CREATE REPOSITORY test_repo
WITH BROKER
ON LOCATION "hdfs://host:9000/repo_dir/backup"
PROPERTIES(
    "username" = "u",
    "password" = "p"
);"#,
    )?;
    let Statement::CreateRepository(repo) = s else {
        panic!("not a repository: {s:?}")
    };
    assert_eq!(repo.broker, Some(Broker::Default));
    assert!(!repo.read_only);
    let s = parse("CREATE REPOSITORY r ON LOCATION 'file:///tmp/repo'")?;
    let Statement::CreateRepository(repo) = s else {
        panic!("not a repository: {s:?}")
    };
    assert_eq!((repo.broker, repo.properties), (None, vec![]));
    Ok(())
}

#[test]
fn repository_and_job_statements() -> Result {
    assert_eq!(
        parse("DROP REPOSITORY `r`")?,
        Statement::DropRepository {
            if_exists: false,
            name: "r".into()
        }
    );
    assert_eq!(
        parse("DROP REPOSITORY IF EXISTS r")?,
        Statement::DropRepository {
            if_exists: true,
            name: "r".into()
        }
    );
    assert_eq!(parse("show repositories")?, Statement::ShowRepositories);
    assert_eq!(
        parse("alter repository `r` refresh iceberg")?,
        Statement::RefreshIceberg {
            repository: "r".into()
        }
    );
    assert!(parse("ALTER REPOSITORY r REFRESH").is_err());
    let db = Some("db".to_owned());
    assert_eq!(
        parse("SHOW BACKUP")?,
        Statement::ShowBackup { database: None }
    );
    assert_eq!(
        parse("SHOW BACKUP FROM db")?,
        Statement::ShowBackup {
            database: db.clone()
        }
    );
    assert_eq!(
        parse("SHOW RESTORE IN db")?,
        Statement::ShowRestore {
            database: db.clone()
        }
    );
    assert_eq!(
        parse("CANCEL BACKUP FROM db")?,
        Statement::CancelBackup {
            database: db.clone()
        }
    );
    assert_eq!(
        parse("CANCEL RESTORE FROM db")?,
        Statement::CancelRestore { database: db }
    );
    Ok(())
}

// ---- databases and SHOW ------------------------------------------------------------------------

#[test]
fn database_statements() -> Result {
    assert_eq!(
        parse("create database if not exists `my db`")?,
        Statement::CreateDatabase {
            if_not_exists: true,
            name: "my db".into()
        }
    );
    assert_eq!(
        parse("DROP DATABASE IF EXISTS d FORCE")?,
        Statement::DropDatabase {
            if_exists: true,
            name: "d".into(),
            force: true
        }
    );
    assert_eq!(
        parse("USE d")?,
        Statement::Use {
            database: "d".into()
        }
    );
    assert_eq!(parse("SHOW DATABASES")?, Statement::ShowDatabases);
    assert_eq!(
        parse("SHOW TABLE STATUS")?,
        Statement::ShowTableStatus {
            database: None,
            filter: None
        }
    );
    assert_eq!(
        parse("show table status in d like 'o%'")?,
        Statement::ShowTableStatus {
            database: Some("d".into()),
            filter: Some(ShowFilter::Like("o%".into()))
        }
    );
    let Statement::ShowTableStatus {
        database,
        filter: Some(ShowFilter::Where(condition)),
    } = parse("SHOW TABLE STATUS FROM d WHERE Rows > 10 AND `Name` <> ';'")?
    else {
        panic!("not SHOW TABLE STATUS … WHERE");
    };
    assert_eq!(database.as_deref(), Some("d"));
    assert_eq!(condition.to_string(), "Rows > 10 AND `Name` <> ';'");
    assert!(parse("SHOW TABLE d").is_err());
    assert_eq!(
        parse("SHOW TABLES")?,
        Statement::ShowTables {
            database: None,
            full: false
        }
    );
    assert_eq!(
        parse("SHOW TABLES FROM d")?,
        Statement::ShowTables {
            database: Some("d".into()),
            full: false
        }
    );
    assert_eq!(
        parse("SHOW PARTITIONS FROM d.t")?,
        Statement::ShowPartitions {
            table: name(Some("d"), "t")
        }
    );
    assert_eq!(
        parse("SHOW CREATE TABLE t")?,
        Statement::ShowCreateTable {
            table: name(None, "t")
        }
    );
    assert_eq!(
        parse("DESC t")?,
        Statement::Describe {
            table: name(None, "t")
        }
    );
    assert_eq!(
        parse("DESCRIBE d.t")?,
        Statement::Describe {
            table: name(Some("d"), "t")
        }
    );
    Ok(())
}

// ---- tables ------------------------------------------------------------------------------------

#[test]
fn create_table_with_every_clause() -> Result {
    let s = parse(
        r#"CREATE TABLE IF NOT EXISTS example_db.sales (
    id BIGINT NOT NULL COMMENT 'row id',
    dt DATE NOT NULL,
    city VARCHAR(64) NULL DEFAULT "unknown",
    amount DECIMAL(10, 2) DEFAULT "0",
    flag BOOLEAN DEFAULT true,
    ts DATETIME DEFAULT CURRENT_TIMESTAMP,
    n INT(11) DEFAULT -5,
    big LARGEINT, t TINYINT, s SMALLINT, i INTEGER, f FLOAT, d DOUBLE,
    c CHAR(8), v VARCHAR, str STRING, d3 DECIMALV3(38), d2 DECIMAL
) ENGINE=OLAP
DUPLICATE KEY(id, dt)
COMMENT "sales facts"
PARTITION BY RANGE(dt) (
    PARTITION p1 VALUES LESS THAN ("2024-01-01"),
    PARTITION p2 VALUES [("2024-01-01"), ("2024-02-01")),
    PARTITION pmax VALUES LESS THAN MAXVALUE,
    PARTITION p3 VALUES LESS THAN (MAXVALUE)
)
DISTRIBUTED BY HASH(id) BUCKETS 8
PROPERTIES ("replication_num" = "1", "compression" = "zstd");"#,
    )?;
    let Statement::CreateTable(table) = s else {
        panic!("not a table: {s:?}")
    };
    let column = |n: &str, data_type| ColumnSpec {
        name: n.into(),
        data_type,
        nullable: None,
        default: None,
        comment: None,
    };
    assert_eq!(
        table.columns[0],
        ColumnSpec {
            nullable: Some(false),
            comment: Some("row id".into()),
            ..column("id", DataType::BigInt)
        }
    );
    assert_eq!(
        table.columns[2],
        ColumnSpec {
            nullable: Some(true),
            default: Some(DefaultValue::Literal(string("unknown"))),
            ..column("city", DataType::Varchar(Some(64)))
        }
    );
    assert_eq!(
        table.columns[3].data_type,
        DataType::Decimal {
            precision: Some(10),
            scale: Some(2)
        }
    );
    assert_eq!(
        table.columns[4].default,
        Some(DefaultValue::Literal(Literal::Boolean(true)))
    );
    assert_eq!(
        table.columns[5].default,
        Some(DefaultValue::CurrentTimestamp)
    );
    assert_eq!(
        table.columns[6],
        ColumnSpec {
            default: Some(DefaultValue::Literal(Literal::Number("-5".into()))),
            ..column("n", DataType::Int)
        }
    );
    let types: Vec<DataType> = table.columns[7..].iter().map(|c| c.data_type).collect();
    assert_eq!(
        types,
        vec![
            DataType::LargeInt,
            DataType::TinyInt,
            DataType::SmallInt,
            DataType::Int,
            DataType::Float,
            DataType::Double,
            DataType::Char(Some(8)),
            DataType::Varchar(None),
            DataType::String,
            DataType::Decimal {
                precision: Some(38),
                scale: None
            },
            DataType::Decimal {
                precision: None,
                scale: None
            },
        ]
    );
    assert!(table.if_not_exists);
    assert_eq!(table.name, name(Some("example_db"), "sales"));
    assert_eq!(table.engine.as_deref(), Some("OLAP"));
    assert_eq!(
        table.keys,
        Some(KeysSpec {
            kind: KeyKind::Duplicate,
            columns: strings(&["id", "dt"])
        })
    );
    assert_eq!(table.comment.as_deref(), Some("sales facts"));
    assert_eq!(
        table.partition_by,
        Some(PartitionBy {
            kind: PartitionKind::Range,
            column: "dt".into(),
            partitions: vec![
                PartitionSpec {
                    name: "p1".into(),
                    values: PartitionValues::LessThan(Some(string("2024-01-01")))
                },
                PartitionSpec {
                    name: "p2".into(),
                    values: PartitionValues::Between {
                        lower: string("2024-01-01"),
                        upper: string("2024-02-01")
                    }
                },
                PartitionSpec {
                    name: "pmax".into(),
                    values: PartitionValues::LessThan(None)
                },
                PartitionSpec {
                    name: "p3".into(),
                    values: PartitionValues::LessThan(None)
                },
            ],
        })
    );
    assert_eq!(
        table.distribution,
        Some(DistributionSpec::Hash {
            columns: strings(&["id"]),
            buckets: Some(8)
        })
    );
    assert_eq!(
        table.properties,
        props(&[("replication_num", "1"), ("compression", "zstd")])
    );
    Ok(())
}

#[test]
fn create_table_minimal_and_list_partitioned() -> Result {
    let s = parse("CREATE TABLE t (k INT)")?;
    assert_eq!(
        s,
        Statement::CreateTable(CreateTable {
            if_not_exists: false,
            name: name(None, "t"),
            columns: vec![ColumnSpec {
                name: "k".into(),
                data_type: DataType::Int,
                nullable: None,
                default: None,
                comment: None
            }],
            engine: None,
            keys: None,
            comment: None,
            partition_by: None,
            distribution: None,
            properties: vec![],
        })
    );
    let s = parse(
        "CREATE TABLE t (k INT NOT NULL, c STRING) PRIMARY KEY(k) \
         PARTITION BY LIST(c) (PARTITION pa VALUES IN ('a', 'b'), PARTITION pc VALUES IN (\"c\")) \
         DISTRIBUTED BY RANDOM BUCKETS 3",
    )?;
    let Statement::CreateTable(table) = s else {
        panic!("not a table: {s:?}")
    };
    assert_eq!(table.keys.map(|k| k.kind), Some(KeyKind::Primary));
    let partition_by = table
        .partition_by
        .unwrap_or_else(|| panic!("no partitions"));
    assert_eq!(partition_by.kind, PartitionKind::List);
    assert_eq!(
        partition_by.partitions[0].values,
        PartitionValues::In(vec![string("a"), string("b")])
    );
    assert_eq!(
        table.distribution,
        Some(DistributionSpec::Random { buckets: Some(3) })
    );
    let s = parse("CREATE TABLE t (k INT) PARTITION BY RANGE(k) () DISTRIBUTED BY HASH(k)")?;
    let Statement::CreateTable(table) = s else {
        panic!("not a table: {s:?}")
    };
    assert_eq!(table.partition_by.map(|p| p.partitions), Some(vec![]));
    Ok(())
}

#[test]
fn drop_truncate_and_alter_table() -> Result {
    assert_eq!(
        parse("DROP TABLE IF EXISTS d.t FORCE")?,
        Statement::DropTable {
            if_exists: true,
            table: name(Some("d"), "t"),
            force: true
        }
    );
    assert_eq!(
        parse("TRUNCATE TABLE t")?,
        Statement::TruncateTable {
            table: name(None, "t"),
            partitions: vec![]
        }
    );
    let expected = Statement::TruncateTable {
        table: name(None, "t"),
        partitions: strings(&["p1", "p2"]),
    };
    assert_eq!(parse("TRUNCATE TABLE t PARTITION (p1, p2)")?, expected);
    assert_eq!(parse("TRUNCATE TABLE t PARTITIONS (p1, p2)")?, expected);
    assert_eq!(
        parse("ALTER TABLE t ADD PARTITION IF NOT EXISTS p4 VALUES LESS THAN (\"100\")")?,
        Statement::AlterTable {
            table: name(None, "t"),
            action: AlterTableAction::AddPartition {
                if_not_exists: true,
                partition: PartitionSpec {
                    name: "p4".into(),
                    values: PartitionValues::LessThan(Some(string("100")))
                }
            }
        }
    );
    assert_eq!(
        parse("ALTER TABLE t DROP PARTITION IF EXISTS p4 FORCE")?,
        Statement::AlterTable {
            table: name(None, "t"),
            action: AlterTableAction::DropPartition {
                if_exists: true,
                name: "p4".into(),
                force: true
            }
        }
    );
    Ok(())
}

// ---- views, queries and DML --------------------------------------------------------------------

#[test]
fn views_keep_their_query_text() -> Result {
    let s = parse("CREATE OR REPLACE VIEW IF NOT EXISTS d.v (a, b) AS SELECT x, y FROM t -- c\n;")?;
    let Statement::CreateView(view) = s else {
        panic!("not a view: {s:?}")
    };
    assert!(view.or_replace && view.if_not_exists);
    assert_eq!(view.name, name(Some("d"), "v"));
    assert_eq!(view.columns, strings(&["a", "b"]));
    assert_eq!(view.query, "SELECT x, y FROM t");
    assert_eq!(
        parse("DROP VIEW IF EXISTS v")?,
        Statement::DropView {
            if_exists: true,
            view: name(None, "v")
        }
    );
    Ok(())
}

/// The query of a query statement, as sqlparser prints it.
fn query_of(statement: &Statement) -> String {
    match statement {
        Statement::Query { query } => query.to_string(),
        other => panic!("not a query: {other:?}"),
    }
}

#[test]
fn queries_are_parsed_to_their_end() -> Result {
    let sql = "  select a, ';' as `x;`, \"(\" from t where (b = 'it''s;' or c in (1, 2))  \
               /* ; */ -- trailing\n ; with q as (select 1) select * from q";
    let statements = parse_statements(sql)?;
    assert_eq!(
        statements.iter().map(query_of).collect::<Vec<_>>(),
        vec![
            "SELECT a, ';' AS `x;`, \"(\" FROM t WHERE (b = 'it''s;' OR c IN (1, 2))",
            "WITH q AS (SELECT 1) SELECT * FROM q",
        ]
    );
    assert_eq!(
        query_of(&parse("(SELECT 1) UNION (SELECT 2)")?),
        "(SELECT 1) UNION (SELECT 2)"
    );
    assert_eq!(
        query_of(&parse("EXPLAIN SELECT count(*) FROM t")?),
        "EXPLAIN SELECT count(*) FROM t"
    );
    Ok(())
}

#[test]
fn query_syntax_errors_point_at_the_token() {
    let error = parse("SELECT a FROM t WHERE (b = 1").expect_err("unbalanced");
    assert_eq!(error.found, "end of input", "{error}");
    let error = parse("SELECT a FROM t WHERE b = = 1").expect_err("two operators");
    assert_eq!(
        (error.line, error.column, error.found.as_str()),
        (1, 27, "'='"),
        "{error}"
    );
    let error = parse("SELECT a\nFROM t t2 t3").expect_err("two aliases");
    assert_eq!(
        (error.line, error.column, error.found.as_str()),
        (2, 11, "'t3'"),
        "{error}"
    );
}

#[test]
fn insert_values_and_queries() -> Result {
    let s = parse(
        "INSERT INTO d.t PARTITION (p1) (a, b, c, d) VALUES (1, -2.5, 'x', NULL), \
         (DEFAULT, now(), 1 + 2, TRUE)",
    )?;
    let literal = |l| InsertValue::Literal(l);
    assert_eq!(
        s,
        Statement::Insert(Insert {
            overwrite: false,
            table: name(Some("d"), "t"),
            partitions: strings(&["p1"]),
            columns: strings(&["a", "b", "c", "d"]),
            source: InsertSource::Values(vec![
                vec![
                    literal(Literal::Number("1".into())),
                    literal(Literal::Number("-2.5".into())),
                    literal(string("x")),
                    literal(Literal::Null),
                ],
                vec![
                    InsertValue::Default,
                    InsertValue::Expr(Box::new(expr("now()"))),
                    InsertValue::Expr(Box::new(expr("1 + 2"))),
                    literal(Literal::Boolean(true)),
                ],
            ]),
        })
    );
    let insert_query = |sql| -> std::result::Result<(Vec<String>, String), ParseError> {
        match parse(sql)? {
            Statement::Insert(Insert {
                columns,
                source: InsertSource::Query(query),
                ..
            }) => Ok((columns, query.to_string())),
            other => panic!("not an insert of a query: {other:?}"),
        }
    };
    assert_eq!(
        insert_query("INSERT INTO t SELECT * FROM s WHERE x > 1")?,
        (vec![], "SELECT * FROM s WHERE x > 1".into())
    );
    assert_eq!(
        insert_query("INSERT INTO t (a) WITH q AS (SELECT 1) SELECT * FROM q")?,
        (
            strings(&["a"]),
            "WITH q AS (SELECT 1) SELECT * FROM q".into()
        )
    );
    assert_eq!(
        insert_query("INSERT INTO t (SELECT 1)")?,
        (vec![], "(SELECT 1)".into())
    );
    let Statement::Insert(insert) = parse("INSERT OVERWRITE t VALUES (1)")? else {
        panic!("not an insert")
    };
    assert!(insert.overwrite);
    Ok(())
}

#[test]
fn delete_parses_its_condition() -> Result {
    assert_eq!(
        parse("DELETE FROM d.t PARTITION p1 WHERE k = 'a;b' AND (v > 1);")?,
        Statement::Delete(Delete {
            table: name(Some("d"), "t"),
            partitions: strings(&["p1"]),
            predicate: Box::new(expr("k = 'a;b' AND (v > 1)")),
        })
    );
    assert!(parse("DELETE FROM t WHERE k = = 1").is_err());
    Ok(())
}

// ---- users, roles and privileges ---------------------------------------------------------------

#[test]
fn users_and_roles() -> Result {
    let user = |name: &str, host: Option<&str>| UserIdentity {
        name: name.into(),
        host: host.map(str::to_owned),
    };
    assert_eq!(
        parse("CREATE USER IF NOT EXISTS 'jack'@'%' IDENTIFIED BY 'p@ss'")?,
        Statement::CreateUser {
            if_not_exists: true,
            user: user("jack", Some("%")),
            password: Some(NewPassword::Plain("p@ss".into()))
        }
    );
    let hash = "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9";
    for (sql, who, password) in [
        (
            "ALTER USER 'jack'@'%' IDENTIFIED BY 'n3w'".to_owned(),
            Some(user("jack", Some("%"))),
            NewPassword::Plain("n3w".into()),
        ),
        (
            format!("alter user jack identified by password '{hash}'"),
            Some(user("jack", None)),
            NewPassword::NativeHash(hash.into()),
        ),
        (
            "SET PASSWORD = PASSWORD('n3w')".to_owned(),
            None,
            NewPassword::Plain("n3w".into()),
        ),
        (
            "SET PASSWORD FOR 'jack' = 'n3w'".to_owned(),
            Some(user("jack", None)),
            NewPassword::Plain("n3w".into()),
        ),
        (
            format!("SET PASSWORD FOR jack@'%' = '{hash}'"),
            Some(user("jack", Some("%"))),
            NewPassword::NativeHash(hash.into()),
        ),
    ] {
        assert_eq!(
            parse(&sql)?,
            Statement::SetPassword {
                user: who,
                password
            },
            "{sql}"
        );
    }
    for bad in [
        "ALTER USER jack IDENTIFIED BY PASSWORD 'plain'",
        "ALTER USER jack",
        "SET PASSWORD 'x'",
        "SET PASSWORD = PASSWORD 'x'",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(!format!("{:?}", NewPassword::Plain("s3cret".into())).contains("s3cret"));
    assert_eq!(
        parse("CREATE USER jack")?,
        Statement::CreateUser {
            if_not_exists: false,
            user: user("jack", None),
            password: None
        }
    );
    assert_eq!(
        parse("DROP USER 'jack'")?,
        Statement::DropUser {
            if_exists: false,
            user: user("jack", None)
        }
    );
    assert_eq!(
        parse("CREATE ROLE analyst")?,
        Statement::CreateRole {
            if_not_exists: false,
            name: "analyst".into()
        }
    );
    assert_eq!(
        parse("DROP ROLE IF EXISTS analyst")?,
        Statement::DropRole {
            if_exists: true,
            name: "analyst".into()
        }
    );
    assert_eq!(parse("SHOW GRANTS")?, Statement::ShowGrants { user: None });
    assert_eq!(
        parse("SHOW GRANTS FOR 'jack'@'localhost'")?,
        Statement::ShowGrants {
            user: Some(user("jack", Some("localhost")))
        }
    );
    Ok(())
}

#[test]
fn grants_and_revokes() -> Result {
    let jack = Grantee::User(UserIdentity {
        name: "jack".into(),
        host: None,
    });
    assert_eq!(
        parse("GRANT db_admin TO USER 'jack'")?,
        Statement::Grant(Grant {
            items: GrantItems::Roles(strings(&["db_admin"])),
            grantee: jack.clone()
        })
    );
    assert_eq!(
        parse("GRANT root, r2 TO 'jack'")?,
        Statement::Grant(Grant {
            items: GrantItems::Roles(strings(&["root", "r2"])),
            grantee: jack.clone()
        })
    );
    let privileges = |privileges: Vec<Privilege>, on| GrantItems::Privileges { privileges, on };
    assert_eq!(
        parse("grant select, insert on db.* to user 'jack'")?,
        Statement::Grant(Grant {
            items: privileges(
                vec![Privilege::Select, Privilege::Insert],
                GrantObject::Database("db".into())
            ),
            grantee: jack.clone()
        })
    );
    assert_eq!(
        parse("GRANT ALL PRIVILEGES ON *.* TO ROLE admins")?,
        Statement::Grant(Grant {
            items: privileges(vec![Privilege::All], GrantObject::Global),
            grantee: Grantee::Role("admins".into())
        })
    );
    assert_eq!(
        parse("REVOKE SELECT ON db.t FROM 'jack'")?,
        Statement::Revoke(Grant {
            items: privileges(
                vec![Privilege::Select],
                GrantObject::Table(name(Some("db"), "t"))
            ),
            grantee: jack.clone()
        })
    );
    assert_eq!(
        parse("GRANT INSERT ON TABLE t TO ROLE r")?,
        parse("GRANT INSERT ON t TO ROLE r")?
    );
    assert_eq!(
        parse("GRANT SELECT ON DATABASE db TO 'jack'")?,
        parse("GRANT SELECT ON db.* TO 'jack'")?
    );
    assert_eq!(
        parse("REVOKE db_admin FROM USER 'jack'")?,
        Statement::Revoke(Grant {
            items: GrantItems::Roles(strings(&["db_admin"])),
            grantee: jack
        })
    );
    Ok(())
}

// ---- lexical details ---------------------------------------------------------------------------

#[test]
fn identifiers_strings_and_comments() -> Result {
    assert_eq!(
        parse("USE `we``ird name`")?,
        Statement::Use {
            database: "we`ird name".into()
        }
    );
    let s = parse(
        "# leading comment\nCREATE /* inline */ USER 'o''brien' IDENTIFIED BY \"a\\\"b\\\\c\\n\" -- end",
    )?;
    assert_eq!(
        s,
        Statement::CreateUser {
            if_not_exists: false,
            user: UserIdentity {
                name: "o'brien".into(),
                host: None
            },
            password: Some(NewPassword::Plain("a\"b\\c\n".into()))
        }
    );
    Ok(())
}

#[test]
fn statement_lists() -> Result {
    assert_eq!(parse_statements("")?, vec![]);
    assert_eq!(parse_statements(" ;; -- only comments\n/* */ ;")?, vec![]);
    assert_eq!(
        parse_statements("SHOW DATABASES; ; SHOW REPOSITORIES")?,
        vec![Statement::ShowDatabases, Statement::ShowRepositories]
    );
    let e = parse_statement("SHOW DATABASES; SHOW TABLES").err();
    assert_eq!(
        e.map(|e| (e.offset, e.expected)),
        Some((16, "end of input".to_owned()))
    );
    let e = parse_statement("   ").err();
    assert_eq!(e.map(|e| e.found), Some("end of input".to_owned()));
    Ok(())
}

// ---- errors ------------------------------------------------------------------------------------

#[test]
fn errors_name_the_position_what_was_found_and_what_was_expected() {
    let e = error("BACKUP SNAPSHOT db.s repo");
    assert_eq!((e.line, e.column, e.offset), (1, 22, 21));
    assert_eq!(
        e.to_string(),
        "syntax error at line 1, column 22: expected TO, found 'repo'"
    );

    let e = error("SHOW DATABASES;\nCREATE TABLE t (a INT,\n  b VARCHR(3))");
    assert_eq!((e.line, e.column), (3, 5));
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("column type", "'VARCHR'")
    );

    let e = error("RESTORE SNAPSHOT s FROM r PROPERTIES (\"a\" = 1)");
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("string literal", "'1'")
    );

    let e = error("SHOW SNAPSHOT ON r WHERE SNAPSHOT = \"s\" AND");
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("TIMESTAMP", "end of input")
    );
    assert_eq!(e.offset, 43);

    let e = error("FROB x");
    assert!(e.expected.starts_with("one of CREATE, DROP"), "{e}");

    let e = error("GRANT SELECT, FLY ON db.* TO 'u'");
    assert_eq!(e.found, "'FLY'");
    assert_eq!(e.column, 15);

    let e = error("SELECT (1");
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("')'", "end of input")
    );

    let e = error("SELECT 1)");
    assert_eq!((e.expected.as_str(), e.found.as_str()), ("';'", "')'"));

    let e = error("CREATE USER 'u\nx");
    assert_eq!(
        (e.line, e.column, e.found.as_str()),
        (1, 13, "end of input")
    );

    let e = error("INSERT INTO t VALUES (1, 2");
    assert_eq!(e.expected, "',' or ')'");

    let e = error("CREATE TABLE t (d DECIMAL(300, 2))");
    assert_eq!(e.expected, "precision (0 to 255)");

    let e = error("DELETE FROM t WHERE");
    assert_eq!(e.expected, "condition");
}
