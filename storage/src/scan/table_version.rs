//! A pinned version of one table: an `Arc` of its catalog entry. Scans of it see exactly the rows
//! published when it was pinned, whatever commits, drops or compactions happen afterwards.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::compute::{and, filter_record_batch};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::merge::merge_newest_wins;
use super::predicate::{BoundPredicate, CompareOp, Predicate};
use super::reader::{file_may_match, read_rowset};
use crate::catalog::{FileMeta, Partition, RowsetKind, Table, Tablet};
use crate::error::{CatalogKind, Result, StorageError};
use crate::parallel::parallel_map;
use crate::schema::{Distribution, KeyModel, TableSchema};
use crate::write::row_hashes;

/// What to read: columns, row predicates and an optional partition list.
#[derive(Clone, Debug, Default)]
pub struct ScanRequest {
    /// Columns to return, in this order; `None` for all columns in table order.
    pub columns: Option<Vec<String>>,
    /// Rows must satisfy all of these; they also prune partitions, files and row groups.
    pub predicates: Vec<Predicate>,
    /// Only these partitions (by name); `None` for all.
    pub partitions: Option<Vec<String>>,
}

impl ScanRequest {
    /// Every row and column.
    pub fn all() -> Self {
        Self::default()
    }

    /// Returns only the named columns.
    #[must_use]
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a row predicate.
    #[must_use]
    pub fn filter(mut self, predicate: Predicate) -> Self {
        self.predicates.push(predicate);
        self
    }

    /// Restricts the scan to the named partitions.
    #[must_use]
    pub fn partitions<S: Into<String>>(mut self, partitions: impl IntoIterator<Item = S>) -> Self {
        self.partitions = Some(partitions.into_iter().map(Into::into).collect());
        self
    }
}

/// One table as of the instant it was pinned. Cheap to create and to clone.
#[derive(Clone, Debug)]
pub struct TableVersion {
    pub(crate) root: Arc<PathBuf>,
    pub(crate) database: String,
    pub(crate) table: Arc<Table>,
    pub(crate) threads: usize,
    /// What must outlive every read of a detached version (a directory its files were fetched
    /// into); `None` for versions an engine pinned.
    pub(crate) _keep_alive: Option<KeepAlive>,
}

/// An owner a detached [`TableVersion`] keeps until its last clone is dropped.
#[derive(Clone)]
pub(crate) struct KeepAlive {
    _owner: Arc<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeepAlive")
    }
}

impl TableVersion {
    /// A read-only version of `table` whose files live outside any engine (a table of a
    /// repository snapshot, read in place): each rowset's `file.path` is relative to `root`, and
    /// `keep_alive` (such as the temporary directory the files were fetched into) is dropped
    /// with the last clone of the version, after every scan of it has ended. Nothing protects
    /// the files themselves: whoever made them must keep them while the version is read.
    pub fn detached(
        root: PathBuf,
        database: &str,
        table: Table,
        keep_alive: Option<Arc<dyn std::any::Any + Send + Sync>>,
    ) -> Self {
        TableVersion {
            root: Arc::new(root),
            database: database.to_owned(),
            table: Arc::new(table),
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            _keep_alive: keep_alive.map(|owner| KeepAlive { _owner: owner }),
        }
    }

    /// The table's catalog entry at the pinned instant.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The table's schema.
    pub fn schema(&self) -> &TableSchema {
        &self.table.schema
    }

