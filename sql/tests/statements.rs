//! SQL behaviour that slt files cannot express well: SHOW CREATE TABLE round trips, SHOW
//! PARTITIONS / BACKUP / SNAPSHOT / REPOSITORIES / ADMIN VERIFY SNAPSHOT columns, privileges of non-admin users, and
//! users persisted across reopen.

mod common;

use common::{columns, root, root_in, rows, run};
use tabvault_sql::query::ImportPolicy;
use tabvault_sql::{Database, PARTITION_COLUMNS};

const ADMIN_DENIED: &str =
    "Access denied; you need (at least one of) the ADMIN privilege(s) for this operation";

#[test]
fn show_create_table_round_trips() {
    let (_dir, _db, mut s) = root();
    run(&mut s, "CREATE DATABASE a; CREATE DATABASE b; USE a");
    for ddl in [
        "CREATE TABLE t (k DATE NOT NULL, id INT, v DECIMAL(9, 3) DEFAULT '1.5' COMMENT 'value', s CHAR(4)) \
         DUPLICATE KEY(k) PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN ('2024-01-01'), \
         PARTITION p2 VALUES [('2024-02-01'), ('2024-03-01')), PARTITION p3 VALUES LESS THAN MAXVALUE) \
         DISTRIBUTED BY HASH(id) BUCKETS 3 PROPERTIES ('compression' = 'snappy', 'replication_num' = '2')",
        "CREATE TABLE u (id BIGINT, tag VARCHAR(5), ok BOOLEAN) PRIMARY KEY(id, tag) \
         PARTITION BY LIST(tag) (PARTITION pa VALUES IN ('a', 'b'), PARTITION pc VALUES IN ('c'))",
        "CREATE TABLE w (x LARGEINT, y DOUBLE, z DATETIME, q STRING)",
    ] {
        run(&mut s, "USE a");
        run(&mut s, ddl);
        let name = ddl.split_whitespace().nth(2).expect("name").to_owned();
        let shown = rows(&run(&mut s, &format!("SHOW CREATE TABLE {name}")))[0][1].clone();
        run(&mut s, "USE b");
        run(&mut s, &shown);
        let again = rows(&run(&mut s, &format!("SHOW CREATE TABLE {name}")))[0][1].clone();
        assert_eq!(shown, again, "SHOW CREATE TABLE does not round-trip");
        let a = s.database().engine().pin_table("a", &name).expect("a");
        let b = s.database().engine().pin_table("b", &name).expect("b");
        assert_eq!(a.schema(), b.schema());
        let bounds = |v: &tabvault_storage::TableVersion| {
            v.table()
                .partitions_in_order()
                .iter()
                .map(|p| (p.name.clone(), p.bound.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bounds(&a), bounds(&b));
    }
}

#[test]
fn show_partitions_reports_versions_rows_and_sizes() {
    let (_dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v INT) PRIMARY KEY(k) \
         PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (10), PARTITION p2 VALUES LESS THAN (20))",
    );
    run(&mut s, "INSERT INTO t VALUES (1, 1), (2, 2), (15, 3)");
    run(&mut s, "INSERT INTO t VALUES (1, 9)");
    let result = run(&mut s, "SHOW PARTITIONS FROM t");
    assert_eq!(columns(&result), PARTITION_COLUMNS);
    let table = rows(&result);
    assert_eq!(table[0][1], "p1");
    assert_eq!(table[0][2], "3", "created, then two commits");
    assert_eq!(table[0][11], "2", "upserted key counted once");
    assert_eq!(table[1][11], "1");
    assert!(table[0][10].parse::<u64>().expect("bytes") > 0);
}

