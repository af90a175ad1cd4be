//! tabvault's errors as one Python exception class, `tabvault.Error`, carrying the message
//! StarRocks would give (the same text the SQL shell and the MySQL server show).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    tabvault,
    Error,
    PyException,
    "An error from tabvault: a statement that failed (syntax, privileges, unknown objects, \
     data that does not fit a column, a failed job) with StarRocks' message."
);

/// `error` as a `tabvault.Error`.
pub(crate) fn to_py(error: impl std::fmt::Display) -> PyErr {
    Error::new_err(error.to_string())
}
