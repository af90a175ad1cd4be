//! Prepared statements run through a session: values bound to query placeholders, to INSERT
//! VALUES cells and to DELETE conditions, typed as bound; privileges and errors as for text.

mod common;

use common::{columns, root, rows, run};
use tabvault_sql::{Output, Prepared, QueryResult, ScalarValue, Session};

fn execute(session: &mut Session, sql: &str, values: &[ScalarValue]) -> QueryResult {
    let prepared = Prepared::new(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    match session.execute_prepared(&prepared, values) {
        Ok(Output::Done(result)) => result,
        Ok(Output::Rows(stream)) => stream.collect_result().expect("rows"),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn setup() -> (tempfile::TempDir, Session) {
    let (dir, _db, mut s) = root();
    run(
        &mut s,
        "CREATE DATABASE d; USE d; \
         CREATE TABLE t (id INT, name STRING, day DATE, price DECIMAL(10, 2)) PRIMARY KEY(id)",
    );
    (dir, s)
}

#[test]
fn insert_values_take_typed_parameters_and_queries_filter_on_them() {
    let (_dir, mut s) = setup();
    let insert = "INSERT INTO t VALUES (?, ?, ?, ?)";
    for (id, name, day, cents) in [(1, "a?", 19723, 1250), (2, "b", 19724, 99)] {
        let values = [
            ScalarValue::Int64(Some(id)),
            ScalarValue::Utf8(Some(name.into())),
            ScalarValue::Date32(Some(day)),
            ScalarValue::Decimal128(Some(cents), 10, 2),
        ];
        assert_eq!(execute(&mut s, insert, &values).affected_rows, Some(1));
    }
    let values = [
        ScalarValue::Int64(Some(3)),
        ScalarValue::Null,
        ScalarValue::Null,
    ];
    execute(&mut s, "INSERT INTO t VALUES (?, ?, ?, NULL)", &values);
    let select = "SELECT id, name, '?' AS q FROM t WHERE day >= ? AND price < ? ORDER BY id";
    let values = [
        ScalarValue::Date32(Some(19723)),
        ScalarValue::Decimal128(Some(2000), 10, 2),
    ];
    assert_eq!(
        rows(&execute(&mut s, select, &values)),
        [["1", "a?", "?"], ["2", "b", "?"]]
    );
    let by_name = execute(
        &mut s,
        "SELECT id FROM t WHERE name = ?",
        &[ScalarValue::Utf8(Some("b".into()))],
    );
    assert_eq!(rows(&by_name), [["2"]]);
    let typed = execute(
        &mut s,
        "SELECT ? AS i, ? AS s, ? AS n",
        &[
            ScalarValue::Int64(Some(7)),
            ScalarValue::Utf8(Some("x".into())),
            ScalarValue::Null,
        ],
    );
    assert_eq!(rows(&typed), [["7", "x", "NULL"]]);
    assert_eq!(columns(&typed), ["i", "s", "n"]);
    assert_eq!(
        typed.schema.field(0).data_type(),
        &arrow::datatypes::DataType::Int64
    );
    execute(
        &mut s,
        "DELETE FROM t WHERE id = ?",
        &[ScalarValue::Int64(Some(1))],
    );
    assert_eq!(rows(&run(&mut s, "SELECT COUNT(*) FROM t")), [["2"]]);
}

#[test]
fn wrong_counts_and_unstorable_values_are_errors_and_privileges_apply() {
    let (_dir, mut s) = setup();
    let prepared = Prepared::new("SELECT * FROM t WHERE id = ?").expect("prepares");
    let err = s.execute_prepared(&prepared, &[]).expect_err("no values");
    assert!(err.to_string().contains("1 parameters, 0 values"), "{err}");
    let insert = Prepared::new("INSERT INTO t (id, day) VALUES (?, ?)").expect("prepares");
    let bad_date = [
        ScalarValue::Int64(Some(1)),
        ScalarValue::Utf8(Some("x".into())),
    ];
    assert!(s.execute_prepared(&insert, &bad_date).is_err());

    run(&mut s, "CREATE USER bob IDENTIFIED BY 'pw'");
    let mut bob = s.database().session("bob", Some("pw")).expect("bob");
    let text = bob
        .execute("SELECT * FROM d.t WHERE id = 1")
        .expect_err("denied");
    let prepared = Prepared::new("SELECT * FROM d.t WHERE id = ?").expect("prepares");
    let bound = bob
        .execute_prepared(&prepared, &[ScalarValue::Int64(Some(1))])
        .expect_err("denied");
    assert_eq!(bound.to_string(), text.to_string());
}
