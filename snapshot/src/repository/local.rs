//! The local-filesystem backend: a directory, written with temp file + fsync + rename + fsync dir.

use std::collections::BTreeSet;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::TransferMethod;
use super::digest::Digest;
use super::error::{IoContext, RepositoryError};
use super::path::{RESERVED_TEMP_DIR, RepoPath};

/// A repository stored in a local directory.
#[derive(Debug)]
pub(crate) struct LocalRepo {
    root: PathBuf,
    temp_dir: PathBuf,
}

/// What a name resolves to on disk.
enum Entry {
    /// A regular file.
    File(PathBuf, Metadata),
    /// Nothing (missing, a directory, or below a regular file).
    Absent,
}

impl LocalRepo {
    /// Opens the directory `root`, creating it (and its temporary directory) if missing.
    pub(crate) fn open(root: PathBuf) -> Result<Self, RepositoryError> {
        create_dir_all_durable(&root)?;
        let repo = Self::open_existing(root)?;
        create_dir_all_durable(&repo.temp_dir)?;
        Ok(repo)
    }

    /// Opens the existing directory `root` without creating or writing anything (READ ONLY
    /// repositories): a missing directory is an error.
    pub(crate) fn open_existing(root: PathBuf) -> Result<Self, RepositoryError> {
        let meta = fs::metadata(&root).io_context(|| format!("opening {}", root.display()))?;
        if !meta.is_dir() {
            return Err(RepositoryError::InvalidLocation(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        let temp_dir = root.join(RESERVED_TEMP_DIR);
        Ok(LocalRepo { root, temp_dir })
    }

    /// Writes `bytes` under `name`; `tear` leaves a half-written temporary and fails instead.
    pub(crate) fn put_bytes(
        &self,
        name: &RepoPath,
        bytes: &[u8],
        tear: Option<u64>,
    ) -> Result<(), RepositoryError> {
        let temp = self.new_temp()?;
        if let Some(op) = tear {
            return Err(write_torn(&temp, bytes, op, name));
        }
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(source) = written {
            discard(&temp);
            return Err(RepositoryError::Io {
                context: format!("writing {}", temp.display()),
                source,
            });
        }
        self.publish(&temp, name)
    }

    /// Writes `bytes` to a fresh temporary (not yet fsync'd) for [`Self::publish_groups`] to
    /// publish under `name`; `tear` leaves it half-written and fails instead.
    pub(crate) fn stage(
        &self,
        name: &RepoPath,
        bytes: &[u8],
        tear: Option<u64>,
    ) -> Result<PathBuf, RepositoryError> {
        let temp = self.new_temp()?;
        if let Some(op) = tear {
            return Err(write_torn(&temp, bytes, op, name));
        }
        let written = File::create(&temp).and_then(|mut file| file.write_all(bytes));
        if let Err(source) = written {
            discard(&temp);
            return Err(RepositoryError::Io {
                context: format!("writing {}", temp.display()),
                source,
            });
        }
        Ok(temp)
    }

    /// Publishes groups of staged temporaries with fewer fsyncs than a `put_bytes` each: all
    /// are fsync'd together (`threads` at a time, so the filesystem can commit them in one
    /// transaction), missing directories are created together, then group by group each is
    /// renamed onto its name and each of the group's directories fsync'd once, so a later group
    /// (a pointer such as Iceberg's version hint) is never durable before an earlier one. On
    /// failure the temporaries not yet renamed are removed.
    pub(crate) fn publish_groups(
        &self,
        staged: &[Vec<(PathBuf, RepoPath)>],
        threads: usize,
    ) -> Result<(), RepositoryError> {
        let result = self.publish_groups_via(staged, threads);
        if result.is_err() {
            discard_staged(staged);
        }
        result
    }

    fn publish_groups_via(
        &self,
        staged: &[Vec<(PathBuf, RepoPath)>],
        threads: usize,
    ) -> Result<(), RepositoryError> {
        let temps: Vec<&PathBuf> = staged.iter().flatten().map(|(temp, _)| temp).collect();
        crate::parallel::for_each_parallel(&temps, threads, |temp| {
            File::open(temp)
                .and_then(|file| file.sync_all())
                .io_context(|| format!("syncing {}", temp.display()))
        })?;
        let mut new_dirs = BTreeSet::new();
        let mut places = Vec::with_capacity(staged.len());
        for group in staged {
            let mut group_places = Vec::with_capacity(group.len());
            for (temp, name) in group {
                group_places.push((temp, self.place(name, &mut new_dirs)?));
            }
            places.push(group_places);
        }
        sync_parents(&new_dirs)?;
        for group in places {
            let mut dirs = BTreeSet::new();
            for (temp, (dir, dest)) in group {
                rename_onto(temp, &dest)?;
                dirs.insert(dir);
            }
            dirs.iter().try_for_each(|dir| sync_dir(dir))?;
        }
        Ok(())
    }

    /// Stores the file `local` under `name`, hard-linking when on the same filesystem.
    pub(crate) fn put_file(
        &self,
        name: &RepoPath,
        local: &Path,
        tear: Option<u64>,
    ) -> Result<TransferMethod, RepositoryError> {
        let source = regular_file_meta(local)?;
        let temp = self.new_temp()?;
        if let Some(op) = tear {
            let half = source.len() / 2;
            let torn = (|| {
                let mut from = File::open(local)?.take(half);
                io::copy(&mut from, &mut File::create(&temp)?)
            })();
            torn.io_context(|| format!("copying {} to {}", local.display(), temp.display()))?;
            return Err(torn_error(
                op,
                "put_file",
                name,
                usize::try_from(half).unwrap_or(usize::MAX),
                usize::try_from(source.len()).unwrap_or(usize::MAX),
            ));
        }
        let temp_dev = fs::metadata(&self.temp_dir)
            .io_context(|| format!("reading {}", self.temp_dir.display()))?
            .dev();
        let method = link_or_copy(local, &source, temp_dev, &temp)?;
        self.publish(&temp, name)?;
        Ok(method)
    }

    /// Reads the whole object.
    /// The directory the repository is.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn get_bytes(&self, name: &RepoPath) -> Result<Bytes, RepositoryError> {
        match self.resolve(name)? {
            Entry::File(path, _) => fs::read(&path)
                .map(Bytes::from)
                .io_context(|| format!("reading {}", path.display())),
            Entry::Absent => Err(RepositoryError::NotFound(name.to_string())),
        }
    }

    /// The object's size and BLAKE3, read through in chunks (never whole in memory); `None` if
    /// absent. The size is what was read, so a file that changes meanwhile is judged as read.
    pub(crate) fn digest(&self, name: &RepoPath) -> Result<Option<Digest>, RepositoryError> {
        let path = match self.resolve(name)? {
            Entry::File(path, _) => path,
            Entry::Absent => return Ok(None),
        };
        let context = || format!("reading {}", path.display());
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RepositoryError::Io {
                    context: context(),
                    source,
                });
            }
        };
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(file).io_context(context)?;
        Ok(Some(Digest::of(&hasher)))
    }

    /// Writes the object to `dest` atomically, hard-linking when on the same filesystem.
    pub(crate) fn get_file(
        &self,
        name: &RepoPath,
        dest: &Path,
    ) -> Result<TransferMethod, RepositoryError> {
        let (source, meta) = match self.resolve(name)? {
            Entry::File(path, meta) => (path, meta),
            Entry::Absent => return Err(RepositoryError::NotFound(name.to_string())),
        };
        let (dir, temp) = dest_temp(dest)?;
        let dir_dev = fs::metadata(&dir)
            .io_context(|| format!("reading {}", dir.display()))?
            .dev();
        let method = link_or_copy(&source, &meta, dir_dev, &temp)?;
        finish_rename(&temp, dest, &dir)?;
        Ok(method)
    }

    /// The object's size, `None` if absent.
    pub(crate) fn size(&self, name: &RepoPath) -> Result<Option<u64>, RepositoryError> {
        Ok(match self.resolve(name)? {
            Entry::File(_, meta) => Some(meta.len()),
            Entry::Absent => None,
        })
    }

    /// Every object strictly below `prefix` (the whole repository for `None`), sorted.
    pub(crate) fn list(
        &self,
        prefix: Option<&RepoPath>,
    ) -> Result<Vec<(RepoPath, u64)>, RepositoryError> {
        let mut out = Vec::new();
        let mut stack: Vec<(PathBuf, Option<RepoPath>)> = Vec::new();
        match prefix {
            None => stack.push((self.root.clone(), None)),
            Some(prefix) => {
                let mut dir = self.root.clone();
                for segment in prefix.segments() {
                    dir.push(segment);
                    match classify(&dir, prefix)? {
                        Kind::Dir => {}
                        Kind::File(_) | Kind::Missing => return Ok(out),
                    }
                }
                stack.push((dir, Some(prefix.clone())));
            }
        }
        while let Some((dir, rel)) = stack.pop() {
            let entries = fs::read_dir(&dir).io_context(|| format!("listing {}", dir.display()))?;
            for entry in entries {
                let entry = entry.io_context(|| format!("listing {}", dir.display()))?;
                let file_name = entry.file_name();
                let Some(file_name) = file_name.to_str() else {
                    return Err(RepositoryError::InvalidName {
                        name: entry.path().to_string_lossy().into_owned(),
                        reason: "the file name is not valid UTF-8",
                    });
                };
                if rel.is_none() && file_name == RESERVED_TEMP_DIR {
                    continue;
                }
                let name = match &rel {
                    None => RepoPath::parse(file_name)?,
                    Some(rel) => rel.join(file_name)?,
                };
                let path = entry.path();
                match classify(&path, &name)? {
                    Kind::Dir => stack.push((path, Some(name))),
                    Kind::File(meta) => out.push((name, meta.len())),
                    // Vanished while listing: it is simply not there any more.
                    Kind::Missing => {}
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes the object; absent is fine.
    pub(crate) fn delete(&self, name: &RepoPath) -> Result<(), RepositoryError> {
        if let Entry::File(path, _) = self.resolve(name)? {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(source) => {
                    return Err(RepositoryError::Io {
                        context: format!("removing {}", path.display()),
                        source,
                    });
                }
            }
            if let Some(parent) = path.parent() {
                sync_dir(parent)?;
            }
        }
        Ok(())
    }

    /// Finds `name` without following symbolic links anywhere below the root.
    fn resolve(&self, name: &RepoPath) -> Result<Entry, RepositoryError> {
        let mut path = self.root.clone();
        let mut segments = name.segments().peekable();
        while let Some(segment) = segments.next() {
            path.push(segment);
            match classify(&path, name)? {
                Kind::Dir if segments.peek().is_some() => {}
                Kind::File(meta) if segments.peek().is_none() => {
                    return Ok(Entry::File(path, meta));
                }
                _ => return Ok(Entry::Absent),
            }
        }
        Ok(Entry::Absent)
    }

    /// Renames the finished temporary `temp` to `name`, creating parent directories durably.
    fn publish(&self, temp: &Path, name: &RepoPath) -> Result<(), RepositoryError> {
        let result = self.publish_inner(temp, name);
        if result.is_err() {
            discard(temp);
        }
        result
    }

    fn publish_inner(&self, temp: &Path, name: &RepoPath) -> Result<(), RepositoryError> {
        let mut new_dirs = BTreeSet::new();
        let (dir, dest) = self.place(name, &mut new_dirs)?;
        sync_parents(&new_dirs)?;
        finish_rename(temp, &dest, &dir)
    }

    /// The directory and path `name` is stored at. Missing parent directories are created and
    /// added to `new_dirs`, whose parents the caller must fsync before publishing into them.
    fn place(
        &self,
        name: &RepoPath,
        new_dirs: &mut BTreeSet<PathBuf>,
    ) -> Result<(PathBuf, PathBuf), RepositoryError> {
        let mut dir = self.root.clone();
        let segments: Vec<&str> = name.segments().collect();
        let (last, parents) = match segments.split_last() {
            Some(split) => split,
            None => return Err(RepositoryError::NotFound(name.to_string())),
        };
        for segment in parents {
            dir.push(segment);
            match classify(&dir, name)? {
                Kind::Dir => {}
                Kind::File(_) => {
                    return Err(RepositoryError::InvalidName {
                        name: name.to_string(),
                        reason: "a parent of the name is an existing object",
                    });
                }
                Kind::Missing => {
                    create_dir(&dir)?;
                    new_dirs.insert(dir.clone());
                }
            }
        }
        let dest = dir.join(last);
        Ok((dir, dest))
    }

    /// A fresh, unused temporary path in the repository's temporary directory.
    fn new_temp(&self) -> Result<PathBuf, RepositoryError> {
        // Recreate the directory if someone removed it since open.
        fs::create_dir_all(&self.temp_dir)
            .io_context(|| format!("creating {}", self.temp_dir.display()))?;
        Ok(self.temp_dir.join(unique_suffix()))
    }
}

/// What is at a path, symbolic links not followed.
enum Kind {
    Dir,
    File(Metadata),
    Missing,
}

/// Classifies `path` (part of `name`); symbolic links and special files are an error.
fn classify(path: &Path, name: &RepoPath) -> Result<Kind, RepositoryError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(Kind::Dir),
        Ok(meta) if meta.is_file() => Ok(Kind::File(meta)),
        Ok(_) => Err(RepositoryError::InvalidName {
            name: name.to_string(),
            reason: "it is, or goes through, a symbolic link or special file, which a local \
                     repository never follows",
        }),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(Kind::Missing)
        }
        Err(source) => Err(RepositoryError::Io {
            context: format!("reading {}", path.display()),
            source,
        }),
    }
}

