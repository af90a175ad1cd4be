//! Table definitions: columns, key model, partitioning, distribution and properties, with their
//! validation. A definition that passes [`TableDef::validate`] is internally consistent.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::PARQUET_FIELD_ID_META_KEY;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::name::validate_name;
use crate::types::ColumnType;
use crate::value::Value;

/// Most buckets a partition may have.
pub const BUCKETS_MAX: u32 = 1024;
/// Most tablets (partitions × buckets) one table may have: keeps the catalog, and every commit
/// and checkpoint that carries it, bounded.
pub const TABLETS_PER_TABLE_MAX: u64 = 65_536;

/// Refuses a table that would have more than [`TABLETS_PER_TABLE_MAX`] tablets.
pub fn check_tablet_count(table: &str, partitions: usize, buckets: u32) -> Result<()> {
    let tablets = (partitions as u64).saturating_mul(u64::from(buckets));
    if tablets > TABLETS_PER_TABLE_MAX {
        return Err(StorageError::InvalidDefinition(format!(
            "table '{table}' would have {partitions} partitions × {buckets} buckets = {tablets} \
             tablets; at most {TABLETS_PER_TABLE_MAX} are allowed (use fewer buckets or coarser \
             partitions)"
        )));
    }
    Ok(())
}

/// The field id of the column at `index` (0-based) of a table: `index + 1`. Rowset files carry it
/// as each top-level column's Parquet field id (files written before carry none; FORMAT.md
/// §1.5), and a backup's Iceberg schema gives the column the same id (§2.4): this is the one
/// definition both use. tabvault has no schema evolution, so a column's position, and with it
/// its id, never changes.
pub fn field_id(index: usize) -> i32 {
    i32::try_from(index + 1).unwrap_or(i32::MAX)
}

/// `field` with its Parquet field id set to `id` (the Arrow metadata key `PARQUET:field_id`, which
/// the Parquet writer turns into the schema element's `field_id`).
fn with_field_id(field: &Field, id: i32) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(PARQUET_FIELD_ID_META_KEY.to_owned(), id.to_string());
    field.clone().with_metadata(metadata)
}

/// `schema` without Parquet field ids: the `PARQUET:field_id` metadata that the Parquet reader puts
/// on every field of a file that has them is removed, at every level of nesting, so rows read
/// from files with and without ids have equal schemas (and users never see the key). Other
/// metadata is kept.
pub fn without_field_ids(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| field_without_id(f))
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Whether any field of `schema`, at any level of nesting, carries a Parquet field id.
pub fn has_field_ids(schema: &Schema) -> bool {
    fn field_has(field: &Field) -> bool {
        field.metadata().contains_key(PARQUET_FIELD_ID_META_KEY)
            || match field.data_type() {
                DataType::Struct(children) => children.iter().any(|c| field_has(c)),
                DataType::List(child)
                | DataType::LargeList(child)
                | DataType::ListView(child)
                | DataType::LargeListView(child)
                | DataType::FixedSizeList(child, _)
                | DataType::Map(child, _) => field_has(child),
                _ => false,
            }
    }
    schema.fields().iter().any(|f| field_has(f))
}

fn field_without_id(field: &Field) -> Field {
    let data_type = match field.data_type() {
        DataType::Struct(children) => DataType::Struct(
            children
                .iter()
                .map(|c| field_without_id(c))
                .collect::<Vec<_>>()
                .into(),
        ),
        DataType::List(child) => DataType::List(Arc::new(field_without_id(child))),
        DataType::LargeList(child) => DataType::LargeList(Arc::new(field_without_id(child))),
        DataType::ListView(child) => DataType::ListView(Arc::new(field_without_id(child))),
        DataType::LargeListView(child) => {
            DataType::LargeListView(Arc::new(field_without_id(child)))
        }
        DataType::FixedSizeList(child, n) => {
            DataType::FixedSizeList(Arc::new(field_without_id(child)), *n)
        }
        DataType::Map(child, sorted) => DataType::Map(Arc::new(field_without_id(child)), *sorted),
        other => other.clone(),
    };
    let mut metadata = field.metadata().clone();
    metadata.remove(PARQUET_FIELD_ID_META_KEY);
    field
        .clone()
        .with_data_type(data_type)
        .with_metadata(metadata)
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// Column name (validated like every name).
    #[serde(rename = "name")]
    pub name: String,
    /// Declared type.
    #[serde(rename = "ty")]
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    #[serde(rename = "nullable")]
    pub nullable: bool,
    /// Value written when an insert omits the column; `None` means no default.
    #[serde(rename = "default")]
    pub default: Option<Value>,
    /// Free-text comment shown by SHOW CREATE TABLE.
    #[serde(rename = "comment")]
    pub comment: Option<String>,
}

