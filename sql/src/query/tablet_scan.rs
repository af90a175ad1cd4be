//! A PRIMARY KEY table's pinned tablets as a streaming DataFusion plan: each stream merges one
//! tablet at a time (newest row per key, deleted keys removed) on a blocking thread and hands its
//! rows on before it reads the next tablet, so memory holds one tablet's rows per stream, not
//! the table.

use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use futures::{StreamExt, TryStreamExt};
use tabvault_storage::{ScanRequest, TableVersion, Tablet};

use crate::error::SqlError;
use crate::query::provider::{cast_batch, query_schema};

/// Some tablets of one pinned version, read one after another.
struct TabletStream {
    version: TableVersion,
    tablets: Vec<Arc<Tablet>>,
    request: Arc<ScanRequest>,
    /// The plan's columns: those read, or none (`count(*)`, which reads one and drops it).
    schema: SchemaRef,
    /// Whether the plan wants no column, only row counts.
    no_columns: bool,
}

impl fmt::Debug for TabletStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TabletStream")
            .field("table", &self.version.table().name)
            .field("tablets", &self.tablets.len())
            .finish_non_exhaustive()
    }
}

impl PartitionStream for TabletStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let version = self.version.clone();
        let request = self.request.clone();
        let no_columns = self.no_columns;
        let schema = self.schema.clone();
        let plan_schema = schema.clone();
        let reads = futures::stream::iter(self.tablets.clone()).then(move |tablet| {
            let version = version.clone();
            let request = request.clone();
            let schema = plan_schema.clone();
            async move {
                let read =
                    tokio::task::spawn_blocking(move || version.scan_tablet(&tablet, &request))
                        .await
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                let batches = read.map_err(|e| SqlError::from(e).into_datafusion())?;
                let batches: Vec<DfResult<RecordBatch>> = batches
                    .into_iter()
                    .map(|b| {
                        if no_columns {
                            b.project(&[]).map_err(DataFusionError::from)
                        } else {
                            cast_batch(&b, &schema).map_err(DataFusionError::from)
                        }
                    })
                    .collect();
                Ok::<_, DataFusionError>(futures::stream::iter(batches))
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, reads.try_flatten()))
    }
}

/// A plan merging `version`'s tablets that `request` selects, in up to `partitions` streams;
/// `no_columns` when the query needs only row counts (the request then reads one column).
pub(crate) fn tablet_scan(
    version: &TableVersion,
    request: ScanRequest,
    no_columns: bool,
    limit: Option<usize>,
    partitions: usize,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let stored_schema = version
        .output_schema(&request)
        .map_err(|e| SqlError::from(e).into_datafusion())?;
    let read_schema = query_schema(&stored_schema);
    let tablets = version
        .tablets(&request)
        .map_err(|e| SqlError::from(e).into_datafusion())?;
    let streams = partitions.clamp(1, tablets.len().max(1));
    let mut groups: Vec<Vec<Arc<Tablet>>> = vec![Vec::new(); streams];
    for (i, tablet) in tablets.into_iter().enumerate() {
        groups[i % streams].push(tablet);
    }
    let request = Arc::new(request);
    let plan_schema = if no_columns {
        Arc::new(read_schema.project(&[])?)
    } else {
        read_schema.clone()
    };
    let partitions: Vec<Arc<dyn PartitionStream>> = groups
        .into_iter()
        .map(|tablets| {
            Arc::new(TabletStream {
                version: version.clone(),
                tablets,
                request: request.clone(),
                schema: plan_schema.clone(),
                no_columns,
            }) as Arc<dyn PartitionStream>
        })
        .collect();
    Ok(Arc::new(StreamingTableExec::try_new(
        plan_schema,
        partitions,
        None,
        Vec::new(),
        false,
        limit,
    )?))
}
