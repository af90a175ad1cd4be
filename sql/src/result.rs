//! What a statement returns: Arrow record batches with their schema, an affected-row count or a
//! message, and the BACKUP/RESTORE job it started, if any.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use tabvault_snapshot::Job;

use crate::error::Result;

/// The outcome of one statement.
#[derive(Clone, Debug)]
pub struct QueryResult {
    /// Schema of `batches`; empty for statements that return no rows.
    pub schema: SchemaRef,
    /// The rows (queries and SHOW statements).
    pub batches: Vec<RecordBatch>,
    /// Rows written or deleted (INSERT, DELETE), when the statement changes rows.
    pub affected_rows: Option<u64>,
    /// A short note for statements without rows (`Database changed`, a job id, …).
    pub message: Option<String>,
    /// The BACKUP or RESTORE job the statement started, for callers that want to wait for it.
    pub job: Option<Arc<Job>>,
}

impl QueryResult {
    /// A result without rows.
    pub fn ok() -> Self {
        Self {
            schema: Arc::new(Schema::empty()),
            batches: Vec::new(),
            affected_rows: None,
            message: None,
            job: None,
        }
    }

    /// A result reporting `rows` changed rows.
    pub fn affected(rows: u64) -> Self {
        Self {
            affected_rows: Some(rows),
            ..Self::ok()
        }
    }

    /// A result carrying only a message.
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            message: Some(text.into()),
            ..Self::ok()
        }
    }

    /// A result of rows.
    pub fn rows(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self {
            schema,
            batches,
            ..Self::ok()
        }
    }

    /// A table of nullable text columns, as SHOW statements return.
    pub fn text_table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Result<Self> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(*c, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let arrays: Vec<ArrayRef> = (0..columns.len())
            .map(|i| {
                Arc::new(StringArray::from_iter(
                    rows.iter().map(|r| r.get(i).cloned().flatten()),
                )) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        Ok(Self::rows(schema, vec![batch]))
    }

    /// Whether the statement returns a result set (possibly empty) rather than a status.
    pub fn has_rows(&self) -> bool {
        !self.schema.fields().is_empty()
    }

    /// Number of rows in `batches`.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}
