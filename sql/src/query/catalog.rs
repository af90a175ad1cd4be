//! The engine's databases as a DataFusion catalog: each database is a schema, each table a
//! [`StorageTable`] pinned when the statement resolves it, each view a [`ViewTable`] planned from
//! its stored query text, and `information_schema` (matched in any letter case) is one more
//! schema. Every table a query reads is checked for the SELECT privilege here.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::datasource::ViewTable;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::Expr;

use crate::auth::{Need, authorize};
use crate::error::SqlError;
use crate::parser::Privilege;
use crate::query::QueryEnv;
use crate::query::information_schema::{
    INFORMATION_SCHEMA, InformationSchema, is_information_schema,
};
use crate::query::provider::StorageTable;

/// Views may nest at most this deep (a guard against views defined in a cycle).
pub const VIEW_DEPTH_MAX: usize = 16;

/// All databases of the engine.
#[derive(Debug)]
pub struct EngineCatalog {
    env: Arc<QueryEnv>,
}

impl EngineCatalog {
    /// A catalog over `env`'s engine.
    pub fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }
}

impl CatalogProvider for EngineCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.env.engine.database_names();
        names.push(INFORMATION_SCHEMA.to_owned());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if is_information_schema(name) {
            return Some(Arc::new(InformationSchema::new(self.env.clone())));
        }
        self.env.engine.catalog().database(name)?;
        Some(Arc::new(DatabaseSchema {
            env: self.env.clone(),
            db: name.to_owned(),
        }))
    }
}

/// One database's tables and views.
#[derive(Debug)]
struct DatabaseSchema {
    env: Arc<QueryEnv>,
    db: String,
}

impl DatabaseSchema {
    fn check_select(&self, name: &str) -> DfResult<()> {
        authorize(
            &self.env.grants,
            &Need::On {
                privilege: Privilege::Select,
                db: self.db.clone(),
                table: Some(name.to_owned()),
            },
        )
        .map_err(SqlError::into_datafusion)
    }

    async fn view(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let views = self
            .env
            .engine
            .views(&self.db)
            .map_err(|e| SqlError::from(e).into_datafusion())?;
        let Some(view) = views.into_iter().find(|v| v.name == name) else {
            return Ok(None);
        };
        self.check_select(name)?;
        if self.env.depth >= VIEW_DEPTH_MAX {
            return Err(SqlError::Invalid(format!(
                "view '{name}' nests views more than {VIEW_DEPTH_MAX} deep (defined in a cycle?)"
            ))
            .into_datafusion());
        }
        let inner = self.env.nested(&self.db);
        let ctx = crate::query::context(inner);
        let mut frame = crate::query::plan_text(&ctx, &view.query).await?;
        if !view.columns.is_empty() {
            let fields = frame.schema().columns();
            if fields.len() != view.columns.len() {
                return Err(DataFusionError::Plan(format!(
                    "view '{name}' names {} columns but its query returns {}",
                    view.columns.len(),
                    fields.len()
                )));
            }
            let renamed: Vec<Expr> = fields
                .into_iter()
                .zip(&view.columns)
                .map(|(c, n)| Expr::Column(c).alias(n))
                .collect();
            frame = frame.select(renamed)?;
        }
        Ok(Some(Arc::new(ViewTable::new(
            frame.into_unoptimized_plan(),
            Some(view.query.clone()),
        ))))
    }
}

#[async_trait]
impl SchemaProvider for DatabaseSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.env.engine.table_names(&self.db).unwrap_or_default();
        names.extend(
            self.env
                .engine
                .views(&self.db)
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.name),
        );
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let catalog = self.env.engine.catalog();
        let is_table = catalog
            .database(&self.db)
            .and_then(|d| catalog.table(d.id, name))
            .is_some();
        if !is_table {
            return self.view(name).await;
        }
        self.check_select(name)?;
        let version = self
            .env
            .engine
            .pin_table(&self.db, name)
            .map_err(|e| SqlError::from(e).into_datafusion())?;
        Ok(Some(Arc::new(
            StorageTable::new(version, self.env.target_partitions)
                .with_column_cache(self.env.database.column_cache().clone()),
        )))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.table_names().iter().any(|n| n == name)
    }
}
