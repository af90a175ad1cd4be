//! `tabvault.Database`: one open data directory (or a temporary one, removed when it closes)
//! and a root session on it. Every method releases the GIL while tabvault works, so other
//! Python threads run; the session runs one statement at a time.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tabvault_sql::{Database, QueryResult, Session, Statement};
use tempfile::TempDir;

use crate::arrow_input::{arrow_stream, read_all};
use crate::errors::{Failure, error, to_py};
use crate::job::PyJob;
use crate::result::PyQueryResult;
use crate::snapshot_args;

/// An open database and its session, until `close()`.
struct Open {
    session: Session,
    database: Database,
    /// The directory of a temporary database; removed after the database closes.
    temporary: Option<TempDir>,
}

/// An embedded tabvault database.
#[pyclass(module = "tabvault._tabvault", name = "Database", frozen)]
pub(crate) struct PyDatabase {
    path: PathBuf,
    /// The database again, outside the session's lock, for `interrupt()`; `None` once closed.
    handle: Mutex<Option<Database>>,
    /// The session's id in SHOW PROCESSLIST.
    process_id: u32,
    open: Mutex<Option<Open>>,
}

impl PyDatabase {
    /// Runs `work` on the open session without the GIL.
    fn with_session<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&mut Session) -> Result<T, Failure> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            match open.as_mut() {
                Some(open) => work(&mut open.session),
                None => Err(error("the database is closed").into()),
            }
        })
        .map_err(|failure| failure.into_py(py))
    }

    /// Runs `statement` and hands back the job it started.
    fn start_job(&self, py: Python<'_>, statement: Statement) -> PyResult<PyJob> {
        let result = self.with_session(py, |session| {
            session.execute_statement(&statement).map_err(Failure::from)
        })?;
        result
            .job
            .map(PyJob::new)
            .ok_or_else(|| error("the statement started no job"))
    }
}

#[pymethods]
impl PyDatabase {
    /// Opens (creating or recovering) the data directory `path`, or a new temporary one when
    /// `path` is None, with a session of `user` (root by default), whose privileges every
    /// statement is checked against; `column_cache_bytes` sizes the cache of decoded columns
    /// (256 MiB when None, 0 turns it off).
    #[new]
    #[pyo3(signature = (path = None, user = "root", password = None, column_cache_bytes = None))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        user: &str,
        password: Option<&str>,
        column_cache_bytes: Option<usize>,
    ) -> PyResult<Self> {
        py.detach(|| {
            let (path, temporary) = match path {
                Some(path) => (path, None),
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("tabvault-")
                        .tempdir()
                        .map_err(|e| Failure::from(to_py(e)))?;
                    (dir.path().join("data"), Some(dir))
                }
            };
            let database = Database::open(&path).map_err(Failure::from)?;
            if let Some(bytes) = column_cache_bytes {
                database.column_cache().set_budget(bytes);
            }
            let mut session = database.session(user, password).map_err(Failure::from)?;
            session.set_wait_for_jobs(false);
            Ok(Self {
                path,
                process_id: session.process_id(),
                handle: Mutex::new(Some(database.clone())),
                open: Mutex::new(Some(Open {
                    session,
                    database,
                    temporary,
                })),
            })
        })
        .map_err(|failure: Failure| failure.into_py(py))
    }

    /// The data directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Runs SQL (one or more statements, `;`-separated) and returns the last statement's
    /// result; a query's rows are read in full before it returns.
    fn sql(&self, py: Python<'_>, query: &str) -> PyResult<PyQueryResult> {
        let mut results =
            self.with_session(py, |session| session.execute(query).map_err(Failure::from))?;
        Ok(results.pop().unwrap_or_else(QueryResult::ok).into())
    }

    /// Runs SQL statements for their effect; returns the rows the last one changed (INSERT,
    /// DELETE) or None.
    fn execute(&self, py: Python<'_>, statements: &str) -> PyResult<Option<u64>> {
        let results = self.with_session(py, |session| {
            session.execute(statements).map_err(Failure::from)
        })?;
        Ok(results.last().and_then(|r| r.affected_rows))
    }

    /// Appends `data` (anything Arrow-compatible: pyarrow, polars, pandas, a dict of lists) to
    /// `table` (`db.t`, or `t` in the current database) in one commit; columns are matched by
    /// name and converted to the table's types. Returns the number of rows.
    fn insert(&self, py: Python<'_>, table: &str, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let stream = arrow_stream(data)?;
        self.with_session(py, |session| {
            let (schema, batches) = read_all(stream).map_err(Failure::from)?;
            session
                .insert_arrow(table, schema, batches)
                .map_err(Failure::from)
        })
    }

    /// Starts `BACKUP SNAPSHOT database.snapshot TO repository`, of `tables` (names, or
    /// `(name, [partitions])` tuples; all of the database when None), and returns its job.
    #[pyo3(signature = (database, snapshot, repository, tables = None, properties = None))]
    fn backup(
        &self,
        py: Python<'_>,
        database: &str,
        snapshot: &str,
        repository: &str,
        tables: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyJob> {
        let backup = snapshot_args::backup(database, snapshot, repository, tables, properties)?;
        self.start_job(py, Statement::Backup(backup))
    }

    /// Starts `RESTORE SNAPSHOT database.snapshot FROM repository` of the snapshot taken at
    /// `backup_timestamp` (a BACKUP job's `timestamp`), of `tables` (names, `(name,
    /// [partitions])` or `(name, [partitions], alias)`; everything when None), and returns its
    /// job.
    #[pyo3(signature = (
        database, snapshot, repository, backup_timestamp = None, tables = None, properties = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn restore(
        &self,
        py: Python<'_>,
        database: &str,
        snapshot: &str,
        repository: &str,
        backup_timestamp: Option<&str>,
        tables: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyJob> {
        let restore = snapshot_args::restore(
            database,
            snapshot,
            repository,
            tables,
            properties,
            backup_timestamp,
        )?;
        self.start_job(py, Statement::Restore(restore))
    }

    /// Stops the statement this database is running in another thread, as `KILL QUERY` does:
    /// that call raises `tabvault.Error` ("Query execution was interrupted"). Does nothing when
    /// no statement runs.
    fn interrupt(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(database) = handle.as_ref() else {
                return Ok(());
            };
            let mut killer = database.root_session().map_err(Failure::from)?;
            killer
                .execute(&format!("KILL QUERY {}", self.process_id))
                .map_err(Failure::from)?;
            Ok(())
        })
        .map_err(|failure: Failure| failure.into_py(py))
    }

    /// Closes the database: running BACKUP and RESTORE jobs are cancelled (as when an engine
    /// shuts down), background work is waited for, and a temporary database is removed.
    /// Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            drop(
                self.handle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(),
            );
            let open = self
                .open
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(Open {
                session,
                database,
                temporary,
            }) = open
            {
                drop(session);
                drop(database);
                drop(temporary);
            }
        });
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!("<tabvault.Database {}>", self.path.display())
    }
}
