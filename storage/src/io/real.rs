//! The production [`StorageIo`]: the `std::fs` calls, nothing else.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use super::{StorageFile, StorageIo};

/// Performs every operation with the real system call.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealIo;

impl StorageIo for RealIo {
    fn create_file(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(file))
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
        fs::create_dir(path)
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
