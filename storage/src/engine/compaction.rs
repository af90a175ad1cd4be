//! Compaction: merges a run of a tablet's rowsets into one new file and publishes the swap in one
//! record. Old files are never changed; they are unlinked once no pinned version reads them.
//! [`Engine::compact_table`] and [`Engine::compact_partitions`] merge every rowset of a tablet
//! (`ALTER TABLE … COMPACT`); the background compactor merges the runs [`due_run`] picks.

use std::ops::Range;
use std::sync::Arc;

use arrow::compute::concat_batches;
use parking_lot::Mutex;

use super::Engine;
use crate::catalog::{Edit, Rowset, RowsetKind, Tablet};
use crate::crash::CrashPoint;
use crate::error::{CatalogKind, Result};
use crate::parallel::parallel_map;
use crate::scan::TableVersion;
use crate::schema::KeyModel;
use crate::write::{RowsetWriter, dedupe_key_order, key_order, writer_properties};

/// What a compaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Tablets whose rowsets were merged and published.
    pub tablets_compacted: usize,
    /// Rowsets replaced.
    pub rowsets_merged: usize,
    /// Rows in the new files.
    pub rows_written: u64,
    /// Bytes of the new files.
    pub bytes_written: u64,
}

impl CompactionReport {
    /// Adds `other`'s counts to these.
    pub(crate) fn add(&mut self, other: &CompactionReport) {
        self.tablets_compacted += other.tablets_compacted;
        self.rowsets_merged += other.rowsets_merged;
        self.rows_written += other.rows_written;
        self.bytes_written += other.bytes_written;
    }
}

struct Merged {
    partition_id: u64,
    tablet: usize,
    removed: Vec<u64>,
    added: Option<Arc<Rowset>>,
}

/// The run of `tablet`'s rowsets the background compactor merges once the tablet holds
/// `trigger` rowsets or more, StarRocks-style: the newer rowsets (all but the oldest, a
/// "cumulative" compaction), or all of them (a "base" compaction) when the newer ones add up to
/// half the oldest's size or more — so a row is rewritten a logarithmic number of times — and
/// for a PRIMARY KEY tablet whose newer rowsets delete keys (a merged run keeps no tombstone, so
/// it must start at the oldest rowset).
pub(crate) fn due_run(tablet: &Tablet, primary: bool, trigger: usize) -> Option<Range<usize>> {
    let count = tablet.rowsets.len();
    if count < trigger.max(2) {
        return None;
    }
    let base = tablet.rowsets[0].file.size_bytes;
    let newer: u64 = tablet.rowsets[1..].iter().map(|r| r.file.size_bytes).sum();
    let deletes = tablet.rowsets[1..]
        .iter()
        .any(|r| r.kind == RowsetKind::Delete);
    if newer.saturating_mul(2) >= base || (primary && deletes) {
        Some(0..count)
    } else {
        Some(1..count)
    }
}

impl Engine {
    /// Merges, in every tablet of `db.table` holding at least two rowsets, all rowsets into one.
    /// PRIMARY KEY tablets keep only the newest row per key and drop deleted keys.
    pub fn compact_table(&self, db: &str, table: &str) -> Result<CompactionReport> {
        self.compact_partitions(db, table, None, false)
    }

    /// [`Engine::compact_table`] for the named partitions only (all for `None`); an unknown
    /// partition is an error and nothing is merged. With `newer_only` (StarRocks' cumulative
    /// compaction) each tablet's oldest rowset is left as it is and the newer ones are merged —
    /// unless a PRIMARY KEY tablet's newer rowsets delete keys, whose merge must start at the
    /// oldest.
    pub fn compact_partitions(
        &self,
        db: &str,
        table: &str,
        partitions: Option<&[String]>,
        newer_only: bool,
    ) -> Result<CompactionReport> {
        let version = self.pin_table(db, table)?;
        let primary = version.schema().key_model == KeyModel::Primary;
        if let Some(missing) = partitions
            .into_iter()
            .flatten()
            .find(|name| version.table().partition(name).is_none())
        {
            return Err(crate::error::StorageError::NotFound {
                kind: CatalogKind::Partition,
                name: missing.clone(),
            });
        }
        self.compact_runs(version, self.inner.threads, |partition, tablet| {
            let named = partitions.is_none_or(|names| names.contains(&partition.name));
            let count = tablet.rowsets.len();
            let deletes = tablet
                .rowsets
                .iter()
                .skip(1)
                .any(|r| r.kind == RowsetKind::Delete);
            let start = usize::from(newer_only && !(primary && deletes));
            (named && count >= 2).then_some(start..count)
        })
    }