#[test]
fn show_backup_snapshot_and_repositories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, mut s) = root_in(&dir.path().join("tabvault-data"));
    run(
        &mut s,
        "CREATE DATABASE example_db; USE example_db; CREATE TABLE t (k INT)",
    );
    run(&mut s, "INSERT INTO t VALUES (1)");
    run(&mut s, "CREATE REPOSITORY r ON LOCATION \"repo\"");
    assert!(
        dir.path().join("repo").exists(),
        "a relative location resolves next to the data directory"
    );
    let repos = run(&mut s, "SHOW REPOSITORIES");
    assert_eq!(
        columns(&repos),
        [
            "RepoId",
            "RepoName",
            "CreateTime",
            "IsReadOnly",
            "Location",
            "Broker",
            "ErrMsg"
        ]
    );
    assert_eq!(rows(&repos)[0][1], "r");
    assert_eq!(
        rows(&repos)[0][4],
        "repo",
        "the location as typed, not the server path it resolved to"
    );
    let started = run(&mut s, "BACKUP SNAPSHOT example_db.snap TO r");
    assert!(started.job.is_some());
    let backup = run(&mut s, "SHOW BACKUP");
    assert_eq!(
        columns(&backup)[..4],
        ["JobId", "SnapshotName", "DbName", "State"]
    );
    let row = &rows(&backup)[0];
    assert_eq!(
        (row[1].as_str(), row[2].as_str(), row[3].as_str()),
        ("snap", "example_db", "FINISHED")
    );
    let snapshots = run(&mut s, "SHOW SNAPSHOT ON r");
    assert_eq!(columns(&snapshots), ["Snapshot", "Timestamp", "Status"]);
    let listed = &rows(&snapshots)[0];
    assert_eq!((listed[0].as_str(), listed[2].as_str()), ("snap", "OK"));
    let detail = run(
        &mut s,
        &format!(
            "SHOW SNAPSHOT ON r WHERE SNAPSHOT = \"snap\" AND TIMESTAMP = \"{}\"",
            listed[1]
        ),
    );
    assert_eq!(
        columns(&detail),
        ["Snapshot", "Timestamp", "Database", "Details", "Status"]
    );
    run(
        &mut s,
        &format!(
            "RESTORE SNAPSHOT example_db.snap FROM r ON (t AS t2) PROPERTIES (\"backup_timestamp\" = \"{}\")",
            listed[1]
        ),
    );
    let restore = run(&mut s, "SHOW RESTORE FROM example_db");
    assert_eq!(
        columns(&restore)[..5],
        ["JobId", "Label", "Timestamp", "DbName", "State"]
    );
    assert_eq!(rows(&restore)[0][4], "FINISHED");
    assert_eq!(rows(&run(&mut s, "SELECT k FROM t2")), [["1"]]);
}

#[test]
fn admin_verify_snapshot_reports_each_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, mut s) = root_in(&dir.path().join("tabvault-data"));
    run(
        &mut s,
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 2;
         INSERT INTO t VALUES (1), (2), (3); CREATE REPOSITORY r ON LOCATION \"repo\";
         BACKUP SNAPSHOT d.snap TO r",
    );
    let verified = run(&mut s, "ADMIN VERIFY SNAPSHOT snap ON r");
    assert_eq!(
        columns(&verified),
        [
            "Timestamp",
            "File",
            "Role",
            "ExpectedSize",
            "Size",
            "ExpectedChecksum",
            "Checksum",
            "Status"
        ]
    );
    let table = rows(&verified);
    let roles: Vec<&str> = table.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(roles, ["INFO", "META", "DATA", "DATA"], "{table:?}");
    assert!(table.iter().all(|r| r[7] == "OK"), "{table:?}");
    assert_eq!(table[0][3], "NULL", "nothing vouches for an info file");
    assert_eq!((&table[2][3], &table[2][5]), (&table[2][4], &table[2][6]));

    // Replace (never modify in place: the repository hard-links the engine's file) one data file
    // with bytes of the same size.
    let damaged = dir.path().join("repo").join(&table[3][1]);
    let mut bytes = std::fs::read(&damaged).expect("read");
    bytes[0] ^= 1;
    let temp = damaged.with_extension("tmp");
    std::fs::write(&temp, bytes).expect("write");
    std::fs::rename(&temp, &damaged).expect("rename");
    let timestamp = &table[0][0];
    let again = rows(&run(
        &mut s,
        &format!(
            "ADMIN VERIFY SNAPSHOT snap ON r PROPERTIES (\"backup_timestamp\" = \"{timestamp}\")"
        ),
    ));
    let statuses: Vec<&str> = again.iter().map(|r| r[7].as_str()).collect();
    assert_eq!(
        statuses,
        ["OK", "OK", "OK", "CHECKSUM_MISMATCH"],
        "{again:?}"
    );
}

