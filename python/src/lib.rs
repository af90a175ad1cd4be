//! tabvault's Python module, `tabvault._tabvault`: an embedded [`Database`](database::PyDatabase)
//! that runs StarRocks-dialect SQL, takes and returns Arrow data through the Arrow PyCapsule
//! interface (no copies), and runs BACKUP and RESTORE as [`Job`](job::PyJob)s. The pure-Python
//! package `tabvault` (python/tabvault) wraps it with `open()` and the pytest fixtures.

mod arrow_input;
mod database;
mod errors;
mod job;
mod result;
mod snapshot_args;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _tabvault(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<database::PyDatabase>()?;
    m.add_class::<result::PyQueryResult>()?;
    m.add_class::<job::PyJob>()?;
    errors::register(m)?;
    Ok(())
}
