//! restore: RESTORE of a full backup into a fresh engine (download, size + BLAKE3 verification of
//! every file, one commit) vs `cp -r` of the repository's data files into the data directory's
//! filesystem: from a repository on another filesystem (copies; goal ≥ 0.9×, issue 4) and from
//! one on the same filesystem (hard links; O(files)).

use std::path::Path;

use tabvault_snapshot::{REPOSITORY_DATA_DIR, SnapshotService};
use tabvault_storage::Engine;

use super::jobs::{add_repository, backup, restore_fresh};
use super::{Ctx, rotation};
use crate::Result;
use crate::fsops::{cp_r, remove_tree, tree_size};
use crate::report::{Goal, Row};
use crate::size::format_bytes;
use crate::stats::{Unit, timed};

/// Runs the scenario (rows `restore-other-fs`, `restore-same-fs`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    let service = SnapshotService::open(engine.clone())?;
    let other = one_source(
        ctx,
        &service,
        ctx.other,
        Row::new(
            "restore-other-fs",
            &format!(
                "restore with checksum verification from a repository on {} into a fresh engine",
                ctx.other_label()
            ),
            "cp -r of the repository's data files to the data fs (no fsync)",
            Unit::Seconds,
            Goal::AtLeast(0.9),
        ),
    )?;
    let same = one_source(
        ctx,
        &service,
        ctx.work,
        Row::new(
            "restore-same-fs",
            "restore with checksum verification from a same-filesystem repository (hard links)",
            "cp -r of the repository's data files on the same fs (no fsync)",
            Unit::Seconds,
            Goal::Info("O(files)".into()),
        ),
    )?;
    Ok(vec![other, same])
}

fn one_source(ctx: &Ctx, service: &SnapshotService, base: &Path, mut row: Row) -> Result<Row> {
    let location = ctx.fresh(base, "repo");
    let name = ctx.name("repo");
    add_repository(service, &name, &location)?;
    let snapshot = ctx.name("restore_source");
    let (_, record) = backup(service, &name, &snapshot)?;
    let repo_data = location.join(REPOSITORY_DATA_DIR);
    let (files, bytes) = tree_size(&repo_data)?;
    for i in 0..ctx.runs() {
        for tabvault in rotation(&[true, false], i) {
            let dest = ctx.fresh(ctx.work, if tabvault { "restored" } else { "copy" });
            if tabvault {
                let (secs, _) = restore_fresh(&location, &snapshot, &record.timestamp, &dest)?;
                row.tabvault.push(secs);
            } else {
                let (secs, ()) = timed(|| cp_r(&repo_data, &dest))?;
                row.baseline.push(secs);
            }
            remove_tree(&dest)?;
        }
    }
    service.drop_repository(&name)?;
    remove_tree(&location)?;
    row.note = format!(
        "{files} files, {}; {:.2} ms/file",
        format_bytes(bytes),
        row.tabvault.median() * 1e3 / files.max(1) as f64
    );
    Ok(row)
}
