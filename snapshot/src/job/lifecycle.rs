//! A job's life inside the service: running it on a worker, each state change (persisted, then
//! told to the hook), retries of transient repository errors, its end, and after a restart the
//! recovery of jobs that were running (cancelled, or FINISHED when their commit point was
//! reached) and of the per-job directories they left.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Job, JobKind, JobRecord, JobState, JobStatus, StatusCode, run_backup};
use crate::error::{Result, SnapshotError};
use crate::job::restore::STAGING_DIR;
use crate::local::{self, LOCAL_SNAPSHOTS_DIR};
use crate::repository::RepositoryError;
use crate::service::ServiceInner;

impl ServiceInner {
    pub(crate) fn run(&self, job: &Arc<Job>) {
        // PENDING was persisted by `submit`; the hook hears of it here, on the worker thread and
        // outside the job table's lock, so a hook that blocks holds only this job.
        self.notify(&job.record());
        match job.record().kind {
            JobKind::Backup => run_backup(self, job),
            JobKind::Restore => crate::job::restore::run_restore(self, job),
        }
    }

    pub(crate) fn notify(&self, record: &JobRecord) {
        if let Some(hook) = &self.hook {
            hook(record);
        }
    }

    /// Records a job's state durably (fsync'd): a job changes state a handful of times, and a
    /// record a crash could leave torn or empty would hide the job from the restart that must
    /// cancel it and release what it holds.
    pub(crate) fn persist(&self, record: &JobRecord) {
        if let Err(e) = self.store.save(record) {
            tracing::error!(error = %e, job = record.id, "could not persist a job state");
        }
    }

    /// Moves a job to `state` unless it must stop; persists and notifies.
    pub(crate) fn advance(&self, job: &Arc<Job>, state: impl Into<JobState>) -> Result<()> {
        let state = state.into();
        if let Some(reason) = job.stop_reason(self.now_ms()) {
            return Err(crate::job::stop_error(reason));
        }
        let record = job.update(|r| r.state = state);
        self.persist(&record);
        self.notify(&record);
        Ok(())
    }

    /// Ends a job successfully.
    pub(crate) fn finish(&self, job: &Arc<Job>, state: impl Into<JobState>) {
        let state = state.into();
        let now = self.now_ms();
        let record = job.update(|r| {
            r.state = state;
            r.finished_time_ms = Some(now);
        });
        self.persist(&record);
        self.notify(&record);
    }

    /// Ends a job as CANCELLED with the status `error` calls for.
    pub(crate) fn fail(&self, job: &Arc<Job>, error: &SnapshotError) {
        let now = self.now_ms();
        let timed_out = matches!(job.stop_reason(now), Some(crate::job::StopReason::TimedOut));
        // Only this job's worker changes its state, so this reading is the state it failed in.
        let failed_in = job.record();
        let (code, msg) = match error {
            _ if timed_out => (StatusCode::Timeout, String::new()),
            // StarRocks names the state a cancelled restore was in.
            SnapshotError::Cancelled(why) if failed_in.kind == JobKind::Restore => (
                StatusCode::CommonError,
                format!("{why}, current state: {}", failed_in.state),
            ),
            SnapshotError::Cancelled(why) => (StatusCode::CommonError, why.clone()),
            SnapshotError::Corrupted { .. } => (StatusCode::BadFile, error.to_string()),
            _ => (StatusCode::CommonError, error.to_string()),
        };
        let record = job.update(|r| {
            r.status = JobStatus::Error { code, msg };
            r.state = JobState::Cancelled;
            r.finished_time_ms = Some(now);
        });
        self.persist(&record);
        self.notify(&record);
    }

