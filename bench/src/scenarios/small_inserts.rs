//! small-inserts: many `INSERT … SELECT` of 100 rows each, through the SQL layer, into a
//! 2-partition × 4-bucket table (each insert adds a file to 4 tablets), on an engine whose
//! background compactor runs and on one without it. Rows: the insert rate with the compactor vs
//! without (goal, issue 12: ≥ 0.8×), and `count(*), sum(v)` over the inserted rows once the
//! compactor has settled vs over the uncompacted files. File counts go in the notes.

use std::path::Path;
use std::time::{Duration, Instant};

use tabvault_sql::Database;
use tabvault_storage::{CompactionPolicy, Engine};

use super::{Ctx, rotation};
use crate::Result;
use crate::report::{Goal, Row};
use crate::stats::{Unit, timed};

/// Rows per insert.
const ROWS: u64 = 100;
/// Inserts per run (a tenth with `--quick`).
const INSERTS: u64 = 1000;
/// How long the compactor may take to settle before the run fails.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);

const SETUP: &str = "CREATE DATABASE IF NOT EXISTS s; USE s;
CREATE TABLE t (k BIGINT, v BIGINT) DUPLICATE KEY(k)
PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (50000), PARTITION p2 VALUES LESS THAN (MAXVALUE))
DISTRIBUTED BY HASH(k) BUCKETS 4";

/// Runs the scenario: rows `small-inserts-rate` and `small-inserts-count`.
pub fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let inserts = if ctx.config.quick {
        INSERTS / 10
    } else {
        INSERTS
    };
    let mut rate = Row::new(
        "small-inserts-rate",
        &format!("{inserts} INSERT … SELECT of {ROWS} rows, 2 partitions × 4 buckets"),
        "the same inserts, no background compaction",
        Unit::RowsPerSecond,
        Goal::AtLeast(0.8),
    );
    let mut count = Row::new(
        "small-inserts-count",
        &format!(
            "SELECT count(*), sum(v) over the {} inserted rows",
            inserts * ROWS
        ),
        "the same, uncompacted files",
        Unit::Seconds,
        Goal::AtLeast(1.0),
    );
    let mut files = (0, 0, 0);
    for i in 0..ctx.runs() {
        for compacting in rotation(&[true, false], i) {
            let dir = ctx.fresh(ctx.work, "small-inserts");
            let policy = compacting.then(CompactionPolicy::default);
            let engine = Engine::builder(&dir).auto_compaction(policy).open()?;
            let mut session = Database::with_engine(engine.clone())?.root_session()?;
            session.execute(SETUP)?;
            let start = Instant::now();
            for n in 0..inserts {
                session.execute(&format!(
                    "INSERT INTO t SELECT value + {} AS k, value AS v FROM generate_series(1, {ROWS})",
                    n * ROWS
                ))?;
            }
            let rows_per_s = (inserts * ROWS) as f64 / start.elapsed().as_secs_f64();
            let after_inserts = data_files(&dir);
            if compacting {
                settle(&engine, CompactionPolicy::default())?;
            }
            let settled = data_files(&dir);
            let (secs, answer) = timed(|| Ok(session.execute("SELECT count(*), sum(v) FROM t")?))?;
            if answer.first().map(tabvault_sql::QueryResult::row_count) != Some(1) {
                return Err("count(*) returned no row".into());
            }
            if compacting {
                rate.tabvault.push(rows_per_s);
                count.tabvault.push(secs);
                files = (after_inserts, settled, files.2);
            } else {
                rate.baseline.push(rows_per_s);
                count.baseline.push(secs);
                files.2 = settled;
            }
        }
    }
    rate.note = format!(
        "files: {} right after the inserts with the compactor, {} once it settled, {} without it",
        files.0, files.1, files.2
    );
    count.note = "the compactor settles (≤ 5 rowsets per tablet) before the query".into();
    Ok(vec![rate, count])
}

/// Waits until no tablet holds as many rowsets as the compactor's trigger.
fn settle(engine: &Engine, policy: CompactionPolicy) -> Result<()> {
    let deadline = Instant::now() + SETTLE_LIMIT;
    loop {
        let version = engine.pin_table("s", "t")?;
        let most = version
            .table()
            .partitions
            .values()
            .flat_map(|p| p.tablets.iter().map(|t| t.rowsets.len()))
            .max()
            .unwrap_or(0);
        if most < policy.trigger {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the compactor left {most} rowsets in a tablet").into());
        }
        std::thread::yield_now();
    }
}

/// Parquet files under the data directory `dir`.
fn data_files(dir: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        usize::from(path.extension().is_some_and(|x| x == "parquet"))
                    }
                })
                .sum()
        })
    }
    walk(&dir.join(tabvault_storage::internal::DATA_DIR))
}
