//! Data-definition operations: databases, tables, views, partitions, truncation. Each is one
//! metadata-log record.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Engine;
use crate::catalog::{Edit, Partition, Table, Tablet};
use crate::error::{CatalogKind, Result, StorageError};
use crate::name::validate_name;
use crate::schema::{
    PartitionBound, PartitionDef, PartitionScheme, TableDef, TableSchema, ViewDef,
    check_tablet_count,
};

impl Engine {
    /// Creates a database. With `if_not_exists`, an existing one is not an error. Returns whether it
    /// was created.
    pub fn create_database(&self, name: &str, if_not_exists: bool) -> Result<bool> {
        validate_name(name)?;
        let mut created = false;
        self.publish(|state| {
            if state.database(name).is_some() {
                return if if_not_exists {
                    Ok(Vec::new())
                } else {
                    Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Database,
                        name: name.to_owned(),
                    })
                };
            }
            created = true;
            Ok(vec![Edit::CreateDatabase {
                id: self.allocate_id(),
                name: name.to_owned(),
            }])
        })?;
        Ok(created)
    }

    /// Drops a database with all its tables and views. Returns whether it existed.
    pub fn drop_database(&self, name: &str, if_exists: bool) -> Result<bool> {
        let mut dropped = false;
        self.publish(|state| match state.database(name) {
            Some(db) => {
                for table in state.tables_of(db.id) {
                    self.check_unlocked(name, table, None)?;
                }
                dropped = true;
                Ok(vec![Edit::DropDatabase { id: db.id }])
            }
            None if if_exists => Ok(Vec::new()),
            None => Err(StorageError::NotFound {
                kind: CatalogKind::Database,
                name: name.to_owned(),
            }),
        })?;
        Ok(dropped)
    }

    /// Creates a table in `db`. Returns whether it was created (false only with `if_not_exists`
    /// and an existing table).
    pub fn create_table(&self, db: &str, def: &TableDef, if_not_exists: bool) -> Result<bool> {
        validate_name(&def.name)?;
        let mut schema = def.schema.clone();
        schema.validate()?;
        let partitions = initial_partitions(&schema, def)?;
        check_tablet_count(&def.name, partitions.len(), schema.distribution.buckets())?;
        let mut created = false;
        self.publish(|state| {
            let database = state.require_database(db)?;
            if state.table(database.id, &def.name).is_some()
                || database.views.contains_key(&def.name)
            {
                return if if_not_exists {
                    Ok(Vec::new())
                } else {
                    Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Table,
                        name: def.name.clone(),
                    })
                };
            }
            let table_id = self.allocate_id();
            let mut by_id = BTreeMap::new();
            for partition in &partitions {
                let p = self.new_partition(partition, schema.distribution.buckets());
                by_id.insert(p.id, Arc::new(p));
            }
            created = true;
            let table = Table {
                id: table_id,
                db_id: database.id,
                name: def.name.clone(),
                schema: Arc::new(schema.clone()),
                partitions: by_id,
            };
            Ok(vec![Edit::CreateTable {
                table: Arc::new(table),
            }])
        })?;
        Ok(created)
    }

    /// Drops a table. Its files are deleted once no pinned version reads them. Returns whether it
    /// existed.
    pub fn drop_table(&self, db: &str, name: &str, if_exists: bool) -> Result<bool> {
        let mut dropped = false;
        self.publish(|state| {
            let database = state.require_database(db)?;
            match state.table(database.id, name) {
                Some(table) => {
                    self.check_unlocked(db, table, None)?;
                    dropped = true;
                    Ok(vec![Edit::DropTable { id: table.id }])
                }
                None if if_exists => Ok(Vec::new()),
                None => Err(StorageError::NotFound {
                    kind: CatalogKind::Table,
                    name: format!("{db}.{name}"),
                }),
            }
        })?;
        Ok(dropped)
    }

    /// Stores a view definition. The query text is kept as given; it is checked by whoever runs it.
    pub fn create_view(&self, db: &str, view: &ViewDef, if_not_exists: bool) -> Result<bool> {
        let mode = if if_not_exists {
            ViewMode::KeepExisting
        } else {
            ViewMode::Refuse
        };
        self.store_view(db, view, mode)
    }

    /// Stores a view definition, replacing a view of the same name in the same metadata record, so
    /// a failure keeps the old definition. A table of that name is not replaced.
    pub fn create_or_replace_view(&self, db: &str, view: &ViewDef) -> Result<()> {
        self.store_view(db, view, ViewMode::Replace).map(|_| ())
    }

    fn store_view(&self, db: &str, view: &ViewDef, mode: ViewMode) -> Result<bool> {
        check_view_def(view)?;
        let mut created = false;
        self.publish(|state| {
            let database = state.require_database(db)?;
            let is_view = database.views.contains_key(&view.name);
            let mut edits = Vec::with_capacity(2);
            if state.table(database.id, &view.name).is_some()
                || (is_view && mode != ViewMode::Replace)
            {
                return if mode == ViewMode::KeepExisting {
                    Ok(Vec::new())
                } else {
                    Err(StorageError::AlreadyExists {
                        kind: CatalogKind::Table,
                        name: view.name.clone(),
                    })
                };
            }
            if is_view {
                edits.push(Edit::DropView {
                    db_id: database.id,
                    name: view.name.clone(),
                });
            }
            created = true;
            edits.push(Edit::CreateView {
                db_id: database.id,
                view: view.clone(),
            });
            Ok(edits)
        })?;
        Ok(created)
    }

    /// Drops a view. Returns whether it existed.
    pub fn drop_view(&self, db: &str, name: &str, if_exists: bool) -> Result<bool> {
        let mut dropped = false;
        self.publish(|state| {
            let database = state.require_database(db)?;
            if database.views.contains_key(name) {
                dropped = true;
                Ok(vec![Edit::DropView {
                    db_id: database.id,
                    name: name.to_owned(),
                }])
            } else if if_exists {
                Ok(Vec::new())
            } else {
                Err(StorageError::NotFound {
                    kind: CatalogKind::View,
                    name: format!("{db}.{name}"),
                })
            }
        })?;
        Ok(dropped)
    }

    /// Adds a partition. A range overlapping an existing partition, or a list value already listed,
    /// is rejected with both partitions named.
    pub fn add_partition(&self, db: &str, table: &str, def: &PartitionDef) -> Result<()> {
        self.publish(|state| {
            let t = state.require_table(db, table)?;
            self.check_unlocked(db, t, None)?;
            if matches!(t.schema.partition_scheme, PartitionScheme::Unpartitioned) {
                return Err(StorageError::Unsupported(format!(
                    "table {db}.{table} is not partitioned"
                )));
            }
            let def = t.schema.normalize_partition(def)?;
            let buckets = t.schema.distribution.buckets();
            check_tablet_count(table, t.partitions.len() + 1, buckets)?;
            let partition = self.new_partition(&def, buckets);
            Ok(vec![Edit::AddPartition {
                table_id: t.id,
                partition: Arc::new(partition),
            }])
        })?;
        Ok(())
    }

    /// Drops a partition and its data. Returns whether it existed.
    pub fn drop_partition(
        &self,
        db: &str,
        table: &str,
        partition: &str,
        if_exists: bool,
    ) -> Result<bool> {
        let mut dropped = false;
        self.publish(|state| {
            let t = state.require_table(db, table)?;
            self.check_unlocked(db, t, None)?;
            if matches!(t.schema.partition_scheme, PartitionScheme::Unpartitioned) {
                return Err(StorageError::Unsupported(format!(
                    "table {db}.{table} is not partitioned"
                )));
            }
            match t.partition(partition) {
                Some(p) => {
                    dropped = true;
                    Ok(vec![Edit::DropPartition {
                        table_id: t.id,
                        partition_id: p.id,
                    }])
                }
                None if if_exists => Ok(Vec::new()),
                None => Err(StorageError::NotFound {
                    kind: CatalogKind::Partition,
                    name: partition.to_owned(),
                }),
            }
        })?;
        Ok(dropped)
    }

    /// Empties the named partitions of a table (all partitions for `None`) in one commit. A
    /// partition named more than once is truncated once.
    pub fn truncate(&self, db: &str, table: &str, partitions: Option<&[String]>) -> Result<()> {
        let time_ms = self.clock().now_ms();
        self.publish(|state| {
            let t = state.require_table(db, table)?;
            self.check_unlocked(db, t, None)?;
            Ok(target_partitions(t, partitions)?
                .into_iter()
                .map(|p| Edit::TruncatePartition {
                    table_id: t.id,
                    partition_id: p.id,
                    version: p.visible_version + 1,
                    time_ms,
                })
                .collect())
        })?;
        Ok(())
    }

    fn new_partition(&self, def: &PartitionDef, buckets: u32) -> Partition {
        Partition {
            id: self.allocate_id(),
            name: def.name.clone(),
            bound: def.bound.clone(),
            visible_version: 1,
            visible_version_time_ms: self.clock().now_ms(),
            tablets: (0..buckets)
                .map(|_| {
                    Arc::new(Tablet {
                        id: self.allocate_id(),
                        rowsets: Vec::new(),
                    })
                })
                .collect(),
        }
    }
}

