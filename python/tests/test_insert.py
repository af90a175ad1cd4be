"""Database.insert: Arrow-compatible data from pyarrow, pandas, polars and plain dicts."""

import datetime
import decimal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import tabvault


@pytest.fixture
def db(tabvault_db):
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute(
        "CREATE TABLE d.t (k INT NOT NULL, s VARCHAR(20), v DECIMAL(9,2), day DATE) "
        "DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    return tabvault_db


def rows(db):
    table = db.sql("SELECT k, s, v, day FROM d.t ORDER BY k").to_arrow()
    return table.to_pylist()


def test_every_kind_of_arrow_data_is_accepted(db):
    batch = pa.record_batch({"k": pa.array([1], pa.int32()), "s": ["arrow batch"]})
    assert db.insert("d.t", batch) == 1
    assert db.insert("d.t", pa.table({"k": [2], "s": ["arrow table"]})) == 1
    reader = pa.RecordBatchReader.from_batches(
        pa.schema([("k", pa.int64())]),
        (pa.record_batch({"k": [n]}) for n in (3, 4)),
    )
    assert db.insert("d.t", reader) == 2
    frame = pd.DataFrame({"k": [5], "s": ["pandas"]}, index=[42])
    assert db.insert("d.t", frame) == 1
    assert db.insert("d.t", pl.DataFrame({"k": [6], "s": ["polars"]})) == 1
    assert db.insert("d.t", {"k": [7], "s": ["dict"]}) == 1
    assert [(r["k"], r["s"]) for r in rows(db)] == [
        (1, "arrow batch"),
        (2, "arrow table"),
        (3, None),
        (4, None),
        (5, "pandas"),
        (6, "polars"),
        (7, "dict"),
    ]


def test_values_are_converted_to_the_column_types(db):
    db.insert(
        "d.t",
        {
            "day": ["2024-03-01"],
            "k": [1],
            "v": [decimal.Decimal("12.34")],
            "s": ["x"],
        },
    )
    assert rows(db) == [
        {"k": 1, "s": "x", "v": decimal.Decimal("12.34"), "day": datetime.date(2024, 3, 1)}
    ]


def test_bad_data_is_an_error_and_writes_nothing(db):
    with pytest.raises(tabvault.Error, match="column 'k'"):
        db.insert("d.t", {"k": [1, 2**40]})
    with pytest.raises(tabvault.Error, match="NOT NULL column 'k'"):
        db.insert("d.t", {"k": [1, None]})
    with pytest.raises(tabvault.Error, match="Unknown column 'nope'"):
        db.insert("d.t", {"k": [1], "nope": [1]})
    with pytest.raises(tabvault.Error, match="Unknown table|does not exist|Unknown database"):
        db.insert("d.missing", {"k": [1]})
    with pytest.raises(TypeError):
        db.insert("d.t", 42)
    assert rows(db) == []


def test_the_insert_privilege_is_checked(tmp_path):
    path = tmp_path / "data"
    with tabvault.open(path) as root:
        root.execute("CREATE DATABASE d")
        root.execute("CREATE TABLE d.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        root.execute("CREATE USER 'reader' IDENTIFIED BY 'pw'")
        root.execute("GRANT SELECT ON d.* TO 'reader'")
    with pytest.raises(tabvault.Error):
        tabvault.open(path, user="reader", password="wrong")
    with tabvault.open(path, user="reader", password="pw") as reader:
        with pytest.raises(tabvault.Error, match="INSERT"):
            reader.insert("d.t", {"k": [1]})
        assert reader.sql("SELECT count(*) AS n FROM d.t").to_arrow()["n"][0].as_py() == 0
