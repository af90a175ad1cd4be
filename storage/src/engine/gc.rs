//! File garbage collection and integrity checks. Files are only ever unlinked, never changed, and
//! only when three things hold: the name and place are ones the engine writes
//! ([`classify_data_file`]), no durable record references the file, and no pinned version reads
//! it. Anything else under `data/` is left where it is and reported by [`Engine::verify`]. After the
//! log lost records (a torn tail was cut, or a repair), unreferenced files are moved to
//! `lost+found/` instead of being unlinked: they may be the only copy of what those records held.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Engine;
use crate::catalog::{CatalogState, Rowset};
use crate::error::{IoContext, Result};
use crate::fs::parent_dir;
use crate::io::StorageIo;
use crate::layout::{DATA_DIR, DataEntry, LOST_FOUND_DIR, classify_data_file};

/// What open-time garbage collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Files deleted (leftover temp files, files of unpublished commits or dropped tables).
    pub files_removed: usize,
    /// Unreferenced rowset files moved to `lost+found/` because the log had lost records.
    pub files_quarantined: usize,
    /// Entries under `data/` the engine did not write, relative to the root: left untouched, or
    /// moved to `lost+found/` when opened with [`crate::EngineBuilder::repair`].
    pub foreign: Vec<PathBuf>,
}

/// What [`Engine::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rowset files checked.
    pub files_checked: usize,
    /// Bytes hashed (deep checks only).
    pub bytes_hashed: u64,
    /// One line per problem: missing file, wrong size, wrong checksum.
    pub problems: Vec<String>,
    /// Entries under `data/` the engine did not write (never deleted; opening with
    /// [`crate::EngineBuilder::repair`] moves them to `lost+found/`), relative to the data directory.
    pub foreign: Vec<PathBuf>,
    /// Rowset-shaped files no record references (left by a crash or a cut log), relative to the
    /// data directory.
    pub unreferenced: Vec<PathBuf>,
    /// Entries kept in `lost+found/` (relative to the data directory), for the operator to inspect.
    pub lost_found: Vec<PathBuf>,
}

impl VerifyReport {
    /// Whether the data directory holds exactly what the catalog names, intact. What is kept in
    /// `lost+found/` does not count: it is outside the engine's tree, waiting for the operator.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.foreign.is_empty() && self.unreferenced.is_empty()
    }
}

/// What happens to an unreferenced rowset file.
#[derive(Clone, Debug)]
pub(super) enum Disposal {
    /// Unlink it.
    Delete,
    /// Move it under this directory, keeping its path relative to the data directory.
    Quarantine(PathBuf),
}

/// Deletes the files of graveyard rowsets that nobody else holds any more.
pub(super) fn sweep(io: &dyn StorageIo, root: &Path, graveyard: &mut Vec<Arc<Rowset>>) {
    graveyard.retain(|rowset| {
        if Arc::strong_count(rowset) > 1 {
            return true;
        }
        let path = root.join(&rowset.file.path);
        if let Err(e) = io.remove_file_if_exists(&path) {
            tracing::warn!(error = %e, "could not remove obsolete rowset; open-time GC will retry");
        }
        remove_empty_parents(io, root, &path);
        false
    });
}

fn remove_empty_parents(io: &dyn StorageIo, root: &Path, file: &Path) {
    let data = root.join(DATA_DIR);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == data || !d.starts_with(&data) || io.remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// One entry found under `data/`.
struct Found {
    /// Relative to the data directory.
    relative: PathBuf,
    kind: Option<DataEntry>,
}

/// Lists every entry under `data/` with what it is; directories that are not the engine's are
/// listed but not entered.
fn survey(root: &Path) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let data = root.join(DATA_DIR);
    if !data.exists() {
        return Ok(found);
    }
    let mut pending = vec![data.clone()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).io_context(|| format!("listing {}", dir.display()))?;
        for entry in entries {
            let entry = entry.io_context(|| format!("listing {}", dir.display()))?;
            let path = entry.path();
            let is_dir = entry
                .file_type()
                .io_context(|| format!("inspecting {}", path.display()))?
                .is_dir();
            let under_data = path.strip_prefix(&data).unwrap_or(&path);
            let kind = classify_data_file(under_data, is_dir);
            if kind == Some(DataEntry::Directory) {
                pending.push(path.clone());
            }
            found.push(Found {
                relative: path.strip_prefix(root).unwrap_or(&path).to_owned(),
                kind,
            });
        }
    }
    Ok(found)
}

