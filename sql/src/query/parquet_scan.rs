//! A DUPLICATE KEY table's pinned files handed to DataFusion's own Parquet reader
//! ([`ParquetSource`] in a [`DataSourceExec`]): it streams row group by row group, prunes row
//! groups and pages with the query's filters, stops at a `LIMIT`, and reads the files of several
//! tablets in parallel. The
//! rows a table version holds never change, so the recorded row counts and bounds are exact
//! statistics: `count(*)`, `min` and `max` without a filter are answered without reading a file.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::common::stats::Precision;
use datafusion::common::{ColumnStatistics, ScalarValue, Statistics};
use datafusion::config::TableParquetOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetFileMetrics,
};
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfigBuilder, ParquetFileReaderFactory, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::utils::conjunction;
use datafusion::object_store::path::Path as StorePath;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::physical_optimizer::pruning::{PruningPredicate, PruningPredicateBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExecBuilder;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::union::UnionExec;
use tabvault_storage::internal::map_rowset_file;
use tabvault_storage::{CompareOp, Predicate, ScanRequest, TableVersion, TabletFile, Value};

use crate::error::SqlError;
use crate::query::cached_scan::{CachedRead, cached_scan, served_from_cache};
use crate::query::column_cache::ColumnCache;
use crate::query::filters::to_predicate;
use crate::query::local_reader::LocalFileReader;
#[cfg(doc)]
use crate::query::lookup_stream::LookupInOneStream;
use crate::query::provider::query_schema;

/// Hands DataFusion's readers the files of one pinned table version, holding the pin (so no
/// compaction, drop or GC removes a file) for as long as the plan that reads them lives. Each file
/// is mapped (its length checked against the version's record) and its ranges served from the
/// mapping in the asking task ([`LocalFileReader`]); its metadata comes through
/// `metadata` (DataFusion's reader with the metadata cache).
struct PinnedFiles {
    pin: TableVersion,
    metadata: Arc<dyn ParquetFileReaderFactory>,
    /// Each listed file's absolute path, by the location DataFusion knows it by.
    paths: HashMap<StorePath, PathBuf>,
}

impl fmt::Debug for PinnedFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedFiles")
            .field("database", &self.pin.database())
            .field("table", &self.pin.table().name)
            .finish_non_exhaustive()
    }
}

impl ParquetFileReaderFactory for PinnedFiles {
    fn create_reader(
        &self,
        partition_index: usize,
        partitioned_file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> DfResult<Box<dyn AsyncFileReader + Send>> {
        let location = partitioned_file.object_meta.location.clone();
        let size = partitioned_file.object_meta.size;
        let Some(path) = self.paths.get(&location) else {
            return Err(DataFusionError::Internal(format!(
                "{location} is not a file of the pinned table version"
            )));
        };
        let file =
            map_rowset_file(path, size).map_err(|e| DataFusionError::External(Box::new(e)))?;
        let file_metrics = ParquetFileMetrics::new(partition_index, location.as_ref(), metrics);
        let metadata = self.metadata.create_reader(
            partition_index,
            partitioned_file,
            metadata_size_hint,
            metrics,
        )?;
        Ok(Box::new(LocalFileReader::new(file, metadata, file_metrics)))
    }
}

/// What DataFusion asks of a scan: its `projection` (column indices), a `limit` on rows, up to
/// how many parallel streams (`partitions`) to read in, and the `filters` it pushed down (a
/// scan from the column cache prunes row groups with them); and the column cache it may be
/// served from.
#[derive(Clone, Copy)]
pub(crate) struct ScanShape<'a> {
    pub(crate) projection: Option<&'a Vec<usize>>,
    pub(crate) limit: Option<usize>,
    pub(crate) partitions: usize,
    pub(crate) filters: &'a [Expr],
    pub(crate) column_cache: Option<&'a Arc<ColumnCache>>,
}

