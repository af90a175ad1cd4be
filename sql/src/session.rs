//! [`Session`]: a user and a current database, running SQL text statement by statement. Each
//! statement is checked by the privilege check, then mapped onto the storage engine, the snapshot
//! service or DataFusion.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::sql::parser::Statement as QueryStatement;
use tabvault_snapshot::SnapshotService;
use tabvault_storage::Engine;

use crate::auth::{self, UserStore, authorize, required};
use crate::database::{Database, Deadline};
use crate::error::{Result, SqlError};
use crate::parser::{
    ArrowRows, Insert, InsertSource, ObjectName, SetVariable, Statement, parse_object_name,
    parse_query, parse_statements,
};
use crate::prepared::Prepared;
use crate::process::{ProcessHandle, Signal};
use crate::query::{
    LazyImportScope, PlannedQuery, QueryEnv, is_information_schema, plan_query, plan_schema,
    run_query,
};
use crate::result::{Output, QueryResult, RowStream};
use crate::variables::{self, VariableValue};
use crate::{ddl, dml, jobs, processes};

/// A connection-like handle: who runs statements, and in which database.
#[derive(Debug)]
pub struct Session {
    database: Database,
    user: String,
    current: Option<String>,
    wait_for_jobs: bool,
    variables: BTreeMap<String, String>,
    process: Arc<ProcessHandle>,
}

/// Session variables with a meaning here; others that clients set are accepted and kept.
pub const QUERY_TIMEOUT: &str = "query_timeout";
/// Seconds a connection may sit idle between commands (the server closes it then).
pub const WAIT_TIMEOUT: &str = "wait_timeout";

impl Session {
    pub(crate) fn new(database: Database, user: String, process: Arc<ProcessHandle>) -> Self {
        process.set_user(&user);
        Self {
            database,
            user,
            current: None,
            wait_for_jobs: false,
            variables: BTreeMap::new(),
            process,
        }
    }

    /// The session's id in `SHOW PROCESSLIST` (the connection id over the MySQL protocol).
    pub fn process_id(&self) -> u32 {
        self.process.id()
    }

    /// The user the session runs as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The current database (`USE db`), if any.
    pub fn current_database(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The database this session runs against.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// When set, BACKUP and RESTORE return only after their job is FINISHED or CANCELLED (scripts
    /// and tests that read the results next); a job that ends CANCELLED is then the statement's
    /// error, carrying the job's status. Off by default: the statements return at once, as in
    /// StarRocks.
    pub fn set_wait_for_jobs(&mut self, wait: bool) {
        self.wait_for_jobs = wait;
    }

    /// Parses `sql` (one or more statements separated by `;`) and runs the statements in order,
    /// stopping at the first error. Nothing runs if the text does not parse.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<QueryResult>> {
        let statements = parse_statements(sql)?;
        statements
            .iter()
            .map(|s| self.execute_statement(s))
            .collect()
    }

