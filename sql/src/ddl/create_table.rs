//! `CREATE TABLE` and `ALTER TABLE … ADD PARTITION`: the parser's AST mapped onto storage
//! definitions, with StarRocks' defaults.
//!
//! Defaults: columns are nullable unless written `NOT NULL`, except the columns of an explicit
//! `DUPLICATE KEY`/`PRIMARY KEY` clause, which are `NOT NULL` unless written `NULL`. Without a key
//! clause the table is `DUPLICATE KEY` on its first column. Without `DISTRIBUTED BY`, a duplicate
//! key table is `RANDOM BUCKETS 1` and a primary key table `HASH(keys) BUCKETS 1`; `BUCKETS`
//! omitted means 1. `VALUES LESS THAN` takes the previous partition's upper bound as its lower
//! bound.

use tabvault_storage::less_than_lower_bound;
use tabvault_storage::{
    ColumnDef, Compression, Distribution, KeyModel, PartitionBound, PartitionDef, PartitionScheme,
    Table, TableDef, TableProperties, TableSchema, Value,
};

use crate::error::{Result, SqlError};
use crate::literal::{column_type, raw_value, typed_value};
use crate::parser::{
    ColumnSpec, CreateTable, DefaultValue, DistributionSpec, KeyKind, PartitionKind, PartitionSpec,
    PartitionValues, Properties,
};

/// Buckets of a table whose `DISTRIBUTED BY` clause gives no `BUCKETS`.
pub const DEFAULT_BUCKETS: u32 = 1;

/// The storage definition of a `CREATE TABLE`.
pub fn table_def(create: &CreateTable) -> Result<TableDef> {
    if let Some(engine) = &create.engine
        && !engine.eq_ignore_ascii_case("OLAP")
    {
        return Err(SqlError::Unsupported(format!(
            "ENGINE = {engine} is not supported; tabvault tables are OLAP tables"
        )));
    }
    let first = create
        .columns
        .first()
        .ok_or_else(|| SqlError::Invalid("a table needs at least one column".into()))?;
    let (key_model, key_columns, explicit_keys) = match &create.keys {
        Some(keys) => (
            match keys.kind {
                KeyKind::Duplicate => KeyModel::Duplicate,
                KeyKind::Primary => KeyModel::Primary,
            },
            keys.columns.clone(),
            true,
        ),
        None => (KeyModel::Duplicate, vec![first.name.clone()], false),
    };
    let columns = create
        .columns
        .iter()
        .map(|c| column_def(c, explicit_keys && key_columns.contains(&c.name)))
        .collect::<Result<Vec<_>>>()?;
    let partition_scheme = match &create.partition_by {
        None => PartitionScheme::Unpartitioned,
        Some(p) if p.kind == PartitionKind::Range => PartitionScheme::Range {
            column: p.column.clone(),
        },
        Some(p) => PartitionScheme::List {
            column: p.column.clone(),
        },
    };
    let distribution = match &create.distribution {
        Some(DistributionSpec::Hash { columns, buckets }) => Distribution::Hash {
            columns: columns.clone(),
            buckets: buckets.unwrap_or(DEFAULT_BUCKETS),
        },
        Some(DistributionSpec::Random { buckets }) => Distribution::Random {
            buckets: buckets.unwrap_or(DEFAULT_BUCKETS),
        },
        None if key_model == KeyModel::Primary => Distribution::Hash {
            columns: key_columns.clone(),
            buckets: DEFAULT_BUCKETS,
        },
        None => Distribution::Random {
            buckets: DEFAULT_BUCKETS,
        },
    };
    let schema = TableSchema {
        columns,
        key_model,
        key_columns,
        partition_scheme,
        distribution,
        properties: table_properties(&create.properties)?,
    };
    let mut partitions = Vec::new();
    if let Some(by) = &create.partition_by {
        let mut previous_upper: Option<Value> = None;
        for spec in &by.partitions {
            let def = partition_def(&schema, spec, previous_upper.take())?;
            if let PartitionBound::Range { upper, .. } = &def.bound {
                previous_upper = upper.clone();
            }
            partitions.push(def);
        }
    }
    Ok(TableDef {
        name: create.name.name.clone(),
        schema,
        partitions,
    })
}

/// The partition `ALTER TABLE t ADD PARTITION` adds to `table`.
pub fn added_partition(table: &Table, spec: &PartitionSpec) -> Result<PartitionDef> {
    let lower = match &spec.values {
        PartitionValues::LessThan(upper) => {
            let upper = upper
                .as_ref()
                .map(|u| bound_value(&table.schema, u))
                .transpose()?;
            less_than_lower_bound(table, upper.as_ref())
        }
        _ => None,
    };
    partition_def(&table.schema, spec, lower)
}

