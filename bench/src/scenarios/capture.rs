//! capture: `tabvault_snapshot::capture` of the whole database (hard links + manifest, into a
//! directory under the data directory) vs `cp -r` of the same data files on the same filesystem.
//! Goal (issue 3): ≥ 100× faster at 1 GiB; capture is O(files), flat in bytes: compare its time
//! across `--size` runs (`--scenarios capture`).

use tabvault_snapshot::capture;
use tabvault_storage::Engine;
use tabvault_storage::internal::DATA_DIR;

use super::{Ctx, rotation};
use crate::Result;
use crate::data::DB;
use crate::fsops::{cp_r, remove_tree, tree_size};
use crate::report::{Goal, Row};
use crate::size::format_bytes;
use crate::stats::{Unit, timed};

/// Runs the scenario (row `capture`).
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Row> {
    let mut row = Row::new(
        "capture",
        "snapshot capture (hard links + manifest)",
        "cp -r of data/ (same fs, no fsync)",
        Unit::Seconds,
        Goal::AtLeast(100.0),
    );
    let data = engine.root().join(DATA_DIR);
    let (files, bytes) = tree_size(&data)?;
    for i in 0..ctx.runs() {
        for tabvault in rotation(&[true, false], i) {
            if tabvault {
                let dir = ctx.fresh(engine.root(), "bench-capture");
                let (secs, _) = timed(|| Ok(capture(engine, DB, &[], &dir, false, &|| false)?))?;
                row.tabvault.push(secs);
                remove_tree(&dir)?;
            } else {
                let dest = ctx.fresh(ctx.work, "copy");
                let (secs, ()) = timed(|| cp_r(&data, &dest))?;
                row.baseline.push(secs);
                remove_tree(&dest)?;
            }
        }
    }
    row.note = format!(
        "{files} files, {} on disk, {} Arrow: capture {:.1} µs/file",
        format_bytes(bytes),
        format_bytes(ctx.data.arrow_bytes),
        row.tabvault.median() * 1e6 / files.max(1) as f64
    );
    if ctx.data.arrow_bytes < (1 << 30) * 99 / 100 {
        row.note.push_str("; the 100× goal is stated at 1 GiB");
    }
    Ok(row)
}
