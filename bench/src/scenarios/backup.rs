//! backup: a full BACKUP of the database (capture, plan, transfer with fsync, manifest, info) to a
//! fresh local repository vs `cp -r` of the same data files to the same place: on another
//! filesystem (copies; goal ≥ 1.0×, issue 3) and on the data directory's filesystem (hard
//! links; O(files)).

use std::path::Path;

use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;
use tabvault_storage::internal::DATA_DIR;

use super::jobs::{add_repository, backup};
use super::{Ctx, rotation};
use crate::Result;
use crate::fsops::{cp_r, remove_tree, tree_size};
use crate::report::{Goal, Row};
use crate::size::format_bytes;
use crate::stats::{Unit, timed};

/// Runs the scenario (rows `backup-other-fs`, `backup-same-fs`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    let service = SnapshotService::open(engine.clone())?;
    let (files, bytes) = tree_size(&engine.root().join(DATA_DIR))?;
    let other = one_target(
        ctx,
        &service,
        ctx.other,
        Row::new(
            "backup-other-fs",
            &format!("full backup to a repository on {}", ctx.other_label()),
            "cp -r of data/ to the same place (no fsync)",
            Unit::Seconds,
            Goal::AtLeast(1.0),
        ),
    )?;
    let same = one_target(
        ctx,
        &service,
        ctx.work,
        Row::new(
            "backup-same-fs",
            "full backup to a repository on the data dir's filesystem (hard links)",
            "cp -r of data/ on the same fs (no fsync)",
            Unit::Seconds,
            Goal::Info("O(files)".into()),
        ),
    )?;
    let per_file = |row: &Row| row.tabvault.median() * 1e3 / files.max(1) as f64;
    let mut rows = vec![other, same];
    for row in &mut rows {
        row.note = format!(
            "{files} files, {}; {:.2} ms/file; {}",
            format_bytes(bytes),
            per_file(row),
            row.note
        );
    }
    Ok(rows)
}

fn one_target(ctx: &Ctx, service: &SnapshotService, base: &Path, mut row: Row) -> Result<Row> {
    let data = service.engine().root().join(DATA_DIR);
    let mut transferred = 0;
    for i in 0..ctx.runs() {
        for tabvault in rotation(&[true, false], i) {
            if tabvault {
                let location = ctx.fresh(base, "repo");
                let name = ctx.name("repo");
                add_repository(service, &name, &location)?;
                let (secs, record) = backup(service, &name, &ctx.name("full"))?;
                transferred = record.progress.bytes_transferred;
                row.tabvault.push(secs);
                service.drop_repository(&name)?;
                remove_tree(&location)?;
            } else {
                let dest = ctx.fresh(base, "copy");
                let (secs, ()) = timed(|| cp_r(&data, &dest))?;
                row.baseline.push(secs);
                remove_tree(&dest)?;
            }
        }
    }
    row.note = format!("{} transferred per backup", format_bytes(transferred));
    Ok(row)
}
