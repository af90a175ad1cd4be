//! The object-store backend (S3 and in-memory), driven by one tokio runtime shared by every
//! object-store repository of the process.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use super::TransferMethod;
use super::digest::Digest;
use super::error::{IoContext, RepositoryError};
use super::local::{create_temp_file, dest_temp, finish_rename, torn_error};
use super::location::S3Config;
use super::path::RepoPath;

/// Files up to this size are uploaded with one PUT; bigger ones in parts of this size.
/// (S3 needs parts of at least 5 MiB, except the last.)
pub(crate) const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts of one multipart upload in flight at once.
const MAX_PARTS_IN_FLIGHT: usize = 4;

/// The process-wide registry behind `memory://name`: every open of the same name gets the same
/// store, for the life of the process. A process-wide map (rather than a registry value passed
/// around) keeps `RepositoryStore::open(location, properties)` a plain function of its
/// arguments, as for every other scheme; tests that want isolation use distinct names.
static MEMORY_STORES: LazyLock<Mutex<HashMap<String, Arc<InMemory>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The one I/O runtime every object-store repository of the process shares, started on first use
/// and never shut down (so no repository's drop can stop another's transfers, and dropping a store
/// inside some other async context cannot panic).
static IO_RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Threads of [`IO_RUNTIME`]: transfers wait on the network, not the CPU.
const IO_THREADS: usize = 2;

/// The shared I/O runtime, started now if this is its first use.
fn io_runtime() -> Result<&'static Runtime, RepositoryError> {
    if let Some(runtime) = IO_RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(IO_THREADS)
        .thread_name("tabvault-repository")
        .enable_all()
        .build()
        .io_context(|| "starting the repository I/O runtime".to_string())?;
    // Two first uses at once: one runtime wins, the other is dropped here, unused.
    let _ = IO_RUNTIME.set(runtime);
    IO_RUNTIME.get().ok_or_else(ended)
}

/// A repository stored in an object store, under an optional key prefix.
pub(crate) struct ObjectRepo {
    store: Arc<dyn ObjectStore>,
    prefix: Option<RepoPath>,
    runtime: &'static Runtime,
}

