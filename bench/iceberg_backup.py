"""BACKUP time with the Iceberg export on and off (issue 16), on one table of a few hundred files.

Usage: python3 bench/iceberg_backup.py [runs]. Needs the `tabvault` package (scripts/test.sh builds
it). Two local repositories on the data directory's filesystem (so data files are hard-linked and
the metadata work is not hidden behind byte copies), one with "iceberg" = "false"; BACKUPs of the
whole database alternate between them. Prints min / median / max wall time of BACKUP + wait.
"""

import json
import pathlib
import statistics
import sys
import tempfile
import time

import tabvault

PARTITIONS = 10
BUCKETS = 10
COMMITS = 3


def main(runs):
    root = pathlib.Path(tempfile.mkdtemp(prefix="iceberg-bench-"))
    db = tabvault.open(str(root / "data"))
    for name, iceberg in (("on", "true"), ("off", "false")):
        db.execute(
            f'CREATE REPOSITORY {name} ON LOCATION "{root / name}" '
            f'PROPERTIES ("iceberg" = "{iceberg}")'
        )
    db.execute("CREATE DATABASE d")
    bounds = ", ".join(
        f'PARTITION p{i} VALUES LESS THAN ("{(i + 1) * 1000}")' for i in range(PARTITIONS)
    )
    db.execute(
        "CREATE TABLE d.t (k BIGINT NOT NULL, v STRING, x DOUBLE, dt DATE) DUPLICATE KEY(k) "
        f"PARTITION BY RANGE(k) ({bounds}) DISTRIBUTED BY HASH(k) BUCKETS {BUCKETS}"
    )
    for commit in range(COMMITS):
        values = ", ".join(
            f"({k}, 'v{k}-{commit}', {k * 0.5}, '2024-01-{1 + k % 28:02d}')"
            for k in range(0, PARTITIONS * 1000, 7)
        )
        db.execute(f"INSERT INTO d.t VALUES {values}")
    times = {"on": [], "off": []}
    for run in range(runs):
        for name in ("on", "off"):
            start = time.perf_counter()
            job = db.backup("d", f"s{run}", name)
            assert job.wait() == "FINISHED", job.status
            times[name].append(time.perf_counter() - start)
    meta = json.loads((root / "on" / "snapshots" / "s0" / "meta.json").read_text())
    files = sum(
        len(tablet["rowsets"])
        for table in meta["tables"]
        for partition in table["partitions"]
        for tablet in partition["tablets"]
    )
    print(f"{files} data files, {runs} runs each")
    for name, values in times.items():
        ms = sorted(v * 1000 for v in values)
        print(f"iceberg {name}: {ms[0]:.1f} / {statistics.median(ms):.1f} / {ms[-1]:.1f} ms")
    ratio = statistics.median(times["on"]) / statistics.median(times["off"])
    print(f"on / off (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
