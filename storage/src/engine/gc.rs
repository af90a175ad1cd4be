//! File garbage collection and integrity checks. Files are only ever unlinked, never changed, and
//! only when no durable record and no pinned version uses them.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{DATA_DIR, Engine};
use crate::catalog::{CatalogState, Rowset};
use crate::error::{IoContext, Result};
use crate::fs::remove_file_if_exists;

/// What open-time garbage collection removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Files deleted (leftover temp files, files of unpublished commits or dropped tables).
    pub files_removed: usize,
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
}

/// Deletes the files of graveyard rowsets that nobody else holds any more.
pub(super) fn sweep(root: &Path, graveyard: &mut Vec<Arc<Rowset>>) {
    graveyard.retain(|rowset| {
        if Arc::strong_count(rowset) > 1 {
            return true;
        }
        let path = root.join(&rowset.file.path);
        if let Err(e) = remove_file_if_exists(&path) {
            tracing::warn!(error = %e, "could not remove obsolete rowset; open-time GC will retry");
        }
        remove_empty_parents(root, &path);
        false
    });
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let data = root.join(DATA_DIR);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == data || !d.starts_with(&data) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Removes every file under `data/` that `state` does not reference, and empty directories.
pub(super) fn remove_unreferenced(root: &Path, state: &CatalogState) -> Result<GcReport> {
    let referenced: HashSet<PathBuf> = state.rowsets().map(|r| root.join(&r.file.path)).collect();
    let mut report = GcReport::default();
    walk_and_remove(&root.join(DATA_DIR), &referenced, &mut report, true)?;
    if report.files_removed > 0 {
        tracing::info!(
            files = report.files_removed,
            "removed unreferenced data files"
        );
    }
    Ok(report)
}

/// Returns whether `dir` is empty afterwards.
fn walk_and_remove(
    dir: &Path,
    referenced: &HashSet<PathBuf>,
    report: &mut GcReport,
    is_top: bool,
) -> Result<bool> {
    let mut empty = true;
    let entries = fs::read_dir(dir).io_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let entry = entry.io_context(|| format!("listing {}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .io_context(|| format!("inspecting {}", path.display()))?;
        if kind.is_dir() {
            if walk_and_remove(&path, referenced, report, false)? {
                fs::remove_dir(&path).io_context(|| format!("removing {}", path.display()))?;
            } else {
                empty = false;
            }
        } else if referenced.contains(&path) {
            empty = false;
        } else {
            remove_file_if_exists(&path)?;
            report.files_removed += 1;
        }
    }
    Ok(empty && !is_top)
}

impl Engine {
    /// Checks that every published rowset file exists with its recorded size and, when `deep`, its
    /// recorded BLAKE3 checksum.
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
        Ok(report)
    }
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
