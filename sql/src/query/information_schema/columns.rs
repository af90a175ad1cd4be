//! `information_schema.COLUMNS`: one row per column of each table, view and information_schema
//! table the user may see. A key column of a table says its key model in `COLUMN_KEY` as
//! StarRocks does: `PRI` for PRIMARY KEY, `DUP` for DUPLICATE KEY. A view's columns are those of
//! its planned query; a view the user cannot plan (no SELECT on it, or broken) lists none.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::error::Result as DfResult;
use tabvault_storage::KeyModel;

use super::rows::{Cell, Kind};
use super::types::{TypeFacts, arrow_facts, facts};
use super::{
    CATALOG_NAME, CHARSET, COLLATION, INFORMATION_SCHEMA, ObjectKind, SystemTable, visible_objects,
};
use crate::ddl::COLUMN_PRIVILEGES;
use crate::literal::backquote;
use crate::query::{QueryEnv, context, plan_text};

/// MySQL's columns.
pub(super) const COLUMNS: &[(&str, Kind)] = &[
    ("TABLE_CATALOG", Kind::Text),
    ("TABLE_SCHEMA", Kind::Text),
    ("TABLE_NAME", Kind::Text),
    ("COLUMN_NAME", Kind::Text),
    ("ORDINAL_POSITION", Kind::Int),
    ("COLUMN_DEFAULT", Kind::Text),
    ("IS_NULLABLE", Kind::Text),
    ("DATA_TYPE", Kind::Text),
    ("CHARACTER_MAXIMUM_LENGTH", Kind::Int),
    ("CHARACTER_OCTET_LENGTH", Kind::Int),
    ("NUMERIC_PRECISION", Kind::Int),
    ("NUMERIC_SCALE", Kind::Int),
    ("DATETIME_PRECISION", Kind::Int),
    ("CHARACTER_SET_NAME", Kind::Text),
    ("COLLATION_NAME", Kind::Text),
    ("COLUMN_TYPE", Kind::Text),
    ("COLUMN_KEY", Kind::Text),
    ("EXTRA", Kind::Text),
    ("PRIVILEGES", Kind::Text),
    ("COLUMN_COMMENT", Kind::Text),
];

/// What one row says about one column.
struct Column {
    name: String,
    default: Option<String>,
    nullable: bool,
    facts: TypeFacts,
    key: &'static str,
    comment: String,
}

/// The rows the user of `env` sees.
pub(super) async fn rows(env: &Arc<QueryEnv>) -> DfResult<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for object in visible_objects(env) {
        let columns = match &object.kind {
            ObjectKind::Table(version) => {
                let schema = version.schema();
                let key = match schema.key_model {
                    KeyModel::Primary => "PRI",
                    KeyModel::Duplicate => "DUP",
                };
                schema
                    .columns
                    .iter()
                    .map(|c| Column {
                        name: c.name.clone(),
                        default: c.default.as_ref().map(ToString::to_string),
                        nullable: c.nullable,
                        facts: facts(&c.ty),
                        key: if schema.key_columns.contains(&c.name) {
                            key
                        } else {
                            ""
                        },
                        comment: c.comment.clone().unwrap_or_default(),
                    })
                    .collect()
            }
            ObjectKind::View(_) => view_schema(env, &object.db, &object.name)
                .await
                .map_or_else(Vec::new, |schema| arrow_columns(&schema)),
        };
        push_rows(&mut rows, [&object.db, &object.name], columns);
    }
    for table in SystemTable::ALL {
        let schema = super::rows::schema(table.columns());
        push_rows(
            &mut rows,
            [INFORMATION_SCHEMA, table.name()],
            arrow_columns(&schema),
        );
    }
    Ok(rows)
}

/// The output schema of view `db`.`name`, planned as the user would plan it.
async fn view_schema(env: &Arc<QueryEnv>, db: &str, name: &str) -> Option<SchemaRef> {
    let sql = format!("SELECT * FROM {}.{}", backquote(db), backquote(name));
    let frame = plan_text(&context(env.clone()), &sql).await.ok()?;
    Some(Arc::new(frame.schema().as_arrow().clone()))
}

/// The columns of a schema known only by Arrow types.
fn arrow_columns(schema: &SchemaRef) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            default: None,
            nullable: f.is_nullable(),
            facts: arrow_facts(f.data_type()),
            key: "",
            comment: String::new(),
        })
        .collect()
}

fn push_rows(rows: &mut Vec<Vec<Cell>>, [db, table]: [&str; 2], columns: Vec<Column>) {
    for (i, column) in columns.into_iter().enumerate() {
        let facts = column.facts;
        let text = |value: &str| {
            if facts.is_text {
                value.into()
            } else {
                Cell::Null
            }
        };
        rows.push(vec![
            CATALOG_NAME.into(),
            db.into(),
            table.into(),
            column.name.into(),
            Cell::Int(i64::try_from(i + 1).unwrap_or(i64::MAX)),
            column.default.into(),
            if column.nullable { "YES" } else { "NO" }.into(),
            facts.data_type.into(),
            facts.max_length.into(),
            facts.max_length.into(),
            facts.precision.into(),
            facts.scale.into(),
            facts.datetime_precision.into(),
            text(CHARSET),
            text(COLLATION),
            facts.column_type.into(),
            column.key.into(),
            "".into(),
            COLUMN_PRIVILEGES.into(),
            column.comment.into(),
        ]);
    }
}
