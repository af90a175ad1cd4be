//! Writes: appends, PRIMARY KEY deletes and partition overwrites, over one or many tables,
//! published in one commit. Every file is written before the one metadata record that makes them
//! visible; any error before that record leaves the catalog as it was and removes the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parking_lot::Mutex;

use super::Engine;
use super::ddl::target_partitions;
use crate::catalog::{Edit, Rowset, RowsetKind};
use crate::error::{Result, StorageError};
use crate::parallel::parallel_map;
use crate::schema::{Compression, KeyModel};
use crate::write::{
    RowsetWriter, TabletRows, conform_batch, conform_keys, dedupe_key_order, key_order, route_rows,
    writer_properties,
};

/// A set of appends, deletes and overwrites that commit together or not at all, in the order
/// they were added.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

#[derive(Debug, Clone)]
struct WriteOp {
    database: String,
    table: String,
    kind: RowsetKind,
    /// `Some` for an overwrite: the partitions it replaces (`None` inside: all of them).
    replaces: Option<Option<Vec<String>>>,
    batch: RecordBatch,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends rows to `db.table`. Columns are matched by name; omitted columns take their default
    /// (or NULL). On a PRIMARY KEY table, rows replace earlier rows with the same key.
    pub fn append(&mut self, db: &str, table: &str, batch: RecordBatch) -> &mut Self {
        self.ops.push(WriteOp {
            database: db.to_owned(),
            table: table.to_owned(),
            kind: RowsetKind::Data,
            replaces: None,
            batch,
        });
        self
    }

    /// Replaces the content of the named partitions of `db.table` (all partitions for `None`) with
    /// the rows of `batch`, as one new version of each replaced partition. A row that belongs to
    /// no named partition fails the whole batch; earlier operations of the batch on a replaced
    /// partition are discarded, later ones apply on top of the new rows.
    pub fn overwrite(
        &mut self,
        db: &str,
        table: &str,
        partitions: Option<&[String]>,
        batch: RecordBatch,
    ) -> &mut Self {
        self.ops.push(WriteOp {
            database: db.to_owned(),
            table: table.to_owned(),
            kind: RowsetKind::Data,
            replaces: Some(partitions.map(<[String]>::to_vec)),
            batch,
        });
        self
    }

    /// Deletes the keys in `keys` (which must hold the key columns) from PRIMARY KEY table `db.table`.
    pub fn delete(&mut self, db: &str, table: &str, keys: RecordBatch) -> &mut Self {
        self.ops.push(WriteOp {
            database: db.to_owned(),
            table: table.to_owned(),
            kind: RowsetKind::Delete,
            replaces: None,
            batch: keys,
        });
        self
    }

    /// Whether the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// What a commit published.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitInfo {
    /// Metadata-log sequence number of the commit (the previous one when nothing was written).
    pub seq: u64,
    /// Rows appended.
    pub rows_appended: u64,
    /// Delete keys written.
    pub keys_deleted: u64,
    /// The new visible version of every touched partition.
    pub partitions: Vec<PublishedPartition>,
}

/// One partition's new visible version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedPartition {
    /// Database name.
    pub database: String,
    /// Table name.
    pub table: String,
    /// Partition name.
    pub partition: String,
    /// The version the commit published.
    pub version: u64,
}

/// A written, unpublished rowset: `((table id, partition id), tablet index, rowset)`.
type WrittenRowset = ((u64, u64), usize, Arc<Rowset>);

/// Partitions an overwrite replaces, as `(table id, partition id)`, with the index of the last
/// operation of the batch that replaces each.
type Replaced = BTreeMap<(u64, u64), usize>;

/// One file to write.
struct PlannedFile {
    /// Index of the operation of the batch the rows come from.
    op: usize,
    table_id: u64,
    partition_id: u64,
    tablet: usize,
    tablet_id: u64,
    kind: RowsetKind,
    /// The file's schema: the rows' columns with their field ids (`file_arrow_schema`).
    schema: SchemaRef,
    compression: Compression,
    /// The conformed batch the rows were routed from (shared, not copied).
    source: RecordBatch,
    /// Which rows of `source` go to this tablet.
    rows: TabletRows,
    /// How the rows are ordered before they are written.
    order: KeyOrder,
}

/// How a rowset's rows are ordered (key column indices of the file's schema).
#[derive(Clone, Debug)]
enum KeyOrder {
    /// PRIMARY KEY: the last row per key kept, sorted by key.
    DedupeAndSort(Vec<usize>),
    /// DUPLICATE KEY: every row kept, sorted by key (StarRocks' sort key).
    Sort(Vec<usize>),
}

