//! `INSERT` and `DELETE`. Their queries, `WHERE` conditions and non-literal `VALUES` cells are
//! parsed by sqlparser into the AST DataFusion plans.

use datafusion::sql::sqlparser::tokenizer::Token as SqlToken;

use super::ast::{Delete, Insert, InsertSource, InsertValue, Statement};
use super::parser::{PResult, Parser};
use super::placeholders::param_number;

impl Parser<'_> {
    /// `INSERT INTO|OVERWRITE t [PARTITION (…)] [(cols)] VALUES (…), … | <query>`.
    pub(crate) fn insert(&mut self) -> PResult<Statement> {
        self.expect_keyword("INSERT")?;
        let overwrite = self.expect_keyword_of(&["INTO", "OVERWRITE"])? == "OVERWRITE";
        let table = self.object_name()?;
        let partitions = self.partition_names()?;
        let columns = if self.is_punct('(') && !self.starts_query_at(1) {
            self.ident_list()?
        } else {
            Vec::new()
        };
        let source = if self.eat_keyword("VALUES") {
            let mut rows = vec![self.parenthesized(Self::insert_value)?];
            while self.eat_punct(',') {
                rows.push(self.parenthesized(Self::insert_value)?);
            }
            InsertSource::Values(rows)
        } else if self.starts_query_at(0) || self.is_punct('(') {
            InsertSource::Query(Box::new(self.query()?))
        } else {
            return Err(self.expected_one_of(&["VALUES", "SELECT", "WITH"]));
        };
        Ok(Statement::Insert(Insert {
            overwrite,
            table,
            partitions,
            columns,
            source,
        }))
    }

    /// One `VALUES` cell: `DEFAULT`, a lone parameter `?n`, a lone literal, or any other
    /// expression.
    fn insert_value(&mut self) -> PResult<InsertValue> {
        let start = self.position();
        if self.eat_keyword("DEFAULT") && self.at_cell_end() {
            return Ok(InsertValue::Default);
        }
        self.rewind(start);
        if let Some(n) = self.kind_at(start).and_then(param_number) {
            self.advance();
            if self.at_cell_end() {
                return Ok(InsertValue::Param(n));
            }
            self.rewind(start);
        }
        if self.at_literal()
            && let Ok(literal) = self.literal()
            && self.at_cell_end()
        {
            return Ok(InsertValue::Literal(literal));
        }
        self.rewind(start);
        let expr = self.expression(|kind| *kind == SqlToken::Comma, "value")?;
        Ok(InsertValue::Expr(Box::new(expr)))
    }

    fn at_cell_end(&self) -> bool {
        self.is_punct(',') || self.is_punct(')')
    }

    /// Whether the token `n` places ahead starts a query (`SELECT` or `WITH`).
    fn starts_query_at(&self, n: usize) -> bool {
        self.is_keyword_at(n, "SELECT") || self.is_keyword_at(n, "WITH")
    }

    /// `DELETE FROM t [PARTITION p | PARTITIONS (p, …)] WHERE <condition>`.
    pub(crate) fn delete(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["DELETE", "FROM"])?;
        let table = self.object_name()?;
        let partitions = self.partition_names()?;
        self.expect_keyword("WHERE")?;
        Ok(Statement::Delete(Delete {
            table,
            partitions,
            predicate: Box::new(self.expression(|_| false, "condition")?),
        }))
    }
}
