//! The production [`StorageIo`]: the `std::fs` calls, nothing else.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use super::{StorageFile, StorageIo};

/// Mode of every file the engine creates (temp files included): owner read/write only, set at
/// creation, since data files, `users.json` and `repositories.json` hold what other local users
/// must not read, and a mode changed after creation leaves a window.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Mode of every directory the engine creates, the data directory itself included.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Options that create (or truncate) a file for writing with [`PRIVATE_FILE_MODE`].
pub fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE_MODE);
    options
}

/// Creates the directory `path` with [`PRIVATE_DIR_MODE`]; `recursive` creates missing parents
/// the same way and accepts an existing directory.
pub fn create_private_dir(path: &Path, recursive: bool) -> std::io::Result<()> {
    DirBuilder::new()
        .recursive(recursive)
        .mode(PRIVATE_DIR_MODE)
        .create(path)
}

/// Performs every operation with the real system call.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealIo;

impl StorageIo for RealIo {
    fn create_file(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        Ok(Box::new(private_file_options().open(path)?))
    }

    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        Ok(Box::new(OpenOptions::new().append(true).open(path)?))
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        fs::rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        fs::hard_link(from, to)
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        fs::remove_file(path)
    }

    fn create_dir(&self, path: &Path) -> std::io::Result<()> {
        create_private_dir(path, false)
    }

    fn remove_dir(&self, path: &Path) -> std::io::Result<()> {
        fs::remove_dir(path)
    }

    fn fsync_dir(&self, path: &Path) -> std::io::Result<()> {
        File::open(path)?.sync_all()
    }
}

impl StorageFile for File {
    fn sync_all(&mut self) -> std::io::Result<()> {
        File::sync_all(self)
    }

    fn sync_data(&mut self) -> std::io::Result<()> {
        File::sync_data(self)
    }

    fn set_len(&mut self, len: u64) -> std::io::Result<()> {
        File::set_len(self, len)
    }
}
