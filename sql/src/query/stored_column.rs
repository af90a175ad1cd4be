//! Which stored table column a column of a logical plan reads, for the planning rules that use
//! what the table knows about it (declared lengths, recorded bounds).

use datafusion::common::Column;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::expr::{Alias, Expr};

use crate::query::provider::StorageTable;

/// `read(table, name)` for the column `name` of the [`StorageTable`] whose values `column` of
/// `plan` are, unchanged: followed through projections of plain columns, filters, sorts,
/// limits and aliases. `None` for anything else (computed values, joins, unions, other tables).
pub(crate) fn read_stored_column<T>(
    plan: &LogicalPlan,
    column: &Column,
    read: impl FnOnce(&StorageTable, &str) -> Option<T>,
) -> Option<T> {
    match plan {
        LogicalPlan::Projection(projection) => {
            let index = projection.schema.index_of_column(column).ok()?;
            let source = plain_column(&projection.expr[index])?;
            read_stored_column(&projection.input, source, read)
        }
        LogicalPlan::SubqueryAlias(alias) => {
            let index = alias.schema.index_of_column(column).ok()?;
            let (qualifier, field) = alias.input.schema().qualified_field(index);
            let source = Column::new(qualifier.cloned(), field.name());
            read_stored_column(&alias.input, &source, read)
        }
        LogicalPlan::Filter(filter) => read_stored_column(&filter.input, column, read),
        LogicalPlan::Sort(sort) => read_stored_column(&sort.input, column, read),
        LogicalPlan::Limit(limit) => read_stored_column(&limit.input, column, read),
        LogicalPlan::TableScan(scan) => {
            scan.projected_schema.index_of_column(column).ok()?;
            let provider = source_as_provider(&scan.source).ok()?;
            read(provider.downcast_ref::<StorageTable>()?, &column.name)
        }
        _ => None,
    }
}

/// The column `expr` is, under any aliases.
fn plain_column(expr: &Expr) -> Option<&Column> {
    match expr {
        Expr::Column(column) => Some(column),
        Expr::Alias(Alias { expr, .. }) => plain_column(expr),
        _ => None,
    }
}
