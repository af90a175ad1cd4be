"""The Python API side by side with DuckDB's: 10 M lineitem-like rows from pyarrow into each
engine's own storage (durably: tabvault commits with fsync, DuckDB checkpoints) and the whole
table back out as a pyarrow Table: right after the insert, again in the same process, and in a
new process that opens the stored data (timed inside it, from open to Table). Runs alternate
which engine goes first; every read is checked to hold the rows that went in. Prints a Markdown
section for bench/RESULTS.md.

    pip install ./python duckdb   # a release build of the tabvault package
    python3 bench/python_api.py [--rows 10000000] [--runs 3] [--dir /tmp]
"""

import argparse
import ctypes
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import tabvault

TABLE_DDL = (
    "CREATE TABLE b.lineitem (l_orderkey BIGINT NOT NULL, l_partkey INT NOT NULL, "
    "l_quantity DECIMAL(12,2) NOT NULL, l_extendedprice DECIMAL(12,2) NOT NULL, "
    "l_discount DOUBLE NOT NULL, l_returnflag CHAR(1) NOT NULL, l_shipdate DATE NOT NULL, "
    "l_comment VARCHAR(44) NOT NULL) DUPLICATE KEY(l_orderkey) "
    "DISTRIBUTED BY HASH(l_orderkey) BUCKETS 4"
)
DUCK_DDL = (
    "CREATE TABLE lineitem (l_orderkey BIGINT NOT NULL, l_partkey INTEGER NOT NULL, "
    "l_quantity DECIMAL(12,2) NOT NULL, l_extendedprice DECIMAL(12,2) NOT NULL, "
    "l_discount DOUBLE NOT NULL, l_returnflag VARCHAR NOT NULL, l_shipdate DATE NOT NULL, "
    "l_comment VARCHAR NOT NULL)"
)
WORDS = np.array(["furiously", "quickly", "carefully", "blithely", "express", "pending",
                  "regular", "ironic", "final", "bold", "silent", "even"])


def cents(values):
    """Integers of hundredths as DECIMAL(12,2)."""
    return pa.Array.from_buffers(
        pa.decimal128(12, 2), len(values),
        [None, pa.py_buffer(np.stack([values, np.zeros_like(values)], axis=1).astype(np.int64).tobytes())],
    )