#[test]
fn non_admin_users_are_denied_admin_statements() {
    let (_dir, db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1);
         CREATE REPOSITORY r ON LOCATION \"memory://priv\";
         CREATE USER 'alice' IDENTIFIED BY 'pw'; GRANT SELECT ON d.* TO USER 'alice';",
    );
    assert!(db.session("alice", Some("wrong")).is_err());
    assert!(db.session("alice", None).is_err());
    let mut alice = db.session("alice", Some("pw")).expect("login");
    alice.execute("USE d").expect("use");
    assert_eq!(rows(&run(&mut alice, "SELECT k FROM t")), [["1"]]);
    for sql in [
        "BACKUP SNAPSHOT d.s TO r",
        "RESTORE SNAPSHOT d.s FROM r PROPERTIES (\"backup_timestamp\" = \"x\")",
        "CANCEL BACKUP FROM d",
        "CANCEL RESTORE FROM d",
        "CREATE REPOSITORY r2 ON LOCATION \"memory://x\"",
        "DROP REPOSITORY r",
        "DROP SNAPSHOT s ON r",
        "ADMIN VERIFY SNAPSHOT s ON r",
        "DROP SNAPSHOT ON r WHERE TIMESTAMP <= '2000-01-01-00-00-00'",
        "SELECT * FROM snapshot('r', 's', 't')",
        "SELECT k FROM t WHERE k IN (SELECT k FROM snapshot('r', 's', 't'))",
    ] {
        let err = alice.execute(sql).expect_err(sql).to_string();
        assert_eq!(err, ADMIN_DENIED, "{sql}");
    }
    let err = alice
        .execute("INSERT INTO t VALUES (2)")
        .expect_err("no insert")
        .to_string();
    assert!(err.contains("the INSERT privilege"), "{err}");
    let err = alice
        .execute("CREATE USER 'eve'")
        .expect_err("no grant")
        .to_string();
    assert!(err.contains("the GRANT privilege"), "{err}");
    run(&mut s, "GRANT db_admin TO USER 'alice'");
    let mut alice = db.session("alice", Some("pw")).expect("login");
    alice.set_wait_for_jobs(true);
    alice
        .execute("BACKUP SNAPSHOT d.s TO r")
        .expect("db_admin may back up");
    run(
        &mut s,
        "REVOKE db_admin FROM USER 'alice'; REVOKE SELECT ON d.* FROM USER 'alice'",
    );
    let mut alice = db.session("alice", Some("pw")).expect("login");
    let err = alice
        .execute("SELECT * FROM d.t")
        .expect_err("revoked")
        .to_string();
    assert!(err.contains("the SELECT privilege"), "{err}");
}

#[test]
fn users_survive_reopen_and_passwords_stay_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path()).expect("open");
        let mut s = db.root_session().expect("root");
        run(
            &mut s,
            "CREATE USER 'bob' IDENTIFIED BY 'hunter2'; GRANT INSERT ON d.* TO USER 'bob'",
        );
        let grants = rows(&run(&mut s, "SHOW GRANTS FOR 'bob'"));
        assert_eq!(grants, [["'bob'@'%'", "GRANT INSERT ON d.* TO 'bob'@'%'"]]);
    }
    let text =
        std::fs::read_to_string(dir.path().join(tabvault_sql::auth::USERS_FILE)).expect("users");
    assert!(!text.contains("hunter2"));
    let db = Database::open(dir.path()).expect("reopen");
    db.session("bob", Some("hunter2")).expect("bob persisted");
}

