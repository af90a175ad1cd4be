//! iceberg: a full BACKUP with the repository's Iceberg view on (the default: metadata.json,
//! manifest list and manifests per table, see docs/FORMAT.md §2.4) vs the same BACKUP to a
//! repository with `"iceberg" = "false"`, alternating, each to a fresh repository, on the data
//! directory's filesystem (hard links: the view's share is largest) and on another one. Goal
//! (issue 16): the view costs at most 10% (time ratio ≥ 0.91, just above 1 / 1.1).

use std::path::Path;

use tabvault_snapshot::{RepositoryOptions, SnapshotService};
use tabvault_storage::Engine;

use super::jobs::backup;
use super::{Ctx, rotation};
use crate::Result;
use crate::fsops::{remove_tree, utf8};
use crate::report::{Goal, Row};
use crate::stats::Unit;

/// Runs the scenario (rows `iceberg-view-same-fs`, `iceberg-view-other-fs`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    let service = SnapshotService::open(engine.clone())?;
    let goal = || Goal::AtLeast(0.91);
    let same = one_target(
        ctx,
        &service,
        ctx.work,
        Row::new(
            "iceberg-view-same-fs",
            "full backup with the Iceberg view, repository on the data dir's filesystem",
            "the same backup with \"iceberg\" = \"false\"",
            Unit::Seconds,
            goal(),
        ),
    )?;
    let other = one_target(
        ctx,
        &service,
        ctx.other,
        Row::new(
            "iceberg-view-other-fs",
            &format!(
                "full backup with the Iceberg view, repository on {}",
                ctx.other_label()
            ),
            "the same backup with \"iceberg\" = \"false\"",
            Unit::Seconds,
            goal(),
        ),
    )?;
    Ok(vec![same, other])
}

fn one_target(ctx: &Ctx, service: &SnapshotService, base: &Path, mut row: Row) -> Result<Row> {
    for i in 0..ctx.runs() {
        for with_view in rotation(&[true, false], i) {
            let location = ctx.fresh(base, "repo");
            let name = ctx.name("repo");
            let options = RepositoryOptions {
                iceberg: Some(with_view),
                ..RepositoryOptions::default()
            };
            service.create_repository(&name, utf8(&location)?, &options, false, None)?;
            let (secs, _) = backup(service, &name, &ctx.name("full"))?;
            if with_view {
                row.tabvault.push(secs);
            } else {
                row.baseline.push(secs);
            }
            service.drop_repository(&name)?;
            remove_tree(&location)?;
        }
    }
    row.note = "ratio = time without the view ÷ time with it; 1 / 1.1 = 0.91".into();
    Ok(row)
}