/// Metadata of `path`, which must be a regular file (symbolic links to one are fine: it is the
/// caller's own file).
fn regular_file_meta(path: &Path) -> Result<Metadata, RepositoryError> {
    let meta = fs::metadata(path).io_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() {
        Ok(meta)
    } else {
        Err(RepositoryError::Io {
            context: format!("reading {}", path.display()),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        })
    }
}

/// Puts `source` at the fresh path `temp`: a hard link when `source` is on the device `dest_dev`
/// and linking works (the source must already be durable), else a copy, fsync'd.
fn link_or_copy(
    source: &Path,
    source_meta: &Metadata,
    dest_dev: u64,
    temp: &Path,
) -> Result<TransferMethod, RepositoryError> {
    let linked = source_meta.dev() == dest_dev && fs::hard_link(source, temp).is_ok();
    let method = if linked {
        TransferMethod::HardLink
    } else {
        discard(temp);
        if let Err(source_err) = fs::copy(source, temp) {
            discard(temp);
            return Err(RepositoryError::Io {
                context: format!("copying {} to {}", source.display(), temp.display()),
                source: source_err,
            });
        }
        TransferMethod::Copy
    };
    // A copy's data must reach the disk before it is renamed into place. A hard link shares the
    // source's inode, whose data tabvault made durable when it wrote the file (rowset files and
    // verified downloads are fsync'd before they are published); the new name itself becomes
    // durable with the fsync of its directory after the rename. Skipping this fsync for links
    // halves the journal commits of a same-filesystem backup or restore.
    if method == TransferMethod::Copy
        && let Err(source_err) = File::open(temp).and_then(|f| f.sync_all())
    {
        discard(temp);
        return Err(RepositoryError::Io {
            context: format!("syncing {}", temp.display()),
            source: source_err,
        });
    }
    Ok(method)
}

