//! A storage table as a DataFusion [`TableProvider`]: it reads one pinned [`TableVersion`] as a
//! streaming plan, with the projection, simple filters (which prune partitions and files) and
//! `LIMIT` pushed down: DUPLICATE KEY tables through DataFusion's Parquet reader
//! ([`parquet_scan`]), PRIMARY KEY tables merged tablet by tablet ([`tablet_scan`]).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use tabvault_storage::{KeyModel, Predicate, RowsetKind, ScanRequest, TableVersion, Value};

use crate::query::column_cache::ColumnCache;
use crate::query::filters::to_predicate;
use crate::query::parquet_scan::{ScanShape, parquet_scan};
use crate::query::tablet_scan::tablet_scan;

/// The schema queries see for a table whose stored schema is `stored`: strings as Arrow's view
/// type, which the Parquet reader fills without copying short values and DataFusion hashes and
/// compares faster (grouping on a string column is about a quarter quicker). Writes take either.
pub(crate) fn query_schema(stored: &Schema) -> SchemaRef {
    let fields: Vec<Field> = stored
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 => field.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, stored.metadata().clone()))
}

/// `batch` with each column cast to the type `schema` gives it: stored rows to the query schema
/// (strings to view strings) and query rows back to stored types.
pub(crate) fn cast_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

/// One pinned table version, readable by DataFusion.
#[derive(Debug)]
pub struct StorageTable {
    version: TableVersion,
    schema: SchemaRef,
    partitions: usize,
    /// Whether DataFusion was told which filters the scan applies itself ([`filter_pushdown`]
    /// with the version): then the scan checks those; otherwise DataFusion checks every filter.
    applies_filters: bool,
    /// The decoded columns a scan may be served from ([`cached_scan`](super::cached_scan)).
    column_cache: Option<Arc<ColumnCache>>,
}

impl StorageTable {
    /// Reads `version`, splitting scan output into up to `partitions` DataFusion partitions.
    pub fn new(version: TableVersion, partitions: usize) -> Self {
        let schema = query_schema(&version.schema().arrow_schema());
        Self {
            version,
            schema,
            partitions: partitions.max(1),
            applies_filters: true,
            column_cache: None,
        }
    }

    /// Lets scans be served from `cache`.
    pub fn with_column_cache(self, cache: Arc<ColumnCache>) -> Self {
        Self {
            column_cache: Some(cache),
            ..self
        }
    }

    /// Reads `version` for a provider that reported every filter inexact (a snapshot's, whose
    /// version is known only when it is scanned): DataFusion checks every row, so the scan
    /// checks none itself.
    pub(crate) fn rechecked(version: TableVersion, partitions: usize) -> Self {
        Self {
            applies_filters: false,
            ..Self::new(version, partitions)
        }
    }

    /// The declared byte length of CHAR or VARCHAR column `name`, which every write enforces.
    pub(crate) fn max_len_bytes(&self, name: &str) -> Option<usize> {
        let columns = &self.version.schema().columns;
        columns
            .iter()
            .find(|column| column.name == name)
            .and_then(|column| column.ty.max_len_bytes())
    }

    /// The smallest and largest value of integer column `name` that the pinned version's files
    /// recorded, and the files' row count; `None` if a file holding a value of it recorded no
    /// bound, or it holds none.
    pub(crate) fn integer_bounds(&self, name: &str) -> Option<((i64, i64), u64)> {
        let files = self.version.tablet_files(&ScanRequest::all()).ok()?;
        let mut bounds: Option<(i64, i64)> = None;
        let mut rows = 0;
        let data = files
            .iter()
            .flatten()
            .filter(|f| f.kind == RowsetKind::Data);
        for file in data {
            rows += file.meta.rows;
            let stats = file.meta.columns.iter().find(|c| c.name == name)?;
            if stats.null_count == file.meta.rows {
                continue;
            }
            let (Some(Value::Int(min)), Some(Value::Int(max))) = (&stats.min, &stats.max) else {
                return None;
            };
            bounds = Some(bounds.map_or((*min, *max), |(lo, hi)| (lo.min(*min), hi.max(*max))));
        }
        Some((bounds?, rows))
    }
}

#[async_trait]
impl TableProvider for StorageTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let table_schema = self.version.schema();
        let predicates = filters
            .iter()
            .filter_map(|f| to_predicate(f, table_schema))
            .collect();
        if table_schema.key_model == KeyModel::Duplicate {
            let request = ScanRequest {
                columns: None,
                predicates,
                partitions: None,
            };
            let checked: Vec<Expr> = filters
                .iter()
                .filter(|f| {
                    self.applies_filters
                        && to_predicate(f, table_schema)
                            .is_some_and(|p| scan_checks(&p, table_schema))
                })
                .cloned()
                .collect();
            return parquet_scan(
                state,
                &self.version,
                &request,
                ScanShape {
                    projection,
                    limit,
                    partitions: self.partitions,
                    filters,
                    column_cache: self.column_cache.as_ref(),
                },
                &checked,
            );
        }
        // An empty projection (COUNT(*)) still needs rows: read the first column, drop it.
        let no_columns = projection.is_some_and(Vec::is_empty);
        let indices = match projection {
            Some(p) if p.is_empty() => vec![0],
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let columns: Vec<String> = indices
            .iter()
            .filter_map(|i| self.schema.fields().get(*i).map(|f| f.name().clone()))
            .collect();
        let request = ScanRequest {
            columns: Some(columns),
            predicates,
            partitions: None,
        };
        tablet_scan(&self.version, request, no_columns, limit, self.partitions)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filter_pushdown(
            filters,
            self.version.schema(),
            Some(&self.version),
        ))
    }
}

/// Whether a scan of a pinned DUPLICATE KEY table applies `predicate` itself: one comparing the
/// partitioning column is checked row by row only in the partitions it does not decide
/// ([`parquet_scan`]), so DataFusion need not check it again.
fn scan_checks(predicate: &Predicate, schema: &tabvault_storage::TableSchema) -> bool {
    schema.key_model == KeyModel::Duplicate
        && schema.partition_scheme.column() == Some(predicate.column.as_str())
}

/// How a scan of a table with `schema` takes each of `filters`: those that become storage
/// predicates prune; of those, the ones `version`'s partitions decide
/// ([`TableVersion::decided_by_partitions`]) and, for a DUPLICATE KEY table, every one on the
/// partitioning column ([`scan_checks`]) are exact (the scan applies them: DataFusion does not
/// check them again, and reads their column only where the scan needs it), the others inexact
/// (DataFusion still filters). A snapshot (no `version`) takes none as exact.
pub(crate) fn filter_pushdown(
    filters: &[&Expr],
    schema: &tabvault_storage::TableSchema,
    version: Option<&TableVersion>,
) -> Vec<TableProviderFilterPushDown> {
    let predicates: Vec<Option<Predicate>> =
        filters.iter().map(|f| to_predicate(f, schema)).collect();
    let translated: Vec<Predicate> = predicates.iter().flatten().cloned().collect();
    let mut decided = version
        .map(|v| v.decided_by_partitions(&translated))
        .unwrap_or_default()
        .into_iter();
    predicates
        .iter()
        .map(|p| match p {
            None => TableProviderFilterPushDown::Unsupported,
            Some(_) if decided.next() == Some(true) => TableProviderFilterPushDown::Exact,
            Some(p) if version.is_some() && scan_checks(p, schema) => {
                TableProviderFilterPushDown::Exact
            }
            Some(_) => TableProviderFilterPushDown::Inexact,
        })
        .collect()
}