impl ColumnDef {
    /// A nullable column without default or comment.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Self {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            comment: None,
        }
    }

    /// Marks the column NOT NULL.
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Sets the default value.
    #[must_use]
    pub fn with_default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }
}

/// How rows with equal keys behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyModel {
    /// Every row is kept (`DUPLICATE KEY`); the key columns only order the data.
    #[serde(rename = "Duplicate")]
    Duplicate,
    /// The newest row per key wins and rows can be deleted by key (`PRIMARY KEY`).
    #[serde(rename = "Primary")]
    Primary,
}

/// How a table is split into partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionScheme {
    /// One partition named like the table.
    #[serde(rename = "Unpartitioned")]
    Unpartitioned,
    /// `PARTITION BY RANGE(column)`.
    #[serde(rename = "Range")]
    Range {
        /// The partitioning column.
        #[serde(rename = "column")]
        column: String,
    },
    /// `PARTITION BY LIST(column)`.
    #[serde(rename = "List")]
    List {
        /// The partitioning column.
        #[serde(rename = "column")]
        column: String,
    },
}

impl PartitionScheme {
    /// The partitioning column, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            Self::Unpartitioned => None,
            Self::Range { column } | Self::List { column } => Some(column),
        }
    }
}

/// Which rows a partition holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PartitionBound {
    /// Every row (the single partition of an unpartitioned table).
    #[serde(rename = "Whole")]
    Whole,
    /// `[lower, upper)`; `None` is MINVALUE below and MAXVALUE above.
    #[serde(rename = "Range")]
    Range {
        /// Inclusive lower bound, `None` for no lower bound.
        #[serde(rename = "lower")]
        lower: Option<Value>,
        /// Exclusive upper bound, `None` for MAXVALUE.
        #[serde(rename = "upper")]
        upper: Option<Value>,
    },
    /// `VALUES IN (...)`.
    #[serde(rename = "List")]
    List(Vec<Value>),
}

impl PartitionBound {
    /// Whether a (coerced) value of the partitioning column belongs here. NULL belongs to the range
    /// partition without lower bound, and to no list partition.
    pub fn contains(&self, value: &Value) -> bool {
        match self {
            Self::Whole => true,
            Self::Range { lower, upper } => {
                if value.is_null() {
                    return lower.is_none();
                }
                let above_lower = lower
                    .as_ref()
                    .is_none_or(|l| value.compare(l).is_some_and(|o| o.is_ge()));
                let below_upper = upper
                    .as_ref()
                    .is_none_or(|u| value.compare(u).is_some_and(|o| o.is_lt()));
                above_lower && below_upper
            }
            Self::List(values) => values
                .iter()
                .any(|v| v.compare(value).is_some_and(|o| o.is_eq()) && !value.is_null()),
        }
    }

    /// Whether two bounds share any value.
    pub fn overlaps(&self, other: &PartitionBound) -> bool {
        match (self, other) {
            (
                Self::Range {
                    lower: l1,
                    upper: u1,
                },
                Self::Range {
                    lower: l2,
                    upper: u2,
                },
            ) => below(l1.as_ref(), u2.as_ref()) && below(l2.as_ref(), u1.as_ref()),
            (Self::List(a), Self::List(b)) => a
                .iter()
                .any(|x| b.iter().any(|y| x.compare(y).is_some_and(|o| o.is_eq()))),
            _ => true,
        }
    }
}

