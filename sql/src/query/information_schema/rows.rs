//! The rows of a system table as plain cells, turned into one Arrow batch: each table module
//! says what its rows hold and this module alone knows how Arrow stores them.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::error::{DataFusionError, Result as DfResult};

/// What one column of a system table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (`VARCHAR`).
    Text,
    /// A whole number (`BIGINT`).
    Int,
    /// A point in time (`DATETIME`), in microseconds since the epoch.
    Time,
}

impl Kind {
    fn arrow_type(self) -> DataType {
        match self {
            Self::Text => DataType::Utf8,
            Self::Int => DataType::Int64,
            Self::Time => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }
}

/// One value of a row; NULL is `Null` whatever the column's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// SQL NULL.
    Null,
    /// A text value.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A point in time, microseconds since the epoch.
    Time(i64),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Option<String>> for Cell {
    fn from(text: Option<String>) -> Self {
        text.map_or(Self::Null, Self::Text)
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Self {
        n.map_or(Self::Null, Self::Int)
    }
}

/// A whole-number cell from an unsigned count (sizes and row counts fit in `i64` in practice;
/// a larger one saturates).
pub(crate) fn count(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The Arrow schema of a system table's `columns` (all nullable, as MySQL's are to clients).
pub(crate) fn schema(columns: &[(&str, Kind)]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, kind)| Field::new(*name, kind.arrow_type(), true))
            .collect::<Vec<_>>(),
    ))
}

/// `rows` as one batch of `schema`; a cell whose kind does not match its column is a bug in the
/// table that built it, reported as an internal error.
pub(crate) fn batch(schema: SchemaRef, rows: &[Vec<Cell>]) -> DfResult<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| column(field, rows.iter().map(|row| row.get(i))))
        .collect::<DfResult<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn column<'a>(field: &Field, cells: impl Iterator<Item = Option<&'a Cell>>) -> DfResult<ArrayRef> {
    let mismatch = || {
        DataFusionError::Internal(format!(
            "system table column {} got a value of another kind",
            field.name()
        ))
    };
    Ok(match field.data_type() {
        DataType::Utf8 => Arc::new(
            cells
                .map(|c| match c {
                    None | Some(Cell::Null) => Ok(None),
                    Some(Cell::Text(t)) => Ok(Some(t.as_str())),
                    Some(_) => Err(mismatch()),
                })
                .collect::<DfResult<StringArray>>()?,
        ),
        DataType::Int64 => Arc::new(
            cells
                .map(|c| match c {
                    None | Some(Cell::Null) => Ok(None),
                    Some(Cell::Int(n)) => Ok(Some(*n)),
                    Some(_) => Err(mismatch()),
                })
                .collect::<DfResult<Int64Array>>()?,
        ),
        _ => Arc::new(
            cells
                .map(|c| match c {
                    None | Some(Cell::Null) => Ok(None),
                    Some(Cell::Time(t)) => Ok(Some(*t)),
                    Some(_) => Err(mismatch()),
                })
                .collect::<DfResult<TimestampMicrosecondArray>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_typed_columns() {
        let schema = schema(&[("A", Kind::Text), ("B", Kind::Int), ("C", Kind::Time)]);
        let rows = vec![
            vec![Cell::from("x"), Cell::Int(3), Cell::Time(1_000_000)],
            vec![Cell::Null, Cell::Null, Cell::Null],
        ];
        let batch = batch(schema.clone(), &rows).expect("batch");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(1).null_count(), 1);
        let wrong = vec![vec![Cell::Int(1), Cell::Int(2), Cell::Null]];
        assert!(super::batch(schema, &wrong).is_err());
    }
}
