//! [`RepositoryStore`]: the synchronous, backend-independent face of one repository location.

use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::cipher::RepositoryKey;
use super::digest::Digest;
use super::error::{IoContext, RepositoryError};
use super::faults::{Fault, FaultPlan, FaultState};
use super::local::LocalRepo;
use super::location::{self, Location};
use super::object::ObjectRepo;
use super::options::{RepositoryOptions, S3Options};
use super::path::RepoPath;

/// How a file reached its destination, so callers can report (and tests can check) whether a
/// transfer cost O(1) or O(bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferMethod {
    /// A hard link: source and destination share one inode (same local filesystem).
    HardLink,
    /// A byte copy between local filesystems (`std::fs::copy`, `copy_file_range` on Linux).
    Copy,
    /// A transfer through an object store's network API: an upload for `put_file`, a download
    /// for `get_file`.
    Upload,
}

/// The backend behind a store.
#[derive(Debug)]
enum Backend {
    Local(LocalRepo),
    Object(ObjectRepo),
}

#[derive(Debug)]
struct Inner {
    location: String,
    /// The S3 options, whose `Debug` hides the credentials.
    s3: S3Options,
    backend: Backend,
    /// Opened with [`RepositoryStore::open_read_only`]: every put and delete is refused.
    read_only: bool,
    /// The `iceberg` property: BACKUP also writes Iceberg metadata.
    iceberg: bool,
    /// What other engines reach the root at (see [`location::base_uri`]).
    base_uri: Option<String>,
}

/// Storage of one repository location: put, get, size, list and delete named objects, each
/// write atomic. Synchronous (an internal tokio runtime drives object stores), `Send + Sync`,
/// and cheap to clone (clones share the backend and any fault plan).
#[derive(Clone)]
pub struct RepositoryStore {
    inner: Arc<Inner>,
    faults: Option<Arc<FaultState>>,
    /// Set by [`RepositoryStore::with_key`]: every object is sealed on put and opened on get.
    key: Option<Arc<RepositoryKey>>,
}

impl fmt::Debug for RepositoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By hand: credentials must never be printed (`S3Options` hides them).
        f.debug_struct("RepositoryStore")
            .field("location", &self.inner.location)
            .field("s3", &self.inner.s3)
            .field("backend", &self.inner.backend)
            .field("faults", &self.faults)
            .field("key", &self.key)
            .finish()
    }
}

impl RepositoryStore {
    /// Opens the repository at `location` with `options`: the S3 connection and the Iceberg
    /// switch. Options with encryption are refused ([`RepositoryError::Encryption`]): a
    /// registered repository applies its key itself.
    ///
    /// Locations: a local path (absolute or relative; created if missing), `file:///abs/path`,
    /// `memory://name[/prefix]` (process-wide in-memory store per name), and
    /// `s3://bucket[/prefix]` or `s3a://bucket[/prefix]`. Other schemes give
    /// [`RepositoryError::UnsupportedScheme`]; S3 options for a location that is not S3 give
    /// [`RepositoryError::UnknownProperty`] naming them.
    pub fn open(location: &str, options: &RepositoryOptions) -> Result<Self, RepositoryError> {
        Self::open_mode(location, options, false)
    }

    /// Opens the repository at `location` for reading only (READ ONLY repositories): nothing is
    /// created (a local directory must exist) and every put or delete fails with
    /// [`RepositoryError::ReadOnly`] before touching the location.
    pub fn open_read_only(
        location: &str,
        options: &RepositoryOptions,
    ) -> Result<Self, RepositoryError> {
        Self::open_mode(location, options, true)
    }

