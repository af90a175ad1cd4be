//! The snapshot service: repositories, the job table, and a pool of workers that run BACKUP and
//! RESTORE jobs. One job per database at a time; every state change is persisted; a restarted
//! service shows interrupted jobs as CANCELLED and removes what they left.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam::channel::{Sender, unbounded};
use parking_lot::{Mutex, RwLock};
use tabvault_storage::Engine;

use crate::error::{Result, SnapshotError};
use crate::job::restore::{RestoreRequest, read_snapshot, select};
use crate::job::{Job, JobKind, JobRecord, JobStore, NewJob};
use crate::local::{self, LOCAL_SNAPSHOTS_DIR, resolve_objects};
use crate::object_spec::ObjectSpec;
use crate::options::{BackupOptions, check_restore, check_timeout};
use crate::prune::SnapshotSelection;
use crate::registry::{NewLocation, Registry};
use crate::repository::Repository;
use crate::repository::{FaultPlan, RepositoryOptions};
use crate::timefmt::snapshot_timestamp;
use crate::verify::VerifyRow;

/// Called after every persisted state change of every job. A test seam: a hook may block (to hold
/// a job in a state), cancel, or move an injected clock.
pub type StateHook = Arc<dyn Fn(&JobRecord) + Send + Sync>;

/// Jobs kept per database by default: SHOW BACKUP/RESTORE show the newest, SHOW ALL the rest.
pub const DEFAULT_JOB_HISTORY: usize = 10;

/// A BACKUP SNAPSHOT statement, typed.
#[derive(Clone, Debug, Default)]
pub struct BackupRequest {
    /// Database to back up.
    pub database: String,
    /// Snapshot name, unique within the repository.
    pub snapshot: String,
    /// Repository name.
    pub repository: String,
    /// The ON list; empty for the whole database.
    pub objects: Vec<ObjectSpec>,
    /// Timeout and verification (StarRocks' PROPERTIES, parsed by the SQL layer).
    pub options: BackupOptions,
}

/// Configures a [`SnapshotService`].
#[must_use]
pub struct SnapshotServiceBuilder {
    engine: Engine,
    workers: usize,
    upload_threads: usize,
    job_history: usize,
    hook: Option<StateHook>,
    faults: Option<FaultPlan>,
}

impl std::fmt::Debug for SnapshotServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotServiceBuilder")
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl SnapshotServiceBuilder {
    /// Worker threads running jobs (default 4; jobs of one database never run concurrently).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Parallel transfers per job (default 8; a BACKUP to a local-directory repository uses at
    /// most one less than the CPU count, since its copies are CPU-bound and writers go on). Every
    /// job's transfers share the process's one transfer pool of 16 threads, taking turns, so at
    /// most 16 run at once in the process, whatever this says.
    pub fn transfer_threads(mut self, threads: usize) -> Self {
        self.upload_threads = threads.max(1);
        self
    }

    /// Jobs kept per database, the running one included (default [`DEFAULT_JOB_HISTORY`], at
    /// least 1): older finished jobs and their records are forgotten as new ones start.
    pub fn job_history(mut self, jobs: usize) -> Self {
        self.job_history = jobs.max(1);
        self
    }

    /// A hook called after every job state change (default: none).
    pub fn state_hook(mut self, hook: StateHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Test seam: every repository store the service opens (at open and by CREATE REPOSITORY)
    /// injects the faults of `plan` (default: none). See [`FaultPlan`].
    pub fn repository_faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// Opens the service: loads repositories and jobs, cancels jobs a restart interrupted, removes
    /// leftover local snapshots, and starts the workers.
    pub fn open(self) -> Result<SnapshotService> {
        let root = self.engine.root().to_owned();
        let registry = Registry::load(&root, self.faults, self.engine.clock().now_ms())?;
        let (store, records) = JobStore::open(&root)?;
        let next_job_id = records.keys().max().map_or(1, |id| id + 1);
        let (sender, receiver) = unbounded::<Arc<Job>>();
        let inner = Arc::new(ServiceInner {
            engine: self.engine,
            registry: RwLock::new(registry),
            jobs: Mutex::new(BTreeMap::new()),
            store,
            next_job_id: AtomicU64::new(next_job_id),
            hook: self.hook,
            upload_threads: self.upload_threads,
            job_history: self.job_history,
            shutting_down: AtomicBool::new(false),
        });
        inner.recover(records)?;
        let mut workers = Vec::with_capacity(self.workers);
        for i in 0..self.workers {
            let receiver = receiver.clone();
            let service = inner.clone();
            let handle = std::thread::Builder::new()
                .name(format!("tabvault-job-{i}"))
                .spawn(move || {
                    for job in receiver {
                        service.run(&job);
                    }
                })
                .map_err(|e| tabvault_storage::StorageError::Io {
                    context: "starting job workers".into(),
                    source: e,
                })?;
            workers.push(handle);
        }
        Ok(SnapshotService {
            inner,
            sender: Mutex::new(Some(sender)),
            workers: Mutex::new(workers),
        })
    }
}

/// Snapshots, repositories and jobs over one engine. Dropping it cancels running jobs and waits for
/// the workers.
pub struct SnapshotService {
    inner: Arc<ServiceInner>,
    sender: Mutex<Option<Sender<Arc<Job>>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for SnapshotService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotService")
            .field("root", &self.inner.engine.root())
            .finish_non_exhaustive()
    }
}

