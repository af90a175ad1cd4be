//! `SHOW CREATE TABLE` / `SHOW CREATE VIEW`: a table's definition printed as the `CREATE`
//! statement that re-creates it (same columns, keys, partitions, distribution and properties).

use std::fmt::Write;

use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, KeyModel, Partition, PartitionBound, PartitionScheme,
    Table, Value, ViewDef,
};

use crate::literal::{backquote, quote, value_literal};

/// The `CREATE TABLE` statement of `table`.
pub fn create_table_sql(table: &Table) -> String {
    let schema = &table.schema;
    let mut out = format!("CREATE TABLE {} (\n", backquote(&table.name));
    let columns: Vec<String> = schema.columns.iter().map(column_sql).collect();
    out.push_str(&columns.join(",\n"));
    out.push_str("\n) ENGINE=OLAP\n");
    let keys = name_list(&schema.key_columns);
    let _ = match schema.key_model {
        KeyModel::Duplicate => writeln!(out, "DUPLICATE KEY({keys})"),
        // Indented and spaced as MySQL prints a primary key, so that MySQL-dialect reflection
        // (SQLAlchemy's `get_pk_constraint`, and the ORMs built on it) finds it; SQL parsers,
        // StarRocks' included, ignore the whitespace.
        KeyModel::Primary => writeln!(out, "  PRIMARY KEY ({keys})"),
    };
    let partitions = table.partitions_in_order();
    match &schema.partition_scheme {
        PartitionScheme::Unpartitioned => {}
        PartitionScheme::Range { column } => {
            let _ = writeln!(out, "PARTITION BY RANGE({})", backquote(column));
            out.push_str(&partition_list(&partitions, range_partition_sql));
        }
        PartitionScheme::List { column } => {
            let _ = writeln!(out, "PARTITION BY LIST({})", backquote(column));
            out.push_str(&partition_list(&partitions, list_partition_sql));
        }
    }
    match &schema.distribution {
        Distribution::Hash { columns, buckets } => {
            let _ = writeln!(
                out,
                "DISTRIBUTED BY HASH({}) BUCKETS {buckets}",
                name_list(columns)
            );
        }
        Distribution::Random { buckets } => {
            let _ = writeln!(out, "DISTRIBUTED BY RANDOM BUCKETS {buckets}");
        }
    }
    let _ = write!(
        out,
        "PROPERTIES (\n\"replication_num\" = \"{}\",\n\"compression\" = \"{}\"\n);",
        schema.properties.replication_num,
        schema.properties.compression.name().to_uppercase()
    );
    out
}

/// The `CREATE VIEW` statement of `view`.
pub fn create_view_sql(view: &ViewDef) -> String {
    let columns = if view.columns.is_empty() {
        String::new()
    } else {
        format!(" ({})", name_list(&view.columns))
    };
    format!(
        "CREATE VIEW {}{columns} AS {};",
        backquote(&view.name),
        view.query
    )
}

fn column_sql(column: &ColumnDef) -> String {
    let mut out = format!("  {} {}", backquote(&column.name), type_sql(&column.ty));
    out.push_str(if column.nullable {
        " NULL"
    } else {
        " NOT NULL"
    });
    if let Some(default) = &column.default {
        let _ = write!(out, " DEFAULT {}", value_literal(default));
    }
    if let Some(comment) = &column.comment {
        let _ = write!(out, " COMMENT {}", quote(comment));
    }
    out
}

/// A column type as StarRocks' SHOW CREATE TABLE prints it — lower case, integers with MySQL's
/// display widths, `decimal(p,s)` without a space — which MySQL-dialect parsers (SQLAlchemy's
/// reflection, BI tools) read, and tabvault's own parser reads back as the same type.
pub(crate) fn type_sql(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Boolean => "boolean".into(),
        ColumnType::TinyInt => "tinyint(4)".into(),
        ColumnType::SmallInt => "smallint(6)".into(),
        ColumnType::Int => "int(11)".into(),
        ColumnType::BigInt => "bigint(20)".into(),
        ColumnType::LargeInt => "largeint".into(),
        ColumnType::Float => "float".into(),
        ColumnType::Double => "double".into(),
        ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        ColumnType::Char(n) => format!("char({n})"),
        ColumnType::Varchar(n) => format!("varchar({n})"),
        ColumnType::String => "string".into(),
        ColumnType::Date => "date".into(),
        ColumnType::DateTime => "datetime".into(),
    }
}

fn name_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| backquote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn partition_list(
    partitions: &[&std::sync::Arc<Partition>],
    one: fn(&Partition, Option<&Value>) -> String,
) -> String {
    let mut previous_upper: Option<&Value> = None;
    let mut items = Vec::with_capacity(partitions.len());
    for partition in partitions {
        items.push(one(partition, previous_upper));
        previous_upper = match &partition.bound {
            PartitionBound::Range { upper, .. } => upper.as_ref(),
            _ => None,
        };
    }
    format!("(\n  {}\n)\n", items.join(",\n  "))
}

/// `LESS THAN` when the lower bound is the previous partition's upper bound (so that re-parsing
/// chains it back), `[lower, upper)` otherwise.
fn range_partition_sql(partition: &Partition, previous_upper: Option<&Value>) -> String {
    let name = backquote(&partition.name);
    let PartitionBound::Range { lower, upper } = &partition.bound else {
        return format!("PARTITION {name} VALUES LESS THAN MAXVALUE");
    };
    let chained = match (lower, previous_upper) {
        (None, None) => true,
        (Some(l), Some(p)) => l.compare(p).is_some_and(|o| o.is_eq()),
        _ => false,
    };
    match (chained, lower, upper) {
        (true, _, None) => format!("PARTITION {name} VALUES LESS THAN MAXVALUE"),
        (true, _, Some(u)) => format!("PARTITION {name} VALUES LESS THAN ({})", value_literal(u)),
        (false, Some(l), Some(u)) => format!(
            "PARTITION {name} VALUES [({}), ({}))",
            value_literal(l),
            value_literal(u)
        ),
        // A range that neither chains nor has both bounds cannot be written in StarRocks'
        // grammar; print the closest form.
        (false, _, u) => match u {
            Some(u) => format!("PARTITION {name} VALUES LESS THAN ({})", value_literal(u)),
            None => format!("PARTITION {name} VALUES LESS THAN MAXVALUE"),
        },
    }
}

fn list_partition_sql(partition: &Partition, _previous: Option<&Value>) -> String {
    let values = match &partition.bound {
        PartitionBound::List(values) => values
            .iter()
            .map(value_literal)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    format!(
        "PARTITION {} VALUES IN ({values})",
        backquote(&partition.name)
    )
}