    /// Runs a repository operation up to three times, recording transient errors in TaskErrMsg.
    pub(crate) fn with_retry<T>(&self, job: &Arc<Job>, op: impl Fn() -> Result<T>) -> Result<T> {
        const ATTEMPTS: u32 = 3;
        let mut attempt = 1;
        loop {
            match op() {
                Ok(value) => return Ok(value),
                Err(SnapshotError::Repository(e)) if attempt < ATTEMPTS && is_transient(&e) => {
                    let message = e.to_string();
                    job.update(|r| r.task_err_msg = Some(message));
                    if let Some(reason) = job.stop_reason(self.now_ms()) {
                        return Err(crate::job::stop_error(reason));
                    }
                    // Back off a little before retrying a remote store.
                    std::thread::sleep(std::time::Duration::from_millis(20 * u64::from(attempt)));
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// After a restart: cancels the jobs that were running, cleans what they left, removes stray
    /// local snapshots, and keeps the newest `job_history` jobs of each database.
    pub(crate) fn recover(&self, records: BTreeMap<u64, JobRecord>) -> Result<()> {
        let now = self.now_ms();
        let mut per_database: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for record in records.values() {
            per_database
                .entry(record.database.as_str())
                .or_default()
                .push(record.id);
        }
        let kept: std::collections::BTreeSet<u64> = per_database
            .into_values()
            .flat_map(|ids| {
                let skip = ids.len().saturating_sub(self.job_history);
                ids.into_iter().skip(skip)
            })
            .collect();
        let mut jobs = self.jobs.lock();
        for (id, mut record) in records {
            if !record.is_terminal() {
                let was = record.state;
                // A restore killed after its one install record became durable but before
                // FINISHED was persisted did finish: say so instead of CANCELLED.
                let committed = match record.kind {
                    JobKind::Restore => {
                        was == JobState::Committing
                            && crate::job::restore::committed_before_restart(self, &record)
                    }
                    // The info file is a backup's commit point.
                    JobKind::Backup => crate::job::published_before_restart(self, &record),
                };
                if committed {
                    record.status = JobStatus::Ok;
                    record.state = JobState::Finished;
                } else {
                    record.status = JobStatus::Error {
                        code: StatusCode::CommonError,
                        msg: format!("engine restarted while the job was {was}"),
                    };
                    record.state = JobState::Cancelled;
                }
                record.finished_time_ms = Some(now);
                self.store.save(&record)?;
                match record.kind {
                    JobKind::Backup => crate::job::cleanup_after_restart(self, &record),
                    JobKind::Restore => crate::job::restore::cleanup_after_restart(self, &record),
                }
            }
            if kept.contains(&id) {
                jobs.insert(id, Job::new(record, false));
            } else {
                self.store.remove(id)?;
            }
        }
        release_job_dirs(&self.engine.root().join(LOCAL_SNAPSHOTS_DIR))?;
        release_job_dirs(&self.engine.root().join(STAGING_DIR))?;
        Ok(())
    }
}

/// Removes the per-job directories this service made under `dir` (`snapshots/` or `staging/` of
/// the data directory), which no job uses after a restart: entries named exactly like a job id
/// (`1`, `42`, ...). Anything else there is not ours: it stays, with a warning.
fn release_job_dirs(dir: &std::path::Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(tabvault_storage::StorageError::Io {
                context: format!("listing {}", dir.display()),
                source: e,
            }
            .into());
        }
    };
    for entry in entries {
        let path = entry
            .map_err(|e| tabvault_storage::StorageError::Io {
                context: format!("listing {}", dir.display()),
                source: e,
            })?
            .path();
        let is_job_dir = path.is_dir()
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_job_id);
        if is_job_dir {
            local::release(&path)?;
        } else {
            tracing::warn!(path = %path.display(), "leaving an entry tabvault did not make");
        }
    }
    Ok(())
}

/// Whether `name` is a job id as this service writes it (decimal, no sign, no leading zero).
fn is_job_id(name: &str) -> bool {
    name.parse::<u64>().is_ok_and(|id| id.to_string() == name)
}

fn is_transient(error: &RepositoryError) -> bool {
    !matches!(
        error,
        RepositoryError::InvalidName { .. }
            | RepositoryError::NotFound(_)
            | RepositoryError::InvalidLocation(_)
            | RepositoryError::UnsupportedScheme { .. }
            | RepositoryError::UnknownProperty(_)
            | RepositoryError::InvalidProperty(_)
            | RepositoryError::ReadOnly(_)
    )
}
