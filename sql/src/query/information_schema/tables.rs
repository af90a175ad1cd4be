//! `information_schema.TABLES`: one row per table, view and information_schema table the user
//! may see. Tables report their engine, rows, sizes and last change (exact, from the pinned
//! version); what tabvault does not track (creation time, auto-increment, …) is NULL.

use datafusion::error::Result as DfResult;

use super::rows::{Cell, Kind};
use super::{
    CATALOG_NAME, COLLATION, INFORMATION_SCHEMA, ObjectKind, Stats, table_names, visible_objects,
};
use crate::query::QueryEnv;

/// The engine name tables report, as StarRocks' native tables do.
pub(crate) const ENGINE: &str = "StarRocks";

/// MySQL's columns, which StarRocks keeps.
pub(super) const COLUMNS: &[(&str, Kind)] = &[
    ("TABLE_CATALOG", Kind::Text),
    ("TABLE_SCHEMA", Kind::Text),
    ("TABLE_NAME", Kind::Text),
    ("TABLE_TYPE", Kind::Text),
    ("ENGINE", Kind::Text),
    ("VERSION", Kind::Int),
    ("ROW_FORMAT", Kind::Text),
    ("TABLE_ROWS", Kind::Int),
    ("AVG_ROW_LENGTH", Kind::Int),
    ("DATA_LENGTH", Kind::Int),
    ("MAX_DATA_LENGTH", Kind::Int),
    ("INDEX_LENGTH", Kind::Int),
    ("DATA_FREE", Kind::Int),
    ("AUTO_INCREMENT", Kind::Int),
    ("CREATE_TIME", Kind::Time),
    ("UPDATE_TIME", Kind::Time),
    ("CHECK_TIME", Kind::Time),
    ("TABLE_COLLATION", Kind::Text),
    ("CHECKSUM", Kind::Int),
    ("CREATE_OPTIONS", Kind::Text),
    ("TABLE_COMMENT", Kind::Text),
];

/// The rows the user of `env` sees.
pub(super) fn rows(env: &QueryEnv) -> DfResult<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for object in visible_objects(env) {
        let names = (object.db.as_str(), object.name.as_str());
        rows.push(match &object.kind {
            ObjectKind::Table(version) => {
                let stats = Stats::of(version, version.table().partitions.values())?;
                row(names, "BASE TABLE", Some(stats), "")
            }
            ObjectKind::View(_) => row(names, "VIEW", None, "VIEW"),
        });
    }
    for name in table_names() {
        rows.push(row((INFORMATION_SCHEMA, name), "SYSTEM VIEW", None, ""));
    }
    Ok(rows)
}

/// One row: a table has `stats`, views and system views have none (and no engine).
fn row((db, name): (&str, &str), kind: &str, stats: Option<Stats>, comment: &str) -> Vec<Cell> {
    let [table_rows, average, data] =
        stats.map_or([Cell::Null, Cell::Null, Cell::Null], |s| s.size_cells());
    vec![
        CATALOG_NAME.into(),
        db.into(),
        name.into(),
        kind.into(),
        stats.map_or(Cell::Null, |_| ENGINE.into()),
        Cell::Null,
        Cell::Null,
        table_rows,
        average,
        data,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        stats.map_or(Cell::Null, Stats::update_time),
        Cell::Null,
        stats.map_or(Cell::Null, |_| COLLATION.into()),
        Cell::Null,
        Cell::Null,
        comment.into(),
    ]
}
