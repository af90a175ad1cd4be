//! MySQL matches information_schema's column names in any letter case (`SELECT table_name FROM
//! information_schema.tables`), while tabvault's identifiers are case-sensitive. A query that
//! reads information_schema tables and nothing else gets MySQL's rule: its unquoted column
//! references that name an information_schema column, in any case, are written in upper case
//! before planning, unless the query gives that name to a column of its own (`SELECT ENGINE AS
//! Engine … WHERE Engine …`, as SHOW TABLE STATUS does). Queries that also read user tables,
//! whose columns keep their case, are left as written.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, Query, SelectItem, SetExpr, Visit, Visitor, visit_expressions_mut,
    visit_relations,
};

use super::{SystemTable, is_information_schema};

/// Folds the column references of `statement` as the module says; `current_db` is the database
/// unqualified table names belong to.
pub(crate) fn fold_column_case(statement: &mut Statement, current_db: Option<&str>) {
    let Statement::Statement(query) = statement else {
        return;
    };
    let in_schema = |name: &ObjectName| match name.0.as_slice() {
        [table] => current_db.is_some_and(is_information_schema) && named_table(table.as_ident()),
        [.., db, table] => {
            db.as_ident()
                .is_some_and(|db| is_information_schema(&db.value))
                && named_table(table.as_ident())
        }
        [] => false,
    };
    let mut reads_schema = false;
    let only_schema = visit_relations(query.as_ref(), |name| {
        if in_schema(name) {
            reads_schema = true;
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    if !reads_schema || only_schema.is_break() {
        return;
    }
    let mut aliases = Aliases::default();
    let _ = query.visit(&mut aliases);
    let _ = visit_expressions_mut(query.as_mut(), |expr| {
        match expr {
            Expr::Identifier(ident) => fold(ident, &aliases.0),
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last_mut() {
                    fold(last, &aliases.0);
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The column aliases a query and its subqueries define (`expr AS alias`).
#[derive(Default)]
struct Aliases(HashSet<String>);

impl Visitor for Aliases {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_ref() {
            for item in &select.projection {
                if let SelectItem::ExprWithAlias { alias, .. } = item {
                    self.0.insert(alias.value.clone());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn named_table(ident: Option<&Ident>) -> bool {
    ident.is_some_and(|ident| SystemTable::find(&ident.value).is_some())
}

/// Upper-cases an unquoted identifier that names an information_schema column and no alias.
fn fold(ident: &mut Ident, aliases: &HashSet<String>) {
    if ident.quote_style.is_some() || aliases.contains(&ident.value) {
        return;
    }
    let upper = ident.value.to_ascii_uppercase();
    let known = SystemTable::ALL
        .iter()
        .any(|table| table.columns().iter().any(|(name, _)| *name == upper));
    if known {
        ident.value = upper;
    }
}
