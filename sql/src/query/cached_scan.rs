//! A DUPLICATE KEY scan served from the database's [`ColumnCache`]: its streams share out the
//! files' row groups; each takes every column the cache holds and decodes only the missing ones
//! (whole row groups, which it then keeps), and hands the row group on in batches. It skips row
//! groups whose statistics rule out the pushed filters, but reads no page index and takes no
//! dynamic filter, so [`parquet_scan`](super::parquet_scan) sends here only scans that fit in
//! the cache and would read most row groups anyway ([`served_from_cache`]); key lookups, key
//! ranges and `LIMIT` keep DataFusion's Parquet reader.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::Statistics;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::physical_plan::parquet::{
    ParquetAccessPlan, ParquetFileMetrics, RowGroupAccessPlanFilter,
};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_optimizer::pruning::PruningPredicate;
use datafusion::physical_plan::coop::make_cooperative;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, SchedulingType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, StatisticsArgs,
};
use parking_lot::Mutex;
use tabvault_storage::{TableVersion, TabletFile};

use crate::query::column_cache::ColumnCache;
use crate::query::provider::query_schema;

/// One rowset file a cached scan reads.
#[derive(Clone, Debug)]
struct CachedFile {
    path: PathBuf,
    /// Its content hash: the cache's key.
    checksum: Arc<str>,
}

/// Whether a scan reading `columns` of `types` from `files`, with `limit`, that filters on the
/// table's leading key column or not (`filters_key`), is served from `cache`: caching is on, no
/// `LIMIT` (DataFusion's reader stops after one row group), no filter on the key (files are
/// sorted by it, so the reader's row-group and page statistics skip most of a file), and what it
/// decodes is estimated at no more than half the budget, so one large scan neither evicts what
/// smaller ones keep nor holds more memory than the budget allows.
pub(crate) fn served_from_cache(
    cache: &ColumnCache,
    files: &[&TabletFile],
    types: &[&DataType],
    limit: Option<usize>,
    filters_key: bool,
) -> bool {
    if cache.budget() == 0 || limit.is_some() || filters_key {
        return false;
    }
    let rows: u64 = files.iter().map(|f| f.meta.rows).sum();
    let row_bytes: u64 = types.iter().map(|t| decoded_width(t)).sum();
    rows.saturating_mul(row_bytes) <= (cache.budget() / 2) as u64
}

/// About how many bytes one decoded value of `data_type` takes: its width, a byte for a
/// boolean, and for a string a 16-byte view plus as much again of text.
fn decoded_width(data_type: &DataType) -> u64 {
    match data_type {
        DataType::Boolean => 1,
        other => other.primitive_width().map_or(32, |w| w as u64),
    }
}

/// What a cached scan reads: the columns of `schema` (the query schema, projected), with
/// `statistics` for the whole scan, skipping the row groups `pruning` rules out.
pub(crate) struct CachedRead {
    pub(crate) schema: SchemaRef,
    pub(crate) statistics: Statistics,
    pub(crate) pruning: Option<Arc<PruningPredicate>>,
}

/// A plan reading `files` of `version` through `cache` in `streams` streams, which share out
/// the files' row groups, as `read` says.
pub(crate) fn cached_scan(
    version: &TableVersion,
    files: &[&TabletFile],
    streams: usize,
    read: CachedRead,
    cache: Arc<ColumnCache>,
) -> Arc<dyn ExecutionPlan> {
    let CachedRead {
        schema,
        statistics,
        pruning,
    } = read;
    let files: Arc<[CachedFile]> = files
        .iter()
        .map(|file| CachedFile {
            path: file.path.clone(),
            checksum: file.meta.checksum.as_str().into(),
        })
        .collect();
    let streams = streams.max(1);
    let properties = PlanProperties::new(
        EquivalenceProperties::new(schema.clone()),
        Partitioning::UnknownPartitioning(streams),
        EmissionType::Incremental,
        Boundedness::Bounded,
    )
    .with_scheduling_type(SchedulingType::Cooperative);
    Arc::new(CachedScanExec {
        pin: version.clone(),
        files,
        streams,
        schema,
        statistics: Arc::new(statistics),
        pruning,
        surviving: Surviving::default(),
        cache,
        properties: Arc::new(properties),
        metrics: ExecutionPlanMetricsSet::new(),
    })
}