pub(crate) struct ServiceInner {
    pub(crate) engine: Engine,
    registry: RwLock<Registry>,
    pub(crate) jobs: Mutex<BTreeMap<u64, Arc<Job>>>,
    pub(crate) store: JobStore,
    next_job_id: AtomicU64,
    pub(crate) hook: Option<StateHook>,
    pub(crate) upload_threads: usize,
    pub(crate) job_history: usize,
    shutting_down: AtomicBool,
}

impl SnapshotService {
    /// Opens the service with default settings.
    pub fn open(engine: Engine) -> Result<Self> {
        Self::builder(engine).open()
    }

    /// Starts configuring a service over `engine`.
    pub fn builder(engine: Engine) -> SnapshotServiceBuilder {
        SnapshotServiceBuilder {
            engine,
            workers: 4,
            upload_threads: 8,
            job_history: DEFAULT_JOB_HISTORY,
            hook: None,
            faults: None,
        }
    }

    /// The engine it serves.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// CREATE [READ ONLY] REPOSITORY: registers (and, when the location holds one, attaches to) a
    /// repository at `location`, shown by SHOW REPOSITORIES as it is.
    pub fn create_repository(
        &self,
        name: &str,
        location: &str,
        options: &RepositoryOptions,
        read_only: bool,
        broker: Option<&str>,
    ) -> Result<Arc<Repository>> {
        self.create_repository_typed(name, location, location, options, read_only, broker)
    }

    /// [`Self::create_repository`] for a location the caller resolved from what the statement
    /// said (a relative local path made absolute): the repository is opened at, and every I/O
    /// uses, `location`; SHOW REPOSITORIES shows `typed_location`, and `repositories.json` keeps
    /// both.
    pub fn create_repository_typed(
        &self,
        name: &str,
        typed_location: &str,
        location: &str,
        options: &RepositoryOptions,
        read_only: bool,
        broker: Option<&str>,
    ) -> Result<Arc<Repository>> {
        let now = self.inner.now_ms();
        let new_location = NewLocation {
            resolved: location,
            typed: typed_location,
        };
        self.inner
            .registry
            .write()
            .create(name, new_location, options, read_only, broker, now)
    }

    /// DROP REPOSITORY: unregisters it; its files stay where they are.
    pub fn drop_repository(&self, name: &str) -> Result<()> {
        let jobs = self.inner.jobs.lock();
        if jobs
            .values()
            .any(|j| !j.is_done() && j.record().repository == name)
        {
            return Err(SnapshotError::RepositoryBusy);
        }
        self.inner.registry.write().drop_repository(name)
    }

    /// A repository by name.
    pub fn repository(&self, name: &str) -> Result<Arc<Repository>> {
        self.inner.repository(name)
    }

