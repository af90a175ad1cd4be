"""Reads Iceberg tables with DuckDB's iceberg extension and writes each result to Parquet.

Run by test_iceberg.py (`duckdb_scan`) with the interpreter of a separate environment holding DuckDB 1.5.5
and its iceberg and avro extensions as PyPI packages (scripts/test.sh makes it): extensions are
loaded from those packages, never downloaded. Reads a JSON object from stdin: "jobs", a list of
{"table", "where", "out"} (`table` a metadata.json path or table directory, local or s3://, `out`
the Parquet file to write `SELECT * FROM iceberg_scan(table) WHERE where` to), and optionally
"s3": {"endpoint", "key_id", "secret"} for an S3 API on loopback (path-style, plain HTTP).
"""

import json
import sys

import duckdb
from duckdb_extensions import import_extension


def main():
    con = duckdb.connect()
    # Nothing may come from the network: every extension is one of the installed packages.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    for extension in ("avro", "httpfs", "iceberg"):
        import_extension(extension, con=con)
        con.execute(f"LOAD {extension}")
    request = json.load(sys.stdin)
    s3 = request.get("s3")
    if s3:
        con.execute(
            "CREATE SECRET (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, REGION 'us-east-1', "
            "URL_STYLE 'path', USE_SSL false)",
            [s3["key_id"], s3["secret"], s3["endpoint"]],
        )
    for job in request["jobs"]:
        query = f"SELECT * FROM iceberg_scan(?) WHERE {job['where']}"
        relation = con.sql(query, params=[job["table"]])
        relation.write_parquet(job["out"])


if __name__ == "__main__":
    main()
