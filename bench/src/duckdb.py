"""DuckDB side of `tabvault-bench compare`. Each mode prints one line `seconds<TAB>result`; the
time covers only the query (or EXPORT + IMPORT), measured here in Python, never the start-up.
The query modes' result is `peak<TAB>growth<TAB>rows`: the process's peak resident bytes during
the query and how far that rose above the resident size before it (0 0 where Linux's /proc does
not tell)."""
import sys
import time

import duckdb


def files_sql(list_path):
    with open(list_path, encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def quoted(path):
    return "'" + path.replace("'", "''") + "'"


def status_bytes(field):
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.split(":")[0] == field:
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_of(run):
    """`run()`'s result and the peak resident bytes while it ran, and their rise above the
    resident size before it (Linux's high-water mark, reset through /proc/self/clear_refs)."""
    try:
        before = status_bytes("VmRSS")
        with open("/proc/self/clear_refs", "w", encoding="utf-8") as f:
            f.write("5")
    except OSError:
        return run(), 0, 0
    result = run()
    peak = status_bytes("VmHWM")
    return result, peak, max(0, peak - before)


def timed(con, sql):
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - start, rows


# Every column is aggregated so that DuckDB must decode every column of every row, as a full
# tabvault scan does (DuckDB skips decoding columns that a query does not use).
FULL_SCAN = """SELECT count(*), sum(l_orderkey), sum(l_partkey), sum(l_suppkey),
  sum(l_linenumber), sum(l_quantity), sum(l_extendedprice), sum(l_discount), sum(l_tax),
  max(l_returnflag), max(l_linestatus), max(l_shipdate), max(l_comment)
  FROM read_parquet({files})"""

FILTERED = """SELECT sum(l_extendedprice) FROM read_parquet({files})
  WHERE l_shipdate >= DATE '{lo}' AND l_shipdate < DATE '{hi}'"""


def main():
    mode = sys.argv[1]
    if mode == "version":
        print(f"0\t{duckdb.__version__}")
    elif mode == "scan":
        con = duckdb.connect()
        secs, rows = timed(con, FULL_SCAN.format(files=files_sql(sys.argv[2])))
        print(f"{secs}\t{rows[0][0]}")
    elif mode == "filter":
        con = duckdb.connect()
        sql = FILTERED.format(files=files_sql(sys.argv[2]), lo=sys.argv[3], hi=sys.argv[4])
        secs, rows = timed(con, sql)
        print(f"{secs}\t{rows[0][0]}")
    elif mode == "load":
        con = duckdb.connect(sys.argv[3])
        con.execute(f"CREATE TABLE lineitem AS SELECT * FROM read_parquet({files_sql(sys.argv[2])})")
        con.execute("CHECKPOINT")
        count = con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
        con.close()
        print(f"0\t{count}")
    elif mode in ("query_parquet", "query_native"):
        # One query with `{t}` for the table; rows as cells joined by \x1f, rows by \x1e.
        target, sql = sys.argv[2], sys.argv[3]
        if mode == "query_parquet":
            con = duckdb.connect()
            table = f"read_parquet({files_sql(target)})"
        else:
            con = duckdb.connect(target, read_only=True)
            table = "lineitem"
        # The first run in this new process (cold: DuckDB's caches empty) gives the peak memory;
        # the second is timed as tabvault's queries are, in a session that has run them before.
        query = sql.replace("{t}", table)
        (cold, rows), peak, growth = peak_of(lambda: timed(con, query))
        warm, _ = timed(con, query)
        con.close()
        text = "\x1e".join("\x1f".join("" if v is None else str(v) for v in row) for row in rows)
        print(f"{warm}\t{cold}\t{peak}\t{growth}\t{text}")
    elif mode == "export_import":
        source, export_dir, target = sys.argv[2], sys.argv[3], sys.argv[4]
        src = duckdb.connect(source, read_only=True)
        start = time.perf_counter()
        src.execute(f"EXPORT DATABASE {quoted(export_dir)} (FORMAT parquet, COMPRESSION zstd)")
        exported = time.perf_counter() - start
        src.close()
        dst = duckdb.connect(target)
        start = time.perf_counter()
        dst.execute(f"IMPORT DATABASE {quoted(export_dir)}")
        dst.execute("CHECKPOINT")
        imported = time.perf_counter() - start
        count = dst.execute("SELECT count(*) FROM lineitem").fetchone()[0]
        dst.close()
        print(f"{exported + imported}\t{count}")
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