/// `FILES("path" = ..., "format" = ...)` in StarRocks' form bulk-loads Parquet and CSV files, and
/// an upper-case `GENERATE_SERIES` works like the lower-case one.
#[test]
fn files_table_function_loads_parquet_and_csv() {
    let (dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d; CREATE TABLE src (k BIGINT, v STRING) DUPLICATE KEY(k); \
         INSERT INTO src SELECT value, concat('v', CAST(value AS VARCHAR)) FROM GENERATE_SERIES(1, 50)",
    );
    let version = s.database().engine().pin_table("d", "src").expect("src");
    let file = version
        .table()
        .partitions
        .values()
        .next()
        .expect("partition")
        .tablets[0]
        .rowsets[0]
        .file
        .path
        .clone();
    let import = tempfile::tempdir().expect("import root");
    let parquet = import.path().join("src.parquet");
    std::fs::copy(dir.path().join(&file), &parquet).expect("copy");
    let csv_dir = import.path().join("csv");
    std::fs::create_dir(&csv_dir).expect("csv dir");
    std::fs::write(csv_dir.join("a.csv"), "k,v\n100,x\n101,y\n").expect("csv");
    let own = format!(
        "SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"parquet\")",
        dir.path().join(&file).display()
    );
    let disabled = s.execute(&own).expect_err("no import root yet");
    assert!(disabled.to_string().contains("disabled"), "{disabled}");
    s.database().set_import_policy(
        ImportPolicy::new(&[import.path().to_owned(), dir.path().to_owned()], 1 << 30)
            .expect("policy"),
    );
    let refused = s
        .execute(&own)
        .expect_err("the data directory is never read");
    assert!(refused.to_string().contains("data directory"), "{refused}");
    run(
        &mut s,
        "CREATE TABLE dst (k BIGINT, v STRING) DUPLICATE KEY(k)",
    );
    run(
        &mut s,
        &format!(
            "INSERT INTO dst SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"parquet\")",
            parquet.display()
        ),
    );
    run(
        &mut s,
        &format!(
            "INSERT INTO dst SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"csv\")",
            csv_dir.display()
        ),
    );
    let loaded = rows(&run(&mut s, "SELECT count(*), max(k) FROM dst"));
    let in_file = version
        .table()
        .partitions
        .values()
        .next()
        .expect("p")
        .tablets[0]
        .rowsets[0]
        .file
        .rows;
    assert_eq!(
        loaded,
        vec![vec![(in_file + 2).to_string(), "101".to_owned()]]
    );
    let err = s
        .execute("SELECT * FROM FILES(\"path\" = \"/nonexistent\", \"format\" = \"orc\")")
        .expect_err("orc is not supported");
    assert!(err.to_string().contains("orc"), "{err}");
}

/// `SET query_timeout = N` cancels a statement that runs longer (here one that would count 10^12
/// rows); `0` lifts the limit; a value that is not whole seconds is refused and changes nothing.
#[test]
fn query_timeout_cancels_a_long_statement() {
    let (_dir, _db, mut s) = root();
    let err = s
        .execute("SET query_timeout = 'soon'")
        .expect_err("not seconds");
    assert!(err.to_string().contains("can't be set"), "{err}");
    assert_eq!(s.query_timeout(), None);
    run(&mut s, "SET query_timeout = 1");
    assert_eq!(s.query_timeout(), Some(std::time::Duration::from_secs(1)));
    let err = s
        .execute("SELECT count(*) FROM generate_series(1, 1000000000000)")
        .expect_err("cancelled");
    assert!(matches!(err, tabvault_sql::SqlError::Timeout(1)), "{err}");
    run(&mut s, "SET query_timeout = 0");
    assert_eq!(
        rows(&run(&mut s, "SELECT 1 + 1")),
        vec![vec!["2".to_owned()]]
    );
}

/// A statement whose join makes millions of rows from a few input batches (here 9·10^8 pairs, all
/// filtered out) is cancelled by `query_timeout` like any other.
#[test]
fn query_timeout_cancels_a_join_that_never_waits() {
    let (_dir, _db, mut s) = root();
    run(&mut s, "SET query_timeout = 1");
    let err = s
        .execute(
            "SELECT a.value FROM range(30000) AS a CROSS JOIN range(30000) AS b \
             WHERE a.value + b.value < 0",
        )
        .expect_err("cancelled");
    assert!(matches!(err, tabvault_sql::SqlError::Timeout(1)), "{err}");
}