def generate(rows, seed):
    """Deterministic lineitem-like columns."""
    rng = np.random.default_rng(seed)
    quantity = rng.integers(100, 5001, rows)
    price = rng.integers(90000, 10500000, rows)
    words = WORDS[rng.integers(0, len(WORDS), (rows, 3))]
    comment = np.char.add(np.char.add(np.char.add(words[:, 0], " "), words[:, 1]), words[:, 2])
    return pa.table({
        "l_orderkey": pa.array(np.arange(rows, dtype=np.int64) // 4 + 1),
        "l_partkey": pa.array(rng.integers(1, 200001, rows, dtype=np.int32)),
        "l_quantity": cents(quantity),
        "l_extendedprice": cents(price),
        "l_discount": pa.array(rng.integers(0, 11, rows) / 100.0),
        "l_returnflag": pa.array(np.array(["A", "N", "R"])[rng.integers(0, 3, rows)]),
        "l_shipdate": pa.array(rng.integers(8035, 10591, rows).astype("datetime64[D]")),
        "l_comment": pa.array(comment.astype(object)),
    })


def tabvault_insert(data, work):
    path = os.path.join(work, "tabvault-data")
    db = tabvault.open(path)
    db.execute("CREATE DATABASE b")
    db.execute(TABLE_DDL)
    start = time.perf_counter()
    db.insert("b.lineitem", data)
    elapsed = time.perf_counter() - start
    return elapsed, db


def tabvault_read(db):
    start = time.perf_counter()
    table = db.sql("SELECT * FROM b.lineitem").to_arrow()
    return time.perf_counter() - start, table


def duckdb_insert(data, work):
    con = duckdb.connect(os.path.join(work, "bench.duckdb"))
    con.execute(DUCK_DDL)
    start = time.perf_counter()
    con.register("incoming", data)
    con.execute("INSERT INTO lineitem SELECT * FROM incoming")
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - start
    con.unregister("incoming")
    return elapsed, con


def duckdb_read(con):
    start = time.perf_counter()
    table = con.sql("SELECT * FROM lineitem").to_arrow_table()
    return time.perf_counter() - start, table


def tabvault_open(work):
    return tabvault.open(os.path.join(work, "tabvault-data"))


def duckdb_open(work):
    return duckdb.connect(os.path.join(work, "bench.duckdb"), read_only=True)


READERS = {"tabvault": (tabvault_open, tabvault_read), "duckdb": (duckdb_open, duckdb_read)}


def new_process_read(engine, work, rows):
    """Opens the stored data in a new Python process and reads it all; returns the seconds the
    child measured from open to Table (interpreter start-up and imports not counted). This
    process first hands the memory it freed back to the system (`malloc_trim`): glibc keeps
    freed heap memory for reuse, and in a VM the child's first touches of memory the system has
    not handed out lately cost it more (seen here: 0.6-0.8 s against 0.3-0.4 s)."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    child = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import python_api as b\n"
        "start = time.perf_counter(); opener, read = b.READERS[sys.argv[2]]\n"
        "handle = opener(sys.argv[3]); _, table = read(handle)\n"
        "elapsed = time.perf_counter() - start\n"
        "assert table.num_rows == int(sys.argv[4]), table.num_rows\n"
        "print(elapsed)\n"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", child, here, engine, work, str(rows)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def checked(table, data):
    assert table.num_rows == data.num_rows, (table.num_rows, data.num_rows)
    for name in ("l_orderkey", "l_partkey"):
        assert pc.sum(table.column(name)).as_py() == pc.sum(data.column(name)).as_py(), name
    return table


def run(rows, runs, base):
    data = generate(rows, 128649751)
    times = {key: [] for key in ("tv_in", "tv_out", "tv_again", "tv_new",
                                 "dd_in", "dd_out", "dd_again", "dd_new")}
    for i in range(runs):
        order = ["tabvault", "duckdb"] if i % 2 == 0 else ["duckdb", "tabvault"]
        for engine in order:
            work = tempfile.mkdtemp(prefix=f"pybench-{engine}-", dir=base)
            try:
                if engine == "tabvault":
                    t_in, db = tabvault_insert(data, work)
                    t_out, table = tabvault_read(db)
                    checked(table, data)
                    del table
                    t_again, table = tabvault_read(db)
                    checked(table, data)
                    db.close()
                    times["tv_in"].append(t_in)
                    times["tv_out"].append(t_out)
                    times["tv_again"].append(t_again)
                else:
                    t_in, con = duckdb_insert(data, work)
                    t_out, table = duckdb_read(con)
                    checked(table, data)
                    del table
                    t_again, table = duckdb_read(con)
                    checked(table, data)
                    con.close()
                    times["dd_in"].append(t_in)
                    times["dd_out"].append(t_out)
                    times["dd_again"].append(t_again)
                del table
                times["tv_new" if engine == "tabvault" else "dd_new"].append(
                    new_process_read(engine, work, data.num_rows))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return data, times


def fmt(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def summary(values):
    return f"{fmt(min(values))} / {fmt(statistics.median(values))} / {fmt(max(values))}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    load = open("/proc/loadavg").read().split()[:3]
    data, times = run(args.rows, args.runs, args.dir)
    load_end = open("/proc/loadavg").read().split()[:3]
    size = data.nbytes / 2**20
    print("## Python API: pyarrow in and out, against DuckDB's Python API\n")
    print(f"- date (UTC): {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}")
    print(f"- machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"- command: `python3 bench/python_api.py --rows {args.rows} --runs {args.runs}`")
    print(f"- versions: tabvault (release wheel), DuckDB {duckdb.__version__}, pyarrow {pa.__version__}")
    print(f"- load average: start `{' '.join(load)}`, end `{' '.join(load_end)}`")
    print(f"- data: {data.num_rows} rows, 8 columns, {size:.0f} MiB of Arrow; "
          f"{args.runs} alternating runs, each engine on a fresh directory under `{args.dir}`\n")
    print("| what | tabvault min / median / max | DuckDB min / median / max | ratio (DuckDB time ÷ tabvault time) |")
    print("|---|---|---|---|")
    for label, tv, dd in (
        ("insert: pyarrow Table → own storage, durable", "tv_in", "dd_in"),
        ("read: whole table → pyarrow Table, right after the insert", "tv_out", "dd_out"),
        ("read again in the same process", "tv_again", "dd_again"),
        ("read in a new process: open the stored data, whole table → pyarrow Table", "tv_new", "dd_new"),
    ):
        ratio = statistics.median(times[dd]) / statistics.median(times[tv])
        print(f"| {label} | {summary(times[tv])} | {summary(times[dd])} | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
