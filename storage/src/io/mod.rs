//! The I/O seam: every change the engine makes to durable state — creating, writing, fsyncing and
//! truncating files, renaming, hard-linking and removing them, creating, removing and fsyncing
//! directories — goes through one small trait, [`StorageIo`]. Production engines use [`RealIo`]
//! (the `std::fs` calls, behind one dynamic call); tests (with the `whitebox` feature) install a `FaultIo` to make the N-th
//! operation fail (EIO, ENOSPC) or to pull the plug there and roll the directory back to what had
//! been fsync'd. Reads do not go through the seam: they change nothing.

#[cfg(feature = "whitebox")]
mod fault;
mod gate;
#[cfg(feature = "whitebox")]
mod power;
mod real;

use std::fmt::Debug;
use std::io::Write;
use std::path::Path;

#[cfg(feature = "whitebox")]
pub use fault::{Fault, FaultIo, FaultMode, OpKind};
pub(crate) use gate::PoisonGate;
pub use real::{
    PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, RealIo, create_private_dir, private_file_options,
};

/// The operations the engine performs on durable state. Implementations must behave like the
/// POSIX calls they are named after; errors are plain `std::io::Error`s (callers add context).
pub trait StorageIo: Send + Sync + Debug {
    /// Creates `path` (truncating it if it exists) and opens it for writing from its start.
    fn create_file(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>>;
    /// Opens the existing file `path` for appending at its end.
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>>;
    /// Renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    /// Makes `to` a second name of the file `from`.
    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    /// Removes the file `path`.
    fn remove_file(&self, path: &Path) -> std::io::Result<()>;
    /// Creates the directory `path` (its parent must exist).
    fn create_dir(&self, path: &Path) -> std::io::Result<()>;
    /// Removes the empty directory `path`.
    fn remove_dir(&self, path: &Path) -> std::io::Result<()>;
    /// fsyncs the directory `path`, making the entries created, renamed or removed in it durable.
    fn fsync_dir(&self, path: &Path) -> std::io::Result<()>;
}

/// A file opened for writing through a [`StorageIo`].
pub trait StorageFile: Write + Send + Debug {
    /// fsyncs data and metadata (`fsync`).
    fn sync_all(&mut self) -> std::io::Result<()>;
    /// fsyncs data and the metadata needed to read it back (`fdatasync`).
    fn sync_data(&mut self) -> std::io::Result<()>;
    /// Truncates or extends the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> std::io::Result<()>;
}

/// The production implementation, for code without an engine at hand (the `fs` free functions).
pub(crate) fn real() -> &'static dyn StorageIo {
    &RealIo
}