    fn open_mode(
        location: &str,
        options: &RepositoryOptions,
        read_only: bool,
    ) -> Result<Self, RepositoryError> {
        if options.encryption.is_some() {
            return Err(RepositoryError::Encryption(
                "a store opened on its own stores objects as they are: register the repository \
                 (SnapshotService::create_repository) to have them encrypted"
                    .to_owned(),
            ));
        }
        let parsed = location::parse(location, &options.s3)?;
        let base_uri = location::base_uri(&parsed);
        let backend = match parsed {
            Location::Local(root) if read_only => Backend::Local(LocalRepo::open_existing(root)?),
            Location::Local(root) => Backend::Local(LocalRepo::open(root)?),
            Location::Memory { name, prefix } => {
                Backend::Object(ObjectRepo::memory(&name, prefix)?)
            }
            Location::S3(config) => Backend::Object(ObjectRepo::s3(config)?),
        };
        tracing::debug!(location, "opened repository store");
        Ok(RepositoryStore {
            inner: Arc::new(Inner {
                location: location.to_string(),
                s3: options.s3.clone(),
                backend,
                read_only,
                iceberg: options.iceberg_enabled(),
                base_uri,
            }),
            faults: None,
            key: None,
        })
    }

    /// Whether the repository is a local directory (transfers are then bound by CPU and memory
    /// bandwidth, not by network latency, so fewer parallel transfers do as well).
    pub fn is_local(&self) -> bool {
        matches!(self.inner.backend, Backend::Local(_))
    }