    /// All usable repositories.
    pub fn repositories(&self) -> Vec<Arc<Repository>> {
        self.inner.registry.read().all()
    }

    /// Every registered repository, usable or not (SHOW REPOSITORIES).
    pub fn repository_rows(&self) -> Vec<crate::registry::RepositoryRow> {
        self.inner.registry.read().rows()
    }

    /// BACKUP SNAPSHOT: checks the request (StarRocks' errors), then queues the job and returns it.
    pub fn backup(&self, request: &BackupRequest) -> Result<Arc<Job>> {
        let timeout_s = check_timeout(request.options.timeout_s)?;
        local::refuse_aliases(&request.objects)?;
        tabvault_storage::validate_name(&request.snapshot).map_err(|e| {
            SnapshotError::InvalidSnapshotName(request.snapshot.clone(), e.to_string())
        })?;
        let repository = self.inner.repository(&request.repository)?;
        let catalog = self.inner.engine.catalog();
        if catalog.database(&request.database).is_none() {
            return Err(SnapshotError::UnknownDatabase(request.database.clone()));
        }
        let mut jobs = self.inner.jobs.lock();
        if jobs
            .values()
            .any(|j| !j.is_done() && j.record().database == request.database)
        {
            return Err(SnapshotError::JobRunning);
        }
        if repository.read_only() {
            return Err(SnapshotError::RepositoryReadOnly(
                request.repository.clone(),
            ));
        }
        let objects = resolve_objects(&catalog, &request.database, &request.objects)?;
        let label_busy = jobs.values().any(|j| {
            let r = j.record();
            !j.is_done() && r.repository == request.repository && r.label == request.snapshot
        });
        if label_busy || repository.has_snapshot(&request.snapshot)? {
            return Err(SnapshotError::SnapshotExists(request.snapshot.clone()));
        }
        let now = self.inner.now_ms();
        let id = self.inner.next_job_id.fetch_add(1, Ordering::SeqCst);
        let record = JobRecord {
            lease: Some(crate::lease::new_name(&request.snapshot, id)),
            ..JobRecord::pending(NewJob {
                id,
                kind: JobKind::Backup,
                label: request.snapshot.clone(),
                database: request.database.clone(),
                repository: request.repository.clone(),
                objects,
                timestamp: snapshot_timestamp(now),
                create_time_ms: now,
                timeout_s,
            })
        };
        self.submit(&mut jobs, record, request.options.verify_existing)
    }

    /// RESTORE SNAPSHOT: checks the request (StarRocks' errors; the snapshot's info and manifest are
    /// read and validated now), then queues the job and returns it.
    pub fn restore(&self, request: &RestoreRequest) -> Result<Arc<Job>> {
        let options = &request.options;
        check_restore(options)?;
        tabvault_storage::validate_name(&request.database)
            .map_err(|_| SnapshotError::UnknownDatabase(request.database.clone()))?;
        let repository = self.inner.repository(&request.repository)?;
        let mut jobs = self.inner.jobs.lock();
        if jobs
            .values()
            .any(|j| !j.is_done() && j.record().database == request.database)
        {
            return Err(SnapshotError::JobRunning);
        }
        let manifest = read_snapshot(&repository, &request.snapshot, &options.backup_timestamp)?;
        let (tables, views) = select(&manifest, &request.snapshot, &request.objects)?;
        let objects: Vec<ObjectSpec> = if request.objects.is_empty() {
            tables
                .iter()
                .map(|t| ObjectSpec::named(&t.name))
                .chain(views.iter().map(ObjectSpec::named))
                .collect()
        } else {
            request.objects.clone()
        };
        let now = self.inner.now_ms();
        let record = JobRecord {
            replication_num: options.replication_num,
            allow_load: options.allow_load,
            ..JobRecord::pending(NewJob {
                id: self.inner.next_job_id.fetch_add(1, Ordering::SeqCst),
                kind: JobKind::Restore,
                label: request.snapshot.clone(),
                database: request.database.clone(),
                repository: request.repository.clone(),
                objects,
                timestamp: options.backup_timestamp.clone(),
                create_time_ms: now,
                timeout_s: options.timeout_s,
            })
        };
        self.submit(&mut jobs, record, false)
    }

