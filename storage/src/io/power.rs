//! A model of what survives a power loss, kept by [`super::FaultIo`]: for every file it has written,
//! the bytes as of its last fsync; for every directory entry it has created, renamed, linked or
//! removed, what the entry was as of the directory's last fsync. Rolling back rewrites the touched
//! part of the tree to that durable state: unsynced bytes vanish, unsynced entries are undone.
//!
//! What it models: POSIX's weakest promises — file data is durable only after `fsync`/`fdatasync`
//! of the file, a directory entry only after `fsync` of its directory, each directory on its own
//! (a rename between directories can survive in one and not the other). What it does not: partly
//! persisted unsynced writes (a torn prefix — `tests/crash.rs` covers those by killing the process
//! mid-append), reordering within a synced file, hard-link identity after a rollback (each name
//! gets its own copy), and entries it never saw (made outside the seam, such as the lock file),
//! which it leaves as they are. State that existed before the seam first touched it counts as
//! durable.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// A directory entry as the model knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Missing,
    File(usize),
    Dir,
    /// Something that is neither (a symlink, a socket): never touched.
    Other,
}

#[derive(Debug)]
struct Entry {
    current: Slot,
    durable: Slot,
}

#[derive(Debug, Default)]
struct Inode {
    current: Vec<u8>,
    durable: Vec<u8>,
}

/// The durable state of everything the seam touched.
#[derive(Debug, Default)]
pub(super) struct Durability {
    inodes: Vec<Inode>,
    dirs: BTreeMap<PathBuf, BTreeMap<OsString, Entry>>,
}

fn split(path: &Path) -> Option<(PathBuf, OsString)> {
    let name = path.file_name()?.to_owned();
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    Some((dir, name))
}

impl Durability {
    /// The entry for `path`, recorded (as durable) from the disk the first time it is touched.
    fn entry(&mut self, path: &Path) -> Option<&mut Entry> {
        let (dir, name) = split(path)?;
        let entries = self.dirs.entry(dir).or_default();
        if !entries.contains_key(&name) {
            let slot = match fs::symlink_metadata(path) {
                Err(_) => Slot::Missing,
                Ok(meta) if meta.is_dir() => Slot::Dir,
                Ok(meta) if meta.is_file() => {
                    let bytes = fs::read(path).unwrap_or_default();
                    self.inodes.push(Inode {
                        current: bytes.clone(),
                        durable: bytes,
                    });
                    Slot::File(self.inodes.len() - 1)
                }
                Ok(_) => Slot::Other,
            };
            entries.insert(
                name.clone(),
                Entry {
                    current: slot,
                    durable: slot,
                },
            );
        }
        entries.get_mut(&name)
    }

    /// Records `path` before an operation changes it.
    pub(super) fn touch(&mut self, path: &Path) {
        self.entry(path);
    }

    /// `path` was created or truncated; returns its inode.
    pub(super) fn created_file(&mut self, path: &Path) -> Option<usize> {
        let current = self.entry(path)?.current;
        let ino = match current {
            Slot::File(ino) => ino,
            _ => {
                self.inodes.push(Inode::default());
                self.inodes.len() - 1
            }
        };
        self.inodes[ino].current.clear();
        self.entry(path)?.current = Slot::File(ino);
        Some(ino)
    }

    /// The inode of the existing file `path`.
    pub(super) fn opened_file(&mut self, path: &Path) -> Option<usize> {
        match self.entry(path)?.current {
            Slot::File(ino) => Some(ino),
            _ => None,
        }
    }

    /// Bytes written at `pos` (at the end when `None`); returns where the write ended.
    pub(super) fn wrote(&mut self, ino: usize, pos: Option<usize>, bytes: &[u8]) -> usize {
        let content = &mut self.inodes[ino].current;
        let start = pos.unwrap_or(content.len());
        let end = start + bytes.len();
        if content.len() < end {
            content.resize(end, 0);
        }
        content[start..end].copy_from_slice(bytes);
        end
    }

    /// The file was truncated or extended to `len`.
    pub(super) fn resized(&mut self, ino: usize, len: usize) {
        self.inodes[ino].current.resize(len, 0);
    }

    /// The file was fsync'd: its current bytes are durable.
    pub(super) fn synced(&mut self, ino: usize) {
        let inode = &mut self.inodes[ino];
        inode.durable.clone_from(&inode.current);
    }

    /// `from` was renamed to `to`.
    pub(super) fn renamed(&mut self, from: &Path, to: &Path) {
        let Some(slot) = self.entry(from).map(|e| e.current) else {
            return;
        };
        if let Some(e) = self.entry(from) {
            e.current = Slot::Missing;
        }
        if let Some(e) = self.entry(to) {
            e.current = slot;
        }
    }

    /// `to` became a second name of `from`.
    pub(super) fn linked(&mut self, from: &Path, to: &Path) {
        let Some(slot) = self.entry(from).map(|e| e.current) else {
            return;
        };
        if let Some(e) = self.entry(to) {
            e.current = slot;
        }
    }

    /// `path` (a file or an empty directory) was removed.
    pub(super) fn removed(&mut self, path: &Path) {
        if let Some(e) = self.entry(path) {
            e.current = Slot::Missing;
        }
    }

    /// The directory `path` was created.
    pub(super) fn dir_created(&mut self, path: &Path) {
        if let Some(e) = self.entry(path) {
            e.current = Slot::Dir;
        }
    }

    /// The directory `path` was fsync'd: its entries as they are now are durable.
    pub(super) fn dir_synced(&mut self, path: &Path) {
        if let Some(entries) = self.dirs.get_mut(path) {
            for entry in entries.values_mut() {
                entry.durable = entry.current;
            }
        }
    }

    /// Rewrites every touched entry to its durable state, parents before children; directories
    /// that are not durable disappear with everything in them.
    pub(super) fn roll_back(&mut self) -> std::io::Result<()> {
        for (dir, entries) in &mut self.dirs {
            if !dir.is_dir() {
                continue;
            }
            for (name, entry) in entries.iter_mut() {
                let path = dir.join(name);
                let existing = fs::symlink_metadata(&path).ok();
                let is_dir = existing.as_ref().is_some_and(fs::Metadata::is_dir);
                match entry.durable {
                    Slot::Other => continue,
                    Slot::Dir if is_dir => {}
                    _ if is_dir => fs::remove_dir_all(&path)?,
                    _ if existing.is_some() => fs::remove_file(&path)?,
                    _ => {}
                }
                match entry.durable {
                    Slot::Dir if !is_dir => fs::create_dir(&path)?,
                    Slot::File(ino) => {
                        let inode = &mut self.inodes[ino];
                        fs::write(&path, &inode.durable)?;
                        inode.current.clone_from(&inode.durable);
                    }
                    _ => {}
                }
                entry.current = entry.durable;
            }
        }
        Ok(())
    }
}
