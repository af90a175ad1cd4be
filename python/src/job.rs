//! A BACKUP or RESTORE job seen from Python: its state, progress and record, and `wait()`, which
//! blocks without holding the GIL.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tabvault_snapshot::{Job, JobKind, JobRecord, JobState};

use crate::errors::error;

/// A running or finished BACKUP or RESTORE job.
#[pyclass(module = "tabvault._tabvault", name = "Job", frozen)]
pub(crate) struct PyJob {
    job: Arc<Job>,
}

impl PyJob {
    pub(crate) fn new(job: Arc<Job>) -> Self {
        Self { job }
    }
}

#[pymethods]
impl PyJob {
    /// The job id (`JobId` in SHOW BACKUP / SHOW RESTORE).
    #[getter]
    fn id(&self) -> u64 {
        self.job.id()
    }

    /// `BACKUP` or `RESTORE`.
    #[getter]
    fn kind(&self) -> &'static str {
        kind_name(self.job.record().kind)
    }

    /// The snapshot label.
    #[getter]
    fn label(&self) -> String {
        self.job.record().label
    }

    /// The database backed up or restored into.
    #[getter]
    fn database(&self) -> String {
        self.job.record().database
    }

    /// The snapshot's timestamp: the one a BACKUP writes (what a RESTORE needs as
    /// `backup_timestamp`), or the one a RESTORE reads.
    #[getter]
    fn timestamp(&self) -> String {
        self.job.record().timestamp
    }

    /// The state as StarRocks names it (`PENDING`, `SNAPSHOTING`, …, `FINISHED`, `CANCELLED`).
    #[getter]
    fn state(&self) -> String {
        self.job.record().state.to_string()
    }

    /// `[OK]`, or the error that ended the job.
    #[getter]
    fn status(&self) -> String {
        self.job.record().status.to_string()
    }

    /// Whether the job is FINISHED or CANCELLED.
    #[getter]
    fn done(&self) -> bool {
        self.job.is_done()
    }

    /// Live progress: files and bytes in all, done, and actually transferred.
    #[getter]
    fn progress<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let progress = self.job.progress().snapshot();
        let out = PyDict::new(py);
        out.set_item("files_total", progress.files_total)?;
        out.set_item("files_done", progress.files_done)?;
        out.set_item("bytes_total", progress.bytes_total)?;
        out.set_item("bytes_done", progress.bytes_done)?;
        out.set_item("files_transferred", progress.files_transferred)?;
        out.set_item("bytes_transferred", progress.bytes_transferred)?;
        Ok(out)
    }

    /// Blocks until the job ends and returns its final state, `FINISHED`; a job that ended
    /// CANCELLED (by CANCEL, a timeout or an error) raises `tabvault.Error` with its status.
    fn wait(&self, py: Python<'_>) -> PyResult<String> {
        let job = self.job.clone();
        let end: JobRecord = py.detach(move || job.wait());
        if end.state == JobState::Cancelled {
            return Err(error(format!(
                "job {} ({}) ended CANCELLED: {}",
                end.id, end.label, end.status
            )));
        }
        Ok(end.state.to_string())
    }

    fn __repr__(&self) -> String {
        let record = self.job.record();
        format!(
            "<tabvault.Job {} {} {} {}>",
            record.id,
            kind_name(record.kind),
            record.label,
            record.state
        )
    }
}

fn kind_name(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Backup => "BACKUP",
        JobKind::Restore => "RESTORE",
    }
}