/// `SHOW VARIABLES [LIKE …]` is a statement: it shows what the session set over the defaults.
#[test]
fn show_variables_shows_the_session_values() {
    let (_dir, _db, mut s) = root();
    run(&mut s, "SET query_timeout = 7");
    let shown = rows(&run(&mut s, "SHOW SESSION VARIABLES LIKE 'query\\_time%'"));
    assert_eq!(
        shown,
        vec![vec!["query_timeout".to_owned(), "7".to_owned()]]
    );
    let all = rows(&run(&mut s, "SHOW VARIABLES"));
    assert!(
        all.iter().any(|r| r[0] == "autocommit" && r[1] == "1"),
        "{all:?}"
    );
    assert!(
        s.execute("SHOW VARIABLES LIKE").is_err(),
        "a pattern is needed"
    );
}

/// SHOW PROCESSLIST lists every session to an admin and one's own to others; KILL QUERY
/// interrupts another session's running statement (here one that would count 10^12 rows) and
/// leaves the session usable; KILL of an unknown id, or of another user's session without
/// ADMIN, is refused.
#[test]
fn kill_query_interrupts_another_sessions_statement() {
    let (_dir, db, mut admin) = root();
    run(&mut admin, "CREATE USER bob IDENTIFIED BY 'pw'");
    let mut bob = db.session("bob", Some("pw")).expect("bob");
    let mut busy = db.root_session().expect("root");
    let busy_id = busy.process_id();
    let worker = std::thread::spawn(move || {
        let outcome = busy.execute("SELECT count(*) FROM generate_series(1, 1000000000000)");
        (busy, outcome)
    });
    // Wait for the statement to be listed (it runs until killed, so this always ends).
    loop {
        let list = rows(&run(&mut admin, "SHOW FULL PROCESSLIST"));
        let running = list.iter().any(|r| {
            r[0] == busy_id.to_string() && r[4] == "Query" && r[8].contains("generate_series")
        });
        if running {
            break;
        }
        std::thread::yield_now();
    }
    let seen_by_bob = rows(&run(&mut bob, "SHOW PROCESSLIST"));
    assert!(
        seen_by_bob.iter().all(|r| r[1] == "bob"),
        "bob sees only his own sessions: {seen_by_bob:?}"
    );
    let err = bob
        .execute(&format!("KILL QUERY {busy_id}"))
        .expect_err("not bob's");
    assert!(
        matches!(err, tabvault_sql::SqlError::NotProcessOwner(id) if id == busy_id),
        "{err}"
    );
    let err = admin.execute("KILL 999999").expect_err("unknown");
    assert!(
        matches!(err, tabvault_sql::SqlError::NoSuchProcess(999_999)),
        "{err}"
    );

    run(&mut admin, &format!("KILL QUERY {busy_id}"));
    let (mut busy, outcome) = worker.join().expect("worker");
    let err = outcome.expect_err("interrupted");
    assert!(matches!(err, tabvault_sql::SqlError::Interrupted), "{err}");
    assert_eq!(
        rows(&run(&mut busy, "SELECT 1 + 1")),
        vec![vec!["2".to_owned()]]
    );
    let list = rows(&run(&mut admin, "SHOW PROCESSLIST"));
    let row = list
        .iter()
        .find(|r| r[0] == busy_id.to_string())
        .expect("listed");
    assert_eq!(row[4], "Sleep");
    drop(busy);
    let list = rows(&run(&mut admin, "SHOW PROCESSLIST"));
    assert!(
        list.iter().all(|r| r[0] != busy_id.to_string()),
        "a closed session leaves"
    );
}

