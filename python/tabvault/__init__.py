"""tabvault: an embeddable columnar storage engine with snapshots and backup.

Tables are partitioned, bucketed Parquet files; snapshots are hard links; SQL speaks StarRocks'
dialect (CREATE TABLE ... DUPLICATE KEY / PRIMARY KEY, BACKUP SNAPSHOT, RESTORE SNAPSHOT).
Query results leave and data enters through the Arrow PyCapsule interface, without copies.

    import tabvault
    db = tabvault.open("./tabvault-data")
    db.execute("CREATE DATABASE IF NOT EXISTS shop")
    db.execute("CREATE TABLE IF NOT EXISTS shop.sales (id BIGINT, amount DOUBLE) "
               "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4")
    db.insert("shop.sales", {"id": [1, 2], "amount": [9.5, 20.0]})
    table = db.sql("SELECT sum(amount) AS total FROM shop.sales").to_arrow()
"""

from ._tabvault import Database, Error, Job, QueryResult

__all__ = ["Database", "Error", "Job", "QueryResult", "open"]


def open(path=None, user="root", password=None, column_cache_bytes=None):
    """Opens (creating or recovering) the data directory ``path``.

    Without ``path``, opens a new temporary database, removed when it is closed: the quickest
    start for tests and notebooks. Statements run as ``user`` (root, without a password, unless
    one was set with SQL), with that user's privileges. Use it as a context manager to close it
    when done. One process opens a data directory at a time. Scans keep decoded columns between
    queries, up to ``column_cache_bytes`` (256 MiB when None; 0 turns the cache off).
    """
    return Database(path, user, password, column_cache_bytes)