    /// Appends Arrow rows to `table` (`[db.]name`), as `INSERT INTO table (<the batches' column
    /// names>)` would: columns matched by name, values converted to the column types (a value
    /// that does not fit is an error, not a NULL), missing columns take their defaults, one
    /// commit, the INSERT privilege checked. Returns the number of rows.
    pub fn insert_arrow(
        &mut self,
        table: &str,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<u64> {
        let insert = Insert {
            overwrite: false,
            table: parse_object_name(table)?,
            partitions: Vec::new(),
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            source: InsertSource::Arrow(ArrowRows { schema, batches }),
        };
        let result = self.execute_statement(&Statement::Insert(insert))?;
        Ok(result.affected_rows.unwrap_or_default())
    }

    /// A session variable set with `SET`, if it was.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// A system variable as `SELECT @@name` reads it: what the session set, or its default.
    pub fn system_variable(&self, name: &str) -> Option<VariableValue> {
        variables::all(&self.variables)
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// Sets one session variable, as `SET name = value` would (a server sets
    /// `max_allowed_packet` and `wait_timeout` to its limits at login).
    pub fn set_variable(&mut self, name: &str, value: &str) -> Result<()> {
        self.set_variables(&[SetVariable {
            name: name.to_ascii_lowercase(),
            value: value.to_owned(),
        }])
        .map(drop)
    }

    /// `SHOW VARIABLES [LIKE 'pattern']`.
    fn show_variables(&self, pattern: Option<&str>) -> Result<QueryResult> {
        let rows = variables::all(&self.variables)
            .into_iter()
            .filter(|(name, _)| pattern.is_none_or(|p| variables::like(p, name)))
            .map(|(name, value)| vec![Some(name), Some(value.text())])
            .collect();
        QueryResult::text_table(&["Variable_name", "Value"], rows)
    }

    /// The statement time limit (`SET query_timeout = N` seconds; 0 or unset: none).
    pub fn query_timeout(&self) -> Option<Duration> {
        let seconds: u64 = self.variable(QUERY_TIMEOUT)?.parse().ok()?;
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    /// `SET name = value, …`: all or none; `query_timeout` and `wait_timeout` must be whole
    /// seconds.
    fn set_variables(&mut self, assignments: &[SetVariable]) -> Result<QueryResult> {
        for SetVariable { name, value } in assignments {
            let seconds = value.parse::<u64>();
            let valid = match name.as_str() {
                QUERY_TIMEOUT => seconds.is_ok(),
                WAIT_TIMEOUT => seconds.is_ok_and(|s| s > 0),
                _ => true,
            };
            if !valid {
                return Err(SqlError::Invalid(format!(
                    "Variable '{name}' can't be set to the value of '{value}'"
                )));
            }
        }
        for SetVariable { name, value } in assignments {
            self.variables.insert(name.clone(), value.clone());
        }
        Ok(QueryResult::ok())
    }

    /// Runs one parsed statement to its end; a query's rows are collected.
    pub fn execute_statement(&mut self, statement: &Statement) -> Result<QueryResult> {
        match self.execute_streaming(statement)? {
            Output::Done(result) => Ok(result),
            Output::Rows(stream) => stream.collect_result(),
        }
    }

    /// Runs one parsed statement; a query returns its rows as a stream that runs while it is
    /// read (the statement stays listed, cancellable and under `query_timeout` until the stream
    /// ends or is dropped), anything else its finished result.
    pub fn execute_streaming(&mut self, statement: &Statement) -> Result<Output> {
        self.execute_bound(statement, &[])
    }

    /// Runs a prepared statement with `values` bound to its parameters, in order. It runs as
    /// [`Session::execute_streaming`] runs a statement: the same privilege check, process list
    /// entry, `query_timeout` and `KILL`. Fails unless there is one value per parameter.
    pub fn execute_prepared(
        &mut self,
        prepared: &Prepared,
        values: &[ScalarValue],
    ) -> Result<Output> {
        prepared.check_values(values)?;
        self.execute_bound(prepared.statement(), values)
    }

    /// What a statement of this session runs with: `grants`, the current database, the
    /// session's `query_timeout` from now, `cancel` and the bound `params`.
    fn exec<'a>(
        &'a self,
        grants: auth::Grants,
        cancel: Arc<Signal>,
        params: &'a [ScalarValue],
    ) -> Exec<'a> {
        Exec {
            database: &self.database,
            current: self.current.clone(),
            grants,
            deadline: self.query_timeout().map(Deadline::after),
            cancel,
            params,
        }
    }

    /// The columns of a prepared statement's rows, for PREPARE's answer: its query planned with
    /// the parameters unbound, tables resolved and privileges checked as when it runs. `None`
    /// for statements without rows, and for queries that cannot be planned before their values
    /// are known or whose column types the values decide (`SELECT ?`): the client then learns
    /// the columns at EXECUTE.
    pub fn prepared_columns(&self, prepared: &Prepared) -> Option<SchemaRef> {
        let Statement::Query { query } = prepared.statement() else {
            return None;
        };
        let grants = self.database.users().grants_of(&self.user);
        let schema = self.exec(grants, Arc::default(), &[]).plan(query).ok()?;
        let decided = schema
            .fields()
            .iter()
            .all(|f| f.data_type() != &arrow::datatypes::DataType::Null);
        decided.then_some(schema)
    }

    /// Runs `statement` with `params` bound to its DataFusion placeholders.
    fn execute_bound(&mut self, statement: &Statement, params: &[ScalarValue]) -> Result<Output> {
        let cancel = self.process.start(listed_text(statement));
        let output = self.run_statement(statement, params, cancel.clone());
        if !matches!(output, Ok(Output::Rows(_))) {
            self.process.finish(&cancel);
        }
        output
    }

    fn run_statement(
        &mut self,
        statement: &Statement,
        params: &[ScalarValue],
        cancel: Arc<Signal>,
    ) -> Result<Output> {
        let grants = self.database.users().grants_of(&self.user);
        authorize(
            &grants,
            &required(statement, self.current.as_deref(), &self.user),
        )?;
        match statement {
            Statement::SetVariables(assignments) => {
                return self.set_variables(assignments).map(Output::Done);
            }
            Statement::ShowVariables { pattern } => {
                return self.show_variables(pattern.as_deref()).map(Output::Done);
            }
            _ => {}
        }
        let exec = self.exec(grants, cancel, params);
        let admin = auth::is_admin(&exec.grants);
        let hidden = |e| {
            if admin {
                e
            } else {
                hide_server_paths(e, self.database.engine().root())
            }
        };
        if let Statement::Query { query } = statement {
            let planned = exec.plan_rows(query).map_err(hidden)?;
            return Ok(Output::Rows(RowStream::new(
                planned,
                self.database.clone(),
                exec.deadline,
                exec.cancel,
                self.process.clone(),
                (!admin).then(|| self.database.engine().root().to_path_buf()),
            )));
        }
        let result = run(&exec, &self.user, statement).map_err(hidden)?;
        if let Statement::Use { database } = statement {
            self.current = Some(database.clone());
            self.process.set_database(Some(database));
        }
        if self.wait_for_jobs
            && let Some(job) = &result.job
        {
            let end = job.wait();
            if end.state == tabvault_snapshot::JobState::Cancelled {
                return Err(SqlError::Invalid(format!(
                    "job {} ({}) ended CANCELLED: {}",
                    end.id, end.label, end.status
                )));
            }
        }
        Ok(Output::Done(result))
    }
}

/// A statement as `SHOW PROCESSLIST` lists it: statements that carry a password or credentials
/// are cut to their leading words.
fn listed_text(statement: &Statement) -> String {
    match statement {
        Statement::CreateUser { user, .. } => format!("CREATE USER {user} <secret>"),
        Statement::SetPassword { .. } => "SET PASSWORD <secret>".to_owned(),
        Statement::CreateRepository(create) => {
            format!("CREATE REPOSITORY {} <secret>", create.name)
        }
        other => other.to_string(),
    }
}

/// What a user without ADMIN sees of an error: the data directory's absolute path (which tells
/// where and as whom the server keeps its files) replaced by `<data directory>`.
pub(crate) fn hide_server_paths(error: SqlError, root: &std::path::Path) -> SqlError {
    let message = error.to_string();
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut hidden = message.clone();
    for path in [canonical.as_path(), root] {
        hidden = hidden.replace(&path.display().to_string(), "<data directory>");
    }
    if hidden == message {
        error
    } else {
        SqlError::Invalid(hidden)
    }
}

/// Everything a statement needs to run: the database, the session's current database, the
/// user's grants and the values of a prepared statement's parameters.
pub(crate) struct Exec<'a> {
    database: &'a Database,
    current: Option<String>,
    grants: auth::Grants,
    deadline: Option<Deadline>,
    cancel: Arc<Signal>,
    params: &'a [ScalarValue],
}

