//! `information_schema.SCHEMATA`: one row per database the user may see, information_schema
//! included.

use super::rows::{Cell, Kind};
use super::{CATALOG_NAME, CHARSET, COLLATION, INFORMATION_SCHEMA, visible_databases};
use crate::query::QueryEnv;

/// MySQL's columns.
pub(super) const COLUMNS: &[(&str, Kind)] = &[
    ("CATALOG_NAME", Kind::Text),
    ("SCHEMA_NAME", Kind::Text),
    ("DEFAULT_CHARACTER_SET_NAME", Kind::Text),
    ("DEFAULT_COLLATION_NAME", Kind::Text),
    ("SQL_PATH", Kind::Text),
];

/// The rows the user of `env` sees.
pub(super) fn rows(env: &QueryEnv) -> Vec<Vec<Cell>> {
    std::iter::once(INFORMATION_SCHEMA.to_owned())
        .chain(visible_databases(env))
        .map(|db| {
            vec![
                CATALOG_NAME.into(),
                db.into(),
                CHARSET.into(),
                COLLATION.into(),
                Cell::Null,
            ]
        })
        .collect()
}