impl std::fmt::Debug for ObjectRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store itself is not printed: an S3 client's Debug could include its credentials.
        f.debug_struct("ObjectRepo")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ObjectRepo {
    /// The in-memory store registered under `name`, created on first use.
    pub(crate) fn memory(name: &str, prefix: Option<RepoPath>) -> Result<Self, RepositoryError> {
        let store = {
            let mut stores = MEMORY_STORES
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(stores.entry(name.to_string()).or_default())
        };
        Self::with_store(store, prefix)
    }

    /// An S3 (or S3-compatible) bucket.
    pub(crate) fn s3(config: S3Config) -> Result<Self, RepositoryError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(config.region());
        let options = &config.options;
        if let (Some(access_key), Some(secret_key)) = (&options.access_key, &options.secret_key) {
            builder = builder
                .with_access_key_id(access_key)
                .with_secret_access_key(secret_key);
        }
        if let Some(endpoint) = &options.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|source| RepositoryError::ObjectStore {
                context: format!("configuring S3 bucket {}", config.bucket),
                source,
            })?;
        Self::with_store(Arc::new(store), config.prefix)
    }

    fn with_store(
        store: Arc<dyn ObjectStore>,
        prefix: Option<RepoPath>,
    ) -> Result<Self, RepositoryError> {
        Ok(ObjectRepo {
            store,
            prefix,
            runtime: io_runtime()?,
        })
    }

    /// Runs `fut` on the shared I/O runtime and waits for it from this (synchronous) thread.
    /// Works from any thread, including a worker of another tokio runtime.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, RepositoryError>> + Send + 'static,
    ) -> Result<T, RepositoryError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            // The receiver only goes away if the caller is gone; nothing to report then.
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| Err(ended()))
    }

    /// The object key of `name`.
    fn key(&self, name: &RepoPath) -> Result<ObjectPath, RepositoryError> {
        let full = match &self.prefix {
            Some(prefix) => format!("{prefix}/{name}"),
            None => name.to_string(),
        };
        ObjectPath::parse(&full).map_err(|source| RepositoryError::ObjectStore {
            context: format!("naming object {name}"),
            source: source.into(),
        })
    }

    /// Uploads `bytes` with one atomic PUT; `tear` starts a multipart upload, sends half the
    /// data and abandons it (like a crash), then fails.
    pub(crate) fn put_bytes(
        &self,
        name: &RepoPath,
        bytes: Bytes,
        tear: Option<u64>,
    ) -> Result<(), RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        self.run(async move {
            if let Some(op) = tear {
                let total = bytes.len();
                let half = bytes.slice(..total / 2);
                let written = half.len();
                abandon_upload(store.as_ref(), &key, &name, half).await?;
                return Err(torn_error(op, "put_bytes", &name, written, total));
            }
            store
                .put(&key, PutPayload::from_bytes(bytes))
                .await
                .map(|_| ())
                .map_err(|source| object_error("uploading", &name, source))
        })
    }

    /// Uploads the file `local`: one PUT when small, else a parallel multipart upload, which S3
    /// publishes atomically on completion.
    pub(crate) fn put_file(
        &self,
        name: &RepoPath,
        local: &Path,
        tear: Option<u64>,
    ) -> Result<TransferMethod, RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        let local = local.to_path_buf();
        self.run(async move {
            let open_err = |source| RepositoryError::Io {
                context: format!("reading {}", local.display()),
                source,
            };
            let mut file = tokio::fs::File::open(&local).await.map_err(open_err)?;
            let len = file.metadata().await.map_err(open_err)?.len();
            if let Some(op) = tear {
                let half = usize::try_from(len / 2).unwrap_or(usize::MAX);
                let data = read_up_to(&mut file, half, &local).await?;
                let written = data.len();
                abandon_upload(store.as_ref(), &key, &name, data).await?;
                let total = usize::try_from(len).unwrap_or(usize::MAX);
                return Err(torn_error(op, "put_file", &name, written, total));
            }
            if len <= PART_SIZE as u64 {
                let data = read_up_to(&mut file, PART_SIZE, &local).await?;
                store
                    .put(&key, PutPayload::from_bytes(data))
                    .await
                    .map_err(|source| object_error("uploading", &name, source))?;
                return Ok(TransferMethod::Upload);
            }
            let upload = store
                .put_multipart(&key)
                .await
                .map_err(|source| object_error("starting multipart upload of", &name, source))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            loop {
                let part = match read_up_to(&mut file, PART_SIZE, &local).await {
                    Ok(part) => part,
                    Err(e) => {
                        abort(writer).await;
                        return Err(e);
                    }
                };
                if part.is_empty() {
                    break;
                }
                if let Err(source) = writer.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await {
                    abort(writer).await;
                    return Err(object_error("uploading a part of", &name, source));
                }
                writer.put(part);
            }
            writer
                .finish()
                .await
                .map_err(|source| object_error("completing multipart upload of", &name, source))?;
            Ok(TransferMethod::Upload)
        })
    }

    /// Downloads the whole object.
    pub(crate) fn get_bytes(&self, name: &RepoPath) -> Result<Bytes, RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        self.run(async move {
            let result = store
                .get(&key)
                .await
                .map_err(|source| read_error(&name, source))?;
            result
                .bytes()
                .await
                .map_err(|source| read_error(&name, source))
        })
    }

    /// The object's size and BLAKE3, hashed chunk by chunk as the download streams in (never
    /// whole in memory); `None` if absent.
    pub(crate) fn digest(&self, name: &RepoPath) -> Result<Option<Digest>, RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        self.run(async move {
            let result = match store.get(&key).await {
                Ok(result) => result,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(source) => return Err(read_error(&name, source)),
            };
            let mut stream = result.into_stream();
            let mut hasher = blake3::Hasher::new();
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|source| read_error(&name, source))?
            {
                hasher.update(&chunk);
            }
            Ok(Some(Digest::of(&hasher)))
        })
    }

    /// Streams the object into a temporary file next to `dest`, fsyncs it and renames it.
    pub(crate) fn get_file(
        &self,
        name: &RepoPath,
        dest: &Path,
    ) -> Result<TransferMethod, RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        let dest = dest.to_path_buf();
        self.run(async move {
            let result = store
                .get(&key)
                .await
                .map_err(|source| read_error(&name, source))?;
            let (dir, temp) = dest_temp(&dest)?;
            let file = create_temp_file(&temp)?;
            if let Err(e) = write_stream(result.into_stream(), file, &name, &temp).await {
                // Best effort: the temporary is invisible under `dest` either way.
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
            finish_rename(&temp, &dest, &dir)?;
            Ok(TransferMethod::Upload)
        })
    }

    /// The object's size, `None` if absent.
    pub(crate) fn size(&self, name: &RepoPath) -> Result<Option<u64>, RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        self.run(async move {
            match store.head(&key).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(source) => Err(object_error("reading the size of", &name, source)),
            }
        })
    }

    /// Every object strictly below `prefix` (the whole repository for `None`), sorted.
    pub(crate) fn list(
        &self,
        prefix: Option<&RepoPath>,
    ) -> Result<Vec<(RepoPath, u64)>, RepositoryError> {
        let list_key = match prefix {
            Some(prefix) => Some(self.key(prefix)?),
            None => match &self.prefix {
                Some(own) => Some(ObjectPath::parse(own.as_str()).map_err(|source| {
                    RepositoryError::ObjectStore {
                        context: format!("naming prefix {own}"),
                        source: source.into(),
                    }
                })?),
                None => None,
            },
        };
        let store = Arc::clone(&self.store);
        let own_prefix = self.prefix.as_ref().map(|p| format!("{p}/"));
        let wanted = prefix.map(|p| format!("{p}/"));
        let shown = prefix.map_or_else(|| "the repository".to_string(), RepoPath::to_string);
        self.run(async move {
            let metas: Vec<_> =
                store
                    .list(list_key.as_ref())
                    .try_collect()
                    .await
                    .map_err(|source| RepositoryError::ObjectStore {
                        context: format!("listing {shown}"),
                        source,
                    })?;
            let mut out = Vec::with_capacity(metas.len());
            for meta in metas {
                let key = meta.location.as_ref();
                let relative = match &own_prefix {
                    Some(own) => key.strip_prefix(own.as_str()).unwrap_or(key),
                    None => key,
                };
                if let Some(wanted) = &wanted
                    && !relative.starts_with(wanted.as_str())
                {
                    // Backends differ on whether the prefix object itself is listed: never is.
                    continue;
                }
                out.push((RepoPath::parse(relative)?, meta.size));
            }
            out.sort();
            Ok(out)
        })
    }

    /// Deletes the object; absent is fine.
    pub(crate) fn delete(&self, name: &RepoPath) -> Result<(), RepositoryError> {
        let key = self.key(name)?;
        let store = Arc::clone(&self.store);
        let name = name.clone();
        self.run(async move {
            match store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(source) => Err(object_error("deleting", &name, source)),
            }
        })
    }
}