impl Exec<'_> {
    /// The grants of the user running the statement.
    pub(crate) fn grants(&self) -> &auth::Grants {
        &self.grants
    }

    pub(crate) fn engine(&self) -> &Engine {
        self.database.engine()
    }

    pub(crate) fn snapshots(&self) -> &SnapshotService {
        self.database.snapshots()
    }

    pub(crate) fn users(&self) -> parking_lot::MutexGuard<'_, UserStore> {
        self.database.users()
    }

    pub(crate) fn database(&self) -> &Database {
        self.database
    }

    /// The database of a possibly qualified name.
    pub(crate) fn db_of(&self, name: &ObjectName) -> Result<String> {
        self.current_db(name.database.as_deref())
    }

    /// `explicit`, or the current database.
    pub(crate) fn current_db(&self, explicit: Option<&str>) -> Result<String> {
        explicit
            .or(self.current.as_deref())
            .map(str::to_owned)
            .ok_or(SqlError::NoDatabase)
    }

    fn env(&self) -> Arc<QueryEnv> {
        QueryEnv::new(
            self.engine().clone(),
            self.current.clone(),
            self.grants.clone(),
            Arc::new(LazyImportScope::new({
                let database = self.database.clone();
                move || database.import_scope()
            })),
            self.database.query_runtime(),
            self.database.clone(),
        )
    }

    /// The values bound to the statement's parameters (none outside prepared statements).
    pub(crate) fn params(&self) -> &[ScalarValue] {
        self.params
    }

    /// Runs a read-only query, its placeholders bound to the statement's parameters.
    pub(crate) fn query(&self, query: &QueryStatement) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        self.database.block_on(
            run_query(self.env(), query, self.params),
            self.deadline,
            &self.cancel,
        )
    }

    /// Parses query text tabvault wrote itself, then runs it as [`Exec::query`] does.
    pub(crate) fn query_sql(&self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        self.query(&parse_query(sql)?)
    }

    /// Plans a read-only query, its placeholders bound to the statement's parameters: its schema
    /// and its plan, which runs when its rows are read.
    fn plan_rows(&self, query: &QueryStatement) -> Result<PlannedQuery> {
        self.database.block_on(
            plan_query(self.env(), query, self.params),
            self.deadline,
            &self.cancel,
        )
    }

    /// Plans a read-only query and returns its schema.
    pub(crate) fn plan(&self, query: &QueryStatement) -> Result<SchemaRef> {
        self.database
            .block_on(plan_schema(self.env(), query), self.deadline, &self.cancel)
    }

    /// Parses query text (a view's definition, or a query tabvault wrote), then plans it as
    /// [`Exec::plan`] does.
    pub(crate) fn plan_sql(&self, sql: &str) -> Result<SchemaRef> {
        self.plan(&parse_query(sql)?)
    }
}

