//! Queries through DataFusion: a session context per statement whose catalog is the engine (see
//! [`catalog`]), in the MySQL dialect with case-sensitive identifiers, plus `information_schema`
//! (see [`information_schema`]), the `FILES` and `snapshot` table functions and DataFusion's built-in
//! `generate_series`/`range`.

#[cfg(test)]
mod answers;
mod avg_from_sums;
mod cached_scan;
mod catalog;
mod column_cache;
mod compose;
mod decimal_to_double;
mod dense_distinct;
mod exact_decimal;
mod files;
mod filters;
mod import;
mod information_schema;
mod local_reader;
mod lookup_stream;
mod packed_group_key;
mod parquet_scan;
mod provider;
mod snapshot_read;
mod stored_column;
mod tablet_scan;

use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::common::config::Dialect;
use datafusion::error::Result as DfResult;
use datafusion::execution::TaskContext;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as QueryStatement;
use tabvault_storage::Engine;

use crate::Database;
use crate::auth::Grants;
use crate::error::{Result, SqlError};
use crate::parser::parse_query;

pub use catalog::VIEW_DEPTH_MAX;
pub use column_cache::{COLUMN_CACHE_DEFAULT_BYTES, ColumnCache};
pub(crate) use compose::{select_expr, select_where};
pub use files::FilesFunction;
pub use import::{ImportPolicy, ImportScope};
pub use information_schema::{
    INFORMATION_SCHEMA, is_information_schema, table_names as information_schema_tables,
};
pub use provider::StorageTable;
pub(crate) use provider::cast_batch;
pub use snapshot_read::SnapshotFunction;

/// DataFusion's name for the engine's catalog.
pub const CATALOG: &str = "tabvault";
/// The default schema when no database is selected: it never exists, so unqualified names fail.
const NO_DATABASE: &str = "__no_database_selected__";

/// What a query may see: the engine, the current database and the user's grants.
#[derive(Debug)]
pub struct QueryEnv {
    pub(crate) engine: Engine,
    pub(crate) current_db: Option<String>,
    pub(crate) grants: Grants,
    pub(crate) depth: usize,
    pub(crate) target_partitions: usize,
    pub(crate) import: Arc<LazyImportScope>,
    /// DataFusion's runtime, shared by every statement of the database: its Parquet metadata
    /// cache then serves footers across queries (rowset files never change once written).
    pub(crate) runtime: Arc<RuntimeEnv>,
    /// The database the statement runs in: `snapshot()` reads its repositories.
    pub(crate) database: Database,
}

/// What `FILES()` may read, worked out when a statement first calls it (most never do).
pub struct LazyImportScope {
    make: Box<dyn Fn() -> ImportScope + Send + Sync>,
    scope: std::sync::OnceLock<ImportScope>,
}

impl std::fmt::Debug for LazyImportScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyImportScope")
            .field("scope", &self.scope.get())
            .finish_non_exhaustive()
    }
}

impl LazyImportScope {
    /// A scope `make` builds on first use.
    pub fn new(make: impl Fn() -> ImportScope + Send + Sync + 'static) -> Self {
        Self {
            make: Box::new(make),
            scope: std::sync::OnceLock::new(),
        }
    }

    /// The scope, built now if this is its first use.
    pub fn get(&self) -> &ImportScope {
        self.scope.get_or_init(|| (self.make)())
    }
}

impl QueryEnv {
    /// An environment for one statement.
    pub fn new(
        engine: Engine,
        current_db: Option<String>,
        grants: Grants,
        import: Arc<LazyImportScope>,
        runtime: Arc<RuntimeEnv>,
        database: Database,
    ) -> Arc<Self> {
        Arc::new(Self {
            engine,
            current_db,
            grants,
            depth: 0,
            target_partitions: cpus(),
            import,
            runtime,
            database,
        })
    }

    /// The environment a view's query is planned in: the view's database, one level deeper.
    fn nested(&self, db: &str) -> Arc<Self> {
        Arc::new(Self {
            engine: self.engine.clone(),
            current_db: Some(db.to_owned()),
            grants: self.grants.clone(),
            depth: self.depth + 1,
            target_partitions: self.target_partitions,
            import: self.import.clone(),
            runtime: self.runtime.clone(),
            database: self.database.clone(),
        })
    }
}

/// The CPUs this process may use, read once: reading them means opening several files under
/// `/proc` and `/sys` (about 50 µs, 4% of planning a point lookup), and every statement asks.
fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// A DataFusion session over `env`.
pub fn context(env: Arc<QueryEnv>) -> SessionContext {
    let schema = env.current_db.clone().unwrap_or_else(|| NO_DATABASE.into());
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, schema)
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(false)
        .with_target_partitions(env.target_partitions);
    config.options_mut().sql_parser.dialect = Dialect::MySQL;
    config.options_mut().sql_parser.enable_ident_normalization = false;
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(env.runtime.clone())
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(lookup_stream::LookupInOneStream))
        .build();
    let ctx = SessionContext::new_with_state(state);
    ctx.add_optimizer_rule(Arc::new(exact_decimal::ExactDecimalArithmetic));
    ctx.add_optimizer_rule(Arc::new(packed_group_key::PackShortGroupKeys));
    ctx.add_optimizer_rule(Arc::new(avg_from_sums::AvgFromSums));
    ctx.add_analyzer_rule(Arc::new(dense_distinct::DenseDistinctCounts));
    let files = Arc::new(FilesFunction::new(env.clone()));
    let snapshot = Arc::new(SnapshotFunction::new(env.clone()));
    ctx.register_catalog(CATALOG, Arc::new(catalog::EngineCatalog::new(env)));
    // Table function names are matched as written (identifiers are case-sensitive).
    ctx.register_udtf("files", files.clone());
    ctx.register_udtf("FILES", files);
    ctx.register_udtf("snapshot", snapshot.clone());
    ctx.register_udtf("SNAPSHOT", snapshot);
    for builtin in ["generate_series", "range"] {
        if let Ok(function) = ctx.table_function(builtin) {
            ctx.register_udtf(&builtin.to_uppercase(), function.function().clone());
        }
    }
    ctx
}

