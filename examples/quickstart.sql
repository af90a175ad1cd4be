-- tabvault quickstart: run with `cargo run --release -- -f examples/quickstart.sql`.
-- Creates example_db with a range-partitioned DUPLICATE KEY table and a PRIMARY KEY table, loads
-- about a million generated rows, backs them up with the seed page's three BACKUP statements,
-- damages the data, restores it and checks that it is back. Re-runnable: it drops what a previous
-- run left first.

DROP DATABASE IF EXISTS example_db;
CREATE DATABASE example_db;
USE example_db;

CREATE TABLE example_tbl (
    event_date DATE NOT NULL,
    user_id BIGINT NOT NULL,
    city VARCHAR(32),
    amount DECIMAL(12, 2)
)
DUPLICATE KEY(event_date, user_id)
PARTITION BY RANGE(event_date) (
    PARTITION p1 VALUES LESS THAN ("2024-04-01"),
    PARTITION p2 VALUES LESS THAN ("2024-07-01"),
    PARTITION p3 VALUES LESS THAN ("2024-10-01"),
    PARTITION p4 VALUES LESS THAN ("2025-01-01")
)
DISTRIBUTED BY HASH(user_id) BUCKETS 4
PROPERTIES ("replication_num" = "1", "compression" = "zstd");

CREATE TABLE example_tbl2 (
    user_id BIGINT NOT NULL,
    name VARCHAR(64),
    balance BIGINT
)
PRIMARY KEY(user_id)
DISTRIBUTED BY HASH(user_id) BUCKETS 4
PROPERTIES ("replication_num" = "1");

-- 900,000 events over 2024 and 100,000 users, in two commits.
INSERT INTO example_tbl
SELECT arrow_cast(CAST(19723 + value % 366 AS INT), 'Date32') AS event_date,  -- 19723: 2024-01-01
       value % 100000 AS user_id,
       concat('city_', CAST(value % 50 AS VARCHAR)) AS city,
       CAST(value % 10000 AS DECIMAL(12, 2)) / 100 AS amount
FROM generate_series(1, 900000);

INSERT INTO example_tbl2
SELECT value AS user_id, concat('user_', CAST(value AS VARCHAR)) AS name, value * 10 AS balance
FROM generate_series(0, 99999);

SHOW PARTITIONS FROM example_tbl;
SELECT COUNT(*) AS events, SUM(amount) AS total FROM example_tbl;
SELECT COUNT(*) AS users, SUM(balance) AS balance FROM example_tbl2;

-- A repository next to the data directory (relative locations resolve against the data
-- directory's parent: ./example_repo beside ./tabvault-data): on the same filesystem, so backups
-- store hard links, not copies. Running this script again attaches to the repository it made.
DROP REPOSITORY IF EXISTS example_repo;
CREATE REPOSITORY example_repo ON LOCATION "example_repo";
DROP SNAPSHOT IF EXISTS snapshot_label1 ON example_repo;
DROP SNAPSHOT IF EXISTS snapshot_label2 ON example_repo;
DROP SNAPSHOT IF EXISTS snapshot_label3 ON example_repo;

-- The seed page's three examples, verbatim. The shell waits for each job.
BACKUP SNAPSHOT example_db.snapshot_label1
TO example_repo
PROPERTIES ("type" = "full");

BACKUP SNAPSHOT example_db.snapshot_label2
TO example_repo
ON (example_tbl);

BACKUP SNAPSHOT example_db.snapshot_label3
TO example_repo
ON(
    example_tbl PARTITION (p1, p2),
    example_tbl2
);

SHOW BACKUP FROM example_db;
SHOW SNAPSHOT ON example_repo;

-- Damage: drop a partition, delete and overwrite users.
ALTER TABLE example_tbl DROP PARTITION p1;
DELETE FROM example_tbl2 WHERE user_id < 50000;
INSERT INTO example_tbl2 VALUES (50000, 'damaged', -1);
SELECT COUNT(*) AS events_after_damage FROM example_tbl;
SELECT COUNT(*) AS users_after_damage, SUM(balance) AS balance FROM example_tbl2;

-- Restore p1 and p2 of example_tbl and all of example_tbl2 from snapshot_label3. The timestamp
-- "LATEST" (a tabvault extension) picks the newest timestamp SHOW SNAPSHOT lists.
RESTORE SNAPSHOT example_db.snapshot_label3
FROM example_repo
ON (example_tbl PARTITION (p1, p2), example_tbl2)
PROPERTIES ("backup_timestamp" = "LATEST", "replication_num" = "1");

SHOW RESTORE FROM example_db;
SELECT COUNT(*) AS events, SUM(amount) AS total FROM example_tbl;
SELECT COUNT(*) AS users, SUM(balance) AS balance FROM example_tbl2;
SELECT name, balance FROM example_tbl2 WHERE user_id = 50000;