fn run(exec: &Exec<'_>, user: &str, statement: &Statement) -> Result<QueryResult> {
    let engine = exec.engine();
    match statement {
        Statement::CreateDatabase { name, .. } if is_information_schema(name) => Err(
            SqlError::Invalid(format!("Can't create database '{name}'; database exists")),
        ),
        Statement::CreateDatabase {
            if_not_exists,
            name,
        } => {
            engine.create_database(name, *if_not_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::DropDatabase {
            if_exists, name, ..
        } => {
            engine.drop_database(name, *if_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::Use { database } => {
            if !is_information_schema(database) {
                engine.catalog().require_database(database)?;
            }
            Ok(QueryResult::message("Database changed"))
        }
        Statement::ShowDatabases => {
            ddl::show_databases(engine, |db| auth::can_see(&exec.grants, db, None))
        }
        Statement::ShowTables { database, full } => {
            let db = exec.current_db(database.as_deref())?;
            ddl::show_tables(engine, &db, *full, |table| {
                auth::can_see(&exec.grants, &db, Some(table))
            })
        }
        Statement::ShowTableStatus { database, filter } => {
            ddl::show_table_status(exec, database.as_deref(), filter.as_ref())
        }
        Statement::ShowColumns { table, full } => ddl::show_columns(exec, table, *full),
        Statement::ShowIndex { table } => ddl::show_index(exec, table),
        Statement::ShowPartitions { table } => {
            ddl::show_partitions(&engine.pin_table(&exec.db_of(table)?, &table.name)?)
        }
        Statement::ShowCreateTable { table } => ddl::show_create(exec, table),
        Statement::Describe { table } => ddl::describe(exec, table),
        Statement::CreateTable(create) => ddl::create_table(exec, create),
        Statement::DropTable {
            if_exists, table, ..
        } => {
            engine.drop_table(&exec.db_of(table)?, &table.name, *if_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::TruncateTable { table, partitions } => {
            let partitions = (!partitions.is_empty()).then_some(partitions.as_slice());
            engine.truncate(&exec.db_of(table)?, &table.name, partitions)?;
            Ok(QueryResult::ok())
        }
        Statement::AlterTable { table, action } => ddl::alter_table(exec, table, action),
        Statement::CreateView(view) => ddl::create_view(exec, view),
        Statement::DropView { if_exists, view } => {
            engine.drop_view(&exec.db_of(view)?, &view.name, *if_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::Insert(insert) => dml::insert(exec, insert),
        Statement::Delete(delete) => dml::delete(exec, delete),
        Statement::Query { .. } => Err(SqlError::Unsupported(
            "a query streams its rows from its session".into(),
        )),
        Statement::CreateUser {
            if_not_exists,
            user,
            password,
        } => {
            exec.users()
                .create_user(&user.name, password.as_ref(), *if_not_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::SetVariables(_) | Statement::ShowVariables { .. } => Err(SqlError::Unsupported(
            "session variables are read and set in their session".into(),
        )),
        Statement::ShowProcesslist { full } => processes::show(exec, user, *full),
        Statement::Kill { query_only, id } => processes::kill(exec, user, *id, *query_only),
        Statement::SetPassword {
            user: who,
            password,
        } => {
            let name = who.as_ref().map_or(user, |u| u.name.as_str());
            exec.users().set_password(name, password)?;
            Ok(QueryResult::ok())
        }
        Statement::DropUser { if_exists, user } => {
            exec.users().drop_user(&user.name, *if_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::CreateRole {
            if_not_exists,
            name,
        } => {
            exec.users().create_role(name, *if_not_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::DropRole { if_exists, name } => {
            exec.users().drop_role(name, *if_exists)?;
            Ok(QueryResult::ok())
        }
        Statement::Grant(grant) => auth::grant(exec, grant, true),
        Statement::Revoke(grant) => auth::grant(exec, grant, false),
        Statement::ShowGrants { user: who } => {
            auth::show_grants(exec, who.as_ref().map_or(user, |u| u.name.as_str()))
        }
        Statement::CreateRepository(create) => jobs::create_repository(exec, create),
        Statement::DropRepository { if_exists, name } => {
            jobs::drop_repository(exec, name, *if_exists)
        }
        Statement::ShowRepositories => jobs::show(jobs::show_repositories(exec.snapshots())),
        Statement::RefreshIceberg { repository } => jobs::refresh_iceberg(exec, repository),
        Statement::Backup(backup) => jobs::backup(exec, backup),
        Statement::Restore(restore) => jobs::restore(exec, restore),
        Statement::ShowBackup { database } => {
            let db = jobs::shown_database(exec, database.as_deref())?;
            jobs::show_jobs(exec, jobs::show_backup(exec.snapshots(), db.as_deref()))
        }
        Statement::ShowRestore { database } => {
            let db = jobs::shown_database(exec, database.as_deref())?;
            jobs::show_jobs(exec, jobs::show_restore(exec.snapshots(), db.as_deref()))
        }
        Statement::ShowBackupHistory { database } => {
            let db = jobs::shown_database(exec, database.as_deref())?;
            jobs::show_jobs(
                exec,
                jobs::show_backup_history(exec.snapshots(), db.as_deref()),
            )
        }
        Statement::ShowRestoreHistory { database } => {
            let db = jobs::shown_database(exec, database.as_deref())?;
            jobs::show_jobs(
                exec,
                jobs::show_restore_history(exec.snapshots(), db.as_deref()),
            )
        }
        Statement::CancelBackup { database } => {
            exec.snapshots()
                .cancel_backup(&exec.current_db(database.as_deref())?)?;
            Ok(QueryResult::ok())
        }
        Statement::CancelRestore { database } => {
            exec.snapshots()
                .cancel_restore(&exec.current_db(database.as_deref())?)?;
            Ok(QueryResult::ok())
        }
        Statement::ShowSnapshot(show) => jobs::show(jobs::show_snapshot(
            exec.snapshots(),
            &show.repository,
            show.snapshot.as_deref(),
            show.timestamp.as_deref(),
        )?),
        Statement::DropSnapshot(drop) => jobs::drop_snapshot(exec, drop),
        Statement::VerifySnapshot(verify) => jobs::verify_snapshot(exec, verify),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_statement;

    #[test]
    fn listed_statements_carry_no_secrets() {
        for sql in [
            "SET PASSWORD FOR bob = PASSWORD('hunter2')",
            "ALTER USER bob IDENTIFIED BY 'hunter2'",
            "CREATE USER bob IDENTIFIED BY 'hunter2'",
            "CREATE REPOSITORY r WITH BROKER ON LOCATION 's3://b/p' \
             PROPERTIES ('aws.s3.access_key' = 'AK', 'aws.s3.secret_key' = 'hunter2')",
        ] {
            let listed = listed_text(&parse_statement(sql).expect("parses"));
            assert!(!listed.contains("hunter2"), "{listed}");
            assert!(listed.contains("<secret>"), "{listed}");
        }
        let query = parse_statement("SELECT 1").expect("parses");
        assert_eq!(listed_text(&query), "SELECT 1");
    }
}