/// A query streams from the table version pinned when it was planned: dropping the table and
/// collecting garbage while its rows are being read removes no file it still reads, and the files
/// go once the stream is done.
#[test]
fn a_streaming_query_keeps_its_files_while_the_table_is_dropped() {
    let (_dir, db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2;
         INSERT INTO t SELECT value, value AS w FROM generate_series(1, 100000)",
    );
    let statement = tabvault_sql::parse_statement("SELECT k FROM t").expect("parses");
    let tabvault_sql::Output::Rows(mut stream) = s.execute_streaming(&statement).expect("runs")
    else {
        panic!("a query streams");
    };
    let first = stream.next().expect("a first batch").expect("read");
    assert!(first.num_rows() < 100_000, "rows arrive in batches");
    let mut other = db.root_session().expect("root");
    run(&mut other, "DROP TABLE d.t FORCE");
    db.engine().collect_garbage();
    let rest: usize = stream.map(|b| b.expect("read").num_rows()).sum();
    assert_eq!(first.num_rows() + rest, 100_000);
    assert!(
        db.engine().collect_garbage() > 0,
        "the files go once no one reads them"
    );
}

/// `count(*)`, `min` and `max` of a DUPLICATE KEY table without a filter are answered from the
/// recorded row counts and bounds (no file read); a filter on the key, `LIMIT` and a PRIMARY KEY
/// table still give the right rows.
#[test]
fn scans_answer_from_metadata_and_push_down_limits() {
    let (_dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k BIGINT, v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4;
         INSERT INTO t SELECT value, value * 2 AS w FROM generate_series(1, 50000);
         CREATE TABLE p (k BIGINT, v BIGINT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4;
         INSERT INTO p SELECT value, value AS w FROM generate_series(1, 1000);
         INSERT INTO p SELECT value, 0 AS w FROM generate_series(1, 10)",
    );
    let plan = rows(&run(&mut s, "EXPLAIN SELECT count(*) FROM t"));
    let physical = plan.iter().find(|r| r[0] == "physical_plan").expect("plan");
    assert!(physical[1].contains("50000 as count(*)"), "{physical:?}");
    let plan = rows(&run(&mut s, "EXPLAIN SELECT * FROM t LIMIT 3"));
    let physical = plan.iter().find(|r| r[0] == "physical_plan").expect("plan");
    assert!(physical[1].contains("limit=3"), "{physical:?}");
    assert_eq!(
        rows(&run(
            &mut s,
            "SELECT count(*), sum(v) FROM t WHERE k <= 100"
        )),
        vec![vec!["100".to_owned(), "10100".to_owned()]]
    );
    assert_eq!(run(&mut s, "SELECT * FROM t LIMIT 3").row_count(), 3);
    // `k = const` on the HASH column reads only that value's bucket: one file of the four.
    let plan = rows(&run(&mut s, "EXPLAIN SELECT * FROM t WHERE k = 4242"));
    let physical = plan.iter().find(|r| r[0] == "physical_plan").expect("plan");
    assert_eq!(physical[1].matches(".parquet").count(), 1, "{physical:?}");
    assert_eq!(
        rows(&run(&mut s, "SELECT k, v FROM t WHERE k = 4242")),
        vec![vec!["4242".to_owned(), "8484".to_owned()]]
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT k, v FROM p WHERE k = 7")),
        vec![vec!["7".to_owned(), "0".to_owned()]]
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT count(*), sum(v) FROM p")),
        vec![vec!["1000".to_owned(), "500445".to_owned()]]
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT count(*) FROM p WHERE v = 0")),
        vec![vec!["10".to_owned()]]
    );
    // min/max from the recorded bounds, also over a column with NULLs; a filter reads files.
    run(&mut s, "INSERT INTO t (k) VALUES (0), (-7)");
    let plan = rows(&run(
        &mut s,
        "EXPLAIN SELECT min(k), max(k), min(v), max(v) FROM t",
    ));
    let physical = plan.iter().find(|r| r[0] == "physical_plan").expect("plan");
    assert!(!physical[1].contains(".parquet"), "{physical:?}");
    assert_eq!(
        rows(&run(
            &mut s,
            "SELECT min(k), max(k), min(v), max(v), count(*) FROM t"
        )),
        vec![
            vec!["-7", "50000", "2", "100000", "50002"]
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        ]
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT min(v), max(k) FROM t WHERE k < 10")),
        vec![vec!["2".to_owned(), "9".to_owned()]]
    );
}

/// DUPLICATE KEY rowsets are written sorted by the key (equal keys keep their order), so one
/// tablet's file reads back in key order.
#[test]
fn duplicate_key_rows_are_stored_sorted_by_key() {
    let (_dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1;
         INSERT INTO t VALUES (3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')",
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT k, v FROM t")),
        [["1", "b"], ["1", "e"], ["2", "d"], ["3", "a"], ["3", "c"]]
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

/// `ALTER TABLE t [BASE|CUMULATIVE] COMPACT [(p, …)]` merges rowsets now: CUMULATIVE leaves the
/// oldest, COMPACT merges all; rows never change; an unknown partition merges nothing.
#[test]
fn alter_table_compact_merges_rowsets() {
    let (_dir, db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k INT, v INT) DUPLICATE KEY(k)
         PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (100), PARTITION p2 VALUES LESS THAN (200))
         DISTRIBUTED BY HASH(k) BUCKETS 1;
         INSERT INTO t VALUES (3, 1), (150, 1); INSERT INTO t VALUES (1, 2), (160, 2);
         INSERT INTO t VALUES (2, 3), (170, 3)",
    );
    let rowsets = |name: &str| -> usize {
        let version = db.engine().pin_table("d", "t").expect("pin");
        let partition = version.table().partition(name).expect("partition");
        partition.tablets.iter().map(|t| t.rowsets.len()).sum()
    };
    let all = "SELECT k, v FROM t ORDER BY k";
    let before = rows(&run(&mut s, all));
    assert_eq!((rowsets("p1"), rowsets("p2")), (3, 3));
    let err = s
        .execute("ALTER TABLE t COMPACT (p1, nope)")
        .expect_err("unknown partition");
    assert!(err.to_string().contains("nope"), "{err}");
    assert_eq!((rowsets("p1"), rowsets("p2")), (3, 3));
    run(&mut s, "ALTER TABLE t CUMULATIVE COMPACT p1");
    assert_eq!((rowsets("p1"), rowsets("p2")), (2, 3));
    run(&mut s, "ALTER TABLE t COMPACT");
    assert_eq!((rowsets("p1"), rowsets("p2")), (1, 1));
    assert_eq!(rows(&run(&mut s, all)), before);
    assert_eq!(
        rows(&run(&mut s, "SELECT k FROM t WHERE k < 100")),
        vec![
            vec!["1".to_owned()],
            vec!["2".to_owned()],
            vec!["3".to_owned()]
        ],
        "a merged DUPLICATE KEY file is sorted by key"
    );
}

/// What MySQL clients and ORMs send to browse: `SHOW FULL TABLES` (with `Table_type`),
/// `SHOW [FULL] COLUMNS FROM t [FROM db]`, `SHOW INDEX FROM t` (no rows, MySQL's columns).
#[test]
fn show_full_tables_columns_and_index() {
    let (_dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (k INT NOT NULL COMMENT 'the key', v STRING) DUPLICATE KEY(k)
         DISTRIBUTED BY HASH(k) BUCKETS 1;
         CREATE VIEW w AS SELECT k FROM t",
    );
    let tables = run(&mut s, "SHOW FULL TABLES FROM d");
    assert_eq!(columns(&tables), ["Tables_in_d", "Table_type"]);
    assert_eq!(
        rows(&tables),
        vec![
            vec!["t".to_owned(), "BASE TABLE".to_owned()],
            vec!["w".to_owned(), "VIEW".to_owned()]
        ]
    );
    let plain = run(&mut s, "SHOW COLUMNS FROM t FROM d");
    assert_eq!(
        columns(&plain),
        ["Field", "Type", "Null", "Key", "Default", "Extra"]
    );
    assert_eq!(rows(&plain).len(), 2);
    let full = run(&mut s, "SHOW FULL FIELDS IN d.t");
    assert_eq!(
        columns(&full),
        [
            "Field",
            "Type",
            "Collation",
            "Null",
            "Key",
            "Default",
            "Extra",
            "Privileges",
            "Comment"
        ]
    );
    let full = rows(&full);
    assert_eq!(full[0][0], "k");
    assert_eq!(full[0][3], "NO");
    assert_eq!(full[0][8], "the key");
    assert_eq!(rows(&run(&mut s, "SHOW FULL COLUMNS FROM w")).len(), 1);
    let index = run(&mut s, "SHOW INDEX FROM t");
    assert_eq!(columns(&index).len(), 13);
    assert_eq!(index.row_count(), 0);
    assert!(
        s.execute("SHOW INDEX FROM nope").is_err(),
        "an unknown table"
    );
    assert!(
        s.execute("SHOW KEYS FROM t FROM nope").is_err(),
        "an unknown database"
    );
}

/// SHOW BACKUP shows the latest job, as StarRocks; SHOW ALL BACKUP every kept one, oldest first,
/// also after the database is opened again; SHOW ALL RESTORE likewise for restores.
#[test]
fn show_all_backup_lists_the_kept_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        let (_db, mut s) = root_in(&data);
        s.set_wait_for_jobs(true);
        run(
            &mut s,
            "CREATE DATABASE d; USE d;
             CREATE TABLE t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1;
             INSERT INTO t VALUES (1);
             CREATE REPOSITORY r ON LOCATION 'memory://show-all-backup-history'",
        );
        for label in ["s1", "s2", "s3"] {
            run(&mut s, &format!("BACKUP SNAPSHOT d.{label} TO r"));
        }
        assert_eq!(run(&mut s, "SHOW BACKUP").row_count(), 1);
    }
    let (_db, mut s) = root_in(&data);
    let latest = rows(&run(&mut s, "SHOW BACKUP FROM d"));
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0][1], "s3");
    let all = rows(&run(&mut s, "SHOW ALL BACKUP FROM d"));
    let labels: Vec<&str> = all.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(labels, ["s1", "s2", "s3"]);
    assert!(all.iter().all(|r| r[3] == "FINISHED"), "{all:?}");
    assert_eq!(run(&mut s, "SHOW ALL RESTORE FROM d").row_count(), 0);
    assert!(s.execute("SHOW ALL BACKUP FROM nope").is_err());
}

