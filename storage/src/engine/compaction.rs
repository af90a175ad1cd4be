//! Compaction: merges a tablet's rowsets into one new file and publishes the swap in one record.
//! Old files are never changed; they are unlinked once no pinned version reads them.

use std::sync::Arc;

use arrow::compute::concat_batches;
use parking_lot::Mutex;

use super::Engine;
use crate::catalog::{Edit, Rowset, RowsetKind, Tablet};
use crate::crash::CrashPoint;
use crate::error::Result;
use crate::parallel::parallel_map;
use crate::scan::TableVersion;
use crate::schema::KeyModel;
use crate::write::{RowsetWriter, dedupe_and_sort_by_key, writer_properties};

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

struct Merged {
    partition_id: u64,
    tablet: usize,
    removed: Vec<u64>,
    added: Option<Arc<Rowset>>,
}

impl Engine {
    /// Merges, in every tablet of `db.table` holding at least two rowsets, all rowsets into one.
    /// PRIMARY KEY tablets keep only the newest row per key and drop deleted keys.
    pub fn compact_table(&self, db: &str, table: &str) -> Result<CompactionReport> {
        self.check_writable()?;
        let version = self.pin_table(db, table)?;
        let mut work = Vec::new();
        for partition in version.table().partitions.values() {
            for (index, tablet) in partition.tablets.iter().enumerate() {
                if tablet.rowsets.len() >= 2 {
                    work.push((partition.id, index, tablet.clone()));
                }
            }
        }
        let written: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let merged = parallel_map(work, self.inner.threads, |(partition_id, index, tablet)| {
            let merged = self.merge_tablet(&version, partition_id, index, &tablet)?;
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
                        t.rowsets
                            .iter()
                            .take(m.removed.len())
                            .map(|r| r.id)
                            .eq(m.removed.iter().copied())
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

    fn merge_tablet(
        &self,
        version: &TableVersion,
        partition_id: u64,
        index: usize,
        tablet: &Tablet,
    ) -> Result<Merged> {
        let schema = version.schema();
        let columns: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
        let batches = if schema.key_model == KeyModel::Primary {
            let merged = version.read_tablet_merged(tablet, &columns, &[])?;
            if merged.is_empty() {
                Vec::new()
            } else {
                let all = concat_batches(&schema.arrow_schema(), &merged)?;
                let keys: Vec<usize> = (0..schema.key_columns.len()).collect();
                vec![dedupe_and_sort_by_key(&all, &keys)?]
            }
        } else {
            let mut all = Vec::new();
            for rowset in &tablet.rowsets {
                all.extend(crate::scan::read_rowset_for_compaction(
                    version, rowset, &columns,
                )?);
            }
            all
        };
        let removed: Vec<u64> = tablet.rowsets.iter().map(|r| r.id).collect();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
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
        let props = writer_properties(schema.properties.compression, self.inner.row_group_rows);
        let mut writer = RowsetWriter::create(
            &self.io(),
            self.root(),
            relative,
            schema.arrow_schema(),
            props,
            None,
        )?;
        for batch in &batches {
            writer.write(batch)?;
        }
        let file = writer.finish()?;
        if let Some(hook) = &self.inner.crash_hook {
            hook(CrashPoint::DuringCompaction);
        }
        let newest = tablet.rowsets.iter().map(|r| r.version).max().unwrap_or(0);
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
