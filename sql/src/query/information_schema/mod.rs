//! `information_schema`: MySQL's read-only database of catalog facts (`SCHEMATA`, `TABLES`,
//! `COLUMNS`, `VIEWS`, `PARTITIONS`), as MySQL and StarRocks clients and BI tools query it. Each
//! table is built from the catalog when a query scans it and holds only the databases, tables
//! and views the user may see ([`can_see`], the rule SHOW DATABASES/TABLES use). Its own name and
//! its tables' names match in any letter case; its column names are upper case, as in MySQL, and
//! match in any letter case in queries that read information_schema alone ([`column_case`]).

mod column_case;
mod columns;
mod partitions;
mod rows;
mod schemata;
mod tables;
mod types;
mod views;

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use tabvault_storage::{Partition, TableVersion, ViewDef};

use crate::auth::can_see;
use crate::error::SqlError;
use crate::query::QueryEnv;
pub(crate) use column_case::fold_column_case;
use rows::{Cell, Kind};

/// The database's name as MySQL spells it; it matches in any letter case.
pub const INFORMATION_SCHEMA: &str = "information_schema";
/// `TABLE_CATALOG`/`CATALOG_NAME` of every row (MySQL's only catalog).
const CATALOG_NAME: &str = "def";
/// The character set every database, table and text column reports.
const CHARSET: &str = "utf8";
/// The collation every database, table and text column reports.
const COLLATION: &str = "utf8_general_ci";

/// Whether `name` names `information_schema` (in any letter case).
pub fn is_information_schema(name: &str) -> bool {
    name.eq_ignore_ascii_case(INFORMATION_SCHEMA)
}

/// The names of information_schema's tables, as `SHOW TABLES FROM information_schema` lists them.
pub fn table_names() -> Vec<&'static str> {
    SystemTable::ALL.iter().map(|t| t.name()).collect()
}

/// One table of information_schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SystemTable {
    Schemata,
    Tables,
    Columns,
    Views,
    Partitions,
}

impl SystemTable {
    const ALL: [Self; 5] = [
        Self::Columns,
        Self::Partitions,
        Self::Schemata,
        Self::Tables,
        Self::Views,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Schemata => "SCHEMATA",
            Self::Tables => "TABLES",
            Self::Columns => "COLUMNS",
            Self::Views => "VIEWS",
            Self::Partitions => "PARTITIONS",
        }
    }

    /// The table named `name`, in any letter case.
    fn find(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    fn columns(self) -> &'static [(&'static str, Kind)] {
        match self {
            Self::Schemata => schemata::COLUMNS,
            Self::Tables => tables::COLUMNS,
            Self::Columns => columns::COLUMNS,
            Self::Views => views::COLUMNS,
            Self::Partitions => partitions::COLUMNS,
        }
    }

    async fn rows(self, env: &Arc<QueryEnv>) -> DfResult<Vec<Vec<Cell>>> {
        match self {
            Self::Schemata => Ok(schemata::rows(env)),
            Self::Tables => tables::rows(env),
            Self::Columns => columns::rows(env).await,
            Self::Views => Ok(views::rows(env)),
            Self::Partitions => partitions::rows(env),
        }
    }
}

/// information_schema as a DataFusion schema.
#[derive(Debug)]
pub(crate) struct InformationSchema {
    env: Arc<QueryEnv>,
}

impl InformationSchema {
    /// The tables as the user of `env` sees them.
    pub(crate) fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        table_names().into_iter().map(str::to_owned).collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        Ok(SystemTable::find(name).map(|table| {
            Arc::new(SystemTableProvider {
                env: self.env.clone(),
                table,
                schema: rows::schema(table.columns()),
            }) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        SystemTable::find(name).is_some()
    }
}

/// One information_schema table: its rows are built when the query is planned to run.
#[derive(Debug)]
struct SystemTableProvider {
    env: Arc<QueryEnv>,
    table: SystemTable,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for SystemTableProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let rows = self.table.rows(&self.env).await?;
        let batch = rows::batch(self.schema.clone(), &rows)?;
        let plan: Arc<dyn ExecutionPlan> = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(plan)
    }
}

/// A table or view the user may see.
struct Object {
    db: String,
    name: String,
    kind: ObjectKind,
}

enum ObjectKind {
    /// A table, pinned at the version the rows describe.
    Table(TableVersion),
    /// A view.
    View(ViewDef),
}

/// The databases the user may see, by name (information_schema aside).
fn visible_databases(env: &QueryEnv) -> Vec<String> {
    let mut names = env.engine.database_names();
    names.retain(|db| can_see(&env.grants, db, None));
    names.sort();
    names
}

/// The tables and views the user may see, by database, then name. A table dropped while the
/// list is made is left out.
fn visible_objects(env: &QueryEnv) -> Vec<Object> {
    let mut objects = Vec::new();
    for db in visible_databases(env) {
        let visible = |name: &str| can_see(&env.grants, &db, Some(name));
        for name in env.engine.table_names(&db).unwrap_or_default() {
            if let (true, Ok(version)) = (visible(&name), env.engine.pin_table(&db, &name)) {
                objects.push(Object {
                    db: db.clone(),
                    name,
                    kind: ObjectKind::Table(version),
                });
            }
        }
        for view in env.engine.views(&db).unwrap_or_default() {
            if visible(&view.name) {
                objects.push(Object {
                    db: db.clone(),
                    name: view.name.clone(),
                    kind: ObjectKind::View(view),
                });
            }
        }
    }
    objects.sort_by(|a, b| (&a.db, &a.name).cmp(&(&b.db, &b.name)));
    objects
}

/// Rows, bytes and the newest change of some partitions of a table.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    rows: u64,
    bytes: u64,
    updated_ms: u64,
}

impl Stats {
    /// The stats of `partitions` of `version`: rows as SHOW PARTITIONS counts them (visible
    /// rows, so a PRIMARY KEY table's keys are counted), bytes of all their files.
    fn of<'a>(
        version: &TableVersion,
        partitions: impl IntoIterator<Item = &'a Arc<Partition>>,
    ) -> DfResult<Self> {
        let mut stats = Self::default();
        for partition in partitions {
            stats.rows += crate::ddl::partition_rows(version, partition)
                .map_err(SqlError::into_datafusion)?;
            stats.bytes += partition.data_size_bytes();
            stats.updated_ms = stats.updated_ms.max(partition.visible_version_time_ms);
        }
        Ok(stats)
    }

    /// `TABLE_ROWS, AVG_ROW_LENGTH, DATA_LENGTH` (average 0 for no rows, as MySQL).
    fn size_cells(self) -> [Cell; 3] {
        let average = self.bytes.checked_div(self.rows).unwrap_or(0);
        [
            rows::count(self.rows),
            rows::count(average),
            rows::count(self.bytes),
        ]
    }

    /// `UPDATE_TIME`: the newest partition version's time.
    fn update_time(self) -> Cell {
        Cell::Time(
            i64::try_from(self.updated_ms)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000),
        )
    }
}
