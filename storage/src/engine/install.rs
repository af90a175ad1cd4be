//! Installing verified files as table contents in one commit: how RESTORE becomes atomic. Staged
//! files are hard-linked into `data/`, then a single metadata record creates the database, tables
//! and partitions that are missing and replaces the contents of the ones that exist. Before that
//! record nothing visible has changed; after it, everything has.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Engine, TableLocks};
use crate::catalog::{ColumnStats, Edit, FileMeta, Partition, Rowset, RowsetKind, Table, Tablet};
use crate::error::{IoContext, Result, StorageError};
use crate::name::validate_name;
use crate::schema::{PartitionBound, PartitionDef, PartitionScheme, TableSchema, ViewDef};

/// What to install into one database.
#[derive(Clone, Debug, Default)]
pub struct InstallPlan {
    /// Target database; created when missing.
    pub database: String,
    /// Tables to create or overwrite partitions of.
    pub tables: Vec<InstallTable>,
    /// Views to create, or replace when a view of that name exists.
    pub views: Vec<ViewDef>,
}

/// One table's partitions to install.
#[derive(Clone, Debug)]
pub struct InstallTable {
    /// Target table name.
    pub name: String,
    /// Its schema: used to create it, and must equal the existing table's schema otherwise.
    pub schema: TableSchema,
    /// Partitions: existing ones (by name) are overwritten, missing ones added.
    pub partitions: Vec<InstallPartition>,
}

/// One partition's content.
#[derive(Clone, Debug)]
pub struct InstallPartition {
    /// Name and bound.
    pub def: PartitionDef,
    /// The version it gets.
    pub version: u64,
    /// Rowsets per tablet in bucket order, oldest first.
    pub tablets: Vec<Vec<StagedRowset>>,
}

/// A verified file waiting in staging, with what was recorded when it was first written.
#[derive(Clone, Debug)]
pub struct StagedRowset {
    /// Data or delete.
    pub kind: RowsetKind,
    /// Partition version that published it originally.
    pub version: u64,
    /// The staged file (on the data directory's filesystem).
    pub path: PathBuf,
    /// Its size.
    pub size_bytes: u64,
    /// Its BLAKE3, hex.
    pub checksum: String,
    /// Rows.
    pub rows: u64,
    /// Column statistics.
    pub columns: Vec<ColumnStats>,
}

/// Where one partition's files go: ids decided before the commit.
struct Placement {
    table_id: u64,
    partition_id: u64,
    tablet_ids: Vec<u64>,
}

impl Engine {
    /// Installs `plan` atomically. `locks` are the caller's locks on existing target tables (other
    /// locked tables are refused). Returns the commit's sequence number.
    pub fn install(&self, plan: &InstallPlan, locks: Option<&TableLocks>) -> Result<u64> {
        self.check_writable()?;
        validate_name(&plan.database)?;
        let catalog = self.catalog();
        let database = catalog.database(&plan.database);
        check_plan_names(plan)?;
        let mut placements = Vec::new();
        for table in &plan.tables {
            let existing = database.and_then(|d| catalog.table(d.id, &table.name));
            check_plan_table(table, existing.map(|t| &**t))?;
            if let Some(t) = existing {
                self.check_unlocked(&plan.database, t, locks)?;
                // The caller checked (and locked) the tables that existed when it planned. A table
                // it did not lock appeared, or was dropped and re-created, since: it was never
                // checked against the plan, so it must not be written into.
                if !locks.is_some_and(|l| l.table_ids().contains(&t.id)) {
                    return Err(StorageError::Conflict(format!(
                        "table {} was created while it was being restored",
                        table.name
                    )));
                }
                if *t.schema != table.schema {
                    return Err(StorageError::Conflict(format!(
                        "table {} changed while it was being restored",
                        table.name
                    )));
                }
            }
            let table_id = existing.map_or_else(|| self.allocate_id(), |t| t.id);
            for partition in &table.partitions {
                let buckets = usize::try_from(table.schema.distribution.buckets()).unwrap_or(0);
                if partition.tablets.len() != buckets {
                    return Err(StorageError::InvalidData(format!(
                        "partition {} of {} brings {} tablets for {buckets} buckets",
                        partition.def.name,
                        table.name,
                        partition.tablets.len()
                    )));
                }
                let current = existing.and_then(|t| target_partition(t, &partition.def));
                if let Some(p) = current
                    && p.bound != partition.def.bound
                {
                    return Err(StorageError::Conflict(format!(
                        "partition {} of {} changed its range while it was being restored",
                        partition.def.name, table.name
                    )));
                }
                placements.push(match current {
                    Some(p) => Placement {
                        table_id,
                        partition_id: p.id,
                        tablet_ids: p.tablets.iter().map(|t| t.id).collect(),
                    },
                    None => Placement {
                        table_id,
                        partition_id: self.allocate_id(),
                        tablet_ids: (0..buckets).map(|_| self.allocate_id()).collect(),
                    },
                });
            }
        }
        drop(catalog);
        let mut linked: Vec<PathBuf> = Vec::new();
        let result = self
            .link_staged(plan, &placements, &mut linked)
            .and_then(|rowsets| self.publish_install(plan, &placements, rowsets));
        if result.is_err() {
            for path in linked {
                let _ = self.io().remove_file_if_exists(&path);
            }
        }
        result
    }