fn column_def(spec: &ColumnSpec, is_key: bool) -> Result<ColumnDef> {
    let ty = column_type(spec.data_type)?;
    let nullable = spec.nullable.unwrap_or(!is_key);
    let default = match &spec.default {
        None => None,
        Some(DefaultValue::Literal(literal)) => Some(typed_value(
            literal,
            &ty,
            &format!("the default of column '{}'", spec.name),
        )?),
        Some(DefaultValue::CurrentTimestamp) => {
            return Err(SqlError::Unsupported(format!(
                "DEFAULT CURRENT_TIMESTAMP is not supported (column '{}'); use a literal default",
                spec.name
            )));
        }
    };
    Ok(ColumnDef {
        name: spec.name.clone(),
        ty,
        nullable,
        default,
        comment: spec.comment.clone(),
    })
}

fn partition_def(
    schema: &TableSchema,
    spec: &PartitionSpec,
    previous_upper: Option<Value>,
) -> Result<PartitionDef> {
    let bound = match &spec.values {
        PartitionValues::LessThan(upper) => PartitionBound::Range {
            lower: previous_upper,
            upper: upper.as_ref().map(|u| bound_value(schema, u)).transpose()?,
        },
        PartitionValues::Between { lower, upper } => PartitionBound::Range {
            lower: Some(bound_value(schema, lower)?),
            upper: Some(bound_value(schema, upper)?),
        },
        PartitionValues::In(values) => PartitionBound::List(
            values
                .iter()
                .map(|v| bound_value(schema, v))
                .collect::<Result<_>>()?,
        ),
    };
    Ok(PartitionDef {
        name: spec.name.clone(),
        bound,
    })
}

/// A partition bound literal, coerced to the partition column's type when the column exists
/// (otherwise left raw for storage to report the missing column).
fn bound_value(schema: &TableSchema, literal: &crate::parser::Literal) -> Result<Value> {
    match schema
        .partition_scheme
        .column()
        .and_then(|c| schema.column(c))
    {
        Some(column) => typed_value(
            literal,
            &column.ty,
            &format!("a bound of partition column '{}'", column.name),
        ),
        None => Ok(raw_value(literal)),
    }
}

/// `PROPERTIES` of `CREATE TABLE`: `replication_num` and `compression`; anything else is an error.
fn table_properties(properties: &Properties) -> Result<TableProperties> {
    let mut out = TableProperties::default();
    for (key, value) in properties {
        match key.to_ascii_lowercase().as_str() {
            "replication_num" => {
                out.replication_num = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        SqlError::Invalid(format!(
                            "Invalid replication_num '{value}': expected a positive integer"
                        ))
                    })?;
            }
            "compression" => out.compression = Compression::parse(value)?,
            _ => {
                return Err(SqlError::Invalid(format!(
                    "Unknown table property '{key}'; supported: replication_num, compression"
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Statement, parse_statement};

    fn def(sql: &str) -> Result<TableDef> {
        let Ok(Statement::CreateTable(create)) = parse_statement(sql) else {
            panic!("not a CREATE TABLE: {sql}");
        };
        table_def(&create)
    }

    #[test]
    fn less_than_partitions_chain_their_bounds() {
        let t = def("CREATE TABLE t (k DATE, v INT) DUPLICATE KEY(k) PARTITION BY RANGE(k) \
             (PARTITION p1 VALUES LESS THAN (\"2024-01-01\"), PARTITION p2 VALUES LESS THAN MAXVALUE) \
             DISTRIBUTED BY HASH(k) BUCKETS 3 PROPERTIES (\"replication_num\" = \"1\")")
        .expect("valid");
        assert!(!t.schema.columns[0].nullable, "explicit keys are NOT NULL");
        assert!(t.schema.columns[1].nullable);
        let PartitionBound::Range { lower, upper } = &t.partitions[1].bound else {
            panic!("range");
        };
        assert_eq!(
            lower.as_ref().map(ToString::to_string).as_deref(),
            Some("2024-01-01")
        );
        assert!(upper.is_none());
        assert_eq!(t.schema.distribution.buckets(), 3);
    }

    #[test]
    fn defaults_and_errors() {
        let t = def("CREATE TABLE t (a INT, b VARCHAR DEFAULT 'x')").expect("valid");
        assert_eq!(t.schema.key_columns, vec!["a".to_owned()]);
        assert!(t.schema.columns[0].nullable);
        assert_eq!(t.schema.distribution, Distribution::Random { buckets: 1 });
        let err = def("CREATE TABLE t (a INT) PROPERTIES (\"colour\" = \"red\")")
            .expect_err("unknown property")
            .to_string();
        assert!(err.contains("colour"), "{err}");
        let err = def("CREATE TABLE t (a INT DEFAULT 'x')")
            .expect_err("bad default")
            .to_string();
        assert_eq!(
            err,
            "Invalid value \"x\" for the default of column 'a' of type INT"
        );
        assert!(def("CREATE TABLE t (a INT) ENGINE = mysql").is_err());
    }
}
