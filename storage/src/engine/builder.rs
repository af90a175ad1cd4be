//! Engine configuration: `Engine::builder(dir)`, setters, then `open()`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use parking_lot::{Mutex, RwLock};

use super::compactor::{self, CompactionPolicy};
use super::gc::{self, Disposal, GcReport};
use super::ownership::{self, Ownership};
use super::{Engine, EngineInner, LogState};
use crate::clock::{Clock, SystemClock};
use crate::crash::CrashHook;
use crate::error::{IoContext, Result, StorageError};
use crate::io::{PoisonGate, RealIo, StorageIo};
use crate::layout::{DATA_DIR, LOCK_FILE, META_DIR};
use crate::log::{RecoverOptions, recover};

/// Options for opening an engine. Every setter documents its default.
#[must_use]
pub struct EngineBuilder {
    root: PathBuf,
    clock: Arc<dyn Clock>,
    crash_hook: Option<CrashHook>,
    io: Arc<dyn StorageIo>,
    checkpoint_every: u64,
    threads: usize,
    row_group_rows: usize,
    repair: bool,
    compaction: Option<CompactionPolicy>,
}

/// What [`EngineBuilder::open`] found and did, for the operator (`tabvault verify` prints it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The directory was created (or was empty) and has been marked as a new data directory.
    pub created: bool,
    /// Log bytes were cut (a torn final record, or damage in repair mode); they are kept in
    /// `lost_found`.
    pub log_truncated: bool,
    /// Where this open kept what it set aside, if it set anything aside.
    pub lost_found: Option<PathBuf>,
    /// What garbage collection did.
    pub gc: GcReport,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl EngineBuilder {
    pub(super) fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            clock: Arc::new(SystemClock),
            crash_hook: None,
            io: Arc::new(RealIo),
            checkpoint_every: 1000,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            row_group_rows: 128 * 1024,
            repair: false,
            compaction: Some(CompactionPolicy::default()),
        }
    }

    /// The clock used for version times (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A hook called at each [`crate::whitebox::CrashPoint`] (default: none). For crash tests.
    #[cfg(feature = "whitebox")]
    pub fn crash_hook(mut self, hook: CrashHook) -> Self {
        self.crash_hook = Some(hook);
        self
    }

    /// The I/O seam every durable operation goes through, opening included (default: [`RealIo`],
    /// the real system calls). For fault-injection tests: see [`crate::whitebox::FaultIo`].
    #[cfg(feature = "whitebox")]
    pub fn io(mut self, io: Arc<dyn StorageIo>) -> Self {
        self.io = io;
        self
    }

    /// Write a checkpoint after this many log records (default 1000; at least 1).
    pub fn checkpoint_every(mut self, records: u64) -> Self {
        self.checkpoint_every = records.max(1);
        self
    }

    /// Parallel reads, writes and merges (default: the number of CPUs): above 1 they run on the
    /// process's one rayon pool (sized to the CPUs), at 1 one after another on the caller's
    /// thread.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Largest Parquet row group written (default 131072 rows).
    pub fn row_group_rows(mut self, rows: usize) -> Self {
        self.row_group_rows = rows.max(1);
        self
    }

    /// Automatic compaction (default on, [`CompactionPolicy::default`]): a background thread
    /// merges the rowsets of tablets that hold `trigger` or more; `None` turns it off (tests that
    /// count files, benchmarks of raw writes). Engines opened with a crash hook never compact in
    /// the background, so that injected crashes happen where the test puts them.
    pub fn auto_compaction(mut self, policy: Option<CompactionPolicy>) -> Self {
        self.compaction = policy;
        self
    }

    /// Repair mode (default off; `tabvault verify --repair`): a log damaged in the middle is cut at
    /// the damage instead of refused, accepting the loss of the records after it, and every entry
    /// under `data/` the engine did not write is moved out of the way. Everything cut or moved is
    /// kept in `lost+found/`; nothing is deleted.
    pub fn repair(mut self, repair: bool) -> Self {
        self.repair = repair;
        self
    }

    /// Opens the engine: checks that the directory is the engine's to open (new and empty, or
    /// marked), locks it, recovers the catalog from the metadata log, and collects the engine's
    /// own files that no durable record references. See docs/ARCHITECTURE.md, "Recovery".
    pub fn open(mut self) -> Result<Engine> {
        self.root = std::path::absolute(&self.root)
            .io_context(|| format!("resolving data directory {}", self.root.display()))?;
        let ownership = ownership::inspect(&self.root)?;
        let gate = Arc::new(PoisonGate::new(self.io));
        let io: &dyn StorageIo = &*gate;
        io.create_dir_durable(&self.root)?;
        if ownership == Ownership::New {
            make_private(&self.root)?;
        } else {
            warn_if_shared(&self.root);
        }
        let lock_path = self.root.join(LOCK_FILE);
        let lock = crate::io::private_file_options()
            .truncate(false)
            .open(&lock_path)
            .io_context(|| format!("opening {}", lock_path.display()))?;
        lock.try_lock().map_err(|_| StorageError::Io {
            context: format!("locking {}", lock_path.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "the data directory is open in another engine",
            ),
        })?;
        let lost_found = gc::lost_found_dir(&self.root, "open", self.clock.now_ms());
        let options = RecoverOptions {
            repair: self.repair,
            lost_found: lost_found.clone(),
        };
        let recovered = recover(io, &self.root.join(META_DIR), &options)?;
        io.create_dir_durable(&self.root.join(DATA_DIR))?;
        if ownership != Ownership::Marked {
            ownership::write_marker(io, &self.root)?;
        }
        let disposal = if recovered.truncated || self.repair {
            Disposal::Quarantine(lost_found.clone())
        } else {
            Disposal::Delete
        };
        let foreign_to = self.repair.then_some(lost_found.as_path());
        let gc = gc::collect_unreferenced(io, &self.root, &recovered.state, &disposal, foreign_to)?;
        let set_aside = recovered.truncated
            || gc.files_quarantined > 0
            || (self.repair && !gc.foreign.is_empty());
        let opened = OpenReport {
            created: ownership == Ownership::New,
            log_truncated: recovered.truncated,
            lost_found: set_aside.then_some(lost_found),
            gc,
        };
        let next_id = recovered.state.next_id.max(1);
        let compaction = self
            .compaction
            .filter(|_| self.crash_hook.is_none())
            .map(|policy| (policy, compactor::wake_channel()));
        let inner = EngineInner {
            root: Arc::new(self.root),
            clock: self.clock,
            crash_hook: self.crash_hook,
            checkpoint_every: self.checkpoint_every,
            threads: self.threads,
            row_group_rows: self.row_group_rows,
            state: RwLock::new(Arc::new(recovered.state)),
            log: Mutex::new(LogState {
                writer: recovered.log,
                last_seq: recovered.last_seq,
                since_checkpoint: recovered.records_since_checkpoint,
            }),
            next_id: AtomicU64::new(next_id),
            graveyard: Mutex::new(Vec::new()),
            checkpointing: Mutex::new(()),
            opened,
            io: gate,
            round_robin: AtomicU64::new(0),
            locks: Default::default(),
            compaction: compaction.as_ref().map(|(_, (wake, _))| wake.clone()),
            _lock: lock,
        };
        let inner = Arc::new(inner);
        let compactor = match compaction {
            None => None,
            Some((policy, (_, woken))) => {
                let engine = Engine {
                    inner: inner.clone(),
                    _compactor: None,
                };
                let guard = compactor::start(engine, policy, woken)
                    .io_context(|| "starting the compactor thread".to_owned())?;
                Some(Arc::new(guard))
            }
        };
        Ok(Engine {
            inner,
            _compactor: compactor,
        })
    }
}

/// Makes a new data directory (just created, or an empty one adopted) private to its owner before
/// anything is written in it.
fn make_private(root: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root,
        std::fs::Permissions::from_mode(crate::io::PRIVATE_DIR_MODE),
    )
    .io_context(|| format!("making {} private", root.display()))
}

/// Warns when an existing data directory is group- or world-accessible: the engine makes it 0700,
/// so someone widened it since, and other local users could read every table.
fn warn_if_shared(root: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(root) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                directory = %root.display(),
                mode = format!("{mode:o}"),
                "the data directory is accessible to other users; run `chmod 700` on it"
            );
        }
    }
}
