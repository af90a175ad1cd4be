//! Queries tabvault writes around a user's expression (a `DELETE` condition, a `SHOW … WHERE`
//! filter, a non-literal `VALUES` cell): the expression goes into the query's AST as parsed, never
//! back into SQL text.

use datafusion::sql::parser::Statement as QueryStatement;
use datafusion::sql::sqlparser::ast::{Expr, Select, SelectItem, SetExpr, Statement};

use crate::error::{Result, SqlError};
use crate::parser::parse_query;

/// `SELECT <expr>`: one row holding the expression's value.
pub(crate) fn select_expr(expr: &Expr) -> Result<QueryStatement> {
    let mut query = parse_query("SELECT NULL")?;
    outer_select(&mut query)?.projection = vec![SelectItem::UnnamedExpr(expr.clone())];
    Ok(query)
}

/// `sql` (a plain `SELECT` tabvault wrote) with `condition` as its `WHERE` clause.
pub(crate) fn select_where(sql: &str, condition: &Expr) -> Result<QueryStatement> {
    let mut query = parse_query(sql)?;
    outer_select(&mut query)?.selection = Some(condition.clone());
    Ok(query)
}

/// The outermost `SELECT` of a query.
fn outer_select(query: &mut QueryStatement) -> Result<&mut Select> {
    if let QueryStatement::Statement(statement) = query
        && let Statement::Query(query) = statement.as_mut()
        && let SetExpr::Select(select) = query.body.as_mut()
    {
        return Ok(select);
    }
    Err(SqlError::Invalid(
        "a query written by tabvault is not a plain SELECT".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::{select_expr, select_where};
    use crate::parser::parse_statement;
    use crate::parser::{Delete, Statement};

    fn predicate(sql: &str) -> Box<datafusion::sql::sqlparser::ast::Expr> {
        match parse_statement(sql) {
            Ok(Statement::Delete(Delete { predicate, .. })) => predicate,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn the_expression_becomes_the_projection_or_the_condition() -> crate::error::Result<()> {
        let condition = predicate("DELETE FROM t WHERE k = 'x'' OR 1=1 --' AND v > 2");
        let query = select_where("SELECT `k` FROM `db`.`t`", &condition)?;
        assert_eq!(
            query.to_string(),
            "SELECT `k` FROM `db`.`t` WHERE k = 'x'' OR 1=1 --' AND v > 2"
        );
        let query = select_expr(&condition)?;
        assert_eq!(query.to_string(), "SELECT k = 'x'' OR 1=1 --' AND v > 2");
        Ok(())
    }
}
