//! What a statement returns: Arrow record batches with their schema, an affected-row count or a
//! message, and the BACKUP/RESTORE job it started, if any.

use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::runtime::SpawnedTask;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, collect_partitioned, execute_stream,
};
use futures::{StreamExt, TryStreamExt};
use tabvault_snapshot::Job;

use crate::database::{Database, Deadline};
use crate::error::{Result, SqlError};
use crate::process::{ProcessHandle, Signal};
use crate::query::PlannedQuery;
use crate::session::hide_server_paths;

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

/// The rows of a [`QueryResult::text_table`], cell by cell.
pub(crate) fn text_rows(result: &QueryResult) -> Result<Vec<Vec<Option<String>>>> {
    let mut rows = Vec::new();
    for batch in &result.batches {
        let columns: Vec<&StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                c.as_any().downcast_ref::<StringArray>().ok_or_else(|| {
                    SqlError::Invalid(format!("a text column was {}", c.data_type()))
                })
            })
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|c| (!c.is_null(row)).then(|| c.value(row).to_owned()))
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// What a statement gives back as it runs: a query's rows as they are produced, or the finished
/// result of any other statement.
#[derive(Debug)]
pub enum Output {
    /// A query's rows, produced while they are read.
    Rows(RowStream),
    /// Everything else, run to its end.
    Done(QueryResult),
}

/// A running query's rows: each [`Iterator::next`] runs the plan until its next batch, under the
/// statement's `query_timeout` and `KILL`. Dropping it cancels the rest of the query; the session
/// lists the statement until then.
pub struct RowStream {
    schema: SchemaRef,
    rows: Rows,
    /// Whether the plan may be read on the calling thread ([`gather`]).
    inline: bool,
    database: Database,
    deadline: Option<Deadline>,
    cancel: Arc<Signal>,
    process: Arc<ProcessHandle>,
    /// The data directory, to hide from errors (users without ADMIN).
    hide: Option<PathBuf>,
}

/// Where a [`RowStream`] is.
enum Rows {
    /// Planned, not read yet: the first read runs the plan.
    Planned(Arc<dyn ExecutionPlan>, Arc<TaskContext>),
    /// Running, read batch by batch.
    Streaming(SendableRecordBatchStream),
    /// Read to its end, failed, or collected.
    Ended,
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl RowStream {
    pub(crate) fn new(
        planned: PlannedQuery,
        database: Database,
        deadline: Option<Deadline>,
        cancel: Arc<Signal>,
        process: Arc<ProcessHandle>,
        hide: Option<PathBuf>,
    ) -> Self {
        Self {
            schema: planned.schema,
            rows: Rows::Planned(planned.plan, planned.task),
            inline: planned.inline,
            database,
            deadline,
            cancel,
            process,
            hide,
        }
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Reads every remaining batch into one result ([`run_and_gather`], or [`gather`] once
    /// reading has begun).
    pub fn collect_result(mut self) -> Result<QueryResult> {
        let schema = self.schema.clone();
        let gathered = match std::mem::replace(&mut self.rows, Rows::Ended) {
            Rows::Ended => return Ok(QueryResult::rows(schema, Vec::new())),
            Rows::Planned(plan, task) => self.database.block_on(
                run_and_gather(plan, task, self.inline),
                self.deadline,
                &self.cancel,
            ),
            Rows::Streaming(stream) => {
                self.database
                    .block_on(gather(stream, self.inline), self.deadline, &self.cancel)
            }
        };
        self.process.finish(&self.cancel);
        let batches = gathered.map_err(|e| self.hidden(e))?;
        Ok(QueryResult::rows(schema, batches))
    }

    /// The query ended (or failed): releases the plan and the statement now.
    fn end(&mut self) {
        self.rows = Rows::Ended;
        self.process.finish(&self.cancel);
    }

    /// `error` with the data directory hidden from users who may not see it.
    fn hidden(&self, error: SqlError) -> SqlError {
        match &self.hide {
            Some(root) => hide_server_paths(error, root),
            None => error,
        }
    }
}

/// Runs `plan` and returns every batch. A plan with several output partitions has each read
/// to its end by a task of its own (DataFusion's `collect_partitioned`): merged into one stream,
/// its partitions' tasks and the task reading that stream took turns on the runtime's two
/// threads, which sat idle for about a sixth of a 10 M-row whole-table read. One partition is
/// read through [`gather`].
async fn run_and_gather(
    plan: Arc<dyn ExecutionPlan>,
    task: Arc<TaskContext>,
    inline: bool,
) -> Result<Vec<RecordBatch>> {
    if plan.output_partitioning().partition_count() > 1 {
        let partitions = collect_partitioned(plan, task).await?;
        return Ok(partitions.into_iter().flatten().collect());
    }
    gather(execute_stream(plan, task)?, inline).await
}

/// Every batch of `stream`. With `inline` (the plan is bounded per poll, see
/// `query::bounded_per_poll`), the calling task reads batches for as long as the stream has them
/// ready: a plan that runs in one stream (a key lookup) then runs to its end on the calling
/// thread, with no thread woken (after an idle spell, waking a worker on this 2-core VM cost a
/// lookup more than running its plan). Once the stream must wait for the plan's own tasks, a
/// task of the runtime gathers the rest beside them: a calling thread waiting for each batch in
/// turn was woken once per batch (1,200 thread switches for 10 M rows). Each batch read on the
/// calling thread spends a unit of the task's cooperative budget, and an exhausted budget hands
/// the rest to the task too, so that KILL and `query_timeout` (which `Database::block_on` checks
/// between polls) are heard. Dropping the future cancels that task and with it the plan.
async fn gather(mut stream: SendableRecordBatchStream, inline: bool) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    if inline {
        loop {
            match futures::poll!(stream.next()) {
                Poll::Ready(Some(batch)) => batches.push(batch?),
                Poll::Ready(None) => return Ok(batches),
                Poll::Pending => break,
            }
            if futures::poll!(pin!(tokio::task::consume_budget())).is_pending() {
                break;
            }
        }
    }
    let task = SpawnedTask::spawn(stream.try_collect::<Vec<_>>());
    match task.join_unwind().await {
        Ok(rest) => {
            batches.extend(rest?);
            Ok(batches)
        }
        Err(error) => Err(SqlError::from(DataFusionError::ExecutionJoin(Box::new(
            error,
        )))),
    }
}

impl Iterator for RowStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Rows::Planned(plan, task) = &self.rows {
            let (plan, task) = (plan.clone(), task.clone());
            let started = self.database.block_on(
                async { Ok(execute_stream(plan, task)?) },
                self.deadline,
                &self.cancel,
            );
            self.rows = match started {
                Ok(stream) => Rows::Streaming(stream),
                Err(error) => {
                    self.end();
                    return Some(Err(self.hidden(error)));
                }
            };
        }
        let Rows::Streaming(stream) = &mut self.rows else {
            return None;
        };
        let next = self.database.block_on(
            async { Ok(stream.next().await) },
            self.deadline,
            &self.cancel,
        );
        let error = match next {
            Ok(Some(Ok(batch))) => return Some(Ok(batch)),
            Ok(Some(Err(error))) => Some(SqlError::from(error)),
            Ok(None) => None,
            Err(error) => Some(error),
        };
        self.end();
        error.map(|e| Err(self.hidden(e)))
    }
}

impl Drop for RowStream {
    fn drop(&mut self) {
        if !matches!(self.rows, Rows::Ended) {
            self.end();
        }
    }
}
