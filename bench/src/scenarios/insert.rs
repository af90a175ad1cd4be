//! insert: throughput of repeated small appends (1,000 rows each, one commit each, into an
//! unpartitioned 1-bucket table of the same database) while a full BACKUP to a fresh repository
//! runs, vs the same appends on an idle engine for the same length of time. Goal (issue 3):
//! ≥ 0.8× the idle rate.

use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;

use super::jobs::{add_repository, backup_request, finished};
use super::{Ctx, rotation};
use crate::Result;
use crate::data::{DB, table_def};
use crate::fsops::remove_tree;
use crate::report::{Goal, Row};
use crate::stats::Unit;

/// Rows per small append.
pub const SMALL_ROWS: usize = 1000;
/// The table the small appends go to.
pub const INSERT_TABLE: &str = "lineitem_inserts";
/// Shortest measuring window.
const MIN_WINDOW: Duration = Duration::from_millis(500);

/// Runs the scenario (row `insert-during-backup`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Row> {
    let mut row = Row::new(
        "insert-during-backup",
        &format!(
            "{SMALL_ROWS}-row appends while a full backup to {} runs",
            ctx.other_label()
        ),
        "the same appends, engine idle",
        Unit::RowsPerSecond,
        Goal::AtLeast(0.8),
    );
    engine.create_table(DB, &table_def(INSERT_TABLE, false, 1), true)?;
    let first = ctx.data.batches.first().ok_or("empty data set")?;
    let small = first.slice(0, SMALL_ROWS.min(first.num_rows()));
    let service = SnapshotService::open(engine.clone())?;
    let mut window = MIN_WINDOW;
    let mut appends = 0u64;
    for i in 0..ctx.runs() {
        for during in rotation(&[true, false], i) {
            if during {
                let location = ctx.fresh(ctx.other, "repo");
                let name = ctx.name("repo");
                add_repository(&service, &name, &location)?;
                let job = service.backup(&backup_request(&name, &ctx.name("busy")))?;
                let start = Instant::now();
                let mut rows = 0;
                while !job.is_done() {
                    rows += append_one(engine, &small)?;
                    appends += 1;
                }
                let elapsed = start.elapsed();
                finished(job.wait())?;
                window = elapsed.max(MIN_WINDOW);
                row.tabvault.push(rows as f64 / elapsed.as_secs_f64());
                service.drop_repository(&name)?;
                remove_tree(&location)?;
            } else {
                let start = Instant::now();
                let mut rows = 0;
                while start.elapsed() < window {
                    rows += append_one(engine, &small)?;
                    appends += 1;
                }
                row.baseline
                    .push(rows as f64 / start.elapsed().as_secs_f64());
            }
        }
    }
    row.note = format!(
        "{appends} appends in all; idle window = the last backup's duration (≥ {} ms); each append = 1 file + 1 log fsync",
        MIN_WINDOW.as_millis()
    );
    Ok(row)
}

fn append_one(engine: &Engine, batch: &RecordBatch) -> Result<u64> {
    Ok(engine
        .append(DB, INSERT_TABLE, batch.clone())?
        .rows_appended)
}