    fn submit(
        &self,
        jobs: &mut BTreeMap<u64, Arc<Job>>,
        record: JobRecord,
        verify_existing: bool,
    ) -> Result<Arc<Job>> {
        if self.inner.shutting_down.load(Ordering::SeqCst) {
            return Err(SnapshotError::ShuttingDown);
        }
        self.inner.store.save(&record)?;
        // The newest `job_history` jobs of the database are kept, this one included.
        let mut done: Vec<u64> = jobs
            .values()
            .filter(|j| j.is_done() && j.record().database == record.database)
            .map(|j| j.id())
            .collect();
        done.sort_unstable_by(|a, b| b.cmp(a));
        let replaced = done.into_iter().skip(self.inner.job_history - 1);
        for id in replaced {
            jobs.remove(&id);
            self.inner.store.remove(id)?;
        }
        let job = Job::new(record, verify_existing);
        jobs.insert(job.id(), job.clone());
        let sender = self.sender.lock();
        let sent = sender.as_ref().map(|s| s.send(job.clone()));
        if !matches!(sent, Some(Ok(()))) {
            return Err(SnapshotError::ShuttingDown);
        }
        Ok(job)
    }

    /// CANCEL BACKUP FROM db.
    pub fn cancel_backup(&self, database: &str) -> Result<()> {
        self.cancel(database, JobKind::Backup)
    }

    /// CANCEL RESTORE FROM db.
    pub fn cancel_restore(&self, database: &str) -> Result<()> {
        self.cancel(database, JobKind::Restore)
    }

    fn cancel(&self, database: &str, kind: JobKind) -> Result<()> {
        let none = || match kind {
            JobKind::Backup => SnapshotError::NoBackupRunning,
            JobKind::Restore => SnapshotError::NoRestoreRunning,
        };
        let job = self.last_job(database).ok_or_else(none)?;
        if job.record().kind != kind {
            return Err(none());
        }
        job.request_cancel("user cancelled")
    }

    /// The latest job of `database` (the one SHOW BACKUP / SHOW RESTORE reports).
    pub fn last_job(&self, database: &str) -> Option<Arc<Job>> {
        self.inner
            .jobs
            .lock()
            .values()
            .filter(|j| j.record().database == database)
            .max_by_key(|j| j.id())
            .cloned()
    }

    /// A job by id.
    pub fn job(&self, id: u64) -> Option<Arc<Job>> {
        self.inner.jobs.lock().get(&id).cloned()
    }

    /// Every kept job of `kind` (of `database`, or all), oldest first: the history SHOW ALL
    /// BACKUP/RESTORE lists.
    pub fn job_history(&self, kind: JobKind, database: Option<&str>) -> Vec<JobRecord> {
        self.inner
            .jobs
            .lock()
            .values()
            .map(|job| job.record())
            .filter(|r| r.kind == kind && database.is_none_or(|d| d == r.database))
            .collect()
    }

    /// The latest job of each database (of `database` only, when given) of the given kind.
    pub fn jobs(&self, kind: JobKind, database: Option<&str>) -> Vec<JobRecord> {
        let jobs = self.inner.jobs.lock();
        let mut latest: BTreeMap<String, JobRecord> = BTreeMap::new();
        for job in jobs.values() {
            let record = job.record();
            if database.is_some_and(|d| d != record.database) {
                continue;
            }
            if latest
                .get(&record.database)
                .is_none_or(|r| r.id < record.id)
            {
                latest.insert(record.database.clone(), record);
            }
        }
        latest.into_values().filter(|r| r.kind == kind).collect()
    }

    /// DROP SNAPSHOT of one snapshot: removes it from a repository, then (when no job uses the
    /// repository) the data files no remaining snapshot needs.
    pub fn drop_snapshot(&self, repository: &str, snapshot: &str) -> Result<()> {
        let selection = SnapshotSelection {
            names: Some(vec![snapshot.to_owned()]),
            timestamp: None,
        };
        self.drop_snapshots(repository, &selection, false)
            .map(|_| ())
    }

