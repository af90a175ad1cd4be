//! repeat: a full BACKUP to a fresh repository, then 1% new rows, then a second BACKUP to the same
//! repository, which uploads only files not already there (content addressing). "1% of
//! partitions" cannot be had with 7 partitions, so the change is honest about what it is: new
//! rows amounting to 1% of the table's rows, all in one partition (p1995: 1 of 7 partitions,
//! 4 new files). Goal (issue 3): the repeat costs ≤ 3% of the full backup's time and bytes, i.e.
//! full ÷ repeat ≥ 33.3. The full backup necessarily runs first in every run.

use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;

use super::Ctx;
use super::jobs::{add_repository, backup};
use crate::Result;
use crate::data::{DB, Generator, TABLE, partition_name};
use crate::fsops::remove_tree;
use crate::report::{Goal, Row};
use crate::size::format_bytes;
use crate::stats::Unit;

/// The partition that receives the change.
pub const CHANGED_YEAR: i32 = 1995;

/// Runs the scenario (rows `repeat-backup-time`, `repeat-backup-bytes`). Appends 1% of the rows
/// per run to the table.
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    let goal = Goal::AtLeast(33.3);
    let target = format!("repository on {}", ctx.other_label());
    let mut time = Row::new(
        "repeat-backup-time",
        &format!("repeat backup after +1% rows in one partition, {target}"),
        "the full backup before it",
        Unit::Seconds,
        goal.clone(),
    );
    let mut bytes = Row::new(
        "repeat-backup-bytes",
        "bytes transferred by that repeat backup",
        "bytes of the full backup",
        Unit::Bytes,
        goal,
    );
    let service = SnapshotService::open(engine.clone())?;
    let delta_rows = usize::try_from(ctx.data.rows / 100)
        .unwrap_or(usize::MAX)
        .max(1);
    let mut files = (0, 0);
    for i in 0..ctx.runs() {
        let location = ctx.fresh(ctx.other, "repo");
        let name = ctx.name("repo");
        add_repository(&service, &name, &location)?;
        let (full_secs, full) = backup(&service, &name, &ctx.name("full"))?;
        let delta = Generator::new(ctx.data.seed ^ (0xD17A + i as u64))
            .batch(delta_rows, CHANGED_YEAR..=CHANGED_YEAR)?;
        engine.append(DB, TABLE, delta)?;
        let (repeat_secs, repeat) = backup(&service, &name, &ctx.name("repeat"))?;
        time.baseline.push(full_secs);
        time.tabvault.push(repeat_secs);
        bytes.baseline.push(full.progress.bytes_transferred as f64);
        bytes
            .tabvault
            .push(repeat.progress.bytes_transferred as f64);
        files = (
            full.progress.files_transferred,
            repeat.progress.files_transferred,
        );
        service.drop_repository(&name)?;
        remove_tree(&location)?;
    }
    time.note = format!(
        "{delta_rows} new rows into {} per run; repeat = {:.1}% of the full backup's time",
        partition_name(CHANGED_YEAR),
        100.0 / time.ratio().unwrap_or(f64::NAN)
    );
    bytes.note = format!(
        "files_transferred {} (full) vs {} (repeat); bytes_transferred {} vs {} = {:.2}%",
        files.0,
        files.1,
        format_bytes(bytes.baseline.median() as u64),
        format_bytes(bytes.tabvault.median() as u64),
        100.0 / bytes.ratio().unwrap_or(f64::NAN)
    );
    Ok(vec![time, bytes])
}
