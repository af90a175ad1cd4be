//! A [`StorageIo`] for tests that counts every operation and makes a chosen one fail, like
//! [`crate::CrashHook`] a test seam: production engines never install it. It performs operations
//! with the real calls and keeps a [model of what is durable](super::power), so that a test can
//! also pull the plug at the failing operation and roll the directory back to what a reboot would
//! show. Since that model decides what survives, it does not ask the real disk to `fsync`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use super::power::Durability;
use super::real;
use super::{StorageFile, StorageIo};

/// The error an injected fault returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `EIO`: the device failed.
    Eio,
    /// `ENOSPC`: the filesystem is full.
    Enospc,
}

impl Fault {
    fn error(self) -> std::io::Error {
        // The same numbers on Linux and macOS.
        std::io::Error::from_raw_os_error(match self {
            Fault::Eio => 5,
            Fault::Enospc => 28,
        })
    }
}

/// What happens at and after the failing operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultMode {
    /// Only that operation fails; later ones succeed. A failing write first writes half its bytes.
    Once,
    /// That operation and every later one fail (a disk that stays full or broken). A failing
    /// write first writes half its bytes.
    Persistent,
    /// The power fails there: that operation and every later one fail without touching the disk;
    /// [`FaultIo::lose_power`] then rolls the directory back to its durable state.
    PowerLoss,
}

/// The kinds of operation that go through the seam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// Creating (or truncating) a file for writing.
    CreateFile,
    /// Opening a file for appending.
    OpenAppend,
    /// One `write` call.
    Write,
    /// `fsync` or `fdatasync` of a file.
    SyncFile,
    /// Truncating a file.
    SetLen,
    /// A rename.
    Rename,
    /// A hard link.
    HardLink,
    /// Removing a file.
    RemoveFile,
    /// Creating a directory.
    CreateDir,
    /// Removing a directory.
    RemoveDir,
    /// `fsync` of a directory.
    SyncDir,
}

#[derive(Debug)]
struct Plan {
    at: u64,
    fault: Fault,
    mode: FaultMode,
}

#[derive(Debug, Default)]
struct State {
    ops: Vec<OpKind>,
    plan: Option<Plan>,
    fired: Option<(u64, OpKind)>,
    /// After a persistent fault or a power loss: every operation fails with this.
    dead: Option<Fault>,
    durability: Durability,
}

/// What to do with one operation.
enum Verdict {
    Proceed,
    /// Fail; for a write, after writing half of it.
    Fail {
        fault: Fault,
        partial: bool,
    },
}

/// Counts operations, fails the chosen one, and models durability. See the module docs.
#[derive(Debug, Default)]
pub struct FaultIo {
    state: Arc<Mutex<State>>,
}

impl FaultIo {
    /// Counts and models, never fails: for learning how many operations a workload performs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails operation number `at` (counting from 0) with `fault`, as `mode` says.
    pub fn failing_at(at: u64, fault: Fault, mode: FaultMode) -> Self {
        let io = Self::new();
        io.state.lock().plan = Some(Plan { at, fault, mode });
        io
    }

    /// How many operations have been attempted (the failing one included, later refused ones not).
    pub fn ops(&self) -> u64 {
        self.state.lock().ops.len() as u64
    }

    /// The kind of every operation attempted, in order.
    pub fn op_kinds(&self) -> Vec<OpKind> {
        self.state.lock().ops.clone()
    }

    /// The operation the fault was injected at (number and kind), once it has been.
    pub fn fired(&self) -> Option<(u64, OpKind)> {
        self.state.lock().fired
    }

    /// Cuts the power now: every later operation fails with EIO, and the files and directories
    /// this seam touched are rewritten to their state as of their last fsync.
    pub fn lose_power(&self) -> std::io::Result<()> {
        let mut state = self.state.lock();
        state.dead.get_or_insert(Fault::Eio);
        state.durability.roll_back()
    }

    fn verdict(&self, kind: OpKind) -> Verdict {
        let mut state = self.state.lock();
        if let Some(fault) = state.dead {
            return Verdict::Fail {
                fault,
                partial: false,
            };
        }
        let index = state.ops.len() as u64;
        state.ops.push(kind);
        let Some(plan) = state.plan.as_ref().filter(|p| p.at == index) else {
            return Verdict::Proceed;
        };
        let (fault, mode) = (plan.fault, plan.mode);
        state.fired = Some((index, kind));
        if mode != FaultMode::Once {
            state.dead = Some(fault);
        }
        Verdict::Fail {
            fault,
            partial: kind == OpKind::Write && mode != FaultMode::PowerLoss,
        }
    }