    /// The name of the table's database.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Arrow schema of the rows `request` returns.
    pub fn output_schema(&self, request: &ScanRequest) -> Result<SchemaRef> {
        let full = self.table.schema.arrow_schema();
        match &request.columns {
            None => Ok(full),
            Some(columns) => {
                let indices = columns
                    .iter()
                    .map(|c| {
                        full.index_of(c).map_err(|_| StorageError::NotFound {
                            kind: CatalogKind::Column,
                            name: c.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Arc::new(full.project(&indices)?))
            }
        }
    }

    /// For each of `predicates`, whether pruning partitions by all of them applies it exactly:
    /// it compares the partitioning column, and every partition the predicates leave holds only
    /// rows that satisfy it. A reader of those partitions need not check it row by row
    /// (`l_shipdate >= '1994-01-01' AND l_shipdate < '1995-01-01'` over yearly partitions).
    pub fn decided_by_partitions(&self, predicates: &[Predicate]) -> Vec<bool> {
        let column = self.table.schema.partition_scheme.column();
        let request = ScanRequest {
            predicates: predicates.to_vec(),
            ..ScanRequest::default()
        };
        predicates
            .iter()
            .map(|p| {
                Some(p.column.as_str()) == column
                    && self
                        .partitions_by_decision(&request, std::slice::from_ref(p))
                        .is_ok_and(|(_, undecided)| undecided.is_empty())
            })
            .collect()
    }

    /// The names of the partitions a scan with `request` reads ([`Self::pruned_partitions`]), split
    /// into those for which every one of `checked` holds for all their rows (`checked` compare the
    /// partitioning column) and the rest. A reader of the first need not check `checked` row by
    /// row; a reader of the second must.
    pub fn partitions_by_decision(
        &self,
        request: &ScanRequest,
        checked: &[Predicate],
    ) -> Result<(Vec<String>, Vec<String>)> {
        let schema = &self.table.schema;
        let checked = self.bind(checked)?;
        let column = schema.partition_scheme.column();
        let nullable = column
            .and_then(|c| schema.column(c))
            .is_some_and(|c| c.nullable);
        let (decided, undecided): (Vec<Arc<Partition>>, Vec<Arc<Partition>>) =
            self.pruned_partitions(request)?.into_iter().partition(|p| {
                checked.iter().all(|b| {
                    Some(b.column.as_str()) == column && b.holds_for_partition(&p.bound, nullable)
                })
            });
        let names =
            |partitions: Vec<Arc<Partition>>| partitions.iter().map(|p| p.name.clone()).collect();
        Ok((names(decided), names(undecided)))
    }

    /// The partitions a scan with `request` reads: the named ones, minus those whose bound proves
    /// that no row matches the predicates.
    pub fn pruned_partitions(&self, request: &ScanRequest) -> Result<Vec<Arc<Partition>>> {
        let bound = self.bind(&request.predicates)?;
        let partition_column = self.table.schema.partition_scheme.column();
        if let Some(names) = &request.partitions
            && let Some(missing) = names.iter().find(|n| self.table.partition(n).is_none())
        {
            return Err(StorageError::NotFound {
                kind: CatalogKind::Partition,
                name: missing.clone(),
            });
        }
        Ok(self
            .table
            .partitions_in_order()
            .into_iter()
            .filter(|p| {
                request
                    .partitions
                    .as_ref()
                    .is_none_or(|names| names.contains(&p.name))
            })
            .filter(|p| {
                bound
                    .iter()
                    .filter(|b| Some(b.column.as_str()) == partition_column)
                    .all(|b| b.may_match_partition(&p.bound))
            })
            .cloned()
            .collect())
    }

    /// The files a scan with `request` reads, per tablet in partition order: each data file's
    /// absolute path and what was recorded when it was written. Files whose statistics prove no
    /// row matches the predicates are left out (for a PRIMARY KEY table only by key columns,
    /// which every version of a row shares). Delete rowsets are listed too: a reader of a PRIMARY
    /// KEY table needs them, a DUPLICATE KEY table has none.
    pub fn tablet_files(&self, request: &ScanRequest) -> Result<Vec<Vec<TabletFile>>> {
        let predicates = self.bind(&request.predicates)?;
        let schema = &self.table.schema;
        let primary = schema.key_model == KeyModel::Primary;
        let prunable: Vec<BoundPredicate> = predicates
            .into_iter()
            .filter(|p| !primary || schema.key_columns.contains(&p.column))
            .collect();
        Ok(self
            .tablets(request)?
            .iter()
            .map(|tablet| {
                tablet
                    .rowsets
                    .iter()
                    .filter(|r| file_may_match(r, &prunable))
                    .map(|rowset| TabletFile {
                        path: self.root.join(&rowset.file.path),
                        kind: rowset.kind,
                        meta: rowset.file.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|files| !files.is_empty())
            .collect())
    }

    /// The tablets a scan with `request` reads, in partition order (empty ones left out): when
    /// the predicates fix every HASH distribution column to a value, only that value's bucket of
    /// each partition. Read one with [`TableVersion::scan_tablet`].
    pub fn tablets(&self, request: &ScanRequest) -> Result<Vec<Arc<Tablet>>> {
        let bucket = self.bucket_of(&self.bind(&request.predicates)?)?;
        Ok(self
            .pruned_partitions(request)?
            .iter()
            .flat_map(|p| {
                p.tablets
                    .iter()
                    .enumerate()
                    .filter(|(i, t)| !t.rowsets.is_empty() && bucket.is_none_or(|b| b == *i))
                    .map(|(_, t)| t.clone())
            })
            .collect())
    }

    /// The one bucket rows matching `predicates` can live in, when they fix every HASH
    /// distribution column to a non-NULL value (rows are routed by the same hash).
    fn bucket_of(&self, predicates: &[BoundPredicate]) -> Result<Option<usize>> {
        let Distribution::Hash { columns, buckets } = &self.table.schema.distribution else {
            return Ok(None);
        };
        let mut arrays = Vec::with_capacity(columns.len());
        for column in columns {
            let fixed = predicates
                .iter()
                .find(|p| &p.column == column && p.op == CompareOp::Eq && !p.value.is_null());
            let Some(fixed) = fixed else {
                return Ok(None);
            };
            arrays.push(fixed.value.to_array(&fixed.ty, 1)?);
        }
        let refs: Vec<&dyn arrow::array::Array> = arrays.iter().map(AsRef::as_ref).collect();
        let hash = row_hashes(&refs, 1)?[0];
        Ok(usize::try_from(hash % u64::from(*buckets)).ok())
    }

    /// Reads the rows of one tablet (of this version) that match `request`: for a PRIMARY KEY
    /// table the newest row per key, deleted keys removed.
    pub fn scan_tablet(&self, tablet: &Tablet, request: &ScanRequest) -> Result<Vec<RecordBatch>> {
        let plan = self.scan_plan(request)?;
        self.read_tablet(tablet, &plan)
    }

    /// Reads the rows matching `request`, from every tablet [`TableVersion::tablets`] selects.
    pub fn scan(&self, request: &ScanRequest) -> Result<Vec<RecordBatch>> {
        let plan = self.scan_plan(request)?;
        let tablets = self.tablets(request)?;
        let per_tablet = parallel_map(tablets, self.threads, |tablet| {
            self.read_tablet(&tablet, &plan)
        })?;
        Ok(per_tablet.into_iter().flatten().collect())
    }

    /// What every tablet of a scan reads and keeps.
    fn scan_plan(&self, request: &ScanRequest) -> Result<ScanPlan> {
        let output_schema = self.output_schema(request)?;
        let predicates = self.bind(&request.predicates)?;
        let schema = &self.table.schema;
        let primary = schema.key_model == KeyModel::Primary;
        let mut read_columns: Vec<String> = output_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let extra = predicates.iter().map(|p| &p.column).chain(if primary {
            schema.key_columns.iter()
        } else {
            [].iter()
        });
        for column in extra {
            if !read_columns.contains(column) {
                read_columns.push(column.clone());
            }
        }
        // A PRIMARY KEY table may only skip data by key columns: all versions of a key share them.
        let prunable: Vec<BoundPredicate> = predicates
            .iter()
            .filter(|p| !primary || schema.key_columns.contains(&p.column))
            .cloned()
            .collect();
        Ok(ScanPlan {
            output_schema,
            predicates,
            prunable,
            read_columns,
            primary,
        })
    }

    fn read_tablet(&self, tablet: &Tablet, plan: &ScanPlan) -> Result<Vec<RecordBatch>> {
        let batches = if plan.primary {
            self.read_tablet_merged(tablet, &plan.read_columns, &plan.prunable)?
        } else {
            let mut all = Vec::new();
            for rowset in &tablet.rowsets {
                all.extend(read_rowset(
                    &self.root,
                    rowset,
                    &plan.read_columns,
                    &plan.prunable,
                )?);
            }
            all
        };
        batches
            .into_iter()
            .map(|b| finish_batch(&b, &plan.predicates, &plan.output_schema))
            .filter(|b| b.as_ref().map_or(true, |b| b.num_rows() > 0))
            .collect()
    }

    /// Total rows matching `request`.
    pub fn count(&self, request: &ScanRequest) -> Result<u64> {
        Ok(self
            .scan(request)?
            .iter()
            .map(|b| b.num_rows() as u64)
            .sum())
    }

    /// Reads one tablet of a PRIMARY KEY table, newest row per key, deleted keys removed.
    pub(crate) fn read_tablet_merged(
        &self,
        tablet: &Tablet,
        columns: &[String],
        prunable: &[BoundPredicate],
    ) -> Result<Vec<RecordBatch>> {
        let keys = &self.table.schema.key_columns;
        let mut newest_first = Vec::with_capacity(tablet.rowsets.len());
        for rowset in tablet.rowsets.iter().rev() {
            let wanted: &[String] = if rowset.kind == RowsetKind::Data {
                columns
            } else {
                keys
            };
            let key_prunable: Vec<BoundPredicate> = prunable
                .iter()
                .filter(|p| keys.contains(&p.column))
                .cloned()
                .collect();
            newest_first.push((
                rowset.kind,
                read_rowset(&self.root, rowset, wanted, &key_prunable)?,
            ));
        }
        merge_newest_wins(newest_first, keys)
    }

    fn bind(&self, predicates: &[Predicate]) -> Result<Vec<BoundPredicate>> {
        predicates
            .iter()
            .map(|p| p.bind(&self.table.schema))
            .collect()
    }
}

/// One data or delete file of a tablet, as [`TableVersion::tablet_files`] lists it.
#[derive(Clone, Debug)]
pub struct TabletFile {
    /// Absolute path of the Parquet file.
    pub path: PathBuf,
    /// Data rows, or deleted keys.
    pub kind: RowsetKind,
    /// What was recorded when it was written: size, rows, per-column statistics.
    pub meta: FileMeta,
}

/// The columns a scan reads and the predicates it prunes and filters with.
struct ScanPlan {
    output_schema: SchemaRef,
    predicates: Vec<BoundPredicate>,
    prunable: Vec<BoundPredicate>,
    read_columns: Vec<String>,
    primary: bool,
}

/// Applies the row predicates and projects to the output schema.
fn finish_batch(
    batch: &RecordBatch,
    predicates: &[BoundPredicate],
    output: &SchemaRef,
) -> Result<RecordBatch> {
    let filtered = match predicates.split_first() {
        None => batch.clone(),
        Some((first, rest)) => {
            let mut mask = first.evaluate(batch)?;
            for p in rest {
                mask = and(&mask, &p.evaluate(batch)?)?;
            }
            filter_record_batch(batch, &mask)?
        }
    };
    let columns = output
        .fields()
        .iter()
        .map(|f| {
            filtered
                .column_by_name(f.name())
                .cloned()
                .ok_or_else(|| StorageError::NotFound {
                    kind: CatalogKind::Column,
                    name: f.name().clone(),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        output.clone(),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(filtered.num_rows())),
    )?)
}

/// Reads every row of one rowset of `version`'s table (the compaction input path).
pub(crate) fn read_rowset_for_compaction(
    version: &TableVersion,
    rowset: &crate::catalog::Rowset,
    columns: &[String],
) -> Result<Vec<RecordBatch>> {
    read_rowset(&version.root, rowset, columns, &[])
}
