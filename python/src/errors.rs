//! tabvault's errors as one Python exception class, `tabvault.Error`: the message StarRocks'
//! dialect gives (the same text the shell and the MySQL server show), and for a statement's
//! error the MySQL error number and SQLSTATE a MySQL client would see (`errno`, `sqlstate`;
//! None otherwise).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use tabvault_sql::SqlError;

create_exception!(
    tabvault,
    Error,
    PyException,
    "An error from tabvault: a statement that failed (syntax, privileges, unknown objects, data \
     that does not fit a column) or a job that ended CANCELLED. `errno` and `sqlstate` are \
     MySQL's for a statement's error, else None."
);

/// Gives `tabvault.Error` its `errno` and `sqlstate` attributes, None unless an error sets them.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let class = m.py().get_type::<Error>();
    class.setattr("errno", m.py().None())?;
    class.setattr("sqlstate", m.py().None())?;
    m.add("Error", class)
}

/// What went wrong in work done without the GIL; made a Python exception once it is held again.
pub(crate) enum Failure {
    /// A statement failed.
    Sql(SqlError),
    /// Anything else, already a Python exception.
    Py(PyErr),
}

impl From<SqlError> for Failure {
    fn from(error: SqlError) -> Self {
        Self::Sql(error)
    }
}

impl From<PyErr> for Failure {
    fn from(error: PyErr) -> Self {
        Self::Py(error)
    }
}

impl Failure {
    /// The Python exception to raise.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Self::Py(error) => error,
            Self::Sql(error) => {
                let raised = Error::new_err(error.to_string());
                let value = raised.value(py);
                let coded = value
                    .setattr("errno", error.mysql_code())
                    .and_then(|()| value.setattr("sqlstate", error.sqlstate()));
                match coded {
                    Ok(()) => raised,
                    Err(failed) => failed,
                }
            }
        }
    }
}

/// A `tabvault.Error` with `message` and no MySQL code.
pub(crate) fn error(message: impl Into<String>) -> PyErr {
    Error::new_err(message.into())
}

/// Any other failure (I/O, Arrow) as a `tabvault.Error`.
pub(crate) fn to_py(error: impl std::fmt::Display) -> PyErr {
    self::error(error.to_string())
}
