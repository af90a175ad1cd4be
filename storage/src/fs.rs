//! Durable file operations: every file the engine publishes is written under a temporary name,
//! fsync'd, renamed into place, and its directory fsync'd, so that a crash shows either nothing or
//! the whole file. The protocols are methods on any [`StorageIo`] (the engine passes its own, so
//! tests can inject faults); the free functions run them on the real filesystem, for code without
//! an engine at hand.

use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::io::{StorageIo, real};

/// Suffix of files being written; recovery deletes any it finds.
pub const TEMP_SUFFIX: &str = ".tmp";

impl<'a> dyn StorageIo + 'a {
    /// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
    pub fn sync_dir(&self, dir: &Path) -> Result<()> {
        self.fsync_dir(dir)
            .io_context(|| format!("syncing directory {}", dir.display()))
    }

    /// Creates `dir` and any missing parents, fsyncing each parent whose entries changed. Works
    /// for absolute and relative paths of any form (`x`, `./x`, `x/y`).
    pub fn create_dir_durable(&self, dir: &Path) -> Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        let parent = parent_dir(dir);
        if let Some(parent) = parent {
            self.create_dir_durable(parent)?;
        }
        match self.create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(e).io_context(|| format!("creating directory {}", dir.display())),
        }
        match parent {
            Some(parent) => self.sync_dir(parent),
            None => Ok(()),
        }
    }

    /// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync directory.
    pub fn write_file_durable(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let temp = temp_path(path);
        let mut file = self
            .create_file(&temp)
            .io_context(|| format!("creating {}", temp.display()))?;
        file.write_all(bytes)
            .io_context(|| format!("writing {}", temp.display()))?;
        file.sync_all()
            .io_context(|| format!("syncing {}", temp.display()))?;
        drop(file);
        self.rename_durable(&temp, path)
    }

    /// Renames `from` to `to` and fsyncs the target directory.
    pub fn rename_durable(&self, from: &Path, to: &Path) -> Result<()> {
        self.rename(from, to)
            .io_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
        match parent_dir(to) {
            Some(parent) => self.sync_dir(parent),
            None => Ok(()),
        }
    }

    /// Removes a file, treating "already gone" as success.
    pub fn remove_file_if_exists(&self, path: &Path) -> Result<()> {
        match self.remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).io_context(|| format!("removing {}", path.display())),
        }
    }
}

/// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    real().sync_dir(dir)
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
    real().create_dir_durable(dir)
}

/// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync directory.
pub fn write_file_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    real().write_file_durable(path, bytes)
}

/// Renames `from` to `to` and fsyncs the target directory.
pub fn rename_durable(from: &Path, to: &Path) -> Result<()> {
    real().rename_durable(from, to)
}

/// The temporary name a file is written under before being renamed to `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TEMP_SUFFIX);
    name.into()
}

/// Removes a file, treating "already gone" as success.
pub fn remove_file_if_exists(path: &Path) -> Result<()> {
    real().remove_file_if_exists(path)
}
