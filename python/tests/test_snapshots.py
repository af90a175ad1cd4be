"""BACKUP and RESTORE from Python: jobs with state and progress, as in SQL."""

import pytest

import tabvault


@pytest.fixture
def db(tabvault_db):
    tabvault_db.execute("CREATE DATABASE d")
    tabvault_db.execute(
        "CREATE TABLE d.t (k INT NOT NULL, v VARCHAR(10)) DUPLICATE KEY(k) "
        "PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (\"100\"), "
        "PARTITION p2 VALUES LESS THAN (\"200\")) DISTRIBUTED BY HASH(k) BUCKETS 2"
    )
    tabvault_db.insert("d.t", {"k": [1, 2, 150], "v": ["a", "b", "c"]})
    return tabvault_db


def count(db, table):
    return db.sql(f"SELECT count(*) AS n FROM {table}").to_arrow().column("n")[0].as_py()


def test_backup_then_restore_under_another_name(db, tabvault_repository):
    job = db.backup("d", "s1", tabvault_repository, tables=[("t", ["p1"])])
    assert job.kind == "BACKUP" and job.label == "s1" and job.database == "d"
    assert job.wait() == "FINISHED"
    assert job.done and job.state == "FINISHED" and job.status == "[OK]"
    progress = job.progress
    assert progress["files_total"] > 0
    assert progress["files_done"] == progress["files_total"]
    restore = db.restore(
        "d", "s1", tabvault_repository, backup_timestamp=job.timestamp,
        tables=[("t", [], "t_then")],
    )
    assert restore.wait() == "FINISHED"
    assert count(db, "d.t_then") == 2
    assert count(db, "d.t") == 3
    # As in StarRocks, SHOW BACKUP shows a database's latest job only if it is a BACKUP.
    assert db.sql("SHOW BACKUP FROM d").num_rows == 0
    shown = db.sql("SHOW ALL BACKUP FROM d").to_arrow().to_pylist()
    assert shown[0]["SnapshotName"] == "s1" and shown[0]["State"] == "FINISHED"


def test_job_errors_are_raised(db, tabvault_repository):
    with pytest.raises(tabvault.Error, match="Repository"):
        db.backup("d", "s1", "no_such_repository")
    with pytest.raises(tabvault.Error, match="backup_timestamp"):
        db.restore("d", "s1", tabvault_repository)
    with pytest.raises(TypeError, match="not a string"):
        db.backup("d", "s1", tabvault_repository, tables="t")
    db.backup("d", "s1", tabvault_repository).wait()
    with pytest.raises(tabvault.Error):
        db.restore("d", "s1", tabvault_repository, backup_timestamp="1999-01-01-00-00-00").wait()
