//! The catalog state and its parts. Every part sits behind an `Arc` so that a new state shares all
//! unchanged parts with the previous one (copy-on-write through `Arc::make_mut`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{CatalogKind, Result, StorageError};
use crate::schema::{PartitionBound, TableSchema, ViewDef};
use crate::value::Value;

/// The whole catalog at one metadata-log sequence number.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CatalogState {
    /// The smallest id never handed out. Ids of databases, tables, partitions, tablets and rowsets
    /// come from one sequence and are never reused.
    #[serde(rename = "next_id")]
    pub next_id: u64,
    /// Databases by id.
    #[serde(rename = "databases")]
    pub databases: BTreeMap<u64, Arc<Database>>,
    /// Tables by id.
    #[serde(rename = "tables")]
    pub tables: BTreeMap<u64, Arc<Table>>,
}

/// A database: a namespace for tables and views.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Database {
    /// Never-reused id.
    #[serde(rename = "id")]
    pub id: u64,
    /// Name, unique among databases.
    #[serde(rename = "name")]
    pub name: String,
    /// Views by name.
    #[serde(rename = "views")]
    pub views: BTreeMap<String, ViewDef>,
}

/// A table: schema plus partitions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Table {
    /// Never-reused id; also the table's directory name under `data/`.
    #[serde(rename = "id")]
    pub id: u64,
    /// The owning database's id.
    #[serde(rename = "db_id")]
    pub db_id: u64,
    /// Name, unique among the database's tables and views.
    #[serde(rename = "name")]
    pub name: String,
    /// Columns, keys, partitioning, distribution, properties.
    #[serde(rename = "schema")]
    pub schema: Arc<TableSchema>,
    /// Partitions by id.
    #[serde(rename = "partitions")]
    pub partitions: BTreeMap<u64, Arc<Partition>>,
}

/// One partition: a bound, a visible version and one tablet per bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partition {
    /// Never-reused id.
    #[serde(rename = "id")]
    pub id: u64,
    /// Name, unique within the table.
    #[serde(rename = "name")]
    pub name: String,
    /// Which rows it holds.
    #[serde(rename = "bound")]
    pub bound: PartitionBound,
    /// Incremented by every commit that changes the partition's rows; starts at 1.
    #[serde(rename = "visible_version")]
    pub visible_version: u64,
    /// Clock time (ms since the epoch) at which `visible_version` was published.
    #[serde(rename = "visible_version_time_ms")]
    pub visible_version_time_ms: u64,
    /// Tablets, bucket `i` at index `i`.
    #[serde(rename = "tablets")]
    pub tablets: Vec<Arc<Tablet>>,
}

/// One bucket of a partition: an ordered list of rowsets, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tablet {
    /// Never-reused id.
    #[serde(rename = "id")]
    pub id: u64,
    /// Rowsets, oldest first. For PRIMARY KEY tables later rowsets win over earlier ones.
    #[serde(rename = "rowsets")]
    pub rowsets: Vec<Arc<Rowset>>,
}

/// What a rowset's rows mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowsetKind {
    /// Rows of the table (all columns).
    #[serde(rename = "Data")]
    Data,
    /// Keys deleted from a PRIMARY KEY table (key columns only).
    #[serde(rename = "Delete")]
    Delete,
}

/// One immutable Parquet file of a tablet.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rowset {
    /// Never-reused id; also the file's name.
    #[serde(rename = "id")]
    pub id: u64,
    /// Data or tombstones.
    #[serde(rename = "kind")]
    pub kind: RowsetKind,
    /// The partition version that published it.
    #[serde(rename = "version")]
    pub version: u64,
    /// The file and what was recorded while writing it.
    #[serde(rename = "file")]
    pub file: FileMeta,
}

/// A data file as recorded when it was written: never re-read to learn these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Path relative to the data directory, `/`-separated.
    #[serde(rename = "path")]
    pub path: String,
    /// Size in bytes.
    #[serde(rename = "size_bytes")]
    pub size_bytes: u64,
    /// BLAKE3 hash of the whole file, lowercase hex.
    #[serde(rename = "checksum")]
    pub checksum: String,
    /// Row count.
    #[serde(rename = "rows")]
    pub rows: u64,
    /// Per-column statistics, in file column order.
    #[serde(rename = "columns")]
    pub columns: Vec<ColumnStats>,
}