/// A plan reading `version`'s files that `request` selects, shaped as `shape` asks, returning only
/// rows that satisfy `checked` (filters comparing the partitioning column, which DataFusion does
/// not check again). The files of partitions whose bounds decide every filter of `checked` are
/// read without a row filter; the rest are read with one, in a second branch of a union. So
/// `l_shipdate <= '1998-09-02'` over yearly partitions is checked row by row in 1998 alone.
pub(crate) fn parquet_scan(
    state: &dyn Session,
    version: &TableVersion,
    request: &ScanRequest,
    shape: ScanShape<'_>,
    checked: &[Expr],
) -> DfResult<Arc<dyn ExecutionPlan>> {
    if checked.is_empty() {
        return files_scan(state, version, request, shape);
    }
    let predicates: Vec<Predicate> = checked
        .iter()
        .filter_map(|f| to_predicate(f, version.schema()))
        .collect();
    let (decided, undecided) = version
        .partitions_by_decision(request, &predicates)
        .map_err(|e| SqlError::from(e).into_datafusion())?;
    let within = |names: Vec<String>| ScanRequest {
        partitions: Some(names),
        ..request.clone()
    };
    let mut branches = Vec::new();
    if !decided.is_empty() || undecided.is_empty() {
        branches.push(files_scan(state, version, &within(decided), shape)?);
    }
    if !undecided.is_empty() {
        branches.push(filtered_scan(
            state,
            version,
            &within(undecided),
            shape,
            checked,
        )?);
    }
    UnionExec::try_new(branches)
}

/// The rows of the files `request` selects that satisfy every filter of `checked`: the files read
/// with the columns `shape` projects plus those the filters need, filtered, then projected to
/// `shape`'s columns. No limit is pushed below the filter.
fn filtered_scan(
    state: &dyn Session,
    version: &TableVersion,
    request: &ScanRequest,
    shape: ScanShape<'_>,
    checked: &[Expr],
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let schema = query_schema(&version.schema().arrow_schema());
    let wanted: Vec<usize> = shape
        .projection
        .cloned()
        .unwrap_or_else(|| (0..schema.fields().len()).collect());
    let mut read = wanted.clone();
    // The scan's schema has no qualifier: the filters' columns are named without their table.
    let unqualified: Vec<Expr> = checked.iter().cloned().map(unnormalize_col).collect();
    for column in unqualified.iter().flat_map(Expr::column_refs) {
        let index = schema.index_of(&column.name)?;
        if !read.contains(&index) {
            read.push(index);
        }
    }
    let scan = files_scan(
        state,
        version,
        request,
        ScanShape {
            projection: Some(&read),
            limit: None,
            ..shape
        },
    )?;
    let read_schema = DFSchema::try_from(scan.schema().as_ref().clone())?;
    let Some(predicate) = conjunction(unqualified) else {
        return Ok(scan);
    };
    let predicate = state.create_physical_expr(predicate, &read_schema)?;
    let filter = FilterExecBuilder::new(predicate, scan)
        .apply_projection(Some((0..wanted.len()).collect()))?
        .build()?;
    Ok(Arc::new(filter))
}

