//! The engine: one data directory, its catalog, its metadata log and the operations on them.

mod builder;
mod commit;
mod compaction;
mod compactor;
mod ddl;
mod gc;
mod install;
mod locks;
mod ownership;
mod write;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

pub use builder::EngineBuilder;
pub use builder::OpenReport;
pub use compaction::CompactionReport;
pub use compactor::CompactionPolicy;
pub use ddl::less_than_lower_bound;
pub use gc::{GcReport, VerifyReport, hash_file};
pub use install::{InstallPartition, InstallPlan, InstallTable, StagedRowset};
pub use locks::TableLocks;
pub use write::{CommitInfo, PublishedPartition, WriteBatch};

use crate::catalog::{CatalogState, Rowset};
use crate::clock::Clock;
use crate::crash::CrashHook;
use crate::error::{Result, StorageError};
use crate::io::{PoisonGate, StorageIo};
use crate::log::LogWriter;
use crate::scan::TableVersion;
use crate::schema::ViewDef;

/// An open tabvault data directory. Cheap to clone; all clones share one engine. Many engines (on
/// different directories) can live in one process: there is no global state.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<EngineInner>,
    /// Stops the background compactor when the last user handle goes (`None` in the compactor's
    /// own handle, and when automatic compaction is off).
    _compactor: Option<Arc<compactor::CompactorGuard>>,
}

#[derive(Debug)]
struct LogState {
    writer: LogWriter,
    last_seq: u64,
    since_checkpoint: u64,
}

struct EngineInner {
    root: Arc<PathBuf>,
    clock: Arc<dyn Clock>,
    crash_hook: Option<CrashHook>,
    checkpoint_every: u64,
    threads: usize,
    row_group_rows: usize,
    state: RwLock<Arc<CatalogState>>,
    log: Mutex<LogState>,
    next_id: AtomicU64,
    graveyard: Mutex<Vec<Arc<Rowset>>>,
    checkpointing: Mutex<()>,
    opened: OpenReport,
    /// Every durable operation goes through it; poisoning the engine closes it.
    io: Arc<PoisonGate>,
    round_robin: AtomicU64,
    locks: locks::LockTable,
    /// Wakes the background compactor after commits, when it runs.
    compaction: Option<compactor::Wake>,
    _lock: File,
}

impl std::fmt::Debug for EngineInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens (creating if needed, recovering if it crashed) the engine in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::builder(dir).open()
    }

    /// Starts configuring an engine on `dir`.
    pub fn builder(dir: impl AsRef<Path>) -> EngineBuilder {
        EngineBuilder::new(dir.as_ref())
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The whole catalog as of now: an immutable value that later commits do not change. Taking
    /// it is one `Arc` clone under a read lock; everything in it is one consistent instant.
    pub fn catalog(&self) -> Arc<CatalogState> {
        self.inner.state.read().clone()
    }

    /// Sequence number of the last durable metadata record.
    pub fn last_seq(&self) -> u64 {
        self.inner.log.lock().last_seq
    }

    /// Pins the current version of `db.table` for reading.
    pub fn pin_table(&self, db: &str, table: &str) -> Result<TableVersion> {
        let catalog = self.catalog();
        let table = catalog.require_table(db, table)?.clone();
        self.check_unlocked(db, &table, None)?;
        Ok(TableVersion {
            root: self.inner.root.clone(),
            database: db.to_owned(),
            table,
            threads: self.inner.threads,
            _keep_alive: None,
        })
    }

    /// Names of all databases, sorted.
    pub fn database_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .catalog()
            .databases
            .values()
            .map(|d| d.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Names of the tables of `db`, sorted.
    pub fn table_names(&self, db: &str) -> Result<Vec<String>> {
        let catalog = self.catalog();
        let database = catalog.require_database(db)?;
        Ok(catalog
            .tables_of(database.id)
            .iter()
            .map(|t| t.name.clone())
            .collect())
    }

    /// The views of `db`, sorted by name.
    pub fn views(&self, db: &str) -> Result<Vec<ViewDef>> {
        let catalog = self.catalog();
        Ok(catalog
            .require_database(db)?
            .views
            .values()
            .cloned()
            .collect())
    }

    /// What opening found and did: records cut from the log, files collected or kept aside.
    pub fn open_report(&self) -> &OpenReport {
        &self.inner.opened
    }

    /// Whether a failed durable write has made the engine refuse writes.
    pub fn is_poisoned(&self) -> bool {
        self.inner.io.is_poisoned()
    }

    /// The I/O seam every durable operation of this engine goes through.
    pub(crate) fn io(&self) -> Arc<dyn StorageIo> {
        self.inner.io.clone()
    }

    fn check_writable(&self) -> Result<()> {
        if self.is_poisoned() {
            Err(StorageError::Poisoned)
        } else {
            Ok(())
        }
    }

    fn allocate_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::SeqCst)
    }
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        gc::sweep(&*self.io, &self.root, &mut self.graveyard.lock());
    }
}