/// Minimum, maximum and NULL count of one column of one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Column name.
    #[serde(rename = "name")]
    pub name: String,
    /// Smallest non-NULL value, if known.
    #[serde(rename = "min")]
    pub min: Option<Value>,
    /// Largest non-NULL value, if known.
    #[serde(rename = "max")]
    pub max: Option<Value>,
    /// Number of NULLs.
    #[serde(rename = "null_count")]
    pub null_count: u64,
}

impl CatalogState {
    /// A database by name.
    pub fn database(&self, name: &str) -> Option<&Arc<Database>> {
        self.databases.values().find(|d| d.name == name)
    }

    /// A database by name, or a NotFound error.
    pub fn require_database(&self, name: &str) -> Result<&Arc<Database>> {
        self.database(name).ok_or_else(|| StorageError::NotFound {
            kind: CatalogKind::Database,
            name: name.to_owned(),
        })
    }

    /// A table of a database by name.
    pub fn table(&self, db_id: u64, name: &str) -> Option<&Arc<Table>> {
        self.tables
            .values()
            .find(|t| t.db_id == db_id && t.name == name)
    }

    /// A table by database and table name, or a NotFound error naming `db.table`.
    pub fn require_table(&self, db: &str, name: &str) -> Result<&Arc<Table>> {
        let database = self.require_database(db)?;
        self.table(database.id, name)
            .ok_or_else(|| StorageError::NotFound {
                kind: CatalogKind::Table,
                name: format!("{db}.{name}"),
            })
    }

    /// Tables of a database, by name order.
    pub fn tables_of(&self, db_id: u64) -> Vec<&Arc<Table>> {
        let mut tables: Vec<_> = self.tables.values().filter(|t| t.db_id == db_id).collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        tables
    }

    /// Every rowset of every table, for reference checks and GC.
    pub fn rowsets(&self) -> impl Iterator<Item = &Arc<Rowset>> {
        self.tables
            .values()
            .flat_map(|t| t.partitions.values())
            .flat_map(|p| p.tablets.iter())
            .flat_map(|t| t.rowsets.iter())
    }

