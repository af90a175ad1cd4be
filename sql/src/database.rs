//! [`Database`]: one open data directory — the storage engine, the snapshot service, the users —
//! from which [`Session`]s are opened.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use parking_lot::{Mutex, RwLock};
use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;

use crate::auth::{ROOT, UserStore};
use crate::error::{Result, SqlError};
use crate::parser::NewPassword;
use crate::process::{ProcessHandle, ProcessList, Signal};
use crate::query::{COLUMN_CACHE_DEFAULT_BYTES, ColumnCache, ImportPolicy, ImportScope};
use crate::session::Session;

/// An open data directory. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    service: SnapshotService,
    users: Mutex<UserStore>,
    import: RwLock<ImportPolicy>,
    processes: Arc<ProcessList>,
    runtime: tokio::runtime::Runtime,
    /// DataFusion's runtime (memory pool, caches), one for every query of this database.
    query_runtime: Arc<RuntimeEnv>,
    /// Decoded columns kept between this database's queries.
    column_cache: Arc<ColumnCache>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("root", &self.engine().root())
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating or recovering) the data directory `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::with_engine(Engine::open(dir)?)
    }

    /// Wraps an already open engine: starts its snapshot service and loads its users.
    pub fn with_engine(engine: Engine) -> Result<Self> {
        let users = UserStore::open(engine.root())?;
        let service = SnapshotService::open(engine)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tabvault-sql")
            .enable_all()
            .build()
            .map_err(|source| SqlError::Io {
                context: "starting the query runtime".into(),
                source,
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                service,
                users: Mutex::new(users),
                import: RwLock::new(ImportPolicy::disabled()),
                processes: Arc::default(),
                runtime,
                query_runtime: Arc::new(RuntimeEnv::default()),
                column_cache: Arc::new(ColumnCache::new(COLUMN_CACHE_DEFAULT_BYTES)),
            }),
        })
    }

    /// The storage engine.
    pub fn engine(&self) -> &Engine {
        self.inner.service.engine()
    }

    /// The snapshot service (repositories, BACKUP and RESTORE jobs).
    pub fn snapshots(&self) -> &SnapshotService {
        &self.inner.service
    }

    /// A session of `user`, after checking `password` (a user without password takes none).
    pub fn session(&self, user: &str, password: Option<&str>) -> Result<Session> {
        self.inner.users.lock().authenticate(user, password)?;
        let process = Arc::new(self.register_connection("localhost"));
        Ok(Session::new(self.clone(), user.to_owned(), process))
    }

    /// Lists a new connection from `host` (`ip:port`) in `SHOW PROCESSLIST` before it logs in;
    /// its id is the connection id to announce. The session that logs in on it takes it over
    /// (see `native_session`).
    pub fn register_connection(&self, host: &str) -> ProcessHandle {
        self.inner.processes.register(host)
    }

    /// The cache of decoded columns that scans of this database's tables share: its budget
    /// starts at [`COLUMN_CACHE_DEFAULT_BYTES`] and [`ColumnCache::set_budget`] changes it (0
    /// turns it off).
    pub fn column_cache(&self) -> &Arc<ColumnCache> {
        &self.inner.column_cache
    }

    pub(crate) fn query_runtime(&self) -> Arc<RuntimeEnv> {
        self.inner.query_runtime.clone()
    }

    pub(crate) fn processes(&self) -> &ProcessList {
        &self.inner.processes
    }

    /// Sets `user`'s password (an empty one removes it), as `ALTER USER … IDENTIFIED BY` does:
    /// `tabvault serve --root-password-file` uses it for root.
    pub fn set_password(&self, user: &str, password: &str) -> Result<()> {
        self.users()
            .set_password(user, &NewPassword::Plain(password.to_owned()))
    }

    /// Whether `user` has a password.
    pub fn has_password(&self, user: &str) -> bool {
        self.users().has_password(user)
    }

    /// A session of `root` (who has no password unless one was set with SQL).
    pub fn root_session(&self) -> Result<Session> {
        self.session(ROOT, None)
    }

    /// Sets where `FILES()` may read; until then it is disabled.
    pub fn set_import_policy(&self, policy: ImportPolicy) {
        *self.inner.import.write() = policy;
    }

    /// What `FILES()` may read now: the import policy, never the data directory nor a local
    /// repository location.
    pub(crate) fn import_scope(&self) -> ImportScope {
        let policy = self.inner.import.read().clone();
        let repositories = self
            .snapshots()
            .repositories()
            .into_iter()
            .map(|r| r.location().to_owned())
            .filter(|location| !location.contains("://"))
            .map(PathBuf::from);
        let forbidden = std::iter::once(self.engine().root().to_path_buf()).chain(repositories);
        ImportScope::new(policy, forbidden)
    }

    pub(crate) fn users(&self) -> parking_lot::MutexGuard<'_, UserStore> {
        self.inner.users.lock()
    }

    /// Runs a future (a DataFusion query) to completion on the database's runtime; past the
    /// deadline, or once `cancel` is raised, it is dropped, which cancels the plan, and the
    /// statement fails.
    pub(crate) fn block_on<T>(
        &self,
        future: impl Future<Output = Result<T>>,
        deadline: Option<Deadline>,
        cancel: &Signal,
    ) -> Result<T> {
        self.inner.runtime.block_on(async {
            let limited = async {
                match deadline {
                    Some(deadline) => tokio::time::timeout_at(deadline.at.into(), future)
                        .await
                        .unwrap_or(Err(SqlError::Timeout(deadline.limit.as_secs()))),
                    None => future.await,
                }
            };
            tokio::select! {
                biased;
                () = cancel.raised() => Err(SqlError::Interrupted),
                result = limited => result,
            }
        })
    }
}

/// When a statement must end: `query_timeout` after it started.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    /// The limit, as set (for the error message).
    pub limit: std::time::Duration,
    /// The instant it runs out.
    pub at: std::time::Instant,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub(crate) fn after(limit: std::time::Duration) -> Self {
        Self {
            limit,
            at: std::time::Instant::now() + limit,
        }
    }
}
