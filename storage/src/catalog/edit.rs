//! Catalog edits: the unit of change a metadata-log record carries. Applying an edit checks that it
//! fits the state (so replaying a damaged log fails loudly) and returns the rowsets it removed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::state::{CatalogState, Database, Partition, Rowset, Table};
use crate::error::{CatalogKind, Result, StorageError};
use crate::schema::ViewDef;

/// One atomic change to the catalog. A log record holds several; all of them apply or none.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Edit {
    /// Adds a database.
    #[serde(rename = "CreateDatabase")]
    CreateDatabase {
        /// New id.
        #[serde(rename = "id")]
        id: u64,
        /// Name.
        #[serde(rename = "name")]
        name: String,
    },
    /// Removes a database with all its tables and views.
    #[serde(rename = "DropDatabase")]
    DropDatabase {
        /// Database id.
        #[serde(rename = "id")]
        id: u64,
    },
    /// Adds a view.
    #[serde(rename = "CreateView")]
    CreateView {
        /// Database id.
        #[serde(rename = "db_id")]
        db_id: u64,
        /// Definition.
        #[serde(rename = "view")]
        view: ViewDef,
    },
    /// Removes a view.
    #[serde(rename = "DropView")]
    DropView {
        /// Database id.
        #[serde(rename = "db_id")]
        db_id: u64,
        /// View name.
        #[serde(rename = "name")]
        name: String,
    },
    /// Adds a table with its partitions and (empty) tablets.
    #[serde(rename = "CreateTable")]
    CreateTable {
        /// The new table.
        #[serde(rename = "table")]
        table: Arc<Table>,
    },
    /// Removes a table.
    #[serde(rename = "DropTable")]
    DropTable {
        /// Table id.
        #[serde(rename = "id")]
        id: u64,
    },
    /// Adds a partition to a table.
    #[serde(rename = "AddPartition")]
    AddPartition {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// The new partition with empty tablets.
        #[serde(rename = "partition")]
        partition: Arc<Partition>,
    },
    /// Removes a partition.
    #[serde(rename = "DropPartition")]
    DropPartition {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// Partition id.
        #[serde(rename = "partition_id")]
        partition_id: u64,
    },
    /// Publishes new rowsets in a partition as its new visible version.
    #[serde(rename = "AddRowsets")]
    AddRowsets {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// Partition id.
        #[serde(rename = "partition_id")]
        partition_id: u64,
        /// The new visible version: the old one plus one.
        #[serde(rename = "version")]
        version: u64,
        /// Clock time of the publication, ms since the epoch.
        #[serde(rename = "time_ms")]
        time_ms: u64,
        /// `(tablet index, rowset)` pairs, appended in order.
        #[serde(rename = "rowsets")]
        rowsets: Vec<(usize, Arc<Rowset>)>,
    },
    /// Empties a partition as its new visible version.
    #[serde(rename = "TruncatePartition")]
    TruncatePartition {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// Partition id.
        #[serde(rename = "partition_id")]
        partition_id: u64,
        /// The new visible version: the old one plus one.
        #[serde(rename = "version")]
        version: u64,
        /// Clock time of the publication, ms since the epoch.
        #[serde(rename = "time_ms")]
        time_ms: u64,
    },
    /// Replaces every tablet's rowsets of a partition and sets its version (a restore overwriting
    /// the partition with a snapshot's content, or an overwrite publishing new rows as the next
    /// version).
    #[serde(rename = "ReplacePartition")]
    ReplacePartition {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// Partition id.
        #[serde(rename = "partition_id")]
        partition_id: u64,
        /// The version recorded in the snapshot, which becomes the visible version.
        #[serde(rename = "version")]
        version: u64,
        /// Clock time of the publication, ms since the epoch.
        #[serde(rename = "time_ms")]
        time_ms: u64,
        /// New rowsets per tablet, in bucket order; must match the partition's bucket count.
        #[serde(rename = "tablets")]
        tablets: Vec<Vec<Arc<Rowset>>>,
    },
    /// Replaces the oldest rowsets of a tablet by one merged rowset (compaction). The visible rows
    /// do not change, so neither does the version.
    #[serde(rename = "ReplaceRowsets")]
    ReplaceRowsets {
        /// Table id.
        #[serde(rename = "table_id")]
        table_id: u64,
        /// Partition id.
        #[serde(rename = "partition_id")]
        partition_id: u64,
        /// Tablet index within the partition.
        #[serde(rename = "tablet")]
        tablet: usize,
        /// Ids of the replaced rowsets: a run of consecutive rowsets of the tablet, in order (its
        /// first ones, or any later run since compaction merges runs); the merged rowset takes
        /// the run's place.
        #[serde(rename = "removed")]
        removed: Vec<u64>,
        /// The merged rowset; `None` when nothing survived the merge.
        #[serde(rename = "added")]
        added: Option<Arc<Rowset>>,
    },
}