/// The plan [`cached_scan`] builds.
pub(crate) struct CachedScanExec {
    /// Keeps the files from being collected while the plan exists.
    pin: TableVersion,
    files: Arc<[CachedFile]>,
    /// Stream `i` reads row group `r` of file `f` when `(f + r) % streams == i`.
    streams: usize,
    schema: SchemaRef,
    statistics: Arc<Statistics>,
    pruning: Option<Arc<PruningPredicate>>,
    surviving: Surviving,
    cache: Arc<ColumnCache>,
    properties: Arc<PlanProperties>,
    /// Row groups pruned and matched by statistics, per file (EXPLAIN ANALYZE).
    metrics: ExecutionPlanMetricsSet,
}

impl fmt::Debug for CachedScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedScanExec")
            .field("table", &self.pin.table().name)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl DisplayAs for CachedScanExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let files = self.files.len();
        let columns: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        write!(
            f,
            "CachedScanExec: table={}, files={files}, streams={}, columns=[{}]",
            self.pin.table().name,
            self.streams,
            columns.join(", ")
        )
    }
}

impl ExecutionPlan for CachedScanExec {
    fn name(&self) -> &'static str {
        "CachedScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "CachedScanExec has no children".into(),
            ))
        }
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        if partition >= self.streams {
            return Err(DataFusionError::Internal(format!(
                "CachedScanExec has no stream {partition}"
            )));
        }
        let batches = RowGroups {
            _pin: self.pin.clone(),
            files: self.files.clone(),
            stream: partition,
            streams: self.streams,
            pruning: self.pruning.clone(),
            metrics: self.metrics.clone(),
            surviving: self.surviving.clone(),
            wanted: Arc::from([]),
            schema: self.schema.clone(),
            cache: self.cache.clone(),
            batch_size: context.session_config().batch_size().max(1),
            file: 0,
            footer: None,
            row_group: 0,
            current: None,
        };
        let stream =
            RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::iter(batches));
        Ok(make_cooperative(Box::pin(stream)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        Ok(match args.partition() {
            None => self.statistics.clone(),
            Some(_) => Arc::new(Statistics::new_unknown(&self.schema)),
        })
    }
}

/// Which row groups of each file (by index in the plan's files) survive pruning, shared by the
/// plan's streams so that each file is pruned once.
type Surviving = Arc<Mutex<HashMap<usize, Arc<[bool]>>>>;

/// One stream's batches: its share of the files' row groups in order, each cut into batches.
struct RowGroups {
    _pin: TableVersion,
    files: Arc<[CachedFile]>,
    stream: usize,
    streams: usize,
    pruning: Option<Arc<PruningPredicate>>,
    metrics: ExecutionPlanMetricsSet,
    surviving: Surviving,
    /// Whether each row group of the file being read survives `pruning`.
    wanted: Arc<[bool]>,
    schema: SchemaRef,
    cache: Arc<ColumnCache>,
    batch_size: usize,
    /// The file being read, its footer and its next row group.
    file: usize,
    footer: Option<ArrowReaderMetadata>,
    row_group: usize,
    /// The row group being handed on, and how many of its rows have been.
    current: Option<(RecordBatch, usize)>,
}

impl Iterator for RowGroups {
    type Item = DfResult<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((rows, done)) = &mut self.current {
                if *done < rows.num_rows() {
                    let len = self.batch_size.min(rows.num_rows() - *done);
                    let batch = rows.slice(*done, len);
                    *done += len;
                    return Some(Ok(batch));
                }
                self.current = None;
            }
            let file = self.files.get(self.file)?.clone();
            let footer = match self.footer.clone() {
                Some(footer) => footer,
                None => match footer(&self.cache, &file) {
                    Ok(footer) => {
                        self.wanted = self.surviving(&file, &footer);
                        self.footer = Some(footer.clone());
                        footer
                    }
                    Err(e) => return Some(Err(self.stop(e))),
                },
            };
            if self.row_group >= footer.metadata().num_row_groups() {
                self.file += 1;
                self.row_group = 0;
                self.footer = None;
                continue;
            }
            if (self.file + self.row_group) % self.streams != self.stream
                || !self.wanted[self.row_group]
            {
                self.row_group += 1;
                continue;
            }
            match row_group(&self.cache, &file, &footer, self.row_group, &self.schema) {
                Ok(rows) => self.current = Some((rows, 0)),
                Err(e) => return Some(Err(self.stop(e))),
            }
            self.row_group += 1;
        }
    }
}