/// `lower < upper` where a missing lower is -inf and a missing upper is +inf.
fn below(lower: Option<&Value>, upper: Option<&Value>) -> bool {
    match (lower, upper) {
        (Some(l), Some(u)) => l.compare(u).is_some_and(|o| o.is_lt()),
        _ => true,
    }
}

/// A named partition with its bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionDef {
    /// Partition name, unique within the table.
    #[serde(rename = "name")]
    pub name: String,
    /// The rows it holds.
    #[serde(rename = "bound")]
    pub bound: PartitionBound,
}

/// How rows of a partition are spread over its tablets (buckets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distribution {
    /// `DISTRIBUTED BY HASH(columns) BUCKETS n`: a row's bucket is a stable hash of those columns.
    #[serde(rename = "Hash")]
    Hash {
        /// Hashed columns.
        #[serde(rename = "columns")]
        columns: Vec<String>,
        /// Number of buckets (tablets per partition).
        #[serde(rename = "buckets")]
        buckets: u32,
    },
    /// `DISTRIBUTED BY RANDOM BUCKETS n`: each commit writes a partition's rows into one bucket,
    /// chosen round-robin.
    #[serde(rename = "Random")]
    Random {
        /// Number of buckets (tablets per partition).
        #[serde(rename = "buckets")]
        buckets: u32,
    },
}

impl Distribution {
    /// Tablets per partition.
    pub fn buckets(&self) -> u32 {
        match self {
            Self::Hash { buckets, .. } | Self::Random { buckets } => *buckets,
        }
    }
}

/// Parquet compression codec for a table's files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    /// Zstandard, level 1: the smallest files of the four.
    #[serde(rename = "Zstd")]
    Zstd,
    /// LZ4 (raw LZ4 blocks, as Parquet's `LZ4_RAW`): the default, as in StarRocks; the fastest
    /// to write and read after no compression.
    #[default]
    #[serde(rename = "Lz4")]
    Lz4,
    /// Snappy.
    #[serde(rename = "Snappy")]
    Snappy,
    /// No compression.
    #[serde(rename = "None")]
    None,
}

impl Compression {
    /// Parses the `compression` property (`zstd`, `lz4`, `snappy`, `none`; any case).
    pub fn parse(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "zstd" => Ok(Self::Zstd),
            "lz4" => Ok(Self::Lz4),
            "snappy" => Ok(Self::Snappy),
            "none" | "no_compression" => Ok(Self::None),
            _ => Err(StorageError::InvalidDefinition(format!(
                "unknown compression '{text}', expected one of zstd, lz4, snappy, none"
            ))),
        }
    }

    /// The property value that [`Compression::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zstd => "zstd",
            Self::Lz4 => "lz4",
            Self::Snappy => "snappy",
            Self::None => "none",
        }
    }
}

/// Table properties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableProperties {
    /// Codec of the table's Parquet files. Default LZ4, as in StarRocks.
    #[serde(rename = "compression")]
    pub compression: Compression,
    /// Replica count as StarRocks declares it; a single-node engine keeps one copy and stores this
    /// for SHOW CREATE TABLE. Default 1.
    #[serde(rename = "replication_num")]
    pub replication_num: u32,
}

impl Default for TableProperties {
    fn default() -> Self {
        Self {
            compression: Compression::default(),
            replication_num: 1,
        }
    }
}

/// Everything about a table except its name and its partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// Columns in order.
    #[serde(rename = "columns")]
    pub columns: Vec<ColumnDef>,
    /// DUPLICATE KEY or PRIMARY KEY.
    #[serde(rename = "key_model")]
    pub key_model: KeyModel,
    /// Key columns: the leading columns of the table, in order.
    #[serde(rename = "key_columns")]
    pub key_columns: Vec<String>,
    /// Partitioning scheme.
    #[serde(rename = "partition_scheme")]
    pub partition_scheme: PartitionScheme,
    /// Bucketing.
    #[serde(rename = "distribution")]
    pub distribution: Distribution,
    /// Properties.
    #[serde(rename = "properties")]
    pub properties: TableProperties,
}