/// A plan reading `version`'s files that `request` selects, shaped as `shape` asks.
fn files_scan(
    state: &dyn Session,
    version: &TableVersion,
    request: &ScanRequest,
    shape: ScanShape<'_>,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let ScanShape {
        projection,
        limit,
        partitions,
        filters,
        column_cache,
    } = shape;
    let schema = query_schema(&version.schema().arrow_schema());
    let tablets = version
        .tablet_files(request)
        .map_err(|e| SqlError::from(e).into_datafusion())?;
    if tablets.is_empty() {
        let projected = match projection {
            Some(p) => Arc::new(schema.project(p)?),
            None => schema,
        };
        return Ok(Arc::new(EmptyExec::new(projected)));
    }
    let file_stats: Vec<Vec<Arc<Statistics>>> = tablets
        .iter()
        .map(|tablet| {
            tablet
                .iter()
                .map(|file| Arc::new(file_statistics(file, version, &schema)))
                .collect()
        })
        .collect();
    let statistics = table_statistics(file_stats.iter().flatten(), &schema);
    if let Some(cache) = column_cache {
        let read: Vec<usize> = projection
            .cloned()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let read_schema = Arc::new(schema.project(&read)?);
        let types: Vec<&DataType> = read_schema.fields().iter().map(|f| f.data_type()).collect();
        let all: Vec<&TabletFile> = tablets.iter().flatten().collect();
        let key = version.schema().key_columns.first();
        let filters_key = request.predicates.iter().any(|p| Some(&p.column) == key);
        if served_from_cache(cache, &all, &types, limit, filters_key) {
            let statistics = statistics.project(Some(&read));
            let plan = cached_scan(
                version,
                &all,
                partitions,
                CachedRead {
                    schema: read_schema,
                    statistics,
                    pruning: row_group_pruning(state, &schema, filters),
                },
                cache.clone(),
            );
            return Ok(plan);
        }
    }
    let mut paths: HashMap<StorePath, PathBuf> = HashMap::new();
    let files: Vec<Vec<PartitionedFile>> = tablets
        .iter()
        .zip(file_stats)
        .map(|(tablet, stats)| {
            tablet
                .iter()
                .zip(stats)
                .map(|(file, stats)| {
                    let listed = partitioned_file(file, stats);
                    paths.insert(listed.object_meta.location.clone(), file.path.clone());
                    listed
                })
                .collect()
        })
        .collect();
    // Tablets dealt round-robin over the streams: each stream reads its files one after another.
    let streams = partitions.clamp(1, files.len());
    let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); streams];
    for (i, tablet) in files.into_iter().enumerate() {
        groups[i % streams].extend(tablet);
    }
    let url = ObjectStoreUrl::local_filesystem();
    let store = state.runtime_env().object_store(&url)?;
    let metadata_cache = state.runtime_env().cache_manager.get_file_metadata_cache();
    let reader = PinnedFiles {
        pin: version.clone(),
        metadata: Arc::new(CachedParquetFileReaderFactory::new(store, metadata_cache)),
        paths,
    };
    // Filters are pushed into the decoder only for a key lookup: evaluating them first and then
    // decoding the rest with a selection was slower on every other measured query (Q6 54 ms
    // against 33 ms), and row groups and pages are still pruned by their statistics.
    // tabvault writes no bloom filters; looking for them cost a lookup about 0.3 ms over its
    // seven files (EXPLAIN ANALYZE's bloom_filter_eval_time).
    let mut global = state.config_options().execution.parquet.clone();
    global.bloom_filter_on_read = false;
    // A key lookup is then read in one stream ([`LookupInOneStream`]).
    global.pushdown_filters = looks_up_leading_key(version, request, &tablets);
    let options = TableParquetOptions {
        global,
        ..TableParquetOptions::default()
    };
    let source = ParquetSource::new(schema.clone())
        .with_table_parquet_options(options)
        .with_parquet_file_reader_factory(Arc::new(reader));
    let config = FileScanConfigBuilder::new(url, Arc::new(source))
        .with_file_groups(groups.into_iter().map(FileGroup::new).collect())
        .with_statistics(statistics)
        .with_projection_indices(projection.cloned())?
        .with_limit(limit)
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

/// The predicate that rules row groups out by their statistics for `filters` over `schema` (the
/// table's query schema), if they rule any out: the filters DataFusion pushed into the scan,
/// which it still checks above it, so a filter this cannot use only prunes less.
fn row_group_pruning(
    state: &dyn Session,
    schema: &SchemaRef,
    filters: &[Expr],
) -> Option<Arc<PruningPredicate>> {
    let predicate = conjunction(filters.iter().cloned().map(unnormalize_col))?;
    let logical = DFSchema::try_from(schema.as_ref().clone()).ok()?;
    let physical = state.create_physical_expr(predicate, &logical).ok()?;
    PruningPredicateBuilder::new()
        .with_file_schema(schema.clone())
        .build(physical)
}

