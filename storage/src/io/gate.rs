//! The engine's gate in front of its [`StorageIo`]: once a durable write has failed in a way that
//! leaves the log's state unknown (the engine is poisoned), nothing more is written, removed or
//! renamed — not even the clean-up of an unpublished commit's files, which a record that did reach
//! the disk may name. The next open decides, from what is durable, what to keep.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{StorageFile, StorageIo};

/// Passes operations to `inner` until [`PoisonGate::poison`] is called, then refuses them all.
#[derive(Debug)]
pub(crate) struct PoisonGate {
    inner: Arc<dyn StorageIo>,
    poisoned: AtomicBool,
}

impl PoisonGate {
    /// A gate, open, in front of `inner`.
    pub(crate) fn new(inner: Arc<dyn StorageIo>) -> Self {
        Self {
            inner,
            poisoned: AtomicBool::new(false),
        }
    }

    /// Closes the gate for good.
    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
    }

    /// Whether the gate is closed.
    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    fn check(&self) -> std::io::Result<()> {
        if self.is_poisoned() {
            Err(std::io::Error::other(
                "refused: the engine is poisoned after a failed durable write; reopen it",
            ))
        } else {
            Ok(())
        }
    }
}

impl StorageIo for PoisonGate {
    fn create_file(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        self.check()?;
        self.inner.create_file(path)
    }

    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        self.check()?;
        self.inner.open_append(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.hard_link(from, to)
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.remove_file(path)
    }

    fn create_dir(&self, path: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.remove_dir(path)
    }

    fn fsync_dir(&self, path: &Path) -> std::io::Result<()> {
        self.check()?;
        self.inner.fsync_dir(path)
    }
}
