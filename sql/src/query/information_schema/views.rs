//! `information_schema.VIEWS`: one row per view the user may see, with its defining query.
//! Views run with the privileges of whoever queries them, so `SECURITY_TYPE` is `INVOKER`; the
//! definer is not recorded.

use super::rows::{Cell, Kind};
use super::{CATALOG_NAME, CHARSET, COLLATION, ObjectKind, visible_objects};
use crate::query::QueryEnv;

/// MySQL's columns.
pub(super) const COLUMNS: &[(&str, Kind)] = &[
    ("TABLE_CATALOG", Kind::Text),
    ("TABLE_SCHEMA", Kind::Text),
    ("TABLE_NAME", Kind::Text),
    ("VIEW_DEFINITION", Kind::Text),
    ("CHECK_OPTION", Kind::Text),
    ("IS_UPDATABLE", Kind::Text),
    ("DEFINER", Kind::Text),
    ("SECURITY_TYPE", Kind::Text),
    ("CHARACTER_SET_CLIENT", Kind::Text),
    ("COLLATION_CONNECTION", Kind::Text),
];

/// The rows the user of `env` sees.
pub(super) fn rows(env: &QueryEnv) -> Vec<Vec<Cell>> {
    visible_objects(env)
        .into_iter()
        .filter_map(|object| match object.kind {
            ObjectKind::View(view) => Some(vec![
                CATALOG_NAME.into(),
                object.db.into(),
                object.name.into(),
                view.query.into(),
                "NONE".into(),
                "NO".into(),
                Cell::Null,
                "INVOKER".into(),
                CHARSET.into(),
                COLLATION.into(),
            ]),
            ObjectKind::Table(_) => None,
        })
        .collect()
}
