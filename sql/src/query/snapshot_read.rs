//! `snapshot('repo', 'label', 'table' [, 'timestamp'])`: a table function that reads one table of
//! a repository snapshot where it lies, without restoring it, so a query can compare "then" and
//! "now" (`SELECT … FROM t JOIN snapshot('r', 's', 't') AS old …`). It needs RESTORE's privilege
//! (ADMIN). Scans prune partitions, buckets and files with the query's filters and merge PRIMARY
//! KEY rowsets like live tables do (see `tabvault_snapshot::SnapshotTable`).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use tabvault_snapshot::SnapshotTable;
use tabvault_storage::ScanRequest;

use super::QueryEnv;
use super::filters::to_predicate;
use super::provider::{StorageTable, filter_pushdown, query_schema};
use crate::auth::{Need, authorize};
use crate::error::{Result, SqlError};

/// The `snapshot` table function of one statement: it checks the statement's user.
#[derive(Debug)]
pub struct SnapshotFunction {
    env: Arc<QueryEnv>,
}

impl SnapshotFunction {
    /// `snapshot()` as the user of `env` may use it.
    pub fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }
}

impl TableFunctionImpl for SnapshotFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        open(&self.env, args.exprs()).map_err(SqlError::into_datafusion)
    }
}

const USAGE: &str = "snapshot('repository', 'snapshot label', 'table' [, 'backup timestamp'])";

/// The string literal argument `i`, if it is one.
fn string_arg(exprs: &[Expr], i: usize) -> Result<Option<String>> {
    match exprs.get(i) {
        None => Ok(None),
        Some(Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        )) => Ok(Some(s.clone())),
        Some(other) => Err(SqlError::Invalid(format!(
            "snapshot() takes string literals: {USAGE}; argument {} is {other}",
            i + 1
        ))),
    }
}

fn open(env: &QueryEnv, exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
    authorize(&env.grants, &Need::Admin)?;
    if !(3..=4).contains(&exprs.len()) {
        return Err(SqlError::Invalid(format!(
            "snapshot() takes 3 or 4 arguments: {USAGE}"
        )));
    }
    let required = |i| {
        string_arg(exprs, i)?.ok_or_else(|| SqlError::Invalid(format!("snapshot() takes {USAGE}")))
    };
    let (repository, label, table) = (required(0)?, required(1)?, required(2)?);
    let timestamp = string_arg(exprs, 3)?;
    let snapshot = env.database.snapshots().snapshot_table(
        &repository,
        &label,
        timestamp.as_deref(),
        &table,
    )?;
    let schema = query_schema(&snapshot.schema().arrow_schema());
    Ok(Arc::new(SnapshotProvider {
        snapshot: Arc::new(snapshot),
        schema,
        partitions: env.target_partitions,
    }))
}

/// One table of a repository snapshot, readable by DataFusion.
#[derive(Debug)]
struct SnapshotProvider {
    snapshot: Arc<SnapshotTable>,
    schema: SchemaRef,
    partitions: usize,
}

#[async_trait]
impl TableProvider for SnapshotProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let request = ScanRequest {
            columns: None,
            predicates: filters
                .iter()
                .filter_map(|f| to_predicate(f, self.snapshot.schema()))
                .collect(),
            partitions: None,
        };
        // Checking (or fetching) the files blocks on the file system or the network.
        let snapshot = self.snapshot.clone();
        let version = tokio::task::spawn_blocking(move || snapshot.version_for(&request))
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .map_err(|e| SqlError::from(e).into_datafusion())?;
        StorageTable::rechecked(version, self.partitions)
            .scan(state, projection, filters, limit)
            .await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filter_pushdown(filters, self.snapshot.schema(), None))
    }
}