/// The directory of `dest` (created if missing) and a fresh temporary path next to it.
pub(crate) fn dest_temp(dest: &Path) -> Result<(PathBuf, PathBuf), RepositoryError> {
    let Some(file_name) = dest.file_name().and_then(|n| n.to_str()) else {
        return Err(RepositoryError::Io {
            context: format!("writing {}", dest.display()),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "the destination has no UTF-8 file name",
            ),
        });
    };
    let dir = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_dir_all_durable(&dir)?;
    let temp = dir.join(format!(".{file_name}.{}", unique_suffix()));
    Ok((dir, temp))
}

/// Renames `temp` over `dest` and fsyncs `dir` (their directory); removes `temp` on failure.
pub(crate) fn finish_rename(temp: &Path, dest: &Path, dir: &Path) -> Result<(), RepositoryError> {
    rename_onto(temp, dest)?;
    sync_dir(dir)
}

/// Renames `temp` over `dest` (not yet durable: the caller fsyncs the directory); removes `temp`
/// on failure.
fn rename_onto(temp: &Path, dest: &Path) -> Result<(), RepositoryError> {
    if let Err(source) = fs::rename(temp, dest) {
        discard(temp);
        return Err(RepositoryError::Io {
            context: format!("renaming {} to {}", temp.display(), dest.display()),
            source,
        });
    }
    // rename(2) does nothing when both names are hard links of one file: drop the temporary.
    discard(temp);
    Ok(())
}

/// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), RepositoryError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .io_context(|| format!("syncing directory {}", dir.display()))
}

/// Creates one directory whose parent exists; racing creators are fine. Not yet durable: the
/// caller fsyncs the parent.
fn create_dir(dir: &Path) -> Result<(), RepositoryError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(source) => Err(RepositoryError::Io {
            context: format!("creating directory {}", dir.display()),
            source,
        }),
    }
}

/// fsyncs the parent of every directory in `new_dirs`, once each, so that they survive a crash.
/// A directory a racing writer created is included too: its creator may not have synced yet.
fn sync_parents(new_dirs: &BTreeSet<PathBuf>) -> Result<(), RepositoryError> {
    let parents: BTreeSet<&Path> = new_dirs.iter().filter_map(|dir| dir.parent()).collect();
    parents.into_iter().try_for_each(sync_dir)
}

/// Creates one directory whose parent exists and fsyncs the parent; racing creators are fine.
fn create_dir_durable(dir: &Path) -> Result<(), RepositoryError> {
    create_dir(dir)?;
    match dir.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Creates `dir` and any missing ancestors, fsyncing each parent that gained an entry.
fn create_dir_all_durable(dir: &Path) -> Result<(), RepositoryError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_all_durable(parent)?;
    }
    create_dir_durable(dir)
}