    /// Merges, in every tablet of the pinned `version`, the run of rowsets `pick` chooses, up to
    /// `threads` tablets at once (each merge holds its tablet's rows in memory).
    pub(crate) fn compact_runs(
        &self,
        version: TableVersion,
        threads: usize,
        pick: impl Fn(&crate::catalog::Partition, &Tablet) -> Option<Range<usize>>,
    ) -> Result<CompactionReport> {
        self.check_writable()?;
        let mut work = Vec::new();
        for partition in version.table().partitions.values() {
            for (index, tablet) in partition.tablets.iter().enumerate() {
                if let Some(run) = pick(partition, tablet).filter(|r| r.len() >= 2) {
                    work.push((partition.id, index, tablet.clone(), run));
                }
            }
        }
        let written: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let merged = parallel_map(work, threads, |(partition_id, index, tablet, run)| {
            let merged = self.merge_run(&version, partition_id, index, &tablet, run)?;
            written
                .lock()
                .extend(merged.added.iter().map(|r| r.file.path.clone()));
            Ok(merged)
        });
        let merged = match merged {
            Ok(merged) => merged,
            Err(e) => {
                // Files merged for other tablets before the failure were never published.
                for path in written.into_inner() {
                    let _ = self.io().remove_file_if_exists(&self.root().join(path));
                }
                return Err(e);
            }
        };
        let table_id = version.table().id;
        drop(version);
        let mut report = CompactionReport::default();
        let mut stale: Vec<String> = Vec::new();
        let publish = self.publish(|state| {
            let current = state.tables.get(&table_id);
            let mut edits = Vec::new();
            for m in &merged {
                let still_there = current
                    .and_then(|t| t.partitions.get(&m.partition_id))
                    .and_then(|p| p.tablets.get(m.tablet))
                    .is_some_and(|t| {
                        let ids: Vec<u64> = t.rowsets.iter().map(|r| r.id).collect();
                        ids.windows(m.removed.len()).any(|run| run == m.removed)
                    });
                if !still_there {
                    stale.extend(m.added.iter().map(|r| r.file.path.clone()));
                    continue;
                }
                report.tablets_compacted += 1;
                report.rowsets_merged += m.removed.len();
                if let Some(added) = &m.added {
                    report.rows_written += added.file.rows;
                    report.bytes_written += added.file.size_bytes;
                }
                edits.push(Edit::ReplaceRowsets {
                    table_id,
                    partition_id: m.partition_id,
                    tablet: m.tablet,
                    removed: m.removed.clone(),
                    added: m.added.clone(),
                });
            }
            Ok(edits)
        });
        if publish.is_err() {
            stale = merged
                .iter()
                .flat_map(|m| m.added.iter().map(|r| r.file.path.clone()))
                .collect();
        }
        // A file left behind (the removal failed) is unreferenced: open-time GC collects it. The
        // commit's own outcome is what the caller needs to hear.
        for path in stale {
            let _ = self.io().remove_file_if_exists(&self.root().join(path));
        }
        publish.map(|_| report)
    }

    /// Merges the rowsets `run` of `tablet` into one new file (not yet published). A PRIMARY KEY
    /// run keeps the newest row per key; only a run from the oldest rowset may hold deletes,
    /// which it applies and drops.
    fn merge_run(
        &self,
        version: &TableVersion,
        partition_id: u64,
        index: usize,
        tablet: &Tablet,
        run: Range<usize>,
    ) -> Result<Merged> {
        let schema = version.schema();
        let columns: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
        let keys: Vec<usize> = (0..schema.key_columns.len()).collect();
        let merged_rowsets = &tablet.rowsets[run];
        let merged: Vec<arrow::record_batch::RecordBatch> = if schema.key_model == KeyModel::Primary
        {
            let part = Tablet {
                id: tablet.id,
                rowsets: merged_rowsets.to_vec(),
            };
            version.read_tablet_merged(&part, &columns, &[])?
        } else {
            let mut all = Vec::new();
            for rowset in merged_rowsets {
                all.extend(crate::scan::read_rowset_for_compaction(
                    version, rowset, &columns,
                )?);
            }
            all
        };
        // The rows to write and, for DUPLICATE KEY, the order to write them in.
        let (batch, order) = if merged.is_empty() {
            (None, None)
        } else {
            let all = concat_batches(&schema.arrow_schema(), &merged)?;
            let order = if schema.key_model == KeyModel::Primary {
                Some(dedupe_key_order(&all, None, &keys)?)
            } else {
                key_order(&all, None, &keys)?
            };
            (Some(all), order)
        };
        let removed: Vec<u64> = merged_rowsets.iter().map(|r| r.id).collect();
        let rows = match (&batch, &order) {
            (_, Some(order)) => order.len(),
            (Some(batch), None) => batch.num_rows(),
            (None, None) => 0,
        };
        if rows == 0 {
            return Ok(Merged {
                partition_id,
                tablet: index,
                removed,
                added: None,
            });
        }
        let id = self.allocate_id();
        let relative = crate::layout::rowset_path(version.table().id, partition_id, tablet.id, id);
        let file_schema = schema.file_arrow_schema();
        let sorted_by = keys.first().map(|&i| file_schema.field(i));
        let props = writer_properties(
            schema.properties.compression,
            self.inner.row_group_rows,
            sorted_by,
        );
        let mut writer =
            RowsetWriter::create(&self.io(), self.root(), relative, file_schema, props, None)?;
        if let Some(batch) = &batch {
            writer.write_in_order(batch, order.as_ref())?;
        }
        let file = writer.finish()?;
        if let Some(hook) = &self.inner.crash_hook {
            hook(CrashPoint::DuringCompaction);
        }
        let newest = merged_rowsets.iter().map(|r| r.version).max().unwrap_or(0);
        Ok(Merged {
            partition_id,
            tablet: index,
            removed,
            added: Some(Arc::new(Rowset {
                id,
                kind: RowsetKind::Data,
                version: newest,
                file,
            })),
        })
    }
}