impl Engine {
    /// Appends `batch` to `db.table` in one commit.
    pub fn append(&self, db: &str, table: &str, batch: RecordBatch) -> Result<CommitInfo> {
        let mut write = WriteBatch::new();
        write.append(db, table, batch);
        self.write(write)
    }

    /// Deletes the keys of `keys` from PRIMARY KEY table `db.table` in one commit.
    pub fn delete_keys(&self, db: &str, table: &str, keys: RecordBatch) -> Result<CommitInfo> {
        let mut write = WriteBatch::new();
        write.delete(db, table, keys);
        self.write(write)
    }

    /// Replaces the content of the named partitions of `db.table` (all for `None`) with `batch`
    /// in one commit; on any error the old rows stay. See [`WriteBatch::overwrite`].
    pub fn overwrite(
        &self,
        db: &str,
        table: &str,
        partitions: Option<&[String]>,
        batch: RecordBatch,
    ) -> Result<CommitInfo> {
        let mut write = WriteBatch::new();
        write.overwrite(db, table, partitions, batch);
        self.write(write)
    }

    /// Commits every operation of `write` atomically: all rows become visible in one metadata
    /// record, or — on any error — nothing is published and no file is left behind.
    pub fn write(&self, write: WriteBatch) -> Result<CommitInfo> {
        self.check_writable()?;
        let catalog = self.catalog();
        let mut planned = Vec::new();
        let mut replaced = Replaced::new();
        let mut info = CommitInfo::default();
        for (index, op) in write.ops.iter().enumerate() {
            let table = catalog.require_table(&op.database, &op.table)?;
            self.check_unlocked(&op.database, table, None)?;
            let label = format!("{}.{}", op.database, op.table);
            let schema = &table.schema;
            let primary = schema.key_model == KeyModel::Primary;
            let (rows, file_schema) = match op.kind {
                RowsetKind::Data => {
                    info.rows_appended += op.batch.num_rows() as u64;
                    (
                        conform_batch(schema, &op.batch, &label)?,
                        schema.file_arrow_schema(),
                    )
                }
                RowsetKind::Delete => {
                    if !primary {
                        return Err(StorageError::Unsupported(format!(
                            "DELETE by key needs a PRIMARY KEY table; {label} is a DUPLICATE KEY table"
                        )));
                    }
                    info.keys_deleted += op.batch.num_rows() as u64;
                    (
                        conform_keys(schema, &op.batch, &label)?,
                        schema.key_file_arrow_schema(),
                    )
                }
            };
            let keys: Vec<usize> = (0..schema.key_columns.len()).collect();
            let order = if primary {
                KeyOrder::DedupeAndSort(keys)
            } else {
                KeyOrder::Sort(keys)
            };
            let targets: Option<BTreeSet<u64>> = match &op.replaces {
                None => None,
                Some(names) => Some(
                    target_partitions(table, names.as_deref())?
                        .into_iter()
                        .map(|p| p.id)
                        .collect(),
                ),
            };
            for routed in route_rows(
                table,
                &rows,
                &self.inner.round_robin,
                op.kind == RowsetKind::Data,
                &label,
            )? {
                let partition = &table.partitions[&routed.partition_id];
                if targets
                    .as_ref()
                    .is_some_and(|t| !t.contains(&routed.partition_id))
                {
                    return Err(StorageError::InvalidData(format!(
                        "the overwrite of {label} does not name partition '{}', which some of its rows belong to",
                        partition.name
                    )));
                }
                let tablet_id = partition.tablets[routed.tablet].id;
                planned.push(PlannedFile {
                    op: index,
                    table_id: table.id,
                    partition_id: routed.partition_id,
                    tablet: routed.tablet,
                    tablet_id,
                    kind: op.kind,
                    schema: file_schema.clone(),
                    compression: schema.properties.compression,
                    source: rows.clone(),
                    rows: routed,
                    order: order.clone(),
                });
            }
            for id in targets.into_iter().flatten() {
                replaced.insert((table.id, id), index);
            }
        }
        drop(catalog);
        // Rows written before a later overwrite of their partition would be replaced unseen.
        planned.retain(|f| {
            replaced
                .get(&(f.table_id, f.partition_id))
                .is_none_or(|last| f.op >= *last)
        });
        let written = self.write_files(planned)?;
        let paths: Vec<String> = written
            .iter()
            .map(|(_, _, r)| r.file.path.clone())
            .collect();
        match self.publish_rowsets(written, &replaced, &mut info) {
            Ok(()) => Ok(info),
            Err(e) => {
                for path in paths {
                    let _ = self.io().remove_file_if_exists(&self.root().join(path));
                }
                Err(e)
            }
        }
    }

