//! Durable file operations: every file the engine publishes is written under a temporary name,
//! fsync'd, renamed into place, and its directory fsync'd, so that a crash shows either nothing or
//! the whole file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{IoContext, Result};

/// Suffix of files being written; recovery deletes any it finds.
pub const TEMP_SUFFIX: &str = ".tmp";

/// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .io_context(|| format!("syncing directory {}", dir.display()))
}

/// The directory holding `path`: `.` for a bare relative name (whose `Path::parent` is empty).
pub fn parent_dir(path: &Path) -> Option<&Path> {
    match path.parent() {
        Some(parent) if parent.as_os_str().is_empty() => Some(Path::new(".")),
        other => other,
    }
}

/// Creates `dir` and any missing parents, fsyncing each parent whose entries changed. Works for
/// absolute and relative paths of any form (`x`, `./x`, `x/y`).
pub fn create_dir_durable(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = parent_dir(dir);
    if let Some(parent) = parent {
        create_dir_durable(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e).io_context(|| format!("creating directory {}", dir.display())),
    }
    match parent {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync directory.
pub fn write_file_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .io_context(|| format!("creating {}", temp.display()))?;
    file.write_all(bytes)
        .io_context(|| format!("writing {}", temp.display()))?;
    file.sync_all()
        .io_context(|| format!("syncing {}", temp.display()))?;
    drop(file);
    rename_durable(&temp, path)
}

/// Renames `from` to `to` and fsyncs the target directory.
pub fn rename_durable(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to)
        .io_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
    match parent_dir(to) {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// The temporary name a file is written under before being renamed to `path`.
pub fn temp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TEMP_SUFFIX);
    name.into()
}

/// Removes a file, treating "already gone" as success.
pub fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).io_context(|| format!("removing {}", path.display())),
    }
}
