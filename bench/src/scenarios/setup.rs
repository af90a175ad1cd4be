//! Engines holding the data set, and the list of their data files.

use std::path::{Path, PathBuf};

use tabvault_storage::Engine;

use crate::Result;
use crate::data::{BUCKETS, DB, Dataset, TABLE, table_def};

/// Opens a new engine at `dir` with the database and the empty lineitem table. Background
/// compaction is off: scenarios compare tabvault with readers of the very files it wrote, so the
/// files must not change under them.
pub fn create_engine(dir: &Path) -> Result<Engine> {
    let engine = Engine::builder(dir).auto_compaction(None).open()?;
    engine.create_database(DB, true)?;
    engine.create_table(DB, &table_def(TABLE, true, BUCKETS), true)?;
    Ok(engine)
}

/// Appends every batch of `data`, one commit per batch.
pub fn load(engine: &Engine, data: &Dataset) -> Result<()> {
    for batch in &data.batches {
        engine.append(DB, TABLE, batch.clone())?;
    }
    Ok(())
}

/// Absolute paths of the lineitem table's data files, in partition order.
pub fn data_files(engine: &Engine) -> Result<Vec<PathBuf>> {
    let version = engine.pin_table(DB, TABLE)?;
    let mut files = Vec::new();
    for partition in version.table().partitions_in_order() {
        for tablet in &partition.tablets {
            for rowset in &tablet.rowsets {
                files.push(engine.root().join(&rowset.file.path));
            }
        }
    }
    Ok(files)
}