/// What storing a view does when the name is taken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ViewMode {
    /// Fail with "already exists".
    Refuse,
    /// Keep the existing object, store nothing (`IF NOT EXISTS`).
    KeepExisting,
    /// Replace an existing view in the same record (`OR REPLACE`); a table still fails.
    Replace,
}

/// The partitions of `table` named in `names` (all of them for `None`), each once and in id order,
/// so a partition named twice gets one version bump. An unknown name is an error.
pub(super) fn target_partitions<'t>(
    table: &'t Table,
    names: Option<&[String]>,
) -> Result<Vec<&'t Arc<Partition>>> {
    let mut chosen: Vec<&Arc<Partition>> = match names {
        None => table.partitions.values().collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                table.partition(n).ok_or_else(|| StorageError::NotFound {
                    kind: CatalogKind::Partition,
                    name: n.clone(),
                })
            })
            .collect::<Result<_>>()?,
    };
    chosen.sort_by_key(|p| p.id);
    chosen.dedup_by_key(|p| p.id);
    Ok(chosen)
}

/// Refuses a view definition with an invalid name or column name, repeated column names, or an
/// empty query.
pub(crate) fn check_view_def(view: &ViewDef) -> Result<()> {
    validate_name(&view.name)?;
    let mut columns = std::collections::BTreeSet::new();
    for column in &view.columns {
        validate_name(column)?;
        if !columns.insert(column) {
            return Err(StorageError::InvalidDefinition(format!(
                "view '{}' names column '{column}' twice",
                view.name
            )));
        }
    }
    if view.query.trim().is_empty() {
        return Err(StorageError::InvalidDefinition(format!(
            "view '{}' has an empty query",
            view.name
        )));
    }
    Ok(())
}

