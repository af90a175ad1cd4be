//! Rows handed over from Python: anything that speaks the Arrow PyCapsule stream interface
//! (pyarrow tables, batches and readers, polars, DuckDB relations), a pandas DataFrame (through
//! pyarrow, its index left out: pandas' own stream export would add a non-default index as a
//! column), or whatever `pyarrow.table()` accepts (a dict of lists).

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatchReader;
use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::FromPyArrow;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::to_py;

/// A stream over the rows of `data`; nothing is read yet.
pub(crate) fn arrow_stream(data: &Bound<'_, PyAny>) -> PyResult<ArrowArrayStreamReader> {
    let py = data.py();
    let module: String = data.get_type().getattr("__module__")?.extract()?;
    let pandas = module.starts_with("pandas");
    if !pandas && data.hasattr("__arrow_c_stream__")? {
        return ArrowArrayStreamReader::from_pyarrow_bound(data);
    }
    let pyarrow = py.import("pyarrow")?;
    let table = if pandas {
        let options = PyDict::new(py);
        options.set_item("preserve_index", false)?;
        pyarrow
            .getattr("Table")?
            .call_method("from_pandas", (data,), Some(&options))?
    } else {
        pyarrow.call_method1("table", (data,))?
    };
    ArrowArrayStreamReader::from_pyarrow_bound(&table)
}

/// Every batch of `stream`, with its schema; to be called without the GIL.
pub(crate) fn read_all(stream: ArrowArrayStreamReader) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let schema = stream.schema();
    let batches = stream.collect::<Result<Vec<_>, _>>().map_err(to_py)?;
    Ok((schema, batches))
}