    /// The location exactly as given to [`RepositoryStore::open`].
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Whether BACKUP writes Apache Iceberg metadata next to each snapshot (the `iceberg`
    /// property; default `true`). Never for an encrypted store: other engines could not read
    /// its sealed files.
    pub fn iceberg_enabled(&self) -> bool {
        self.inner.iceberg && self.key.is_none()
    }

    /// The absolute URI of object `name` as other engines address it: `file:///abs/path/name`
    /// for a local repository, `s3://bucket/prefix/name` for S3 (also when opened as `s3a://`),
    /// `memory://...` for in-process stores. Refused with [`RepositoryError::InvalidLocation`]
    /// when the local root's path has characters a URI would need escaped (a space, `%`, `#`,
    /// `?`, non-ASCII), since readers disagree on unescaping them.
    pub fn uri(&self, name: &RepoPath) -> Result<String, RepositoryError> {
        match &self.inner.base_uri {
            Some(base) => Ok(format!("{base}/{name}")),
            None => Err(RepositoryError::InvalidLocation(format!(
                "{} cannot be written as a URI without escaping (only letters, digits and \
                 /._-~+=,@ are kept as they are)",
                self.inner.location
            ))),
        }
    }

    /// Stores `bytes` under `name`, replacing any previous object. Atomic: readers see the old
    /// object (or none) or all of the new one, never a part.
    pub fn put_bytes(&self, name: &RepoPath, bytes: Bytes) -> Result<(), RepositoryError> {
        self.check_writable()?;
        let tear = self.fault(true, "put_bytes", name)?;
        let bytes = match &self.key {
            Some(key) => Bytes::from(key.seal(&bytes)?),
            None => bytes,
        };
        match &self.inner.backend {
            Backend::Local(repo) => repo.put_bytes(name, &bytes, tear),
            Backend::Object(repo) => repo.put_bytes(name, bytes, tear),
        }
    }

    /// Stores groups of small objects, each atomically like [`Self::put_bytes`], up to `threads`
    /// at a time; a group is stored only once every object of the groups before it is (so a
    /// pointer file in a later group never names a missing one). `retry` runs each object's
    /// upload (its attempt) as the caller's retry policy says. A local repository writes them
    /// with far fewer fsyncs than a `put_bytes` each. On failure some objects may be stored.
    pub fn put_groups<E: From<RepositoryError> + Send>(
        &self,
        groups: &[Vec<(RepoPath, Bytes)>],
        threads: usize,
        retry: &RetryPolicy<'_, E>,
    ) -> Result<(), E> {
        let Backend::Local(repo) = &self.inner.backend else {
            return groups.iter().try_for_each(|group| {
                crate::parallel::for_each_parallel(group, threads, |(name, bytes)| {
                    retry(&|| self.put_bytes(name, bytes.clone()))
                })
            });
        };
        self.check_writable()?;
        let mut staged: Vec<Vec<(PathBuf, RepoPath)>> = Vec::with_capacity(groups.len());
        for group in groups {
            staged.push(Vec::with_capacity(group.len()));
            for (name, bytes) in group {
                let temp = RefCell::new(None);
                let attempt = || {
                    let tear = self.fault(true, "put_bytes", name)?;
                    let bytes = match &self.key {
                        Some(key) => Bytes::from(key.seal(bytes)?),
                        None => bytes.clone(),
                    };
                    *temp.borrow_mut() = Some(repo.stage(name, &bytes, tear)?);
                    Ok(())
                };
                if let Err(e) = retry(&attempt) {
                    super::local::discard_staged(&staged);
                    return Err(e);
                }
                if let (Some(temp), Some(group)) = (temp.into_inner(), staged.last_mut()) {
                    group.push((temp, name.clone()));
                }
            }
        }
        Ok(repo.publish_groups(&staged, threads)?)
    }

    /// Stores the local file `local` under `name`, atomically like [`Self::put_bytes`]. Returns
    /// [`TransferMethod::HardLink`] when the repository is local and on the same filesystem as
    /// `local` (the repository then shares the file's inode: `local` must never be modified in
    /// place afterwards, which tabvault's immutable data files guarantee), `Copy` for another
    /// local filesystem, `Upload` for object stores (multipart with parallel parts when large).
    pub fn put_file(
        &self,
        name: &RepoPath,
        local: &Path,
    ) -> Result<TransferMethod, RepositoryError> {
        self.check_writable()?;
        let tear = self.fault(true, "put_file", name)?;
        let sealed = match &self.key {
            Some(key) => {
                let temp = scratch_file(None)?;
                key.seal_file(local, temp.path())?;
                Some(temp)
            }
            None => None,
        };
        let source = sealed.as_ref().map_or(local, |temp| temp.path());
        let method = match &self.inner.backend {
            Backend::Local(repo) => repo.put_file(name, source, tear),
            Backend::Object(repo) => repo.put_file(name, source, tear),
        }?;
        // Sealing wrote every byte anew: whatever moved the sealed file, the cost was a copy.
        let method = match (sealed.is_some(), method) {
            (true, TransferMethod::HardLink) => TransferMethod::Copy,
            (_, method) => method,
        };
        tracing::trace!(%name, ?method, "stored file");
        Ok(method)
    }

    /// Reads the whole object `name`; [`RepositoryError::NotFound`] if absent.
    pub fn get_bytes(&self, name: &RepoPath) -> Result<Bytes, RepositoryError> {
        self.fault(false, "get_bytes", name)?;
        let bytes = match &self.inner.backend {
            Backend::Local(repo) => repo.get_bytes(name),
            Backend::Object(repo) => repo.get_bytes(name),
        }?;
        match &self.key {
            Some(key) => Ok(Bytes::from(key.open(&bytes, name.as_str())?)),
            None => Ok(bytes),
        }
    }

    /// Reads the whole object `name` unless it is larger than `max` bytes, which is refused
    /// before it is read (and again if it grew meanwhile).
    pub fn get_bytes_at_most(&self, name: &RepoPath, max: u64) -> Result<Bytes, RepositoryError> {
        let too_large = |size: u64| RepositoryError::TooLarge {
            name: name.to_string(),
            size,
            max,
        };
        match self.size(name)? {
            Some(size) if size > max => return Err(too_large(size)),
            Some(_) => {}
            None => return Err(RepositoryError::NotFound(name.to_string())),
        }
        let bytes = self.get_bytes(name)?;
        if bytes.len() as u64 > max {
            return Err(too_large(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// Writes the object `name` to the local file `dest` atomically (temporary file next to
    /// `dest`, fsync, rename, fsync of the directory, which is created if missing). Hard-links
    /// when the repository is local and on the same filesystem as `dest`'s directory.
    pub fn get_file(
        &self,
        name: &RepoPath,
        dest: &Path,
    ) -> Result<TransferMethod, RepositoryError> {
        self.fault(false, "get_file", name)?;
        let Some(key) = &self.key else {
            let method = match &self.inner.backend {
                Backend::Local(repo) => repo.get_file(name, dest),
                Backend::Object(repo) => repo.get_file(name, dest),
            }?;
            tracing::trace!(%name, ?method, "fetched file");
            return Ok(method);
        };
        // The sealed object lands beside `dest`, is opened into a second temporary there, and
        // only a whole, authenticated plaintext is renamed onto `dest`.
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .io_context(|| format!("creating directory {}", dir.display()))?;
        let sealed = scratch_file(Some(dir))?;
        let method = match &self.inner.backend {
            Backend::Local(repo) => repo.get_file(name, sealed.path()),
            Backend::Object(repo) => repo.get_file(name, sealed.path()),
        }?;
        let plain = scratch_file(Some(dir))?;
        key.open_file(sealed.path(), plain.path(), name.as_str())?;
        plain
            .persist(dest)
            .map_err(|e| e.error)
            .io_context(|| format!("renaming a decrypted file onto {}", dest.display()))?;
        super::local::sync_dir(dir)?;
        tracing::trace!(%name, ?method, "fetched and decrypted file");
        Ok(match method {
            TransferMethod::HardLink => TransferMethod::Copy,
            other => other,
        })
    }

    /// For an encrypted store, the name content with plaintext BLAKE3 `checksum` is stored
    /// under (a keyed hash that reveals nothing of the content); otherwise `checksum` itself.
    pub fn content_address(&self, checksum: &str) -> String {
        match &self.key {
            Some(key) => key.address(checksum),
            None => checksum.to_owned(),
        }
    }

    /// Whether objects are sealed with a repository key ([`RepositoryStore::with_key`]).
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// This store with every object sealed with `key` on put and opened on get (sizes are
    /// reported as plaintext sizes). The marker must be read and written without it.
    pub fn with_key(self, key: Arc<RepositoryKey>) -> Self {
        RepositoryStore {
            key: Some(key),
            ..self
        }
    }

    /// The directory of a local repository, whose objects are its files (`None` for object
    /// stores, and for encrypted stores, whose files are not the objects' bytes): readers that
    /// need a file, not bytes, read local objects where they lie.
    pub fn local_root(&self) -> Option<&Path> {
        match &self.inner.backend {
            Backend::Local(_) if self.key.is_some() => None,
            Backend::Local(repo) => Some(repo.root()),
            Backend::Object(_) => None,
        }
    }

    /// The size of object `name` in bytes, `None` if absent.
    pub fn size(&self, name: &RepoPath) -> Result<Option<u64>, RepositoryError> {
        self.fault(false, "size", name)?;
        let size = match &self.inner.backend {
            Backend::Local(repo) => repo.size(name),
            Backend::Object(repo) => repo.size(name),
        }?;
        Ok(size.map(|stored| self.plaintext_size(stored)))
    }

    /// The size an object of `stored` bytes has for readers: its plaintext size when sealed (a
    /// size no sealed object can have is kept as it is, so it never matches an expected size
    /// by accident of the arithmetic).
    fn plaintext_size(&self, stored: u64) -> u64 {
        match &self.key {
            Some(_) => RepositoryKey::plaintext_size(stored).unwrap_or(stored),
            None => stored,
        }
    }

    /// The size and BLAKE3 of object `name`, `None` if absent. Streamed: a local file is read in
    /// chunks and an object store's download hashed as it arrives, so memory stays flat however
    /// large the object (unlike [`Self::get_bytes`]). Reads only.
    pub fn digest(&self, name: &RepoPath) -> Result<Option<Digest>, RepositoryError> {
        self.fault(false, "digest", name)?;
        if self.key.is_some() {
            // Authenticated decryption needs the whole object: open it into a temporary file
            // and hash the plaintext there.
            let dir = scratch_dir()?;
            let plain = dir.path().join("object");
            return match self.get_file(name, &plain) {
                Ok(_) => {
                    let mut hasher = blake3::Hasher::new();
                    hasher
                        .update_reader(
                            std::fs::File::open(&plain)
                                .io_context(|| format!("opening the decrypted {name}"))?,
                        )
                        .io_context(|| format!("hashing the decrypted {name}"))?;
                    Ok(Some(Digest::of(&hasher)))
                }
                Err(RepositoryError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            };
        }
        match &self.inner.backend {
            Backend::Local(repo) => repo.digest(name),
            Backend::Object(repo) => repo.digest(name),
        }
    }

    /// Every object strictly below `prefix/` (recursively), with its size, sorted by name. An
    /// entry whose name is not a valid [`RepoPath`] (or, locally, a symbolic link or special
    /// file) is an error ([`RepositoryError::InvalidName`]), never skipped nor followed.
    pub fn list(&self, prefix: &RepoPath) -> Result<Vec<(RepoPath, u64)>, RepositoryError> {
        self.fault(false, "list", prefix)?;
        self.list_under(Some(prefix))
    }

    /// Every object of the repository, like [`Self::list`] without a prefix.
    pub fn list_all(&self) -> Result<Vec<(RepoPath, u64)>, RepositoryError> {
        if let Some(faults) = &self.faults
            && let Fault::Fail(op) | Fault::Tear(op) = faults.next(false)
        {
            return Err(RepositoryError::Injected(format!(
                "operation {op} (list_all) failed"
            )));
        }
        self.list_under(None)
    }

    fn list_under(
        &self,
        prefix: Option<&RepoPath>,
    ) -> Result<Vec<(RepoPath, u64)>, RepositoryError> {
        let listed = match &self.inner.backend {
            Backend::Local(repo) => repo.list(prefix),
            Backend::Object(repo) => repo.list(prefix),
        }?;
        Ok(listed
            .into_iter()
            .map(|(name, size)| (name, self.plaintext_size(size)))
            .collect())
    }

    /// Deletes object `name`; an absent object is not an error.
    pub fn delete(&self, name: &RepoPath) -> Result<(), RepositoryError> {
        self.check_writable()?;
        self.fault(false, "delete", name)?;
        match &self.inner.backend {
            Backend::Local(repo) => repo.delete(name),
            Backend::Object(repo) => repo.delete(name),
        }
    }

    /// Whether the store was opened with [`RepositoryStore::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    fn check_writable(&self) -> Result<(), RepositoryError> {
        if self.inner.read_only {
            return Err(RepositoryError::ReadOnly(self.inner.location.clone()));
        }
        Ok(())
    }

    /// This store with deterministic fault injection (test seam; see [`FaultPlan`]). Operation
    /// ordinals count from 0 and are shared by the clones of the returned store.
    pub fn with_faults(self, faults: FaultPlan) -> Self {
        RepositoryStore {
            faults: Some(Arc::new(FaultState::new(faults))),
            ..self
        }
    }

    /// Consults the fault plan: `Err` for an injected failure, `Ok(Some(op))` when the upload
    /// must be torn, `Ok(None)` to proceed normally.
    fn fault(
        &self,
        is_upload: bool,
        what: &str,
        name: &RepoPath,
    ) -> Result<Option<u64>, RepositoryError> {
        let Some(faults) = &self.faults else {
            return Ok(None);
        };
        match faults.next(is_upload) {
            Fault::None => Ok(None),
            Fault::Tear(op) => Ok(Some(op)),
            Fault::Fail(op) => Err(RepositoryError::Injected(format!(
                "operation {op} ({what} {name}) failed"
            ))),
        }
    }
}

/// How a caller retries one object's upload in [`RepositoryStore::put_groups`]: it runs the
/// attempt until it succeeds or the policy gives up, and returns the last error as an `E`.
pub type RetryPolicy<'a, E> =
    dyn Fn(&dyn Fn() -> Result<(), RepositoryError>) -> Result<(), E> + Sync + 'a;

/// A temporary file for sealed or opened bytes in flight: in `dir` (so it renames onto a file
/// there) or the system's temporary directory. Removed when dropped unless persisted.
fn scratch_file(dir: Option<&Path>) -> Result<tempfile::NamedTempFile, RepositoryError> {
    let builder = tempfile::Builder::new()
        .prefix(".tabvault-crypt-")
        .tempfile_in(dir.map_or_else(std::env::temp_dir, Path::to_path_buf));
    builder.io_context(|| "creating a temporary file for encryption".to_owned())
}

/// A temporary directory in the system's temporary location, removed when dropped.
fn scratch_dir() -> Result<tempfile::TempDir, RepositoryError> {
    tempfile::Builder::new()
        .prefix("tabvault-crypt-")
        .tempdir()
        .io_context(|| "creating a temporary directory for decryption".to_owned())
}
