"""A snapshot read by engines that know Parquet but not tabvault or Iceberg: DuckDB and pyarrow.

Goal: a DUPLICATE KEY snapshot's data files read as the table, and a PRIMARY KEY snapshot's data
files read as the table once the position deletes BACKUP wrote are applied (superseded and
deleted rows removed), each exactly as tabvault's SELECT returns it. The file lists come from
the snapshot's Iceberg manifests (listed with pyiceberg); the reading is DuckDB's own
`read_parquet` with an anti join, and plain pyarrow, as docs/INTEROP.md shows.
Bugs it pins: position deletes naming the wrong file or row, data files missing from the
manifests, files whose rows are not the table's.
"""

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.table import StaticTable


def local(uri):
    assert uri.startswith("file://"), uri
    return uri[len("file://"):]


def snapshot_files(repository, label, timestamp, table):
    """(data files, position-delete files) of one table of a snapshot, as local paths."""
    metadata = repository / "iceberg" / label / timestamp / "d" / table / "metadata"
    tasks = StaticTable.from_metadata(f"file://{metadata}/v1.metadata.json").scan().plan_files()
    data = sorted({local(t.file.file_path) for t in tasks})
    deletes = sorted({local(d.file_path) for t in tasks for d in t.delete_files})
    return data, deletes


def sorted_rows(table):
    return sorted(table.to_pylist(), key=repr)


def duckdb_rows(data, deletes, columns):
    con = duckdb.connect()
    scan = f"read_parquet({data!r}, filename = true, file_row_number = true)"
    if deletes:
        query = (
            f"SELECT {columns} FROM {scan} AS d ANTI JOIN read_parquet({deletes!r}) AS x "
            "ON d.filename = x.file_path[8:] AND d.file_row_number = x.pos"
        )
    else:
        query = f"SELECT {columns} FROM {scan}"
    return sorted_rows(con.sql(query).to_arrow_table())


def pyarrow_rows(data, deletes):
    deleted = {}
    for path in deletes:
        table = pq.read_table(path)
        for file_path, pos in zip(table["file_path"].to_pylist(), table["pos"].to_pylist()):
            deleted.setdefault(local(file_path), set()).add(pos)
    parts = []
    for path in data:
        table = pq.read_table(path)
        gone = pa.array(sorted(deleted.get(path, ())), pa.int64())
        keep = pc.invert(pc.is_in(pa.array(range(table.num_rows), pa.int64()), value_set=gone))
        parts.append(table.filter(keep))
    return sorted_rows(pa.concat_tables(parts))


def backup(db, label, table):
    job = db.backup("d", label, "r", tables=[(table, [])])
    assert job.wait() == "FINISHED", job.status
    return job.timestamp


def test_duckdb_and_pyarrow_read_snapshots_as_select(tabvault_db, tmp_path):
    db = tabvault_db
    repository = tmp_path / "repo"
    db.execute(f'CREATE REPOSITORY r ON LOCATION "{repository}"')
    db.execute("CREATE DATABASE d")
    db.execute(
        "CREATE TABLE d.pk (k INT NOT NULL, v STRING, n BIGINT) PRIMARY KEY(k) "
        "DISTRIBUTED BY HASH(k) BUCKETS 3"
    )
    db.execute("INSERT INTO d.pk VALUES " + ", ".join(f"({k}, 'a{k}', {k})" for k in range(100)))
    db.execute("INSERT INTO d.pk VALUES " + ", ".join(f"({k}, 'b{k}', NULL)" for k in range(50, 120)))
    db.execute("DELETE FROM d.pk WHERE k % 7 = 0")
    db.execute("INSERT INTO d.pk VALUES (7, 'back', 7), (56, 'again', 56)")
    db.execute("CREATE TABLE d.dup (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
    db.execute("INSERT INTO d.dup VALUES (1, 'x'), (2, 'y'), (1, 'x')")
    db.execute("INSERT INTO d.dup VALUES (3, NULL)")

    for table, columns in (("pk", "k, v, n"), ("dup", "k, v")):
        timestamp = backup(db, f"s_{table}", table)
        expected = sorted_rows(db.sql(f"SELECT {columns} FROM d.{table}").to_arrow())
        data, deletes = snapshot_files(repository, f"s_{table}", timestamp, table)
        assert all(p.startswith(str(repository / "data")) for p in data), data
        if table == "pk":
            assert deletes, "upserts and deletes leave rows only position deletes hide"
            assert len(sorted_rows(pa.concat_tables([pq.read_table(p) for p in data]))) > len(expected)
        else:
            assert not deletes
        assert duckdb_rows(data, deletes, columns) == expected
        assert pyarrow_rows(data, deletes) == expected