#[test]
fn an_encrypted_repository_through_sql() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("repo.key");
    std::fs::write(&key, "ab".repeat(32)).expect("key file");
    let (_db, mut s) = root_in(&dir.path().join("tabvault-data"));
    s.set_wait_for_jobs(true);
    run(
        &mut s,
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING) PRIMARY KEY(k); \
         INSERT INTO t VALUES (1, 'one'), (2, 'two')",
    );
    run(
        &mut s,
        &format!(
            "CREATE REPOSITORY sealed ON LOCATION \"sealed\" PROPERTIES (\"encryption\" = \
             \"aes-256-gcm\", \"encryption.key_file\" = \"{}\")",
            key.display()
        ),
    );
    run(&mut s, "BACKUP SNAPSHOT d.then_ TO sealed");
    run(&mut s, "INSERT INTO t VALUES (2, 'deux')");
    assert_eq!(
        rows(&run(
            &mut s,
            "SELECT t.k, old.v, t.v FROM t JOIN snapshot('sealed', 'then_', 't') AS old \
             ON t.k = old.k ORDER BY t.k"
        )),
        [["1", "one", "one"], ["2", "two", "deux"]]
    );
    let verified = rows(&run(&mut s, "ADMIN VERIFY SNAPSHOT then_ ON sealed"));
    assert!(verified.len() > 2);
    assert!(verified.iter().all(|r| r[7] == "OK"), "{verified:?}");
    run(
        &mut s,
        "RESTORE SNAPSHOT d.then_ FROM sealed PROPERTIES (\"backup_timestamp\" = \"LATEST\")",
    );
    assert_eq!(
        rows(&run(&mut s, "SELECT k, v FROM t ORDER BY k")),
        [["1", "one"], ["2", "two"]]
    );
    for file in std::fs::read_dir(dir.path().join("sealed").join("snapshots").join("then_"))
        .expect("snapshot dir")
    {
        let bytes = std::fs::read(file.expect("entry").path()).expect("read");
        assert!(bytes.starts_with(b"TVENC001"));
    }
}