/// Disposes of every rowset-shaped file under `data/` that `state` does not reference, removes the
/// engine's directories left empty, and reports everything else; with `foreign_to` (repair) moves
/// those other entries there too, and never otherwise touches them.
pub(super) fn collect_unreferenced(
    io: &dyn StorageIo,
    root: &Path,
    state: &CatalogState,
    disposal: &Disposal,
    foreign_to: Option<&Path>,
) -> Result<GcReport> {
    let referenced: HashSet<PathBuf> = state
        .rowsets()
        .map(|r| PathBuf::from(&r.file.path))
        .collect();
    let mut report = GcReport::default();
    let found = survey(root)?;
    for entry in &found {
        match entry.kind {
            Some(DataEntry::TempRowset) => {
                io.remove_file_if_exists(&root.join(&entry.relative))?;
                report.files_removed += 1;
            }
            Some(DataEntry::Rowset) if !referenced.contains(&entry.relative) => match disposal {
                Disposal::Delete => {
                    io.remove_file_if_exists(&root.join(&entry.relative))?;
                    report.files_removed += 1;
                }
                Disposal::Quarantine(dir) => {
                    quarantine(io, root, &entry.relative, dir)?;
                    report.files_quarantined += 1;
                }
            },
            Some(_) => {}
            None => {
                if let Some(dir) = foreign_to {
                    quarantine(io, root, &entry.relative, dir)?;
                }
                report.foreign.push(entry.relative.clone());
            }
        }
    }
    // Deepest first, so that emptied tablet directories free their partitions and tables.
    let mut dirs: Vec<&Found> = found
        .iter()
        .filter(|f| f.kind == Some(DataEntry::Directory))
        .collect();
    dirs.sort_by_key(|f| std::cmp::Reverse(f.relative.components().count()));
    for dir in dirs {
        // Fails harmlessly when the directory still holds something.
        let _ = io.remove_dir(&root.join(&dir.relative));
    }
    if report.files_removed + report.files_quarantined > 0 {
        tracing::info!(
            removed = report.files_removed,
            quarantined = report.files_quarantined,
            "open-time GC of unreferenced data files"
        );
    }
    if !report.foreign.is_empty() && foreign_to.is_none() {
        tracing::warn!(
            entries = report.foreign.len(),
            first = %report.foreign[0].display(),
            "entries under data/ that tabvault did not write were left untouched"
        );
    }
    Ok(report)
}

/// Moves `relative` (a path under the data directory) to the same path under `dir`.
pub(super) fn quarantine(
    io: &dyn StorageIo,
    root: &Path,
    relative: &Path,
    dir: &Path,
) -> Result<()> {
    let target = dir.join(relative);
    if let Some(parent) = parent_dir(&target) {
        io.create_dir_durable(parent)?;
    }
    let source = root.join(relative);
    io.rename_durable(&source, &target)?;
    if let Some(parent) = parent_dir(&source) {
        io.sync_dir(parent)?;
    }
    Ok(())
}

impl Engine {
    /// Checks the data directory: every published rowset file exists with its recorded size and,
    /// when `deep`, its recorded BLAKE3 checksum; and lists what does not belong (foreign entries
    /// under `data/`, unreferenced rowset files, anything kept in `lost+found/`). Changes nothing.
    pub fn verify(&self, deep: bool) -> Result<VerifyReport> {
        let catalog = self.catalog();
        let mut report = VerifyReport::default();
        for rowset in catalog.rowsets() {
            report.files_checked += 1;
            let path = self.root().join(&rowset.file.path);
            let size = match fs::metadata(&path) {
                Ok(m) => m.len(),
                Err(e) => {
                    report.problems.push(format!("{}: {e}", rowset.file.path));
                    continue;
                }
            };
            if size != rowset.file.size_bytes {
                report.problems.push(format!(
                    "{}: size {size}, recorded {}",
                    rowset.file.path, rowset.file.size_bytes
                ));
                continue;
            }
            if deep {
                let checksum = hash_file(&path)?;
                report.bytes_hashed += size;
                if checksum != rowset.file.checksum {
                    report.problems.push(format!(
                        "{}: checksum {checksum}, recorded {}",
                        rowset.file.path, rowset.file.checksum
                    ));
                }
            }
        }
        let referenced: HashSet<PathBuf> = catalog
            .rowsets()
            .map(|r| PathBuf::from(&r.file.path))
            .collect();
        for entry in survey(self.root())? {
            match entry.kind {
                None => report.foreign.push(entry.relative),
                Some(DataEntry::Rowset) if !referenced.contains(&entry.relative) => {
                    report.unreferenced.push(entry.relative);
                }
                Some(_) => {}
            }
        }
        let lost_found = self.root().join(LOST_FOUND_DIR);
        if let Ok(entries) = fs::read_dir(&lost_found) {
            for entry in entries.flatten() {
                report
                    .lost_found
                    .push(Path::new(LOST_FOUND_DIR).join(entry.file_name()));
            }
        }
        report.foreign.sort();
        report.unreferenced.sort();
        report.lost_found.sort();
        Ok(report)
    }
}

/// `lost+found/<why>-<ms>` under `root`.
pub(super) fn lost_found_dir(root: &Path, why: &str, now_ms: u64) -> PathBuf {
    root.join(LOST_FOUND_DIR).join(format!("{why}-{now_ms}"))
}

/// BLAKE3 of a whole file, lowercase hex.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).io_context(|| format!("opening {}", path.display()))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .io_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}
