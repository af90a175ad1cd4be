//! export: BACKUP + RESTORE (into a fresh engine) vs DuckDB `EXPORT DATABASE ... (FORMAT
//! parquet, COMPRESSION zstd)` + `IMPORT DATABASE` into a fresh database file + `CHECKPOINT`, of
//! the same rows (loaded into DuckDB beforehand, untimed). Goals (issue 7): ≥ 5× faster to a
//! repository in another directory (here: another filesystem), ≥ 100× to one on the same
//! filesystem.

use std::path::Path;

use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;

use super::jobs::{add_repository, backup, restore_fresh};
use super::setup::data_files;
use super::{Ctx, DUCKDB_UNAVAILABLE, rotation};
use crate::Result;
use crate::duckdb::{DuckDb, write_file_list};
use crate::fsops::remove_tree;
use crate::report::{Goal, Row};
use crate::stats::Unit;

/// Runs the scenario (rows `backup-restore-other-fs`, `backup-restore-same-fs`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    let duck_name = match ctx.duckdb {
        Ok(d) => format!("DuckDB {} EXPORT + IMPORT DATABASE", d.version),
        Err(_) => "DuckDB EXPORT + IMPORT DATABASE".into(),
    };
    let other = Row::new(
        "backup-restore-other-fs",
        &format!("backup + restore via a repository on {}", ctx.other_label()),
        &format!("{duck_name}, export dir on the same fs as the repository"),
        Unit::Seconds,
        Goal::AtLeast(5.0),
    );
    let same = Row::new(
        "backup-restore-same-fs",
        "backup + restore via a repository on the data dir's filesystem",
        &format!("{duck_name}, export dir on the data fs"),
        Unit::Seconds,
        Goal::AtLeast(100.0),
    );
    let duck = match ctx.duckdb {
        Ok(duck) => duck,
        Err(_) => {
            return Ok(vec![
                other.skipped(DUCKDB_UNAVAILABLE),
                same.skipped(DUCKDB_UNAVAILABLE),
            ]);
        }
    };
    let list = ctx.fresh(ctx.work, "files").with_extension("txt");
    write_file_list(&list, &data_files(engine)?)?;
    let source_db = ctx.fresh(ctx.work, "duck").with_extension("duckdb");
    let loaded = duck.load(&list, &source_db)?;
    let service = SnapshotService::open(engine.clone())?;
    let mut rows = Vec::new();
    for (mut row, base) in [(other, ctx.other), (same, ctx.work)] {
        for i in 0..ctx.runs() {
            for tabvault in rotation(&[true, false], i) {
                if tabvault {
                    row.tabvault.push(round_trip(ctx, &service, base)?);
                } else {
                    row.baseline
                        .push(duck_round_trip(ctx, duck, &source_db, base)?);
                }
            }
        }
        row.note = format!(
            "{loaded} rows; tabvault verifies BLAKE3 of every file on restore; DuckDB timed inside Python"
        );
        rows.push(row);
    }
    std::fs::remove_file(&source_db)?;
    Ok(rows)
}

/// Backup to a fresh repository under `base`, then restore into a fresh engine; seconds of both.
fn round_trip(ctx: &Ctx, service: &SnapshotService, base: &Path) -> Result<f64> {
    let location = ctx.fresh(base, "repo");
    let name = ctx.name("repo");
    add_repository(service, &name, &location)?;
    let snapshot = ctx.name("round_trip");
    let (backup_secs, record) = backup(service, &name, &snapshot)?;
    let target = ctx.fresh(ctx.work, "restored");
    let (restore_secs, _) = restore_fresh(&location, &snapshot, &record.timestamp, &target)?;
    service.drop_repository(&name)?;
    remove_tree(&location)?;
    remove_tree(&target)?;
    Ok(backup_secs + restore_secs)
}

fn duck_round_trip(ctx: &Ctx, duck: &DuckDb, source: &Path, base: &Path) -> Result<f64> {
    let export_dir = ctx.fresh(base, "duck-export");
    let target = ctx.fresh(ctx.work, "duck-import").with_extension("duckdb");
    let (secs, _) = duck.export_import(source, &export_dir, &target)?;
    remove_tree(&export_dir)?;
    std::fs::remove_file(&target)?;
    let wal = target.with_extension("duckdb.wal");
    if wal.exists() {
        std::fs::remove_file(wal)?;
    }
    Ok(secs)
}
