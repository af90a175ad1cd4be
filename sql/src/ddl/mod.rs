//! Databases, tables, partitions and views: the DDL statements and the SHOW statements about them.

mod create_table;
mod show;
mod show_create;
mod table_status;

use tabvault_storage::ViewDef;

use crate::error::{Result, SqlError};
use crate::parser::{AlterTableAction, CompactKind, CreateTable, CreateView, ObjectName};
use crate::result::QueryResult;
use crate::session::Exec;

pub use create_table::{DEFAULT_BUCKETS, added_partition, table_def};
pub(crate) use show::{COLUMN_PRIVILEGES, row_count as partition_rows};
pub use show::{PARTITION_COLUMNS, show_databases, show_partitions, show_tables};
pub(crate) use show_create::type_sql;
pub use show_create::{create_table_sql, create_view_sql};
pub use table_status::show_table_status;

/// `CREATE TABLE`.
pub fn create_table(exec: &Exec<'_>, create: &CreateTable) -> Result<QueryResult> {
    let db = exec.db_of(&create.name)?;
    let def = table_def(create)?;
    exec.engine()
        .create_table(&db, &def, create.if_not_exists)?;
    Ok(QueryResult::ok())
}

/// `ALTER TABLE t ADD|DROP PARTITION`, `ALTER TABLE t [BASE|CUMULATIVE] COMPACT […]`.
pub fn alter_table(
    exec: &Exec<'_>,
    name: &ObjectName,
    action: &AlterTableAction,
) -> Result<QueryResult> {
    let db = exec.db_of(name)?;
    let version = exec.engine().pin_table(&db, &name.name)?;
    match action {
        AlterTableAction::AddPartition {
            if_not_exists,
            partition,
        } => {
            if *if_not_exists && version.table().partition(&partition.name).is_some() {
                return Ok(QueryResult::ok());
            }
            let def = added_partition(version.table(), partition)?;
            exec.engine().add_partition(&db, &name.name, &def)?;
        }
        AlterTableAction::DropPartition {
            if_exists, name: p, ..
        } => {
            exec.engine()
                .drop_partition(&db, &name.name, p, *if_exists)?;
        }
        AlterTableAction::Compact { kind, partitions } => {
            drop(version);
            let partitions = (!partitions.is_empty()).then_some(partitions.as_slice());
            let newer_only = *kind == CompactKind::Cumulative;
            let report = exec
                .engine()
                .compact_partitions(&db, &name.name, partitions, newer_only)?;
            return Ok(QueryResult::message(format!(
                "{} rowsets of {} tablets merged into files of {} rows",
                report.rowsets_merged, report.tablets_compacted, report.rows_written
            )));
        }
    }
    Ok(QueryResult::ok())
}

/// `CREATE [OR REPLACE] VIEW`: the query is planned first, so a broken view is refused (and an
/// old view of that name kept); a replacement is one commit.
pub fn create_view(exec: &Exec<'_>, view: &CreateView) -> Result<QueryResult> {
    let db = exec.db_of(&view.name)?;
    let schema = exec.plan_sql(&view.query)?;
    if !view.columns.is_empty() && view.columns.len() != schema.fields().len() {
        return Err(SqlError::Invalid(format!(
            "View '{}' names {} columns but its query returns {}",
            view.name.name,
            view.columns.len(),
            schema.fields().len()
        )));
    }
    let def = ViewDef {
        name: view.name.name.clone(),
        columns: view.columns.clone(),
        query: view.query.clone(),
    };
    if view.or_replace {
        exec.engine().create_or_replace_view(&db, &def)?;
    } else {
        exec.engine().create_view(&db, &def, view.if_not_exists)?;
    }
    Ok(QueryResult::ok())
}

/// `SHOW CREATE TABLE` (or of a view): `Table, Create Table` (`View, Create View`).
pub fn show_create(exec: &Exec<'_>, name: &ObjectName) -> Result<QueryResult> {
    let db = exec.db_of(name)?;
    if let Some(view) = find_view(exec, &db, &name.name)? {
        return QueryResult::text_table(
            &["View", "Create View"],
            vec![vec![Some(view.name.clone()), Some(create_view_sql(&view))]],
        );
    }
    let version = exec.engine().pin_table(&db, &name.name)?;
    QueryResult::text_table(
        &["Table", "Create Table"],
        vec![vec![
            Some(name.name.clone()),
            Some(create_table_sql(version.table())),
        ]],
    )
}

/// `DESC t` of a table or a view.
pub fn describe(exec: &Exec<'_>, name: &ObjectName) -> Result<QueryResult> {
    let db = exec.db_of(name)?;
    if find_view(exec, &db, &name.name)?.is_some() {
        let sql = format!(
            "SELECT * FROM {}.{}",
            crate::literal::backquote(&db),
            crate::literal::backquote(&name.name)
        );
        let schema = exec.plan_sql(&sql)?;
        return show::describe_fields(schema.fields());
    }
    show::describe(&exec.engine().pin_table(&db, &name.name)?)
}

/// `SHOW [FULL] COLUMNS FROM t`: `DESC t`, and with `FULL` MySQL's extra columns.
pub fn show_columns(exec: &Exec<'_>, name: &ObjectName, full: bool) -> Result<QueryResult> {
    let described = describe(exec, name)?;
    if !full {
        return Ok(described);
    }
    let db = exec.db_of(name)?;
    let comments: Vec<Option<String>> = match find_view(exec, &db, &name.name)? {
        Some(_) => Vec::new(),
        None => exec
            .engine()
            .pin_table(&db, &name.name)?
            .schema()
            .columns
            .iter()
            .map(|c| c.comment.clone())
            .collect(),
    };
    show::full_columns(&described, &comments)
}

/// `SHOW INDEX FROM t`: the table must exist; it has no secondary index.
pub fn show_index(exec: &Exec<'_>, name: &ObjectName) -> Result<QueryResult> {
    let db = exec.db_of(name)?;
    if find_view(exec, &db, &name.name)?.is_none() {
        exec.engine().pin_table(&db, &name.name)?;
    }
    show::show_index()
}

fn find_view(exec: &Exec<'_>, db: &str, name: &str) -> Result<Option<ViewDef>> {
    Ok(exec
        .engine()
        .views(db)?
        .into_iter()
        .find(|v| v.name == name))
}
