//! Jobs: BACKUP and RESTORE as persisted state machines run by the service's workers.

mod backup;
mod lifecycle;
mod progress;
mod record;
pub(crate) mod restore;
mod state;

pub(crate) use backup::{cleanup_after_restart, published_before_restart, run_backup};
pub use progress::{Progress, ProgressSnapshot};
pub use record::{JobKind, JobRecord};
pub(crate) use record::{JobStore, NewJob};
pub use state::{BackupState, JobState, JobStatus, RestoreState, StatusCode};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Condvar, Mutex};

use crate::error::{Result, SnapshotError};

/// Why a job must stop before finishing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// CANCEL BACKUP / CANCEL RESTORE, or service shutdown.
    Cancelled(String),
    /// The job ran longer than its `timeout`.
    TimedOut,
}

/// A job shared between the worker running it and everyone watching it.
#[derive(Debug)]
pub struct Job {
    record: Mutex<JobRecord>,
    changed: Condvar,
    progress: Progress,
    cancel: Mutex<Option<String>>,
    committing: AtomicBool,
    /// BACKUP's `verify_existing`: re-hash a data file already in the repository before reusing
    /// it. Not persisted: a job a restart interrupts is cancelled, never resumed.
    verify_existing: bool,
}

impl Job {
    /// A job for `record`; `verify_existing` as BACKUP's property (false for RESTORE).
    pub(crate) fn new(record: JobRecord, verify_existing: bool) -> Arc<Self> {
        let progress = Progress::default();
        progress.restore(&record.progress);
        Arc::new(Self {
            record: Mutex::new(record),
            changed: Condvar::new(),
            progress,
            cancel: Mutex::new(None),
            committing: AtomicBool::new(false),
            verify_existing,
        })
    }

    /// Whether a BACKUP re-hashes the data files it finds already in the repository (and
    /// uploads over one whose bytes are not what its name says) instead of trusting name and size.
    pub fn verifies_existing(&self) -> bool {
        self.verify_existing
    }

    /// A copy of the job's record with current progress.
    pub fn record(&self) -> JobRecord {
        let mut record = self.record.lock().clone();
        record.progress = self.progress.snapshot();
        record
    }

    /// Job id.
    pub fn id(&self) -> u64 {
        self.record.lock().id
    }

    /// Live progress counters (readable at any time without blocking the job).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Whether the job reached FINISHED or CANCELLED.
    pub fn is_done(&self) -> bool {
        self.record.lock().is_terminal()
    }

    /// Blocks until the job is FINISHED or CANCELLED and returns its final record.
    pub fn wait(&self) -> JobRecord {
        let mut record = self.record.lock();
        while !record.is_terminal() {
            self.changed.wait(&mut record);
        }
        let mut out = record.clone();
        out.progress = self.progress.snapshot();
        out
    }

    /// Blocks until the job leaves `state` (or ends), returning the state it reached. For callers
    /// that watch a job step by step.
    pub fn wait_for_change(&self, state: JobState) -> JobState {
        let mut record = self.record.lock();
        while record.state == state && !record.is_terminal() {
            self.changed.wait(&mut record);
        }
        record.state
    }

    /// Asks the job to stop. Fails when it is already done or past its commit point.
    pub(crate) fn request_cancel(&self, reason: &str) -> Result<()> {
        let record = self.record.lock();
        if record.is_terminal() || self.committing.load(Ordering::SeqCst) {
            return Err(SnapshotError::CannotCancel {
                label: record.label.clone(),
                state: record.state.name().to_owned(),
            });
        }
        *self.cancel.lock() = Some(reason.to_owned());
        Ok(())
    }

    /// Why the job must stop now, if it must.
    pub(crate) fn stop_reason(&self, now_ms: u64) -> Option<StopReason> {
        let record = self.record.lock();
        self.stop_reason_locked(&record, now_ms)
    }

    /// Passes the commit point: from now on cancel requests are refused. Fails if a stop is due.
    pub(crate) fn enter_commit(&self, now_ms: u64) -> Result<()> {
        let record = self.record.lock();
        if let Some(reason) = self.stop_reason_locked(&record, now_ms) {
            return Err(stop_error(reason));
        }
        self.committing.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn stop_reason_locked(&self, record: &JobRecord, now_ms: u64) -> Option<StopReason> {
        if let Some(reason) = self.cancel.lock().clone() {
            return Some(StopReason::Cancelled(reason));
        }
        let deadline = record
            .create_time_ms
            .saturating_add(record.timeout_s.saturating_mul(1000));
        (now_ms > deadline).then_some(StopReason::TimedOut)
    }

    /// Changes the record under the lock and wakes watchers.
    pub(crate) fn update(&self, change: impl FnOnce(&mut JobRecord)) -> JobRecord {
        let mut record = self.record.lock();
        change(&mut record);
        record.progress = self.progress.snapshot();
        let out = record.clone();
        drop(record);
        self.changed.notify_all();
        out
    }
}

/// The error a stop reason turns into.
pub(crate) fn stop_error(reason: StopReason) -> SnapshotError {
    match reason {
        StopReason::Cancelled(why) => SnapshotError::Cancelled(why),
        StopReason::TimedOut => SnapshotError::Cancelled("timeout".into()),
    }
}
