//! The scenarios, one per module, and what they share: the run context, engine set-up and
//! BACKUP/RESTORE helpers.

pub mod append;
pub mod backup;
pub mod capture;
pub mod export;
pub mod iceberg;
pub mod insert;
pub mod jobs;
pub mod repeat;
pub mod restore;
pub mod scan;
pub mod setup;
pub mod small_inserts;
pub mod sql;

use std::cell::Cell;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::data::Dataset;
use crate::duckdb::DuckDb;

/// Why DuckDB rows are not run (the report's notes give the detail).
pub const DUCKDB_UNAVAILABLE: &str = "duckdb unavailable";

/// The order of `sides` in run `i`: rotated by one each run, so each goes first in turn.
pub fn rotation<T: Copy>(sides: &[T], i: usize) -> Vec<T> {
    let n = sides.len().max(1);
    (0..sides.len()).map(|k| sides[(k + i) % n]).collect()
}

/// What every scenario gets.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The run's configuration.
    pub config: &'a Config,
    /// The generated rows.
    pub data: &'a Dataset,
    /// Working directory on the data filesystem (engines, same-filesystem repositories, copies).
    pub work: &'a Path,
    /// Working directory for "another filesystem" repositories and copies.
    pub other: &'a Path,
    /// Whether `other` really is on another filesystem.
    pub other_is_other_fs: bool,
    /// DuckDB, or why it is unavailable.
    pub duckdb: &'a std::result::Result<DuckDb, String>,
    counter: Cell<u64>,
}

impl<'a> Ctx<'a> {
    /// A context over the given directories.
    pub fn new(
        config: &'a Config,
        data: &'a Dataset,
        work: &'a Path,
        other: &'a Path,
        other_is_other_fs: bool,
        duckdb: &'a std::result::Result<DuckDb, String>,
    ) -> Self {
        Self {
            config,
            data,
            work,
            other,
            other_is_other_fs,
            duckdb,
            counter: Cell::new(0),
        }
    }

    /// Alternating runs per scenario.
    pub fn runs(&self) -> usize {
        self.config.runs.max(1)
    }

    /// A fresh, not yet existing path `base/<prefix>-<n>`.
    pub fn fresh(&self, base: &Path, prefix: &str) -> PathBuf {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        base.join(format!("{prefix}-{n}"))
    }

    /// A fresh unique name `<prefix>_<n>` (snapshots, repositories).
    pub fn name(&self, prefix: &str) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("{prefix}_{n}")
    }

    /// Label of the "another filesystem" target for the report.
    pub fn other_label(&self) -> &'static str {
        if self.other_is_other_fs {
            "another filesystem"
        } else {
            "another dir, SAME filesystem (no other fs available)"
        }
    }
}