impl RowGroups {
    /// Whether each row group of the file being read may hold rows the pruning predicate lets
    /// through, by its statistics; worked out by the first stream to read the file.
    fn surviving(&self, file: &CachedFile, footer: &ArrowReaderMetadata) -> Arc<[bool]> {
        let groups = footer.metadata().row_groups();
        let Some(pruning) = &self.pruning else {
            return vec![true; groups.len()].into();
        };
        if let Some(known) = self.surviving.lock().get(&self.file) {
            return known.clone();
        }
        let name = file.path.to_string_lossy();
        let metrics = ParquetFileMetrics::new(self.stream, &name, &self.metrics);
        let mut plan = RowGroupAccessPlanFilter::new(ParquetAccessPlan::new_all(groups.len()));
        plan.prune_by_statistics(
            footer.schema(),
            footer.parquet_schema(),
            groups,
            pruning,
            &metrics,
        );
        let plan = plan.build();
        let wanted: Arc<[bool]> = (0..groups.len()).map(|i| plan.should_scan(i)).collect();
        self.surviving.lock().insert(self.file, wanted.clone());
        wanted
    }

    /// Ends the stream after an error.
    fn stop(&mut self, e: DataFusionError) -> DataFusionError {
        self.file = self.files.len();
        self.current = None;
        e
    }
}

/// `file`, opened; an error names it, as the Parquet reader's do (the SQL layer hides the data
/// directory from users who are not admins).
fn open(file: &CachedFile) -> DfResult<File> {
    File::open(&file.path).map_err(|e| {
        DataFusionError::External(format!("opening {}: {e}", file.path.display()).into())
    })
}

/// An error decoding `file`, naming it.
fn read_error(file: &CachedFile, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::External(format!("reading {}: {e}", file.path.display()).into())
}

/// The decoded footer of `file`, from the cache or read now (and kept).
fn footer(cache: &ColumnCache, file: &CachedFile) -> DfResult<ArrowReaderMetadata> {
    if let Some(footer) = cache.footer(&file.checksum) {
        return Ok(footer);
    }
    let stored = ArrowReaderMetadata::load(&open(file)?, ArrowReaderOptions::new())
        .map_err(|e| read_error(file, e))?;
    // Strings decoded straight to the query's view type, as DataFusion's reader does.
    let views = ArrowReaderOptions::new().with_schema(query_schema(stored.schema()));
    let footer = ArrowReaderMetadata::try_new(stored.metadata().clone(), views)
        .map_err(|e| read_error(file, e))?;
    cache.keep_footer(&file.checksum, footer.clone());
    Ok(footer)
}

/// Row group `index` of `file` with the columns of `schema`: those the cache holds taken from
/// it, the others decoded from the file together, cast to the query's types and kept.
fn row_group(
    cache: &ColumnCache,
    file: &CachedFile,
    footer: &ArrowReaderMetadata,
    index: usize,
    schema: &SchemaRef,
) -> DfResult<RecordBatch> {
    let rows = usize::try_from(footer.metadata().row_group(index).num_rows())
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    let mut columns: Vec<Option<ArrayRef>> = schema
        .fields()
        .iter()
        .map(|field| cache.column(&file.checksum, index, field.name()))
        .collect();
    let missing: Vec<usize> = (0..columns.len())
        .filter(|i| columns[*i].is_none())
        .collect();
    if !missing.is_empty() {
        let roots = missing
            .iter()
            .map(|i| footer.schema().index_of(schema.field(*i).name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error(file, e))?;
        let reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(open(file)?, footer.clone())
                .with_row_groups(vec![index])
                .with_projection(ProjectionMask::roots(footer.parquet_schema(), roots))
                .with_batch_size(rows.max(1))
                .build()
                .map_err(|e| read_error(file, e))?;
        let read_schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error(file, e))?;
        let decoded = concat_batches(&read_schema, &batches).map_err(|e| read_error(file, e))?;
        for i in missing {
            let field = schema.field(i);
            let stored = decoded
                .column_by_name(field.name())
                .ok_or_else(|| read_error(file, format!("no column {}", field.name())))?;
            let array = cast(stored, field.data_type()).map_err(|e| read_error(file, e))?;
            cache.keep_column(&file.checksum, index, field.name(), array.clone());
            columns[i] = Some(array);
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns.into_iter().flatten().collect(),
        &options,
    )
    .map_err(|e| read_error(file, e))
}
