//! append: `Engine::append` of the data set's batches (route to 7 partitions × 4 buckets, the default codec,
//! BLAKE3 as the bytes pass, fsync, rename, metadata log fsync) vs parquet's `ArrowWriter`
//! writing the same batches into one file with the same writer properties and one fsync at the
//! end. Goal (issue 2): ≥ 0.8× raw throughput.

use std::fs::File;

use parquet::arrow::ArrowWriter;
use tabvault_storage::internal::writer_properties;
use tabvault_storage::{Compression, Engine};

use super::setup::{create_engine, load};
use super::{Ctx, rotation};
use crate::fsops::{remove_tree, tree_size};
use crate::report::{Goal, Row};
use crate::stats::{Unit, timed};
use crate::{Result, size};

/// tabvault's default largest row group, used for the raw writer too.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Runs the scenario; returns its row and the engine of the last tabvault run, which holds the
/// data set for the scenarios that follow.
pub fn run(ctx: &Ctx) -> Result<(Row, Engine)> {
    let mut row = Row::new(
        "append",
        "load the data set: Engine::append",
        "parquet ArrowWriter, 1 file, same codec, fsync",
        Unit::Seconds,
        Goal::AtLeast(0.8),
    );
    let mut kept: Option<(std::path::PathBuf, Engine)> = None;
    let mut raw_bytes = 0;
    for i in 0..ctx.runs() {
        for side in rotation(&[true, false], i) {
            if side {
                if let Some((dir, engine)) = kept.take() {
                    drop(engine);
                    remove_tree(&dir)?;
                }
                let dir = ctx.fresh(ctx.work, "engine");
                let engine = create_engine(&dir)?;
                let (secs, ()) = timed(|| load(&engine, ctx.data))?;
                row.tabvault.push(secs);
                kept = Some((dir, engine));
            } else {
                let path = ctx.fresh(ctx.work, "raw").with_extension("parquet");
                let (secs, ()) = timed(|| write_raw(ctx, &path))?;
                raw_bytes = std::fs::metadata(&path)?.len();
                row.baseline.push(secs);
                std::fs::remove_file(&path)?;
            }
        }
    }
    let (dir, engine) = kept.ok_or("append ran no tabvault run")?;
    let (files, bytes) = tree_size(&dir.join(tabvault_storage::internal::DATA_DIR))?;
    let mbps = |secs: f64| ctx.data.arrow_bytes as f64 / secs / 1e6;
    row.note = format!(
        "{} Arrow in {} appends → {files} files, {} (raw: 1 file, {}); median {:.0} MB/s vs raw {:.0} MB/s of Arrow data",
        size::format_bytes(ctx.data.arrow_bytes),
        ctx.data.batches.len(),
        size::format_bytes(bytes),
        size::format_bytes(raw_bytes),
        mbps(row.tabvault.median()),
        mbps(row.baseline.median()),
    );
    Ok((row, engine))
}

fn write_raw(ctx: &Ctx, path: &std::path::Path) -> Result<()> {
    let file = File::create(path)?;
    let props = writer_properties(Compression::default(), ROW_GROUP_ROWS, None);
    let mut writer = ArrowWriter::try_new(file, ctx.data.schema(), Some(props))?;
    for batch in &ctx.data.batches {
        writer.write(batch)?;
    }
    let file = writer.into_inner()?;
    file.sync_all()?;
    Ok(())
}