    /// What is wrong with the state as a whole, beyond what each edit checks as it applies:
    /// every table in an existing database, one tablet per bucket in every partition, no two
    /// partitions of a table sharing a value, every id below `next_id` and used once per kind,
    /// no rowset newer than its partition's visible version. Empty for a sound state; a publish
    /// asserts it in debug builds.
    pub fn invariant_violations(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut ids: Vec<(&str, u64)> = Vec::new();
        for (key, database) in &self.databases {
            ids.push(("database", database.id));
            if *key != database.id {
                problems.push(format!("database id {} is filed under {key}", database.id));
            }
        }
        for (key, table) in &self.tables {
            ids.push(("table", table.id));
            if *key != table.id || !self.databases.contains_key(&table.db_id) {
                problems.push(format!(
                    "table {} (id {}) is filed under {key} in database id {}",
                    table.name, table.id, table.db_id
                ));
            }
            let buckets = table.schema.distribution.buckets() as usize;
            let partitions: Vec<&Arc<Partition>> = table.partitions.values().collect();
            for (i, partition) in partitions.iter().enumerate() {
                if partition.tablets.len() != buckets {
                    problems.push(format!(
                        "partition {} of table {} has {} tablets for {buckets} buckets",
                        partition.name,
                        table.name,
                        partition.tablets.len()
                    ));
                }
                for other in &partitions[i + 1..] {
                    if partition.bound.overlaps(&other.bound) {
                        problems.push(format!(
                            "partitions {} and {} of table {} overlap",
                            partition.name, other.name, table.name
                        ));
                    }
                }
            }
            for partition in table.partitions.values() {
                ids.push(("partition", partition.id));
                for tablet in &partition.tablets {
                    ids.push(("tablet", tablet.id));
                    for rowset in &tablet.rowsets {
                        if rowset.version > partition.visible_version {
                            problems.push(format!(
                                "rowset {} of partition {} has version {} above visible {}",
                                rowset.id,
                                partition.name,
                                rowset.version,
                                partition.visible_version
                            ));
                        }
                    }
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (what, id) in ids {
            if id >= self.next_id {
                problems.push(format!(
                    "{what} id {id} is not below next_id {}",
                    self.next_id
                ));
            }
            if !seen.insert((what, id)) {
                problems.push(format!("{what} id {id} is used twice"));
            }
        }
        problems
    }
}

impl Table {
    /// A partition by name.
    pub fn partition(&self, name: &str) -> Option<&Arc<Partition>> {
        self.partitions.values().find(|p| p.name == name)
    }

    /// Partitions ordered by bound (range lower bound, then name) — the order SHOW PARTITIONS uses.
    pub fn partitions_in_order(&self) -> Vec<&Arc<Partition>> {
        let mut parts: Vec<_> = self.partitions.values().collect();
        parts.sort_by(|a, b| match (&a.bound, &b.bound) {
            (PartitionBound::Range { lower: la, .. }, PartitionBound::Range { lower: lb, .. }) => {
                match (la, lb) {
                    (None, None) => a.name.cmp(&b.name),
                    (None, Some(_)) => std::cmp::Ordering::Less,
                    (Some(_), None) => std::cmp::Ordering::Greater,
                    (Some(x), Some(y)) => x
                        .compare(y)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| a.name.cmp(&b.name)),
                }
            }
            _ => a.id.cmp(&b.id),
        });
        parts
    }
}

impl Partition {
    /// Rows stored in the partition's data files (for PRIMARY KEY tables this counts superseded rows
    /// until compaction removes them).
    pub fn row_count(&self) -> u64 {
        self.tablets
            .iter()
            .flat_map(|t| t.rowsets.iter())
            .filter(|r| r.kind == RowsetKind::Data)
            .map(|r| r.file.rows)
            .sum()
    }

    /// Bytes of all the partition's files.
    pub fn data_size_bytes(&self) -> u64 {
        self.tablets
            .iter()
            .flat_map(|t| t.rowsets.iter())
            .map(|r| r.file.size_bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(id: u64) -> Arc<Database> {
        Arc::new(Database {
            id,
            name: format!("d{id}"),
            views: BTreeMap::new(),
        })
    }

    #[test]
    fn invariant_violations_name_what_is_wrong() {
        let mut state = CatalogState {
            next_id: 10,
            ..CatalogState::default()
        };
        state.databases.insert(1, database(1));
        assert_eq!(state.invariant_violations(), Vec::<String>::new());
        state.databases.insert(2, database(12));
        assert_eq!(
            state.invariant_violations(),
            [
                "database id 12 is filed under 2",
                "database id 12 is not below next_id 10"
            ]
        );
    }

    fn partition(id: u64, lower: i64, upper: i64, tablets: u64) -> Arc<Partition> {
        Arc::new(Partition {
            id,
            name: format!("p{id}"),
            bound: PartitionBound::Range {
                lower: Some(Value::Int(lower)),
                upper: Some(Value::Int(upper)),
            },
            visible_version: 1,
            visible_version_time_ms: 0,
            tablets: (0..tablets)
                .map(|t| {
                    Arc::new(Tablet {
                        id: id * 10 + t,
                        rowsets: vec![],
                    })
                })
                .collect(),
        })
    }

    #[test]
    fn tablets_must_match_buckets_and_partitions_must_not_overlap() {
        use crate::schema::{ColumnDef, Distribution, KeyModel, PartitionScheme, TableProperties};
        use crate::types::ColumnType;
        let schema = TableSchema {
            columns: vec![ColumnDef::new("k", ColumnType::BigInt).not_null()],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Range { column: "k".into() },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        };
        let table = |partitions: Vec<Arc<Partition>>| Table {
            id: 2,
            db_id: 1,
            name: "t".into(),
            schema: Arc::new(schema.clone()),
            partitions: partitions.into_iter().map(|p| (p.id, p)).collect(),
        };
        let mut state = CatalogState {
            next_id: 1000,
            ..CatalogState::default()
        };
        state.databases.insert(1, database(1));
        let sound = table(vec![partition(3, 0, 10, 2), partition(4, 10, 20, 2)]);
        state.tables.insert(2, Arc::new(sound));
        assert_eq!(state.invariant_violations(), Vec::<String>::new());
        let broken = table(vec![partition(3, 0, 11, 2), partition(4, 10, 20, 1)]);
        state.tables.insert(2, Arc::new(broken));
        assert_eq!(
            state.invariant_violations(),
            [
                "partitions p3 and p4 of table t overlap",
                "partition p4 of table t has 1 tablets for 2 buckets"
            ]
        );
    }
}