    /// Writes the planned files in parallel; on error removes those already written.
    fn write_files(&self, planned: Vec<PlannedFile>) -> Result<Vec<WrittenRowset>> {
        let root = self.root().to_owned();
        let finished: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
        let results = parallel_map(planned, self.inner.threads, |file| {
            let id = self.allocate_id();
            let relative =
                crate::layout::rowset_path(file.table_id, file.partition_id, file.tablet_id, id);
            let (KeyOrder::Sort(keys) | KeyOrder::DedupeAndSort(keys)) = &file.order;
            let sorted_by = keys.first().map(|&i| file.schema.field(i));
            let props = writer_properties(file.compression, self.inner.row_group_rows, sorted_by);
            let mut writer = RowsetWriter::create(
                &self.io(),
                &root,
                relative.clone(),
                file.schema.clone(),
                props,
                self.inner.crash_hook.clone(),
            )?;
            let routed = file.rows.indices.as_ref();
            let order = match &file.order {
                KeyOrder::DedupeAndSort(keys) => {
                    Some(dedupe_key_order(&file.source, routed, keys)?)
                }
                KeyOrder::Sort(keys) => key_order(&file.source, routed, keys)?,
            };
            writer.write_in_order(&file.source, order.as_ref())?;
            let meta = writer.finish()?;
            finished.lock().push(root.join(&relative));
            let rowset = Rowset {
                id,
                kind: file.kind,
                version: 0,
                file: meta,
            };
            Ok((
                (file.table_id, file.partition_id),
                file.tablet,
                Arc::new(rowset),
            ))
        });
        if results.is_err() {
            for path in finished.into_inner() {
                let _ = self.io().remove_file_if_exists(&path);
            }
        }
        results
    }

    /// Publishes the written rowsets in one record: `AddRowsets` for an appended-to partition,
    /// `ReplacePartition` (one version bump, the old rowsets removed) for an overwritten one, even
    /// when no new row lands in it.
    fn publish_rowsets(
        &self,
        written: Vec<WrittenRowset>,
        replaced: &Replaced,
        info: &mut CommitInfo,
    ) -> Result<()> {
        let time_ms = self.clock().now_ms();
        let mut by_partition: BTreeMap<(u64, u64), Vec<(usize, Rowset)>> =
            replaced.keys().map(|key| (*key, Vec::new())).collect();
        for (key, tablet, rowset) in written {
            let rowset = Arc::try_unwrap(rowset)
                .map_err(|_| StorageError::Conflict("rowset shared before publication".into()))?;
            by_partition.entry(key).or_default().push((tablet, rowset));
        }
        let mut published = Vec::new();
        let seq = self.publish(|state| {
            let mut edits = Vec::with_capacity(by_partition.len());
            for ((table_id, partition_id), rowsets) in by_partition {
                let table = state.tables.get(&table_id).ok_or_else(|| {
                    StorageError::Conflict(
                        "the table was dropped while the commit was writing".into(),
                    )
                })?;
                let partition = table.partitions.get(&partition_id).ok_or_else(|| {
                    StorageError::Conflict(format!(
                        "a partition of table '{}' was dropped while the commit was writing",
                        table.name
                    ))
                })?;
                let version = partition.visible_version + 1;
                let database = state
                    .databases
                    .get(&table.db_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                self.check_unlocked(&database, table, None)?;
                published.push(PublishedPartition {
                    database,
                    table: table.name.clone(),
                    partition: partition.name.clone(),
                    version,
                });
                let rowsets = rowsets.into_iter().map(|(tablet, mut r)| {
                    r.version = version;
                    (tablet, Arc::new(r))
                });
                if replaced.contains_key(&(table_id, partition_id)) {
                    let mut tablets = vec![Vec::new(); partition.tablets.len()];
                    for (tablet, rowset) in rowsets {
                        tablets
                            .get_mut(tablet)
                            .ok_or_else(|| {
                                StorageError::Conflict(format!(
                                    "partition '{}' has no tablet {tablet}",
                                    partition.name
                                ))
                            })?
                            .push(rowset);
                    }
                    edits.push(Edit::ReplacePartition {
                        table_id,
                        partition_id,
                        version,
                        time_ms,
                        tablets,
                    });
                } else {
                    edits.push(Edit::AddRowsets {
                        table_id,
                        partition_id,
                        version,
                        time_ms,
                        rowsets: rowsets.collect(),
                    });
                }
            }
            Ok(edits)
        })?;
        info.seq = seq;
        info.partitions = published;
        Ok(())
    }
}
