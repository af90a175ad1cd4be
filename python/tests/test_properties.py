"""Property-based tests with Hypothesis on a fresh database per example."""

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabvault.testing import fresh_database

ROWS = st.lists(
    st.tuples(
        st.integers(-(2**63), 2**63 - 1),
        st.one_of(st.none(), st.text(max_size=12)),
    ),
    max_size=60,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_inserted_rows_read_back_exactly(rows):
    with fresh_database() as db:
        db.execute("CREATE DATABASE d")
        db.execute(
            "CREATE TABLE d.t (k BIGINT NOT NULL, s VARCHAR(64)) DUPLICATE KEY(k) "
            "DISTRIBUTED BY HASH(k) BUCKETS 3"
        )
        data = pa.table(
            {"k": pa.array([k for k, _ in rows], pa.int64()), "s": [s for _, s in rows]}
        )
        assert db.insert("d.t", data) == len(rows)
        back = db.sql("SELECT k, s FROM d.t").to_arrow().to_pylist()
        key = lambda r: (r[0], r[1] is None, r[1] or "")  # noqa: E731
        assert sorted(((r["k"], r["s"]) for r in back), key=key) == sorted(rows, key=key)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(-1000, 1000)), max_size=60))
def test_a_primary_key_table_keeps_the_last_value_of_each_key(rows):
    with fresh_database() as db:
        db.execute("CREATE DATABASE d")
        db.execute(
            "CREATE TABLE d.t (k INT NOT NULL, v INT) PRIMARY KEY(k) "
            "DISTRIBUTED BY HASH(k) BUCKETS 2"
        )
        expected = {}
        for k, v in rows:
            db.insert("d.t", {"k": [k], "v": [v]})
            expected[k] = v
        back = db.sql("SELECT k, v FROM d.t").to_arrow().to_pylist()
        assert {r["k"]: r["v"] for r in back} == expected
