"""SQL from Python: statements, query results as Arrow / pandas / polars, errors."""

import subprocess
import sys
import threading

import pyarrow as pa
import pytest

import tabvault

SALES = (
    "CREATE TABLE shop.sales (id BIGINT NOT NULL, name VARCHAR(20), amount DECIMAL(10,2), "
    "day DATE) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4"
)


@pytest.fixture
def shop(tabvault_db):
    tabvault_db.execute("CREATE DATABASE shop")
    tabvault_db.execute(SALES)
    return tabvault_db


def test_query_results_convert_to_arrow_pandas_and_polars(shop):
    shop.execute(
        "INSERT INTO shop.sales VALUES (1, 'apple', 9.50, '2024-01-01'), "
        "(2, NULL, 20.00, '2024-02-29')"
    )
    result = shop.sql("SELECT id, name, amount, day FROM shop.sales ORDER BY id")
    assert result.num_rows == 2 and len(result) == 2
    assert result.column_names == ["id", "name", "amount", "day"]
    table = result.to_arrow()
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("amount").type == pa.decimal128(10, 2)
    assert table.schema.field("day").type == pa.date32()
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [1, 2]
    assert [r["name"] for r in rows] == ["apple", None]
    assert [str(r["amount"]) for r in rows] == ["9.50", "20.00"]
    assert [r["day"].isoformat() for r in rows] == ["2024-01-01", "2024-02-29"]
    frame = result.to_pandas()
    assert list(frame["id"]) == [1, 2]
    polars = result.to_polars()
    assert polars["name"].to_list() == ["apple", None]


def test_results_are_exported_without_copying(shop):
    shop.execute("INSERT INTO shop.sales (id) SELECT value FROM generate_series(1, 1000)")
    result = shop.sql("SELECT id FROM shop.sales")
    first = pa.table(result)
    second = pa.table(result)
    addresses = [
        [chunk.buffers()[1].address for chunk in table.column("id").chunks]
        for table in (first, second)
    ]
    # Both imports point at the same Rust-owned buffers: nothing was copied on the way out.
    assert addresses[0] == addresses[1]
    assert first.column("id").to_pylist() == second.column("id").to_pylist()
    assert sorted(first.column("id").to_pylist()) == list(range(1, 1001))


def test_to_arrow_does_not_import_pandas():
    # pyarrow.table(obj) imports pandas to check for a DataFrame, 0.2 s on a first call; a
    # fresh interpreter shows whether to_arrow pays it.
    script = (
        "import sys, tabvault\n"
        "with tabvault.open() as db:\n"
        "    table = db.sql('SELECT 1 AS one').to_arrow()\n"
        "assert table.column('one').to_pylist() == [1], table\n"
        "assert 'pandas' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_statements_report_changed_rows_and_messages(shop):
    assert shop.execute("INSERT INTO shop.sales (id) VALUES (1), (2), (3)") == 3
    result = shop.sql("USE shop")
    assert result.num_rows == 0 and result.affected_rows is None
    assert shop.sql("SELECT count(*) AS n FROM sales").to_arrow().column("n")[0].as_py() == 3
    assert shop.execute("SHOW TABLES") is None


def test_errors_are_tabvault_errors_with_starrocks_messages(shop):
    with pytest.raises(tabvault.Error, match="database 'nowhere' does not exist") as unknown:
        shop.execute("USE nowhere")
    assert (unknown.value.errno, unknown.value.sqlstate) == (1049, "42000")
    with pytest.raises(tabvault.Error, match="syntax") as syntax:
        shop.execute("SELEC 1")
    assert syntax.value.errno == 1064
    with pytest.raises(tabvault.Error, match="already exists") as exists:
        shop.execute(SALES)
    assert (exists.value.errno, exists.value.sqlstate) == (1050, "42S01")
    with pytest.raises(tabvault.Error, match="not found") as missing:
        shop.sql("SELECT * FROM shop.nope")
    assert missing.value.errno == 1146


def test_a_closed_database_refuses_work_and_a_temporary_one_is_removed():
    db = tabvault.open()
    path = db.path
    db.execute("CREATE DATABASE d")
    assert path.exists()
    db.close()
    db.close()
    assert db.closed
    assert not path.parent.exists()
    with pytest.raises(tabvault.Error, match="closed") as closed:
        db.sql("SELECT 1")
    assert closed.value.errno is None


def test_a_data_directory_keeps_its_rows_across_close_and_open(tmp_path):
    path = tmp_path / "data"
    with tabvault.open(path) as db:
        db.execute("CREATE DATABASE shop")
        db.execute(SALES)
        db.insert("shop.sales", {"id": [1, 2, 3]})
    assert path.exists()
    with tabvault.open(str(path)) as db:
        ids = db.sql("SELECT id FROM shop.sales ORDER BY id").to_arrow().column("id")
        assert ids.to_pylist() == [1, 2, 3]


def test_interrupt_stops_a_query_running_in_another_thread(tabvault_db):
    outcome = {}

    def endless():
        try:
            tabvault_db.sql("SELECT count(*) FROM generate_series(1, 1000000000000)")
            outcome["result"] = "finished"
        except tabvault.Error as error:
            outcome["result"] = str(error)

    runner = threading.Thread(target=endless)
    runner.start()
    # This loop runs only while the other thread's query has released the GIL; an interrupt
    # sent before the query starts finds nothing to stop, so it is sent until one lands.
    while runner.is_alive():
        tabvault_db.interrupt()
        runner.join(0.05)
    assert "interrupted" in outcome["result"]
    assert tabvault_db.sql("SELECT 1 AS one").to_arrow().column("one")[0].as_py() == 1


def test_column_cache_bytes_zero_reads_through_the_parquet_reader(tmp_path):
    def plan(db):
        rows = db.sql("EXPLAIN SELECT sum(v) FROM d.t WHERE v > 1").to_arrow()
        return "\n".join(rows.column(1).to_pylist())

    path = tmp_path / "data"
    with tabvault.open(path) as db:
        db.execute("CREATE DATABASE d; CREATE TABLE d.t (k INT, v INT) DUPLICATE KEY(k)")
        db.insert("d.t", {"k": [1, 2, 3], "v": [10, 20, 30]})
        assert "CachedScanExec" in plan(db)
    with tabvault.open(path, column_cache_bytes=0) as db:
        assert "CachedScanExec" not in plan(db)
        assert "DataSourceExec" in plan(db)
        assert db.sql("SELECT sum(v) AS s FROM d.t").to_arrow().column("s")[0].as_py() == 60