/// Plans `query` in `ctx` as a query and nothing else: DataFusion's own DDL (`CREATE EXTERNAL
/// TABLE`), DML (`COPY … TO`, `INSERT`) and statements (`SET`) are refused, whoever wrote the
/// query — a user, a stored view, a restored view.
pub(crate) async fn plan_read_only(
    ctx: &SessionContext,
    mut query: QueryStatement,
) -> DfResult<DataFrame> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let state = ctx.state();
    files::spread_files_arguments(&mut query);
    let default_schema = &state.config().options().catalog.default_schema;
    information_schema::fold_column_case(&mut query, Some(default_schema));
    let plan = state.statement_to_plan(query).await?;
    options.verify_plan(&plan)?;
    ctx.execute_logical_plan(plan).await
}

/// Plans query text read-only ([`plan_read_only`]) once tabvault's parser has read it: stored
/// view definitions and the queries tabvault writes itself.
pub(crate) async fn plan_text(ctx: &SessionContext, sql: &str) -> DfResult<DataFrame> {
    let query = parse_query(sql).map_err(|e| SqlError::from(e).into_datafusion())?;
    plan_read_only(ctx, query).await
}

/// Plans `query` read-only ([`plan_read_only`]) with `params` bound to its positional
/// placeholders (`?1`, `?2`, … of a prepared statement); no params, no binding.
async fn plan_bound(
    ctx: &SessionContext,
    query: &QueryStatement,
    params: &[ScalarValue],
) -> DfResult<DataFrame> {
    let frame = plan_read_only(ctx, query.clone()).await?;
    if params.is_empty() {
        return Ok(frame);
    }
    frame.with_param_values(params.to_vec())
}

/// Plans and runs one read-only query with `params` bound to its placeholders, returning its
/// schema and rows.
pub async fn run_query(
    env: Arc<QueryEnv>,
    query: &QueryStatement,
    params: &[ScalarValue],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let frame = plan_bound(&context(env), query, params).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    Ok((schema, batches))
}

/// A planned query, run when its rows are read.
pub struct PlannedQuery {
    /// The schema of its rows.
    pub schema: SchemaRef,
    /// Its physical plan, which holds the pins of the table versions it reads.
    pub plan: Arc<dyn ExecutionPlan>,
    /// What running the plan needs (the session's configuration and memory pool).
    pub task: Arc<TaskContext>,
    /// Whether its plan may be read on the calling thread ([`bounded_per_poll`]).
    pub inline: bool,
}

/// Plans one read-only query with `params` bound to its placeholders.
pub async fn plan_query(
    env: Arc<QueryEnv>,
    query: &QueryStatement,
    params: &[ScalarValue],
) -> Result<PlannedQuery> {
    let frame = plan_bound(&context(env), query, params).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let task = Arc::new(frame.task_ctx());
    let plan = frame.create_physical_plan().await?;
    let inline = bounded_per_poll(plan.as_ref());
    Ok(PlannedQuery {
        schema,
        plan,
        task,
        inline,
    })
}

/// Whether every operator of `plan` returns at most about one batch per batch it reads (or waits
/// for tasks of its own), so that the scans' cooperative budget bounds how long one poll of it
/// runs: then it may run on the calling thread and still hear KILL and `query_timeout` between
/// polls. A join or UNNEST can turn one batch into millions of rows in one poll.
fn bounded_per_poll(plan: &dyn ExecutionPlan) -> bool {
    const BOUNDED: [&str; 16] = [
        "DataSourceExec",
        "CachedScanExec",
        "CooperativeExec",
        "FilterExec",
        "ProjectionExec",
        "SortExec",
        "SortPreservingMergeExec",
        "CoalescePartitionsExec",
        "CoalesceBatchesExec",
        "GlobalLimitExec",
        "LocalLimitExec",
        "AggregateExec",
        "EmptyExec",
        "PlaceholderRowExec",
        "UnionExec",
        "RepartitionExec",
    ];
    BOUNDED.contains(&plan.name())
        && plan
            .children()
            .into_iter()
            .all(|child| bounded_per_poll(child.as_ref()))
}

/// Plans a query without running it and returns its output schema (CREATE VIEW checks, DESC of a
/// view).
pub async fn plan_schema(env: Arc<QueryEnv>, query: &QueryStatement) -> Result<SchemaRef> {
    let frame = plan_read_only(&context(env), query.clone()).await?;
    Ok(Arc::new(frame.schema().as_arrow().clone()))
}