    /// Hard-links every staged file to its place under `data/`; returns the rowsets per placement.
    fn link_staged(
        &self,
        plan: &InstallPlan,
        placements: &[Placement],
        linked: &mut Vec<PathBuf>,
    ) -> Result<Vec<Vec<Vec<Arc<Rowset>>>>> {
        let partitions = plan.tables.iter().flat_map(|t| t.partitions.iter());
        let mut out = Vec::with_capacity(placements.len());
        for (partition, place) in partitions.zip(placements) {
            let mut tablets = Vec::with_capacity(partition.tablets.len());
            for (staged_rowsets, tablet_id) in partition.tablets.iter().zip(&place.tablet_ids) {
                let dir = self.root().join(crate::layout::tablet_dir(
                    place.table_id,
                    place.partition_id,
                    *tablet_id,
                ));
                if !staged_rowsets.is_empty() {
                    self.io().create_dir_durable(&dir)?;
                }
                let mut rowsets = Vec::with_capacity(staged_rowsets.len());
                for staged in staged_rowsets {
                    let id = self.allocate_id();
                    let relative = crate::layout::rowset_path(
                        place.table_id,
                        place.partition_id,
                        *tablet_id,
                        id,
                    );
                    let target = self.root().join(&relative);
                    self.io().hard_link(&staged.path, &target).io_context(|| {
                        format!("linking {} to {}", staged.path.display(), target.display())
                    })?;
                    linked.push(target);
                    rowsets.push(Arc::new(Rowset {
                        id,
                        kind: staged.kind,
                        version: staged.version,
                        file: FileMeta {
                            path: relative,
                            size_bytes: staged.size_bytes,
                            checksum: staged.checksum.clone(),
                            rows: staged.rows,
                            columns: staged.columns.clone(),
                        },
                    }));
                }
                if !staged_rowsets.is_empty() {
                    self.io().sync_dir(&dir)?;
                }
                tablets.push(rowsets);
            }
            out.push(tablets);
        }
        Ok(out)
    }