    fn check(&self, kind: OpKind) -> std::io::Result<()> {
        match self.verdict(kind) {
            Verdict::Proceed => Ok(()),
            Verdict::Fail { fault, .. } => Err(fault.error()),
        }
    }

    /// Runs `op` on the real filesystem after recording `paths`, then `record`s its effect.
    fn apply(
        &self,
        kind: OpKind,
        paths: &[&Path],
        op: impl FnOnce() -> std::io::Result<()>,
        record: impl FnOnce(&mut Durability),
    ) -> std::io::Result<()> {
        self.check(kind)?;
        let mut state = self.state.lock();
        for path in paths {
            state.durability.touch(path);
        }
        op()?;
        record(&mut state.durability);
        Ok(())
    }

    fn open(
        &self,
        kind: OpKind,
        path: &Path,
        options: &OpenOptions,
    ) -> std::io::Result<Box<dyn StorageFile>> {
        self.check(kind)?;
        let mut state = self.state.lock();
        state.durability.touch(path);
        let file = options.open(path)?;
        let ino = if kind == OpKind::CreateFile {
            state.durability.created_file(path)
        } else {
            state.durability.opened_file(path)
        };
        Ok(Box::new(FaultFile {
            io: FaultIo {
                state: self.state.clone(),
            },
            file,
            ino,
            pos: (kind == OpKind::CreateFile).then_some(0),
        }))
    }
}

impl StorageIo for FaultIo {
    fn create_file(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        self.open(OpKind::CreateFile, path, &real::private_file_options())
    }

    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn StorageFile>> {
        let mut options = OpenOptions::new();
        options.append(true);
        self.open(OpKind::OpenAppend, path, &options)
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::Rename,
            &[from, to],
            || std::fs::rename(from, to),
            |d| d.renamed(from, to),
        )
    }

    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::HardLink,
            &[from, to],
            || std::fs::hard_link(from, to),
            |d| d.linked(from, to),
        )
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::RemoveFile,
            &[path],
            || std::fs::remove_file(path),
            |d| d.removed(path),
        )
    }

    fn create_dir(&self, path: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::CreateDir,
            &[path],
            || real::create_private_dir(path, false),
            |d| d.dir_created(path),
        )
    }

    fn remove_dir(&self, path: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::RemoveDir,
            &[path],
            || std::fs::remove_dir(path),
            |d| d.removed(path),
        )
    }

    fn fsync_dir(&self, path: &Path) -> std::io::Result<()> {
        self.apply(
            OpKind::SyncDir,
            &[],
            || File::open(path).map(drop),
            |d| d.dir_synced(path),
        )
    }
}

/// A file opened through a [`FaultIo`]: its writes, syncs and truncations are operations too.
#[derive(Debug)]
struct FaultFile {
    io: FaultIo,
    file: File,
    /// Its inode in the durability model (`None` if the model could not place it).
    ino: Option<usize>,
    /// Where the next write lands; `None` in append mode (at the end).
    pos: Option<usize>,
}

impl FaultFile {
    fn record_write(&mut self, bytes: &[u8]) {
        if let Some(ino) = self.ino {
            let end = self.io.state.lock().durability.wrote(ino, self.pos, bytes);
            if self.pos.is_some() {
                self.pos = Some(end);
            }
        }
    }

    /// Durability is the model's business: the real disk is not asked to `fsync`, which keeps
    /// fault suites with thousands of cases fast.
    fn sync(&mut self) -> std::io::Result<()> {
        self.io.check(OpKind::SyncFile)?;
        if let Some(ino) = self.ino {
            self.io.state.lock().durability.synced(ino);
        }
        Ok(())
    }
}

impl Write for FaultFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.io.verdict(OpKind::Write) {
            Verdict::Proceed => {
                let n = self.file.write(buf)?;
                self.record_write(&buf[..n]);
                Ok(n)
            }
            Verdict::Fail { fault, partial } => {
                if partial {
                    let half = &buf[..buf.len() / 2];
                    self.file.write_all(half)?;
                    self.record_write(half);
                }
                Err(fault.error())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl StorageFile for FaultFile {
    fn sync_all(&mut self) -> std::io::Result<()> {
        self.sync()
    }

    fn sync_data(&mut self) -> std::io::Result<()> {
        self.sync()
    }

    fn set_len(&mut self, len: u64) -> std::io::Result<()> {
        self.io.check(OpKind::SetLen)?;
        self.file.set_len(len)?;
        if let Some(ino) = self.ino {
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            self.io.state.lock().durability.resized(ino, len);
        }
        Ok(())
    }
}
