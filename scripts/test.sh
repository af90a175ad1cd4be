#!/usr/bin/env bash
# Runs tabvault's whole test suite, first installing what the tests need when it is missing.
# This is the test command README.md gives; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tabvault-target}"
python3 -c "import moto" 2>/dev/null || python3 -m pip install --quiet "moto[server]"
# The MySQL-protocol tests (server/tests) drive `tabvault serve` with these.
command -v mysql >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-client)
python3 -c "import pymysql" 2>/dev/null || python3 -m pip install --quiet pymysql
# Server-side prepared statements (cursor(prepared=True)) are driven with mysql-connector-python.
python3 -c "import mysql.connector" 2>/dev/null || python3 -m pip install --quiet mysql-connector-python
# SQLAlchemy reflection and pandas.read_sql, as ORMs and notebooks use the server.
python3 -c "import sqlalchemy, pandas" 2>/dev/null || python3 -m pip install --quiet sqlalchemy pandas
# The Python package (python/): built with maturin, tested with pytest and Hypothesis.
python3 -c "import maturin, pyarrow, polars, pytest, hypothesis" 2>/dev/null ||
    python3 -m pip install --quiet maturin pyarrow polars pytest hypothesis
# Reads BACKUP's Iceberg metadata back (python/tests/test_iceberg.py).
python3 -c "import pyiceberg" 2>/dev/null || python3 -m pip install --quiet pyiceberg
# Reads a snapshot's Parquet files with its position deletes applied (python/tests/test_plain_readers.py).
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
# DuckDB's iceberg extension as a second reader of the Iceberg view (python/tests/test_iceberg.py):
# PyPI packages the extension binaries for DuckDB 1.5.5 only, so that DuckDB lives in its own
# environment, outside the clone; the tests load the extensions from it and never download any.
duckdb_iceberg="${TABVAULT_DUCKDB_ICEBERG_ENV:-$HOME/.cache/tabvault-duckdb-iceberg}"
"$duckdb_iceberg/bin/python" -c "
import duckdb, duckdb_extensions, duckdb_extension_avro, duckdb_extension_httpfs, duckdb_extension_iceberg
assert duckdb.__version__ == '1.5.5', duckdb.__version__" 2>/dev/null || {
    python3 -m venv --clear "$duckdb_iceberg"
    "$duckdb_iceberg/bin/python" -m pip install --quiet duckdb==1.5.5 duckdb-extensions==1.5.5 \
        duckdb-extension-avro==1.5.5 duckdb-extension-httpfs==1.5.5 duckdb-extension-iceberg==1.5.5
}
export TABVAULT_DUCKDB_ICEBERG_PYTHON="${TABVAULT_DUCKDB_ICEBERG_PYTHON:-$duckdb_iceberg/bin/python}"
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
cargo nextest run --workspace --no-fail-fast
cargo test --workspace --doc
# The dev profile, as the Rust tests use: the wheel reuses their compiled dependencies.
wheels="$CARGO_TARGET_DIR/wheels"
rm -rf "$wheels"
python3 -m maturin build --quiet --profile dev --strip -m python/Cargo.toml -o "$wheels"
python3 -m pip install --quiet --force-reinstall --no-deps "$wheels"/tabvault-*.whl
python3 -m pytest -q python/tests