/// Whether `request` asks for one value of the table's leading key column and no file of
/// `tablets` shows that key to be of low cardinality. Files are sorted by that column (those
/// written before 2026-12-06 are not, which costs only speed): the page index leaves about one
/// page per file, and filtering its rows before the other columns are decoded leaves only the
/// matching rows to decode. Every pushed filter then runs in the decoder. For a scan reading
/// many rows that is slower (Q6: 54 ms against 33 ms), so a key whose recorded bounds in some
/// file span fewer than [`LOOKUP_SPAN_MIN`] values (a value would hold over 1% of its rows, if
/// spread evenly) is filtered after decoding, as other queries are.
fn looks_up_leading_key(
    version: &TableVersion,
    request: &ScanRequest,
    tablets: &[Vec<TabletFile>],
) -> bool {
    let Some(key) = version.schema().key_columns.first() else {
        return false;
    };
    let asked = request
        .predicates
        .iter()
        .any(|p| p.op == CompareOp::Eq && &p.column == key);
    asked
        && tablets.iter().flatten().all(|file| {
            let stats = file.meta.columns.iter().find(|c| &c.name == key);
            let span = stats.and_then(|s| value_span(s.min.as_ref()?, s.max.as_ref()?));
            span.is_none_or(|span| span >= LOOKUP_SPAN_MIN)
        })
}

/// How many distinct values a leading key's recorded bounds must leave room for, per file, for
/// a lookup of one value to be filtered in the decoder ([`looks_up_leading_key`]).
const LOOKUP_SPAN_MIN: i128 = 100;

/// How many values lie from `min` to `max` inclusive, for integers, dates and datetimes.
fn value_span(min: &Value, max: &Value) -> Option<i128> {
    let (low, high) = match (min, max) {
        (Value::Int(a), Value::Int(b)) | (Value::DateTime(a), Value::DateTime(b)) => {
            (i128::from(*a), i128::from(*b))
        }
        (Value::Date(a), Value::Date(b)) => (i128::from(*a), i128::from(*b)),
        _ => return None,
    };
    Some(high - low + 1)
}

/// One rowset file as DataFusion lists it, with its recorded statistics.
fn partitioned_file(file: &TabletFile, statistics: Arc<Statistics>) -> PartitionedFile {
    let mut listed = PartitionedFile::new(file.path.to_string_lossy(), file.meta.size_bytes);
    listed.object_meta.location = store_path(file);
    listed.with_statistics(statistics)
}

/// The location DataFusion's local object store knows `file` by.
fn store_path(file: &TabletFile) -> StorePath {
    StorePath::from_absolute_path(&file.path)
        .unwrap_or_else(|_| StorePath::from(file.path.to_string_lossy().as_ref()))
}

/// What the rowset recorded: its exact row count, NULL counts and bounds. A recorded bound is the
/// true smallest or largest value of the file (storage records none rather than a wider one:
/// floats and long strings get none), and a DUPLICATE KEY file's rows are never deleted, so
/// DataFusion may answer `min`/`max` of a whole table from them without reading a file. String
/// columns are read as `Utf8View`, which no recorded bound converts to: they get none here.
fn file_statistics(file: &TabletFile, version: &TableVersion, schema: &SchemaRef) -> Statistics {
    let columns = version.schema().columns.iter().zip(schema.fields());
    let column_statistics = columns
        .map(|(column, field)| {
            let Some(stats) = file.meta.columns.iter().find(|c| c.name == column.name) else {
                return ColumnStatistics::new_unknown();
            };
            ColumnStatistics {
                null_count: Precision::Exact(
                    usize::try_from(stats.null_count).unwrap_or(usize::MAX),
                ),
                min_value: bound(stats.min.as_ref(), field.data_type()),
                max_value: bound(stats.max.as_ref(), field.data_type()),
                ..ColumnStatistics::new_unknown()
            }
        })
        .collect();
    Statistics {
        num_rows: Precision::Exact(usize::try_from(file.meta.rows).unwrap_or(usize::MAX)),
        total_byte_size: Precision::Inexact(
            usize::try_from(file.meta.size_bytes).unwrap_or(usize::MAX),
        ),
        column_statistics,
    }
}