    /// DROP SNAPSHOT with StarRocks' WHERE forms: removes every snapshot `selection` names, then
    /// (when no job uses the repository) the data files no remaining snapshot needs; returns the
    /// labels dropped. A named snapshot that does not exist is an error and nothing is dropped,
    /// unless `if_exists`; a snapshot a running RESTORE reads is refused.
    pub fn drop_snapshots(
        &self,
        repository: &str,
        selection: &SnapshotSelection,
        if_exists: bool,
    ) -> Result<Vec<String>> {
        crate::prune::drop_selected(&self.inner, repository, selection, if_exists)
    }

    /// `table` of snapshot `label` in `repository`, at `timestamp` (the newest when `None`),
    /// opened for reading in place (SQL's `snapshot()` table function). Errors are RESTORE's:
    /// an unknown repository, snapshot, timestamp or table, or a manifest its info file does not
    /// vouch for.
    pub fn snapshot_table(
        &self,
        repository: &str,
        label: &str,
        timestamp: Option<&str>,
        table: &str,
    ) -> Result<crate::SnapshotTable> {
        let repo = self.inner.repository(repository)?;
        crate::SnapshotTable::open(repo, label, timestamp, table)
    }

    /// ADMIN VERIFY SNAPSHOT: verifies snapshot `name` in `repository` at `timestamp`, or at every
    /// timestamp it has (see [`crate::verify`]). Rows come per timestamp (oldest first): INFO,
    /// META, then DATA by path. An unknown repository, snapshot or timestamp is an error
    /// (StarRocks' messages, as RESTORE gives them); a damaged file is a row, never an error.
    /// Read-only: it takes no lease and runs beside any job.
    pub fn verify_snapshot(
        &self,
        repository: &str,
        name: &str,
        timestamp: Option<&str>,
    ) -> Result<Vec<VerifyRow>> {
        let repo = self.inner.repository(repository)?;
        crate::verify::verify(&repo, name, timestamp, self.inner.transfer_threads(&repo))
    }

    /// Writes (again) the Iceberg view of every complete snapshot in `repository` at its current
    /// location: for snapshots taken with the `iceberg` property off or before it existed, and
    /// after the repository's files were moved (the view embeds absolute URIs). Reads each
    /// run's manifest and, for PRIMARY KEY tablets with several rowsets, their key columns;
    /// never touches data files. Refused for READ ONLY repositories.
    pub fn refresh_iceberg(&self, repository: &str) -> Result<crate::IcebergRefresh> {
        let repo = self.inner.repository(repository)?;
        crate::refresh::refresh_iceberg(&repo, self.inner.upload_threads)
    }

    /// Cancels running jobs, waits for the workers and stops accepting jobs. Also done on drop.
    pub fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for job in self.inner.jobs.lock().values() {
            let _ = job.request_cancel("service shut down");
        }
        drop(self.sender.lock().take());
        for worker in self.workers.lock().drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for SnapshotService {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl ServiceInner {
    pub(crate) fn now_ms(&self) -> u64 {
        self.engine.clock().now_ms()
    }

    pub(crate) fn repository(&self, name: &str) -> Result<Arc<Repository>> {
        self.registry.read().get(name)
    }

    /// Parallel uploads for a BACKUP to `repository`: the configured number for object stores
    /// (latency-bound), at most one less than the CPU count for local directories (CPU-bound
    /// copies), so that writers keep a core while a backup runs. RESTORE locks its target
    /// tables and uses the configured number.
    pub(crate) fn transfer_threads(&self, repository: &Repository) -> usize {
        if repository.store().is_local() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            self.upload_threads.min(cores.saturating_sub(1)).max(1)
        } else {
            self.upload_threads
        }
    }

    pub(crate) fn local_snapshot_dir(&self, job_id: u64) -> PathBuf {
        self.engine
            .root()
            .join(LOCAL_SNAPSHOTS_DIR)
            .join(job_id.to_string())
    }
}