/// Starts a multipart upload of `key`, sends `data` as its first part and then drops it without
/// completing or aborting it: what a crash mid-upload leaves behind (parts the store keeps
/// invisibly until a lifecycle rule removes them).
async fn abandon_upload(
    store: &dyn ObjectStore,
    key: &ObjectPath,
    name: &RepoPath,
    data: Bytes,
) -> Result<(), RepositoryError> {
    let mut upload = store
        .put_multipart(key)
        .await
        .map_err(|source| object_error("starting multipart upload of", name, source))?;
    upload
        .put_part(PutPayload::from_bytes(data))
        .await
        .map_err(|source| object_error("uploading a part of", name, source))?;
    drop(upload);
    Ok(())
}

/// Aborts a failed multipart upload, best effort: the error that caused it is what matters.
async fn abort(writer: WriteMultipart) {
    let _ = writer.abort().await;
}

/// Reads until `limit` bytes or end of file.
async fn read_up_to(
    file: &mut tokio::fs::File,
    limit: usize,
    path: &Path,
) -> Result<Bytes, RepositoryError> {
    let mut buf = BytesMut::with_capacity(limit.min(PART_SIZE));
    let mut reader = file.take(u64::try_from(limit).unwrap_or(u64::MAX));
    loop {
        let n = reader
            .read_buf(&mut buf)
            .await
            .io_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
    }
    Ok(buf.freeze())
}

/// Writes a download stream into `file` and fsyncs it.
async fn write_stream(
    mut stream: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    file: std::fs::File,
    name: &RepoPath,
    temp: &Path,
) -> Result<(), RepositoryError> {
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|source| read_error(name, source))?
    {
        file.write_all(&chunk)
            .await
            .io_context(|| format!("writing {}", temp.display()))?;
    }
    file.sync_all()
        .await
        .io_context(|| format!("syncing {}", temp.display()))
}

/// Wraps an object-store error of a write or delete. A "not found" here means the bucket is
/// missing, not the object, so it stays an [`RepositoryError::ObjectStore`] error.
fn object_error(what: &str, name: &RepoPath, source: object_store::Error) -> RepositoryError {
    RepositoryError::ObjectStore {
        context: format!("{what} {name}"),
        source,
    }
}

/// Wraps an object-store error of a read, turning "not found" into
/// [`RepositoryError::NotFound`].
fn read_error(name: &RepoPath, source: object_store::Error) -> RepositoryError {
    match source {
        object_store::Error::NotFound { .. } => RepositoryError::NotFound(name.to_string()),
        source => object_error("downloading", name, source),
    }
}

/// The error when the runtime is gone or a task ended without a result.
fn ended() -> RepositoryError {
    RepositoryError::Io {
        context: "running repository I/O".to_string(),
        source: io::Error::other("the repository I/O task ended without a result"),
    }
}