/// Applies `edit` to `state` as log replay does, returning the rowsets it took out: for tests
/// and fuzz targets that replay decoded records.
#[cfg(feature = "whitebox")]
pub fn apply_edit(state: &mut CatalogState, edit: &Edit) -> Result<Vec<Arc<Rowset>>> {
    state.apply(edit)
}

impl CatalogState {
    /// Applies one edit, returning the rowsets it took out of the catalog.
    pub(crate) fn apply(&mut self, edit: &Edit) -> Result<Vec<Arc<Rowset>>> {
        let mut removed = Vec::new();
        match edit {
            Edit::CreateDatabase { id, name } => {
                if self.database(name).is_some() {
                    return Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Database,
                        name: name.clone(),
                    });
                }
                self.note_id(*id);
                self.databases.insert(
                    *id,
                    Arc::new(Database {
                        id: *id,
                        name: name.clone(),
                        views: Default::default(),
                    }),
                );
            }
            Edit::DropDatabase { id } => {
                self.databases
                    .remove(id)
                    .ok_or_else(|| missing("database", id))?;
                let tables: Vec<u64> = self
                    .tables
                    .values()
                    .filter(|t| t.db_id == *id)
                    .map(|t| t.id)
                    .collect();
                for table_id in tables {
                    removed.extend(self.remove_table(table_id)?);
                }
            }
            Edit::CreateView { db_id, view } => {
                if self
                    .tables
                    .values()
                    .any(|t| t.db_id == *db_id && t.name == view.name)
                {
                    return Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Table,
                        name: view.name.clone(),
                    });
                }
                let db = Arc::make_mut(
                    self.databases
                        .get_mut(db_id)
                        .ok_or_else(|| missing("database", db_id))?,
                );
                if db.views.contains_key(&view.name) {
                    return Err(StorageError::AlreadyExists {
                        kind: CatalogKind::View,
                        name: view.name.clone(),
                    });
                }
                db.views.insert(view.name.clone(), view.clone());
            }
            Edit::DropView { db_id, name } => {
                let db = Arc::make_mut(
                    self.databases
                        .get_mut(db_id)
                        .ok_or_else(|| missing("database", db_id))?,
                );
                db.views
                    .remove(name)
                    .ok_or_else(|| StorageError::NotFound {
                        kind: CatalogKind::View,
                        name: name.clone(),
                    })?;
            }
            Edit::CreateTable { table } => {
                let db = self
                    .databases
                    .get(&table.db_id)
                    .ok_or_else(|| missing("database", &table.db_id))?;
                if self.table(table.db_id, &table.name).is_some()
                    || db.views.contains_key(&table.name)
                {
                    return Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Table,
                        name: table.name.clone(),
                    });
                }
                self.note_id(table.id);
                for partition in table.partitions.values() {
                    self.note_partition_ids(partition);
                }
                self.tables.insert(table.id, table.clone());
            }
            Edit::DropTable { id } => removed.extend(self.remove_table(*id)?),
            Edit::AddPartition {
                table_id,
                partition,
            } => {
                self.note_partition_ids(partition);
                let table = self.table_mut(*table_id)?;
                if table.partition(&partition.name).is_some() {
                    return Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Partition,
                        name: partition.name.clone(),
                    });
                }
                if let Some(clash) = table
                    .partitions
                    .values()
                    .find(|p| p.bound.overlaps(&partition.bound))
                {
                    return Err(StorageError::InvalidDefinition(format!(
                        "partition '{}' overlaps partition '{}' of table '{}'",
                        partition.name, clash.name, table.name
                    )));
                }
                table.partitions.insert(partition.id, partition.clone());
            }
            Edit::DropPartition {
                table_id,
                partition_id,
            } => {
                let table = self.table_mut(*table_id)?;
                let partition = table
                    .partitions
                    .remove(partition_id)
                    .ok_or_else(|| missing("partition", partition_id))?;
                removed.extend(
                    partition
                        .tablets
                        .iter()
                        .flat_map(|t| t.rowsets.iter().cloned()),
                );
            }
            Edit::AddRowsets {
                table_id,
                partition_id,
                version,
                time_ms,
                rowsets,
            } => {
                let partition = self.partition_mut(*table_id, *partition_id)?;
                check_version(partition, *version)?;
                for (index, rowset) in rowsets {
                    let tablet = partition
                        .tablets
                        .get_mut(*index)
                        .ok_or_else(|| missing("tablet", index))?;
                    Arc::make_mut(tablet).rowsets.push(rowset.clone());
                }
                partition.visible_version = *version;
                partition.visible_version_time_ms = *time_ms;
                let ids: Vec<u64> = rowsets.iter().map(|(_, r)| r.id).collect();
                ids.into_iter().for_each(|id| self.note_id(id));
            }
            Edit::TruncatePartition {
                table_id,
                partition_id,
                version,
                time_ms,
            } => {
                let partition = self.partition_mut(*table_id, *partition_id)?;
                check_version(partition, *version)?;
                for tablet in &mut partition.tablets {
                    removed.extend(std::mem::take(&mut Arc::make_mut(tablet).rowsets));
                }
                partition.visible_version = *version;
                partition.visible_version_time_ms = *time_ms;
            }
            Edit::ReplacePartition {
                table_id,
                partition_id,
                version,
                time_ms,
                tablets,
            } => {
                let partition = self.partition_mut(*table_id, *partition_id)?;
                if partition.tablets.len() != tablets.len() {
                    return Err(StorageError::Conflict(format!(
                        "partition '{}' has {} tablets, the replacement has {}",
                        partition.name,
                        partition.tablets.len(),
                        tablets.len()
                    )));
                }
                for (tablet, rowsets) in partition.tablets.iter_mut().zip(tablets) {
                    let tablet = Arc::make_mut(tablet);
                    removed.extend(std::mem::replace(&mut tablet.rowsets, rowsets.clone()));
                }
                partition.visible_version = *version;
                partition.visible_version_time_ms = *time_ms;
                let ids: Vec<u64> = tablets.iter().flatten().map(|r| r.id).collect();
                ids.into_iter().for_each(|id| self.note_id(id));
            }
            Edit::ReplaceRowsets {
                table_id,
                partition_id,
                tablet,
                removed: ids,
                added,
            } => {
                let partition = self.partition_mut(*table_id, *partition_id)?;
                let tablet = Arc::make_mut(
                    partition
                        .tablets
                        .get_mut(*tablet)
                        .ok_or_else(|| missing("tablet", tablet))?,
                );
                let current: Vec<u64> = tablet.rowsets.iter().map(|r| r.id).collect();
                let start = (!ids.is_empty())
                    .then(|| {
                        current
                            .windows(ids.len())
                            .position(|run| run == ids.as_slice())
                    })
                    .flatten()
                    .ok_or_else(|| {
                        StorageError::Conflict(format!(
                            "tablet {} no longer holds the run of rowsets {ids:?}",
                            tablet.id
                        ))
                    })?;
                let rest = tablet.rowsets.split_off(start + ids.len());
                removed.extend(tablet.rowsets.drain(start..));
                tablet.rowsets.extend(added.iter().cloned().chain(rest));
                if let Some(added) = added {
                    self.note_id(added.id);
                }
            }
        }
        Ok(removed)
    }

    fn note_id(&mut self, id: u64) {
        self.next_id = self.next_id.max(id + 1);
    }

    fn note_partition_ids(&mut self, partition: &Partition) {
        self.note_id(partition.id);
        for tablet in &partition.tablets {
            self.note_id(tablet.id);
            for rowset in &tablet.rowsets {
                self.note_id(rowset.id);
            }
        }
    }

    fn remove_table(&mut self, id: u64) -> Result<Vec<Arc<Rowset>>> {
        let table = self
            .tables
            .remove(&id)
            .ok_or_else(|| missing("table", &id))?;
        Ok(table
            .partitions
            .values()
            .flat_map(|p| p.tablets.iter())
            .flat_map(|t| t.rowsets.iter().cloned())
            .collect())
    }

    fn table_mut(&mut self, id: u64) -> Result<&mut Table> {
        Ok(Arc::make_mut(
            self.tables
                .get_mut(&id)
                .ok_or_else(|| missing("table", &id))?,
        ))
    }

    fn partition_mut(&mut self, table_id: u64, partition_id: u64) -> Result<&mut Partition> {
        let table = self.table_mut(table_id)?;
        let partition = table
            .partitions
            .get_mut(&partition_id)
            .ok_or_else(|| missing("partition", &partition_id))?;
        Ok(Arc::make_mut(partition))
    }
}

fn check_version(partition: &Partition, version: u64) -> Result<()> {
    if version != partition.visible_version + 1 {
        return Err(StorageError::Conflict(format!(
            "partition '{}' is at version {}, edit publishes version {version}",
            partition.name, partition.visible_version
        )));
    }
    Ok(())
}

fn missing(kind: &'static str, id: &dyn std::fmt::Display) -> StorageError {
    StorageError::Conflict(format!("{kind} with id {id} no longer exists"))
}
