"""Every BACKUP snapshot is also an Apache Iceberg v2 table, read here with pyiceberg.

Goal: a table backed up to a local repository reads through pyiceberg exactly as tabvault's
SELECT returns it: every column type, RANGE and LIST partitions, several buckets and files,
PRIMARY KEY tables after upserts and deletes (position deletes), and tables whose partitions map
onto Iceberg's year/month/identity transforms (a partitioned spec, pruned by partition value,
position deletes one file per partition).
Method: BACKUP to a directory repository (and once to S3, moto's server), open
`iceberg/<snapshot>/<timestamp>/<db>/<table>/metadata/v1.metadata.json` with pyiceberg's
StaticTable (no catalog), scan, compare row by row; scan again with filters, which pyiceberg
prunes with the manifests' per-file bounds. DuckDB's iceberg extension reads the same tables as
a second reader (`duckdb_rows`): DuckDB 1.5.5 with the extension from PyPI, in its own
environment that scripts/test.sh makes, since the project's DuckDB is a newer release.
Bugs it pins: wrong Avro field ids (pyiceberg resolves manifest fields by id), bounds in the
wrong byte order or width (pruning would drop files holding matching rows), data files whose
Parquet field ids differ from the schema's (pyiceberg resolves columns of such files by id), a
missing name mapping (data files written before rowset files carried field ids have none: every
column would read as NULL; the v1 golden fixture's files are such files), type
mappings that do not read the files as written (LARGEINT, DECIMAL, DATETIME, TINYINT),
position deletes naming the wrong rows (superseded or deleted keys shown, live ones hidden),
partition values or summaries that make pyiceberg prune files holding matching rows, position
deletes pyiceberg does not match to their partition's data files.
"""

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyiceberg.table import StaticTable

import tabvault

# Format-1 fixtures (tests/golden_v1.rs): their rowset files carry no Parquet field ids.
GOLDEN_V1 = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "v1"

COLUMNS = (
    "k BIGINT NOT NULL, ti TINYINT, si SMALLINT, i INT, big LARGEINT, f FLOAT, d DOUBLE, "
    "dec_small DECIMAL(9, 2), dec_big DECIMAL(30, 5), b BOOLEAN, c CHAR(5), vc VARCHAR(20), "
    "s STRING, dt DATE, ts DATETIME"
)

