//! A statement's result in Python: its rows as Arrow batches, exported through the Arrow
//! PyCapsule stream interface (`__arrow_c_stream__`), so `pyarrow.table(result)`,
//! `polars.DataFrame(result)` and DuckDB read the batches' buffers in place.

use arrow::array::{RecordBatch, RecordBatchIterator};
use arrow::datatypes::SchemaRef;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use tabvault_sql::QueryResult;

/// The result of `Database.sql`: the rows of the statement (none for statements that return
/// none), the number of rows it changed and its message.
#[pyclass(module = "tabvault._tabvault", name = "QueryResult", frozen)]
pub(crate) struct PyQueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    affected_rows: Option<u64>,
    message: Option<String>,
}

impl From<QueryResult> for PyQueryResult {
    fn from(result: QueryResult) -> Self {
        Self {
            schema: result.schema,
            batches: result.batches,
            affected_rows: result.affected_rows,
            message: result.message,
        }
    }
}

#[pymethods]
impl PyQueryResult {
    /// The rows as an Arrow C stream capsule (the Arrow PyCapsule interface). Each call streams
    /// the same batches again; `requested_schema` is not honoured (the interface allows that).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The rows as a `pyarrow.Table`, sharing the result's buffers. Read through
    /// `RecordBatchReader.from_stream`: `pyarrow.table(result)` would first import pandas to
    /// check whether the result is a DataFrame (0.2 s on a first call).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("pyarrow")?
            .getattr("RecordBatchReader")?
            .call_method1("from_stream", (slf,))?
            .call_method0("read_all")
    }

    /// The rows as a pandas `DataFrame` (through pyarrow).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::to_arrow(slf)?.call_method0("to_pandas")
    }

    /// The rows as a polars `DataFrame`, sharing the result's buffers where polars can.
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let table = Self::to_arrow(slf)?;
        slf.py()
            .import("polars")?
            .call_method1("from_arrow", (table,))
    }

    /// The number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Rows written or deleted, for INSERT and DELETE; `None` otherwise.
    #[getter]
    fn affected_rows(&self) -> Option<u64> {
        self.affected_rows
    }

    /// The statement's note (`Database changed`, a job id), if any.
    #[getter]
    fn message(&self) -> Option<String> {
        self.message.clone()
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<tabvault.QueryResult {} rows, columns {:?}>",
            self.num_rows(),
            self.column_names()
        )
    }
}