/// Removes temporaries from [`LocalRepo::stage`] that will not be published (those already
/// renamed are gone, which is fine).
pub(crate) fn discard_staged(staged: &[Vec<(PathBuf, RepoPath)>]) {
    staged.iter().flatten().for_each(|(temp, _)| discard(temp));
}

/// Best-effort removal of a temporary that is no longer wanted.
fn discard(path: &Path) {
    // Ignoring the result is deliberate: the temporary is invisible either way, and the caller is
    // already reporting the error (or success) that matters.
    let _ = fs::remove_file(path);
}

/// A name no other writer in any process uses: pid, a per-process counter and the clock.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("tabvault-tmp-{}-{n}-{nanos}", std::process::id())
}

/// Fault injection: writes the first half of `bytes` to `temp` (as a crash mid-write would leave
/// it) and returns the error that reports the tear.
fn write_torn(temp: &Path, bytes: &[u8], op: u64, name: &RepoPath) -> RepositoryError {
    let half = &bytes[..bytes.len() / 2];
    match File::create(temp).and_then(|mut f| f.write_all(half)) {
        Ok(()) => torn_error(op, "put_bytes", name, half.len(), bytes.len()),
        Err(source) => RepositoryError::Io {
            context: format!("writing {}", temp.display()),
            source,
        },
    }
}

/// The error a torn upload reports.
pub(crate) fn torn_error(
    op: u64,
    what: &str,
    name: &RepoPath,
    written: usize,
    total: usize,
) -> RepositoryError {
    RepositoryError::Injected(format!(
        "operation {op} ({what} {name}) torn after {written} of {total} bytes"
    ))
}

/// Writes a byte stream to `dest` atomically: the caller fills the returned temporary file, then
/// calls [`finish_rename`]. Used by the object-store backend's `get_file`.
pub(crate) fn create_temp_file(temp: &Path) -> Result<File, RepositoryError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .io_context(|| format!("creating {}", temp.display()))
}