ROWS = [
    "(1, -128, -32768, -2147483648, -170141183460469231731687303715884105728, -1.5, -2.25, "
    "-9999999.99, -1234567890123456789012345.12345, false, 'a', 'alpha', 'x', '1970-01-01', "
    "'1970-01-01 00:00:00')",
    "(2, 127, 32767, 2147483647, 170141183460469231731687303715884105727, 3.5, 1e300, "
    "0.01, 0.00001, true, 'bb', 'beta', 'héllo', '2024-02-29', '2024-02-29 23:59:59.123456')",
    "(150, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL)",
    "(151, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "(250, 5, 6, 7, 8, 9.25, 10.5, 11.11, 12.12345, true, 'zzzzz', 'omega', 'last', "
    "'2100-12-31', '1969-12-31 23:59:59.999999')",
]


@pytest.fixture
def repository(tabvault_db, tmp_path):
    """A local directory repository (Iceberg metadata is on by default); returns its path."""
    location = tmp_path / "repo"
    tabvault_db.execute(f'CREATE REPOSITORY r ON LOCATION "{location}"')
    return location


@pytest.fixture
def db(tabvault_db):
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute(
        f"CREATE TABLE d.t ({COLUMNS}) DUPLICATE KEY(k) "
        "PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (\"100\"), "
        "PARTITION p2 VALUES LESS THAN (\"200\"), PARTITION p3 VALUES LESS THAN (\"300\")) "
        "DISTRIBUTED BY HASH(k) BUCKETS 3"
    )
    # Two commits: every tablet that received rows twice holds two files.
    tabvault_db.execute("INSERT INTO d.t VALUES " + ", ".join(ROWS[:3]))
    tabvault_db.execute("INSERT INTO d.t VALUES " + ", ".join(ROWS[3:]))
    tabvault_db.execute("INSERT INTO d.t VALUES " + ROWS[0])
    return tabvault_db


def backup(db, label, tables=None):
    job = db.backup("d", label, "r", tables=tables)
    assert job.wait() == "FINISHED", job.status
    return job.timestamp


def iceberg_table(repository, label, timestamp, table):
    metadata = repository / "iceberg" / label / timestamp / "d" / table / "metadata"
    return StaticTable.from_metadata(f"file://{metadata}/v1.metadata.json")


def tabvault_rows(db, query):
    return sorted(db.sql(query).to_arrow().to_pylist(), key=repr)


def iceberg_rows(table, row_filter="true"):
    return sorted(table.scan(row_filter=row_filter).to_arrow().to_pylist(), key=repr)


# The interpreter of the environment holding DuckDB 1.5.5 and its iceberg extension (made by
# scripts/test.sh; its path is the default there).
DUCKDB_ICEBERG_PYTHON = os.environ.get(
    "TABVAULT_DUCKDB_ICEBERG_PYTHON",
    str(Path.home() / ".cache" / "tabvault-duckdb-iceberg" / "bin" / "python"),
)
DUCKDB_READER = Path(__file__).with_name("duckdb_iceberg_reader.py")


def duckdb_rows(repository, label, timestamp, table, where="true", database="d"):
    """The rows DuckDB's iceberg extension reads from the table's directory (it finds
    version-hint.text and the metadata file itself), sorted like `tabvault_rows`."""
    table_dir = repository / "iceberg" / label / timestamp / database / table
    return duckdb_scan(str(table_dir), where, repository.parent)


def duckdb_scan(table, where, scratch, s3=None):
    """Runs duckdb_iceberg_reader.py on `table` (a path or URI) in DuckDB's environment; `s3`
    gives an S3 endpoint and keys. Fails, on purpose, when scripts/test.sh has not made that
    environment."""
    assert Path(DUCKDB_ICEBERG_PYTHON).exists(), (
        f"{DUCKDB_ICEBERG_PYTHON} is missing: scripts/test.sh makes DuckDB's iceberg environment"
    )
    out = Path(scratch) / "duckdb-scan.parquet"
    request = {"jobs": [{"table": table, "where": where, "out": str(out)}], "s3": s3}
    subprocess.run(
        [DUCKDB_ICEBERG_PYTHON, str(DUCKDB_READER)], input=json.dumps(request), text=True, check=True
    )
    rows = pq.read_table(out).to_pylist()
    out.unlink()
    return sorted(rows, key=repr)


def test_pyiceberg_reads_exactly_what_select_returns(db, repository):
    timestamp = backup(db, "s1")
    table = iceberg_table(repository, "s1", timestamp, "t")
    expected = tabvault_rows(db, "SELECT * FROM d.t")
    assert len(expected) == 6
    assert iceberg_rows(table) == expected
    assert duckdb_rows(repository, "s1", timestamp, "t") == expected
    columns = db.sql("SELECT * FROM d.t").to_arrow().schema.names
    assert [f.name for f in table.schema().fields] == columns


def file_field_ids(uri):
    """{column: its Parquet field id, or None} of a data file; pyarrow shows a column's id as
    the field metadata PARQUET:field_id."""
    assert uri.startswith("file://"), uri
    schema = pq.read_schema(uri[len("file://"):])
    return {
        f.name: int(f.metadata[b"PARQUET:field_id"])
        if f.metadata and b"PARQUET:field_id" in f.metadata
        else None
        for f in schema
    }


def test_data_files_carry_the_iceberg_schemas_field_ids(db, repository):
    timestamp = backup(db, "s1")
    table = iceberg_table(repository, "s1", timestamp, "t")
    ids = {f.name: f.field_id for f in table.schema().fields}
    assert list(ids.values()) == list(range(1, len(ids) + 1))
    files = {task.file.file_path for task in table.scan().plan_files()}
    assert len(files) > 1
    for uri in files:
        assert file_field_ids(uri) == ids, uri
    # The name mapping (for files without ids) gives every column the same id.
    mapping = json.loads(table.properties["schema.name-mapping.default"])
    assert {m["names"][0]: m["field-id"] for m in mapping} == ids
    # The ids stay in the files: query results do not show them.
    result = db.sql("SELECT * FROM d.t").to_arrow()
    assert all(not f.metadata for f in result.schema), result.schema


def test_tables_mixing_files_without_and_with_field_ids_read_as_select(tmp_path):
    # The v1 fixture's files (no ids) plus new rows, upserts and deletes (files with ids) in the
    # same tables: pyiceberg maps the old files by name, the new ones by id.
    data = tmp_path / "data"
    shutil.copytree(GOLDEN_V1 / "data", data)
    with tabvault.open(str(data)) as db:
        db.execute(
            "INSERT INTO shop.sales VALUES (5, '2025-08-01', 'kiwi', 3.00), "
            "(6, '2024-01-05', NULL, 0.50)"
        )
        db.execute("INSERT INTO shop.stock VALUES ('plum', 1), ('fig', 4)")
        db.execute("DELETE FROM shop.stock WHERE item = 'apple'")
        location = tmp_path / "repo"
        db.execute(f'CREATE REPOSITORY r ON LOCATION "{location}"')
        job = db.backup("shop", "mixed", "r")
        assert job.wait() == "FINISHED", job.status
        for name, rows in (("sales", 6), ("stock", 2)):
            metadata = location / "iceberg" / "mixed" / job.timestamp / "shop" / name / "metadata"
            table = StaticTable.from_metadata(f"file://{metadata}/v1.metadata.json")
            ids = {f.name: f.field_id for f in table.schema().fields}
            kinds = set()
            for task in table.scan().plan_files():
                found = file_field_ids(task.file.file_path)
                if all(i is None for i in found.values()):
                    kinds.add("without ids")
                else:
                    assert found == ids, task.file.file_path
                    kinds.add("with ids")
            assert kinds == {"without ids", "with ids"}, name
            result = db.sql(f"SELECT * FROM shop.{name}").to_arrow()
            assert all(not f.metadata for f in result.schema), result.schema
            expected = tabvault_rows(db, f"SELECT * FROM shop.{name}")
            assert len(expected) == rows
            assert iceberg_rows(table) == expected
            assert duckdb_rows(location, "mixed", job.timestamp, name, database="shop") == expected


@pytest.mark.parametrize(
    "row_filter, where",
    [
        ("k >= 150", "k >= 150"),
        ("k = 2", "k = 2"),
        ("ti = -128", "ti = -128"),
        ("si > 100", "si > 100"),
        ("big < 0", "big < 0"),
        ("dec_small < 0", "dec_small < 0"),
        ("dec_big > 1", "dec_big > 1"),
        ("vc = 'omega'", "vc = 'omega'"),
        ("dt >= '2024-01-01'", "dt >= '2024-01-01'"),
        ("ts < '1970-01-01T00:00:00'", "ts < '1970-01-01 00:00:00'"),
        ("b = true", "b = true"),
    ],
)
def test_filtered_scans_prune_no_matching_file(db, repository, row_filter, where):
    timestamp = backup(db, "s1")
    table = iceberg_table(repository, "s1", timestamp, "t")
    expected = tabvault_rows(db, f"SELECT * FROM d.t WHERE {where}")
    assert expected, where
    assert iceberg_rows(table, row_filter) == expected
    assert duckdb_rows(repository, "s1", timestamp, "t", where) == expected


def test_snapshot_of_some_partitions_lists_only_their_files(db, repository):
    timestamp = backup(db, "s1", tables=[("t", ["p2"])])
    table = iceberg_table(repository, "s1", timestamp, "t")
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.t WHERE k >= 100 AND k < 200")


def test_a_later_insert_is_not_in_the_earlier_snapshot(db, repository):
    timestamp = backup(db, "s1")
    before = tabvault_rows(db, "SELECT * FROM d.t")
    db.execute("INSERT INTO d.t (k) VALUES (3)")
    assert iceberg_rows(iceberg_table(repository, "s1", timestamp, "t")) == before


def test_primary_key_tables_read_as_select_after_upserts_and_deletes(db, repository):
    db.execute(
        "CREATE TABLE d.pk (k INT NOT NULL, v STRING, n BIGINT) PRIMARY KEY(k) "
        "DISTRIBUTED BY HASH(k) BUCKETS 3"
    )
    db.execute("INSERT INTO d.pk VALUES " + ", ".join(f"({k}, 'a{k}', {k})" for k in range(100)))
    db.execute("INSERT INTO d.pk VALUES " + ", ".join(f"({k}, 'b{k}', NULL)" for k in range(50, 120)))
    db.execute("DELETE FROM d.pk WHERE k % 7 = 0")
    db.execute("INSERT INTO d.pk VALUES (7, 'back', 7), (56, 'again', 56)")
    timestamp = backup(db, "s1", tables=[("pk", [])])
    table = iceberg_table(repository, "s1", timestamp, "pk")
    expected = tabvault_rows(db, "SELECT * FROM d.pk")
    assert len(expected) == 120 - 18 + 2
    # The files still hold the superseded and deleted rows: only the position deletes hide them.
    assert int(table.current_snapshot().summary["total-position-deletes"]) > 0
    assert iceberg_rows(table) == expected
    assert iceberg_rows(table, "k >= 50") == tabvault_rows(db, "SELECT * FROM d.pk WHERE k >= 50")
    assert duckdb_rows(repository, "s1", timestamp, "pk") == expected
    assert duckdb_rows(repository, "s1", timestamp, "pk", "k >= 50") == tabvault_rows(
        db, "SELECT * FROM d.pk WHERE k >= 50"
    )


def test_the_same_rows_upserted_twice_are_listed_once(db, repository):
    # The second INSERT writes a byte-identical file into the same tablet: content addressing
    # makes both rowsets name one data file.
    db.execute("CREATE TABLE d.pk (k INT NOT NULL, v STRING) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
    for _ in range(2):
        db.execute("INSERT INTO d.pk VALUES (1, 'a'), (2, 'b')")
    db.execute("INSERT INTO d.pk VALUES (2, 'c')")
    timestamp = backup(db, "s1", tables=[("pk", [])])
    meta = json.loads((repository / "snapshots" / "s1" / "meta.json").read_text())
    checksums = [r["checksum"] for r in meta["tables"][0]["partitions"][0]["tablets"][0]["rowsets"]]
    assert len(checksums) == 3 and checksums[0] == checksums[1]
    table = iceberg_table(repository, "s1", timestamp, "pk")
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.pk") == [
        {"k": 1, "v": "a"},
        {"k": 2, "v": "c"},
    ]
    assert duckdb_rows(repository, "s1", timestamp, "pk") == iceberg_rows(table)


def test_a_duplicate_key_table_holding_one_file_twice_is_left_out(db, repository):
    db.execute("CREATE TABLE d.dup (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
    for _ in range(2):
        db.execute("INSERT INTO d.dup VALUES (1, 'a')")
    timestamp = backup(db, "s1", tables=[("dup", []), ("t", [])])
    # Listing the file once would lose a row, twice is not something every reader sums.
    assert not (repository / "iceberg" / "s1" / timestamp / "d" / "dup").exists()
    assert iceberg_rows(iceberg_table(repository, "s1", timestamp, "t")) == tabvault_rows(
        db, "SELECT * FROM d.t"
    )


def test_composite_keys_and_list_partitions(db, repository):
    db.execute(
        "CREATE TABLE d.pk2 (region VARCHAR(8) NOT NULL, day DATE NOT NULL, amount DECIMAL(10, 2)) "
        "PRIMARY KEY(region, day) PARTITION BY LIST(region) "
        '(PARTITION pe VALUES IN ("eu"), PARTITION pa VALUES IN ("us", "ap")) '
        "DISTRIBUTED BY HASH(region, day) BUCKETS 2"
    )
    rows = [(r, f"2024-01-{d:02d}", d * 1.5) for r in ("eu", "us", "ap") for d in range(1, 11)]
    db.execute("INSERT INTO d.pk2 VALUES " + ", ".join(f"('{r}', '{d}', {a})" for r, d, a in rows))
    db.execute("INSERT INTO d.pk2 VALUES ('eu', '2024-01-03', 99.99), ('ap', '2024-01-09', -1)")
    db.execute("DELETE FROM d.pk2 WHERE region = 'us' AND day < '2024-01-05'")
    timestamp = backup(db, "s1", tables=[("pk2", [])])
    table = iceberg_table(repository, "s1", timestamp, "pk2")
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.pk2")
    assert len(iceberg_rows(table)) == 26
    assert duckdb_rows(repository, "s1", timestamp, "pk2") == iceberg_rows(table)


def test_an_empty_unpartitioned_table_reads_as_empty(db, repository):
    db.execute("CREATE TABLE d.empty (k INT, s STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
    timestamp = backup(db, "s1", tables=[("empty", [])])
    table = iceberg_table(repository, "s1", timestamp, "empty")
    assert table.scan().to_arrow().num_rows == 0
    assert [f.name for f in table.schema().fields] == ["k", "s"]


def test_the_iceberg_property_turns_the_export_off(tabvault_db, tmp_path):
    location = tmp_path / "plain"
    tabvault_db.execute(f'CREATE REPOSITORY r ON LOCATION "{location}" PROPERTIES ("iceberg" = "false")')
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute("CREATE TABLE d.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
    tabvault_db.execute("INSERT INTO d.t VALUES (1)")
    job = tabvault_db.backup("d", "s1", "r")
    assert job.wait() == "FINISHED"
    assert (location / "snapshots" / "s1").is_dir()
    assert not (location / "iceberg").exists()


def test_refresh_writes_the_view_of_snapshots_taken_without_it(tabvault_db, tmp_path):
    location = tmp_path / "plain"
    tabvault_db.execute(f'CREATE REPOSITORY r ON LOCATION "{location}" PROPERTIES ("iceberg" = "false")')
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute("CREATE TABLE d.t (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
    tabvault_db.execute("INSERT INTO d.t VALUES (1, 'a'), (2, 'b'), (3, NULL)")
    job = tabvault_db.backup("d", "s1", "r")
    assert job.wait() == "FINISHED"
    report = tabvault_db.sql("ALTER REPOSITORY r REFRESH ICEBERG").to_arrow().to_pylist()
    assert report == [{"Runs": "1", "Tables": "1", "LeftOut": None}]
    table = iceberg_table(location, "s1", job.timestamp, "t")
    assert iceberg_rows(table) == tabvault_rows(tabvault_db, "SELECT * FROM d.t")


def test_drop_snapshot_removes_its_iceberg_tables(db, repository):
    backup(db, "s1")
    assert (repository / "iceberg" / "s1").is_dir()
    db.execute("DROP SNAPSHOT s1 ON r")
    assert not any((repository / "iceberg").rglob("*.json"))


def files_of_partition(repository, label, table, partition):
    """Absolute URIs of the data files of one partition, from the snapshot's meta.json."""
    meta = json.loads((repository / "snapshots" / label / "meta.json").read_text())
    [entry] = [t for t in meta["tables"] if t["name"] == table]
    [part] = [p for p in entry["partitions"] if p["name"] == partition]
    names = {
        f"{r['checksum']}-{r['size_bytes']}.parquet"
        for tablet in part["tablets"]
        for r in tablet["rowsets"]
        if r["kind"] == "Data"
    }
    assert names, partition
    return names


def planned_files(table, row_filter):
    return {task.file.file_path.rsplit("/", 1)[1] for task in table.scan(row_filter=row_filter).plan_files()}


def spec_of(table):
    """[(name, transform, source column)] of the table's partition spec."""
    schema = table.schema()
    return [
        (f.name, str(f.transform), schema.find_field(f.source_id).name) for f in table.spec().fields
    ]


def test_a_yearly_range_table_gets_the_year_transform_and_prunes_by_it(db, repository):
    db.execute(
        "CREATE TABLE d.yearly (d DATE NOT NULL, k INT NOT NULL, v STRING) DUPLICATE KEY(d, k) "
        'PARTITION BY RANGE(d) (PARTITION p2022 VALUES [("2022-01-01"), ("2023-01-01")), '
        'PARTITION p2023 VALUES [("2023-01-01"), ("2024-01-01")), '
        'PARTITION p1969 VALUES [("1969-01-01"), ("1970-01-01"))) '
        "DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    days = ["2022-01-01", "2022-12-31", "2023-03-04", "2023-12-31", "1969-07-20"]
    db.execute("INSERT INTO d.yearly VALUES " + ", ".join(f"('{d}', {i}, 'a{i}')" for i, d in enumerate(days)))
    db.execute("INSERT INTO d.yearly VALUES ('2023-06-01', 10, NULL), ('1969-12-31', 11, 'z')")
    timestamp = backup(db, "s1", tables=[("yearly", [])])
    table = iceberg_table(repository, "s1", timestamp, "yearly")
    assert spec_of(table) == [("d_year", "year", "d")]
    assert table.spec().fields[0].field_id == 1000
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.yearly")
    assert len(iceberg_rows(table)) == 7
    assert planned_files(table, "d >= '2023-01-01'") == files_of_partition(repository, "s1", "yearly", "p2023")
    assert planned_files(table, "d < '1970-01-01'") == files_of_partition(repository, "s1", "yearly", "p1969")
    assert iceberg_rows(table, "d >= '2023-01-01'") == tabvault_rows(
        db, "SELECT * FROM d.yearly WHERE d >= '2023-01-01'"
    )
    assert duckdb_rows(repository, "s1", timestamp, "yearly", "d >= '2023-01-01'") == tabvault_rows(
        db, "SELECT * FROM d.yearly WHERE d >= '2023-01-01'"
    )
    # Each data file carries its partition's value: years since 1970.
    years = {r["partition"]["d_year"] for r in table.inspect.data_files().to_pylist()}
    assert years == {52, 53, -1}


def test_a_monthly_datetime_range_table_gets_the_month_transform(db, repository):
    db.execute(
        "CREATE TABLE d.monthly (ts DATETIME NOT NULL, k INT NOT NULL) DUPLICATE KEY(ts, k) "
        'PARTITION BY RANGE(ts) (PARTITION p01 VALUES [("2024-01-01 00:00:00"), ("2024-02-01 00:00:00")), '
        'PARTITION p02 VALUES [("2024-02-01 00:00:00"), ("2024-03-01 00:00:00")), '
        'PARTITION p12 VALUES [("2024-12-01 00:00:00"), ("2025-01-01 00:00:00"))) '
        "DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    db.execute(
        "INSERT INTO d.monthly VALUES ('2024-01-01 00:00:00', 1), ('2024-01-31 23:59:59.999999', 2), "
        "('2024-02-29 12:00:00', 3), ('2024-12-31 23:00:00', 4), ('2024-12-01 00:00:00', 5)"
    )
    timestamp = backup(db, "s1", tables=[("monthly", [])])
    table = iceberg_table(repository, "s1", timestamp, "monthly")
    assert spec_of(table) == [("ts_month", "month", "ts")]
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.monthly")
    assert planned_files(table, "ts >= '2024-02-01T00:00:00' and ts < '2024-03-01T00:00:00'") == (
        files_of_partition(repository, "s1", "monthly", "p02")
    )
    assert iceberg_rows(table, "ts >= '2024-12-01T00:00:00'") == tabvault_rows(
        db, "SELECT * FROM d.monthly WHERE ts >= '2024-12-01 00:00:00'"
    )
    assert duckdb_rows(repository, "s1", timestamp, "monthly", "ts >= '2024-12-01 00:00:00'") == (
        tabvault_rows(db, "SELECT * FROM d.monthly WHERE ts >= '2024-12-01 00:00:00'")
    )


def test_ranges_of_another_span_or_open_stay_unpartitioned(db, repository):
    db.execute(
        "CREATE TABLE d.open (d DATE NOT NULL, k INT) DUPLICATE KEY(d) PARTITION BY RANGE(d) "
        '(PARTITION p1 VALUES LESS THAN ("2024-01-01"), PARTITION p2 VALUES [("2024-01-01"), ("2025-01-01")))'
        " DISTRIBUTED BY HASH(k) BUCKETS 1"
    )
    db.execute(
        "CREATE TABLE d.mixed (d DATE NOT NULL, k INT) DUPLICATE KEY(d) PARTITION BY RANGE(d) "
        '(PARTITION p1 VALUES [("2023-01-01"), ("2024-01-01")), PARTITION p2 VALUES [("2024-01-01"), ("2024-02-01")))'
        " DISTRIBUTED BY HASH(k) BUCKETS 1"
    )
    # The open partition holds no rows here: the spec follows the partitions, not the rows.
    db.execute(
        "CREATE TABLE d.empty_open (d DATE NOT NULL, k INT) DUPLICATE KEY(d) PARTITION BY RANGE(d) "
        '(PARTITION p1 VALUES LESS THAN ("2023-01-01"), PARTITION p2 VALUES [("2023-01-01"), ("2024-01-01")), '
        'PARTITION p3 VALUES [("2024-01-01"), ("2025-01-01"))) DISTRIBUTED BY HASH(k) BUCKETS 1'
    )
    names = ("open", "mixed", "empty_open")
    for name in names:
        db.execute(f"INSERT INTO d.{name} VALUES ('2023-05-05', 1), ('2024-01-10', 2)")
    timestamp = backup(db, "s1", tables=[(name, []) for name in names])
    for name in names:
        table = iceberg_table(repository, "s1", timestamp, name)
        assert spec_of(table) == [], name
        assert iceberg_rows(table) == tabvault_rows(db, f"SELECT * FROM d.{name}")


def test_a_daily_range_table_gets_the_day_transform(db, repository):
    days = ["2024-02-28", "2024-02-29", "2024-03-01"]
    partitions = ", ".join(
        f'PARTITION p{i} VALUES [("{lo}"), ("{hi}"))' for i, (lo, hi) in enumerate(zip(days, days[1:] + ["2024-03-02"]))
    )
    db.execute(
        "CREATE TABLE d.daily (d DATE NOT NULL, k INT NOT NULL) DUPLICATE KEY(d, k) "
        f"PARTITION BY RANGE(d) ({partitions}) DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    db.execute("INSERT INTO d.daily VALUES " + ", ".join(f"('{d}', {k})" for d in days for k in range(4)))
    timestamp = backup(db, "s1", tables=[("daily", [])])
    table = iceberg_table(repository, "s1", timestamp, "daily")
    assert spec_of(table) == [("d_day", "day", "d")]
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.daily")
    assert planned_files(table, "d = '2024-02-29'") == files_of_partition(repository, "s1", "daily", "p1")
    assert duckdb_rows(repository, "s1", timestamp, "daily", "d = '2024-02-29'") == tabvault_rows(
        db, "SELECT * FROM d.daily WHERE d = '2024-02-29'"
    )


def test_a_single_value_list_table_on_an_int_column_gets_identity(db, repository):
    db.execute(
        "CREATE TABLE d.shards (shard INT NOT NULL, v STRING) DUPLICATE KEY(shard) "
        'PARTITION BY LIST(shard) (PARTITION s1 VALUES IN ("1"), PARTITION s2 VALUES IN ("2"), '
        'PARTITION s9 VALUES IN ("-9")) DISTRIBUTED BY HASH(shard) BUCKETS 1'
    )
    db.execute("INSERT INTO d.shards VALUES (1, 'a'), (2, 'b'), (-9, 'c'), (2, NULL)")
    timestamp = backup(db, "s1", tables=[("shards", [])])
    table = iceberg_table(repository, "s1", timestamp, "shards")
    assert spec_of(table) == [("shard", "identity", "shard")]
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.shards")
    assert planned_files(table, "shard = 2") == files_of_partition(repository, "s1", "shards", "s2")
    assert planned_files(table, "shard < 0") == files_of_partition(repository, "s1", "shards", "s9")
    assert duckdb_rows(repository, "s1", timestamp, "shards", "shard = 2") == tabvault_rows(
        db, "SELECT * FROM d.shards WHERE shard = 2"
    )


def test_a_single_value_list_table_gets_identity(db, repository):
    db.execute(
        "CREATE TABLE d.regions (region VARCHAR(8) NOT NULL, k INT NOT NULL, amount DOUBLE) "
        "DUPLICATE KEY(region, k) PARTITION BY LIST(region) "
        '(PARTITION pe VALUES IN ("eu"), PARTITION pu VALUES IN ("us"), PARTITION pa VALUES IN ("ap")) '
        "DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    rows = [(r, k, k * 0.5) for r in ("eu", "us", "ap") for k in range(6)]
    db.execute("INSERT INTO d.regions VALUES " + ", ".join(f"('{r}', {k}, {a})" for r, k, a in rows))
    db.execute("INSERT INTO d.regions VALUES ('us', 99, NULL)")
    timestamp = backup(db, "s1", tables=[("regions", [])])
    table = iceberg_table(repository, "s1", timestamp, "regions")
    assert spec_of(table) == [("region", "identity", "region")]
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.regions")
    assert planned_files(table, "region = 'us'") == files_of_partition(repository, "s1", "regions", "pu")
    assert iceberg_rows(table, "region = 'us'") == tabvault_rows(
        db, "SELECT * FROM d.regions WHERE region = 'us'"
    )
    assert duckdb_rows(repository, "s1", timestamp, "regions") == iceberg_rows(table)


def test_a_partitioned_primary_key_table_has_one_delete_file_per_partition(db, repository):
    db.execute(
        "CREATE TABLE d.pkl (region VARCHAR(8) NOT NULL, k INT NOT NULL, v STRING) "
        "PRIMARY KEY(region, k) PARTITION BY LIST(region) "
        '(PARTITION pe VALUES IN ("eu"), PARTITION pu VALUES IN ("us"), PARTITION pa VALUES IN ("ap")) '
        "DISTRIBUTED BY HASH(region, k) BUCKETS 2"
    )
    db.execute(
        "INSERT INTO d.pkl VALUES "
        + ", ".join(f"('{r}', {k}, 'a{k}')" for r in ("eu", "us", "ap") for k in range(20))
    )
    db.execute("INSERT INTO d.pkl VALUES " + ", ".join(f"('{r}', {k}, 'b{k}')" for r in ("eu", "us") for k in range(5, 12)))
    db.execute("DELETE FROM d.pkl WHERE k % 6 = 0 AND region <> 'ap'")
    db.execute("INSERT INTO d.pkl VALUES ('eu', 6, 'back'), ('us', 0, 'again')")
    timestamp = backup(db, "s1", tables=[("pkl", [])])
    table = iceberg_table(repository, "s1", timestamp, "pkl")
    assert spec_of(table) == [("region", "identity", "region")]
    expected = tabvault_rows(db, "SELECT * FROM d.pkl")
    assert len(expected) == 60 - 8 + 2
    assert iceberg_rows(table) == expected
    deletes = table.inspect.delete_files().to_pylist()
    assert sorted(d["partition"]["region"] for d in deletes) == ["eu", "us"]
    for region in ("eu", "us", "ap"):
        assert iceberg_rows(table, f"region = '{region}'") == tabvault_rows(
            db, f"SELECT * FROM d.pkl WHERE region = '{region}'"
        )
    assert duckdb_rows(repository, "s1", timestamp, "pkl") == expected
    assert duckdb_rows(repository, "s1", timestamp, "pkl", "region = 'us'") == tabvault_rows(
        db, "SELECT * FROM d.pkl WHERE region = 'us'"
    )


def test_a_yearly_primary_key_table_reads_as_select(db, repository):
    db.execute(
        "CREATE TABLE d.pky (d DATE NOT NULL, k INT NOT NULL, v INT) PRIMARY KEY(d, k) "
        'PARTITION BY RANGE(d) (PARTITION p2023 VALUES [("2023-01-01"), ("2024-01-01")), '
        'PARTITION p2024 VALUES [("2024-01-01"), ("2025-01-01"))) DISTRIBUTED BY HASH(k) BUCKETS 2'
    )
    db.execute(
        "INSERT INTO d.pky VALUES "
        + ", ".join(f"('{y}-0{m}-01', {k}, {k})" for y in (2023, 2024) for m in (1, 5) for k in range(10))
    )
    db.execute("INSERT INTO d.pky VALUES ('2023-01-01', 3, -3), ('2024-05-01', 4, -4)")
    db.execute("DELETE FROM d.pky WHERE k = 7")
    timestamp = backup(db, "s1", tables=[("pky", [])])
    table = iceberg_table(repository, "s1", timestamp, "pky")
    assert spec_of(table) == [("d_year", "year", "d")]
    assert iceberg_rows(table) == tabvault_rows(db, "SELECT * FROM d.pky")
    assert sorted(d["partition"]["d_year"] for d in table.inspect.delete_files().to_pylist()) == [53, 54]
    assert iceberg_rows(table, "d >= '2024-01-01'") == tabvault_rows(
        db, "SELECT * FROM d.pky WHERE d >= '2024-01-01'"
    )
    assert duckdb_rows(repository, "s1", timestamp, "pky") == iceberg_rows(table)


@pytest.fixture
def moto_endpoint():
    """An S3 API (moto's threaded server) on a free local port, with bucket tabvault-iceberg.
    moto[server] (with boto3) is installed by scripts/test.sh; without it this fails, on purpose."""
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="AK", aws_secret_access_key="SK",
        region_name="us-east-1",
    ).create_bucket(Bucket="tabvault-iceberg")
    yield endpoint
    server.stop()


def test_an_s3_repository_reads_the_same(tabvault_db, moto_endpoint, tmp_path):
    tabvault_db.execute(
        'CREATE REPOSITORY r ON LOCATION "s3://tabvault-iceberg/repo" PROPERTIES '
        f'("aws.s3.access_key" = "AK", "aws.s3.secret_key" = "SK", "aws.s3.endpoint" = "{moto_endpoint}")'
    )
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute(
        "CREATE TABLE d.pk (k INT NOT NULL, v STRING, dt DATETIME) PRIMARY KEY(k) "
        "DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    tabvault_db.execute(
        "INSERT INTO d.pk VALUES (1, 'a', '2024-01-01 00:00:00'), (2, 'b', NULL), (3, 'c', NULL)"
    )
    tabvault_db.execute("INSERT INTO d.pk VALUES (2, 'z', '2025-06-30 12:00:00')")
    tabvault_db.execute("DELETE FROM d.pk WHERE k = 3")
    job = tabvault_db.backup("d", "s1", "r")
    assert job.wait() == "FINISHED", job.status
    table = StaticTable.from_metadata(
        f"s3://tabvault-iceberg/repo/iceberg/s1/{job.timestamp}/d/pk/metadata/v1.metadata.json",
        properties={
            "s3.endpoint": moto_endpoint, "s3.access-key-id": "AK",
            "s3.secret-access-key": "SK", "s3.region": "us-east-1",
        },
    )
    assert iceberg_rows(table) == tabvault_rows(tabvault_db, "SELECT * FROM d.pk")
    assert len(iceberg_rows(table)) == 2
    s3 = {"endpoint": moto_endpoint.removeprefix("http://"), "key_id": "AK", "secret": "SK"}
    table_uri = f"s3://tabvault-iceberg/repo/iceberg/s1/{job.timestamp}/d/pk"
    assert duckdb_scan(table_uri, "true", tmp_path, s3) == iceberg_rows(table)