/// A recorded bound as a DataFusion scalar of the column's Arrow type `data_type`, built
/// directly (planning converts every bound of every file it lists, so this stays cheap). A bound
/// of another type than the column's, or of a type no scan compares with (strings, read as
/// `Utf8View`), bounds nothing.
fn bound(value: Option<&Value>, data_type: &DataType) -> Precision<ScalarValue> {
    let scalar = value.and_then(|value| {
        Some(match (value, data_type) {
            (Value::Boolean(b), DataType::Boolean) => ScalarValue::Boolean(Some(*b)),
            (Value::Int(i), DataType::Int8) => ScalarValue::Int8(Some(i8::try_from(*i).ok()?)),
            (Value::Int(i), DataType::Int16) => ScalarValue::Int16(Some(i16::try_from(*i).ok()?)),
            (Value::Int(i), DataType::Int32) => ScalarValue::Int32(Some(i32::try_from(*i).ok()?)),
            (Value::Int(i), DataType::Int64) => ScalarValue::Int64(Some(*i)),
            (Value::Float(x), DataType::Float32) => ScalarValue::Float32(Some(*x as f32)),
            (Value::Float(x), DataType::Float64) => ScalarValue::Float64(Some(*x)),
            (
                Value::LargeInt(unscaled) | Value::Decimal { unscaled, scale: 0 },
                DataType::Decimal128(precision, 0),
            ) => ScalarValue::Decimal128(Some(*unscaled), *precision, 0),
            (Value::Decimal { unscaled, scale }, DataType::Decimal128(precision, want))
                if scale == want =>
            {
                ScalarValue::Decimal128(Some(*unscaled), *precision, *scale)
            }
            (Value::Date(d), DataType::Date32) => ScalarValue::Date32(Some(*d)),
            (Value::DateTime(t), DataType::Timestamp(TimeUnit::Microsecond, None)) => {
                ScalarValue::TimestampMicrosecond(Some(*t), None)
            }
            _ => return None,
        })
    });
    scalar.map_or(Precision::Absent, Precision::Exact)
}

/// The table's statistics: the files' summed. A column with only NULLs in a file bounds nothing
/// there, so the file is left out of that column's min and max.
fn table_statistics<'a>(
    files: impl Iterator<Item = &'a Arc<Statistics>>,
    schema: &SchemaRef,
) -> Statistics {
    let mut total = Statistics::new_unknown(schema);
    total.num_rows = Precision::Exact(0);
    total.total_byte_size = Precision::Exact(0);
    for column in &mut total.column_statistics {
        column.null_count = Precision::Exact(0);
    }
    let mut bounded = vec![false; total.column_statistics.len()];
    for stats in files {
        total.num_rows = total.num_rows.add(&stats.num_rows);
        total.total_byte_size = total.total_byte_size.add(&stats.total_byte_size);
        let columns = total
            .column_statistics
            .iter_mut()
            .zip(&stats.column_statistics);
        for ((sum, one), bounded) in columns.zip(&mut bounded) {
            sum.null_count = sum.null_count.add(&one.null_count);
            let only_nulls = matches!(
                (one.null_count.get_value(), stats.num_rows.get_value()),
                (Some(nulls), Some(rows)) if nulls == rows
            );
            if only_nulls {
                continue;
            }
            if *bounded {
                sum.min_value = sum.min_value.min(&one.min_value);
                sum.max_value = sum.max_value.max(&one.max_value);
            } else {
                sum.min_value = one.min_value.clone();
                sum.max_value = one.max_value.clone();
                *bounded = true;
            }
        }
    }
    total
}