/// The validated initial partitions of a new table: its own single partition when unpartitioned,
/// else the given ones, normalised, with unique names and no overlaps.
fn initial_partitions(schema: &TableSchema, def: &TableDef) -> Result<Vec<PartitionDef>> {
    if matches!(schema.partition_scheme, PartitionScheme::Unpartitioned) {
        return Ok(vec![PartitionDef {
            name: def.name.clone(),
            bound: PartitionBound::Whole,
        }]);
    }
    let mut out: Vec<PartitionDef> = Vec::with_capacity(def.partitions.len());
    for partition in &def.partitions {
        let normalized = schema.normalize_partition(partition)?;
        if let Some(clash) = out.iter().find(|p| p.name == normalized.name) {
            return Err(StorageError::AlreadyExists {
                kind: CatalogKind::Partition,
                name: clash.name.clone(),
            });
        }
        if let Some(clash) = out.iter().find(|p| p.bound.overlaps(&normalized.bound)) {
            return Err(StorageError::InvalidDefinition(format!(
                "partition '{}' overlaps partition '{}'",
                normalized.name, clash.name
            )));
        }
        out.push(normalized);
    }
    Ok(out)
}

/// Lower bound for a `VALUES LESS THAN (upper)` partition added to `table`: the largest existing
/// upper bound not above `upper` (StarRocks' rule), or none.
pub fn less_than_lower_bound(
    table: &Table,
    upper: Option<&crate::value::Value>,
) -> Option<crate::value::Value> {
    table
        .partitions
        .values()
        .filter_map(|p| match &p.bound {
            PartitionBound::Range { upper: Some(u), .. } => Some(u),
            _ => None,
        })
        .filter(|u| upper.is_none_or(|x| u.compare(x).is_some_and(|o| o.is_le())))
        .max_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal))
        .cloned()
}