/// A complete table definition as CREATE TABLE gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Table name.
    #[serde(rename = "name")]
    pub name: String,
    /// Columns, keys, scheme, distribution, properties.
    #[serde(rename = "schema")]
    pub schema: TableSchema,
    /// Initial partitions. Ignored for unpartitioned tables, which get one partition named like the
    /// table.
    #[serde(rename = "partitions")]
    pub partitions: Vec<PartitionDef>,
}

/// A stored view: its name and the query text that defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDef {
    /// View name; shares the table namespace of its database.
    #[serde(rename = "name")]
    pub name: String,
    /// Column names given in `CREATE VIEW v (a, b) AS ...`, if any.
    #[serde(rename = "columns")]
    pub columns: Vec<String>,
    /// The SELECT statement text.
    #[serde(rename = "query")]
    pub query: String,
}

impl TableSchema {
    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The Arrow schema of the table's rows (and of its Parquet files).
    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(&c.name, c.ty.arrow_type(), c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The Arrow schema of the key columns (the columns of PRIMARY KEY delete files).
    pub fn key_arrow_schema(&self) -> SchemaRef {
        let full = self.arrow_schema();
        let fields: Vec<Field> = self
            .key_columns
            .iter()
            .filter_map(|k| full.field_with_name(k).ok().cloned())
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The schema a data rowset file is written with: [`TableSchema::arrow_schema`] with each
    /// column's [`field_id`] as its Parquet field id. Rows of `arrow_schema` are written as they
    /// are (the writer does not compare field metadata); reads remove the ids again
    /// ([`without_field_ids`]).
    pub fn file_arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .arrow_schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| with_field_id(f, field_id(i)))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The schema a PRIMARY KEY delete rowset file is written with: the key columns, each with
    /// the field id of its position in the table (not in the key).
    pub fn key_file_arrow_schema(&self) -> SchemaRef {
        let full = self.arrow_schema();
        let fields: Vec<Field> = self
            .key_columns
            .iter()
            .filter_map(|k| {
                let index = full.index_of(k).ok()?;
                Some(with_field_id(full.field(index), field_id(index)))
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Checks the schema's internal consistency and normalises defaults to the column types.
    pub fn validate(&mut self) -> Result<()> {
        let invalid = |msg: String| Err(StorageError::InvalidDefinition(msg));
        if self.columns.is_empty() {
            return invalid("a table needs at least one column".into());
        }
        let mut seen = HashSet::new();
        for column in &mut self.columns {
            validate_name(&column.name)?;
            if !seen.insert(column.name.to_lowercase()) {
                return invalid(format!("duplicate column name '{}'", column.name));
            }
            column.ty.validate()?;
            if let Some(default) = &column.default {
                let coerced = default.coerce_to(&column.ty).map_err(|_| {
                    StorageError::InvalidDefinition(format!(
                        "invalid default value {default} for column '{}' of type {}",
                        column.name, column.ty
                    ))
                })?;
                if coerced.is_null() && !column.nullable {
                    return invalid(format!(
                        "column '{}' is NOT NULL but its default is NULL",
                        column.name
                    ));
                }
                column.default = Some(coerced);
            }
        }
        self.validate_keys()?;
        self.validate_partitioning()?;
        self.validate_distribution()
    }

    fn validate_keys(&self) -> Result<()> {
        let invalid = |msg: String| Err(StorageError::InvalidDefinition(msg));
        for (i, key) in self.key_columns.iter().enumerate() {
            let Some(column) = self.column(key) else {
                return invalid(format!("key column '{key}' does not exist"));
            };
            if self.columns[i].name != *key {
                return invalid(format!(
                    "key columns must be the leading columns of the table in order; '{key}' is not column {}",
                    i + 1
                ));
            }
            if self.key_model == KeyModel::Primary {
                if column.nullable {
                    return invalid(format!("primary key column '{key}' must be NOT NULL"));
                }
                if matches!(column.ty, ColumnType::Float | ColumnType::Double) {
                    return invalid(format!(
                        "primary key column '{key}' cannot be {}",
                        column.ty
                    ));
                }
            }
        }
        if self.key_model == KeyModel::Primary && self.key_columns.is_empty() {
            return invalid("a PRIMARY KEY table needs at least one key column".into());
        }
        Ok(())
    }

    fn validate_partitioning(&self) -> Result<()> {
        let Some(name) = self.partition_scheme.column() else {
            return Ok(());
        };
        let Some(column) = self.column(name) else {
            return Err(StorageError::InvalidDefinition(format!(
                "partition column '{name}' does not exist"
            )));
        };
        let allowed = match self.partition_scheme {
            PartitionScheme::Range { .. } => column.ty.is_integer_like(),
            _ => {
                column.ty.is_integer_like()
                    || matches!(
                        column.ty,
                        ColumnType::Char(_)
                            | ColumnType::Varchar(_)
                            | ColumnType::String
                            | ColumnType::Boolean
                    )
            }
        };
        if !allowed {
            return Err(StorageError::InvalidDefinition(format!(
                "column '{name}' of type {} cannot be a partition column",
                column.ty
            )));
        }
        if self.key_model == KeyModel::Primary && !self.key_columns.iter().any(|k| k == name) {
            return Err(StorageError::InvalidDefinition(format!(
                "partition column '{name}' of a PRIMARY KEY table must be a key column"
            )));
        }
        Ok(())
    }

    fn validate_distribution(&self) -> Result<()> {
        let buckets = self.distribution.buckets();
        if buckets == 0 || buckets > BUCKETS_MAX {
            return Err(StorageError::InvalidDefinition(format!(
                "BUCKETS must be between 1 and {BUCKETS_MAX}, got {buckets}"
            )));
        }
        match &self.distribution {
            Distribution::Hash { columns, .. } => {
                if columns.is_empty() {
                    return Err(StorageError::InvalidDefinition(
                        "HASH distribution needs at least one column".into(),
                    ));
                }
                for name in columns {
                    let Some(column) = self.column(name) else {
                        return Err(StorageError::InvalidDefinition(format!(
                            "distribution column '{name}' does not exist"
                        )));
                    };
                    if matches!(column.ty, ColumnType::Float | ColumnType::Double) {
                        return Err(StorageError::InvalidDefinition(format!(
                            "distribution column '{name}' cannot be {}",
                            column.ty
                        )));
                    }
                    if self.key_model == KeyModel::Primary && !self.key_columns.contains(name) {
                        return Err(StorageError::InvalidDefinition(format!(
                            "distribution column '{name}' of a PRIMARY KEY table must be a key column"
                        )));
                    }
                }
                Ok(())
            }
            Distribution::Random { .. } if self.key_model == KeyModel::Primary => {
                Err(StorageError::InvalidDefinition(
                    "a PRIMARY KEY table needs HASH distribution on key columns".into(),
                ))
            }
            Distribution::Random { .. } => Ok(()),
        }
    }

    /// Validates a partition definition against this schema and returns it with bound values coerced
    /// to the partition column's type.
    pub fn normalize_partition(&self, def: &PartitionDef) -> Result<PartitionDef> {
        validate_name(&def.name)?;
        let column_type = self
            .partition_scheme
            .column()
            .and_then(|name| self.column(name))
            .map(|c| c.ty.clone());
        let invalid = |msg: String| Err(StorageError::InvalidDefinition(msg));
        let bound = match (&self.partition_scheme, &def.bound, column_type) {
            (PartitionScheme::Unpartitioned, PartitionBound::Whole, _) => PartitionBound::Whole,
            (PartitionScheme::Range { .. }, PartitionBound::Range { lower, upper }, Some(ty)) => {
                let coerce = |v: &Option<Value>| v.as_ref().map(|v| v.coerce_to(&ty)).transpose();
                let (lower, upper) = (coerce(lower)?, coerce(upper)?);
                if lower.as_ref().is_some_and(Value::is_null)
                    || upper.as_ref().is_some_and(Value::is_null)
                {
                    return invalid(format!("partition '{}' has a NULL bound", def.name));
                }
                if !below(lower.as_ref(), upper.as_ref()) {
                    return invalid(format!(
                        "partition '{}' has an empty range: lower bound is not below upper bound",
                        def.name
                    ));
                }
                PartitionBound::Range { lower, upper }
            }
            (PartitionScheme::List { .. }, PartitionBound::List(values), Some(ty)) => {
                if values.is_empty() {
                    return invalid(format!("list partition '{}' has no values", def.name));
                }
                let mut coerced: Vec<Value> = Vec::with_capacity(values.len());
                for value in values {
                    let v = value.coerce_to(&ty)?;
                    if v.is_null() {
                        return invalid(format!("list partition '{}' contains NULL", def.name));
                    }
                    if coerced
                        .iter()
                        .any(|c| c.compare(&v).is_some_and(|o| o.is_eq()))
                    {
                        return invalid(format!(
                            "list partition '{}' repeats the value {v}",
                            def.name
                        ));
                    }
                    coerced.push(v);
                }
                PartitionBound::List(coerced)
            }
            _ => {
                return invalid(format!(
                    "partition '{}' does not match the table's partitioning",
                    def.name
                ));
            }
        };
        Ok(PartitionDef {
            name: def.name.clone(),
            bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(scheme: PartitionScheme) -> TableSchema {
        TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::Date).not_null(),
                ColumnDef::new("v", ColumnType::Int).with_default(Value::String("7".into())),
            ],
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: scheme,
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        }
    }

    #[test]
    fn defaults_are_coerced() {
        let mut s = schema(PartitionScheme::Unpartitioned);
        s.validate().expect("valid");
        assert_eq!(s.columns[1].default, Some(Value::Int(7)));
    }

    #[test]
    fn bad_definitions_are_named() {
        let mut s = schema(PartitionScheme::Range {
            column: "nope".into(),
        });
        let err = s.validate().expect_err("bad column").to_string();
        assert!(err.contains("nope"), "{err}");
        let mut s = schema(PartitionScheme::Unpartitioned);
        s.key_columns = vec!["v".into()];
        assert!(s.validate().is_err());
        let mut s = schema(PartitionScheme::Unpartitioned);
        s.key_model = KeyModel::Primary;
        s.distribution = Distribution::Random { buckets: 1 };
        assert!(s.validate().is_err());
    }

    #[test]
    fn ranges_overlap_like_half_open_intervals() {
        let r = |l: Option<i64>, u: Option<i64>| PartitionBound::Range {
            lower: l.map(Value::Int),
            upper: u.map(Value::Int),
        };
        assert!(!r(Some(0), Some(10)).overlaps(&r(Some(10), Some(20))));
        assert!(r(Some(0), Some(11)).overlaps(&r(Some(10), Some(20))));
        assert!(r(None, Some(5)).overlaps(&r(None, None)));
        assert!(r(Some(0), Some(10)).contains(&Value::Int(9)));
        assert!(!r(Some(0), Some(10)).contains(&Value::Int(10)));
        assert!(r(None, Some(10)).contains(&Value::Null));
    }

    #[test]
    fn partition_bounds_are_coerced_and_checked() {
        let mut s = schema(PartitionScheme::Range { column: "k".into() });
        s.validate().expect("valid");
        let def = PartitionDef {
            name: "p1".into(),
            bound: PartitionBound::Range {
                lower: None,
                upper: Some(Value::String("2024-01-01".into())),
            },
        };
        let norm = s.normalize_partition(&def).expect("valid");
        assert!(matches!(
            norm.bound,
            PartitionBound::Range {
                upper: Some(Value::Date(_)),
                ..
            }
        ));
        let empty = PartitionDef {
            name: "p2".into(),
            bound: PartitionBound::Range {
                lower: Some(Value::String("2024-01-01".into())),
                upper: Some(Value::String("2023-01-01".into())),
            },
        };
        assert!(s.normalize_partition(&empty).is_err());
    }
}