    fn publish_install(
        &self,
        plan: &InstallPlan,
        placements: &[Placement],
        rowsets: Vec<Vec<Vec<Arc<Rowset>>>>,
    ) -> Result<u64> {
        let time_ms = self.clock().now_ms();
        self.publish(|state| {
            let mut edits = Vec::new();
            let db_id = match state.database(&plan.database) {
                Some(d) => d.id,
                None => {
                    let id = self.allocate_id();
                    edits.push(Edit::CreateDatabase {
                        id,
                        name: plan.database.clone(),
                    });
                    id
                }
            };
            let mut new_tables: BTreeMap<u64, Table> = BTreeMap::new();
            let partitions = plan
                .tables
                .iter()
                .flat_map(|t| t.partitions.iter().map(move |p| (t, p)));
            for (((table, partition), place), tablets) in partitions.zip(placements).zip(rowsets) {
                let existing = state.tables.get(&place.table_id);
                let exists_now =
                    existing.is_some_and(|t| t.partitions.contains_key(&place.partition_id));
                if exists_now {
                    edits.push(Edit::ReplacePartition {
                        table_id: place.table_id,
                        partition_id: place.partition_id,
                        version: partition.version,
                        time_ms,
                        tablets,
                    });
                    continue;
                }
                let new_partition = Partition {
                    id: place.partition_id,
                    name: partition.def.name.clone(),
                    bound: partition.def.bound.clone(),
                    visible_version: partition.version,
                    visible_version_time_ms: time_ms,
                    tablets: place
                        .tablet_ids
                        .iter()
                        .zip(tablets)
                        .map(|(id, rowsets)| Arc::new(Tablet { id: *id, rowsets }))
                        .collect(),
                };
                if existing.is_some() {
                    edits.push(Edit::AddPartition {
                        table_id: place.table_id,
                        partition: Arc::new(new_partition),
                    });
                } else {
                    new_tables
                        .entry(place.table_id)
                        .or_insert_with(|| Table {
                            id: place.table_id,
                            db_id,
                            name: table.name.clone(),
                            schema: Arc::new(table.schema.clone()),
                            partitions: BTreeMap::new(),
                        })
                        .partitions
                        .insert(new_partition.id, Arc::new(new_partition));
                }
            }
            for table in &plan.tables {
                let created =
                    table.partitions.is_empty() && state.table(db_id, &table.name).is_none();
                if created {
                    let id = self.allocate_id();
                    new_tables.insert(
                        id,
                        Table {
                            id,
                            db_id,
                            name: table.name.clone(),
                            schema: Arc::new(table.schema.clone()),
                            partitions: BTreeMap::new(),
                        },
                    );
                }
            }
            edits.extend(
                new_tables
                    .into_values()
                    .map(|t| Edit::CreateTable { table: Arc::new(t) }),
            );
            for view in &plan.views {
                let replaces = state
                    .databases
                    .get(&db_id)
                    .is_some_and(|d| d.views.contains_key(&view.name));
                if replaces {
                    edits.push(Edit::DropView {
                        db_id,
                        name: view.name.clone(),
                    });
                }
                edits.push(Edit::CreateView {
                    db_id,
                    view: view.clone(),
                });
            }
            Ok(edits)
        })
    }
}

/// Refuses what CREATE TABLE and CREATE VIEW would refuse by name: an invalid or repeated table
/// or view name, a view definition that is not valid. A plan may come from a repository, which
/// anyone who can write there can forge.
fn check_plan_names(plan: &InstallPlan) -> Result<()> {
    let mut names = std::collections::BTreeSet::new();
    for name in plan
        .tables
        .iter()
        .map(|t| &t.name)
        .chain(plan.views.iter().map(|v| &v.name))
    {
        validate_name(name)?;
        if !names.insert(name) {
            return Err(StorageError::InvalidData(format!(
                "the restore names {name} twice"
            )));
        }
    }
    plan.views.iter().try_for_each(super::ddl::check_view_def)
}

/// Refuses a table CREATE TABLE would refuse (bad schema, too many tablets), and partitions it
/// would refuse: a bound that does not fit the scheme, two with one name, ranges or lists that
/// overlap each other or a partition of `existing` other than the one they replace.
fn check_plan_table(table: &InstallTable, existing: Option<&Table>) -> Result<()> {
    let invalid = |why: String| {
        Err(StorageError::InvalidData(format!(
            "table {}: {why}",
            table.name
        )))
    };
    let mut schema = table.schema.clone();
    schema.validate()?;
    let mut defs: Vec<PartitionDef> = Vec::with_capacity(table.partitions.len());
    for partition in &table.partitions {
        let def = schema.normalize_partition(&partition.def)?;
        if let Some(clash) = defs
            .iter()
            .find(|d| d.name == def.name || d.bound.overlaps(&def.bound))
        {
            return invalid(format!("partitions {} and {} clash", clash.name, def.name));
        }
        if let Some(t) = existing {
            let replaced = target_partition(t, &partition.def).map(|p| p.id);
            if let Some(other) = t
                .partitions
                .values()
                .find(|p| Some(p.id) != replaced && p.bound.overlaps(&def.bound))
            {
                return invalid(format!(
                    "partition {} overlaps existing partition {}",
                    def.name, other.name
                ));
            }
        }
        defs.push(def);
    }
    if existing.is_none() {
        crate::schema::check_tablet_count(&table.name, defs.len(), schema.distribution.buckets())?;
    }
    Ok(())
}

/// The existing partition a restored partition lands in: by name, or for an unpartitioned table its
/// single partition (whose name follows the table's, which an alias changes).
fn target_partition<'a>(table: &'a Table, def: &PartitionDef) -> Option<&'a Arc<Partition>> {
    if matches!(
        table.schema.partition_scheme,
        PartitionScheme::Unpartitioned
    ) && matches!(def.bound, PartitionBound::Whole)
    {
        return table.partitions.values().next();
    }
    table.partition(&def.name)
}
