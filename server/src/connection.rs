//! One client connection: its login, its [`Session`], and the commands it sends. Every statement
//! runs on a blocking thread so that a long one never stalls other connections; a query's rows
//! stream to the client as they are produced, and a client that goes away mid-statement cancels
//! it.

use std::io;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use opensrv_mysql::{
    AsyncMysqlShim, Column, ErrorKind, InitWriter, OkResponse, ParamParser, QueryResultWriter,
    RowWriter, StatementMetaWriter,
};
use tabvault_sql::{
    Database, Output, Prepared, ProcessHandle, QueryResult, SERVER_VERSION, Session, SqlError,
    Statement, WAIT_TIMEOUT, parse_statements,
};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::binary::{binary_rows, write_row};
use crate::chatter;
use crate::columns::column_of;
use crate::config::{FAILED_LOGIN_DELAY, ServerConfig};
use crate::errors::kind_of;
use crate::input::InputLimits;
use crate::login::LoginFailure;
use crate::params::values_of;
use crate::rows::{Cell, rows_of};
use crate::salt::{SALT_LEN, new_salt};
use crate::statements::{MAX_PREPARED, Statements};

/// Result sets and statement outcomes on their way from the statement's thread to the client.
const PENDING_ITEMS: usize = 4;

/// The protocol handler of one connection.
pub(crate) struct Connection {
    database: Database,
    config: Arc<ServerConfig>,
    process: Arc<ProcessHandle>,
    host: String,
    salt: [u8; SALT_LEN],
    session: Mutex<Option<Session>>,
    failure: LoginFailure,
    limits: InputLimits,
    /// The client's socket, only ever peeked at: it tells when the client leaves mid-statement.
    peer: TcpStream,
    /// The statements the client prepared (`COM_STMT_PREPARE`) and has not closed.
    statements: Statements,
}

/// How result rows are encoded: as text (`COM_QUERY`) or binary (`COM_STMT_EXECUTE`).
#[derive(Clone, Copy)]
enum Protocol {
    Text,
    Binary,
}

/// What the statement thread sends the writer.
enum Item {
    /// A query's rows begin.
    Rows(SchemaRef),
    /// More rows of the current query.
    Batch(RecordBatch),
    /// The current query's rows ended.
    RowsEnd,
    /// A statement's whole result.
    Done(QueryResult),
    /// A statement failed: nothing after it runs.
    Failed(SqlError),
}

impl Connection {
    pub(crate) fn new(
        database: Database,
        config: Arc<ServerConfig>,
        process: Arc<ProcessHandle>,
        peer: (TcpStream, String),
        failure: LoginFailure,
        limits: InputLimits,
    ) -> Self {
        let (peer, host) = peer;
        Self {
            database,
            config,
            process,
            host,
            salt: new_salt(),
            session: Mutex::new(None),
            failure,
            limits,
            peer,
            statements: Statements::default(),
        }
    }

    /// Runs `work` with the session on a blocking thread. An error means the statement panicked
    /// or no one is logged in; the connection then closes.
    async fn blocking<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> io::Result<T> {
        let mut session = self.take_session()?;
        let (session, output) = tokio::task::spawn_blocking(move || {
            let output = work(&mut session);
            (session, output)
        })
        .await
        .map_err(|e| io::Error::other(format!("statement failed: {e}")))?;
        self.put_session(session);
        Ok(output)
    }

    /// The logged-in session, taken out to run statements on another thread.
    fn take_session(&mut self) -> io::Result<Session> {
        self.session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| io::Error::other("not logged in"))
    }

    /// Puts the session back after its statements ran.
    fn put_session(&mut self, session: Session) {
        *self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Some(session);
    }

    /// The error message for a statement longer than the configured maximum.
    fn too_large(&self, query: &str) -> Option<String> {
        (query.len() > self.config.max_statement_bytes).then(|| {
            format!(
                "Got a packet bigger than 'max_allowed_packet' bytes ({} > {})",
                query.len(),
                self.config.max_statement_bytes
            )
        })
    }

    /// The chatter answer to `query`, if it is chatter.
    fn chatter(&mut self, query: &str) -> Option<chatter::Answer> {
        let slot = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        chatter::answer(query, slot.as_ref()?)
    }

    /// Runs `statements` on a blocking thread, streaming their results to `results` as text rows.
    async fn run_statements<W: AsyncWrite + Send + Unpin>(
        &mut self,
        statements: Vec<Statement>,
        results: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        let count = statements.len();
        let run = move |session: &mut Session, items: &mpsc::Sender<Item>| {
            for statement in &statements {
                if !send_outcome(session.execute_streaming(statement), items) {
                    break;
                }
            }
        };
        self.stream_outcomes(count, Protocol::Text, run, results)
            .await
    }

    /// Runs `prepared` with `values` on a blocking thread, streaming its result to `results` as
    /// binary rows.
    async fn run_prepared<W: AsyncWrite + Send + Unpin>(
        &mut self,
        prepared: Arc<Prepared>,
        values: Vec<tabvault_sql::ScalarValue>,
        results: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        let run = move |session: &mut Session, items: &mpsc::Sender<Item>| {
            send_outcome(session.execute_prepared(&prepared, &values), items);
        };
        self.stream_outcomes(1, Protocol::Binary, run, results)
            .await
    }

    /// Runs `run` (which sends the outcomes of `count` statements) with the session on a blocking
    /// thread, writing the outcomes to `results` as they come; cancels the running statement when
    /// the client leaves. Puts the session back when all ran.
    async fn stream_outcomes<W: AsyncWrite + Send + Unpin>(
        &mut self,
        count: usize,
        protocol: Protocol,
        run: impl FnOnce(&mut Session, &mpsc::Sender<Item>) + Send + 'static,
        results: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        let mut session = self.take_session()?;
        let (items, mut received) = mpsc::channel(PENDING_ITEMS);
        let thread = tokio::task::spawn_blocking(move || {
            run(&mut session, &items);
            let wait_timeout = session.variable(WAIT_TIMEOUT).and_then(|v| v.parse().ok());
            (session, wait_timeout)
        });
        let columns: Vec<OnceLock<Vec<Column>>> = (0..count).map(|_| OnceLock::new()).collect();
        let written = tokio::select! {
            written = write_items(&mut received, &columns, protocol, results) => written,
            () = client_gone(&self.peer) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the client left while its statement ran",
            )),
        };
        // Nothing more is read: a statement thread still sending (after an error packet ended
        // the response) stops at its next send instead of waiting for room.
        drop(received);
        if written.is_err() {
            self.process.cancel_statement();
            // The thread stops at its next send; the connection closes without its session.
            return written;
        }
        let (session, wait_timeout) = thread
            .await
            .map_err(|e| io::Error::other(format!("statement failed: {e}")))?;
        if let Some(seconds) = wait_timeout {
            self.limits.set_wait_timeout(seconds);
        }
        self.put_session(session);
        written
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Connection {
    type Error = io::Error;

    fn version(&self) -> String {
        SERVER_VERSION.into()
    }

    fn connect_id(&self) -> u32 {
        self.process.id()
    }

    fn salt(&self) -> [u8; SALT_LEN] {
        self.salt
    }

    async fn authenticate(
        &self,
        _plugin: &str,
        username: &[u8],
        salt: &[u8],
        auth_data: &[u8],
    ) -> bool {
        let user = String::from_utf8_lossy(username);
        match self
            .database
            .native_session(&user, salt, auth_data, self.process.clone())
        {
            Ok(mut session) => {
                let limits = [
                    ("max_allowed_packet", self.config.max_statement_bytes as u64),
                    ("wait_timeout", self.limits.wait_timeout_s()),
                ];
                for (name, value) in limits {
                    if session.set_variable(name, &value.to_string()).is_err() {
                        return false;
                    }
                }
                *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
                self.limits.logged_in();
                true
            }
            Err(_) => {
                tokio::time::sleep(FAILED_LOGIN_DELAY).await;
                self.failure.arm(&user, &self.host, !auth_data.is_empty());
                false
            }
        }
    }

    async fn on_prepare<'a>(
        &'a mut self,
        query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        if let Some(message) = self.too_large(query) {
            return info
                .error(ErrorKind::ER_NET_PACKET_TOO_LARGE, message.as_bytes())
                .await;
        }
        let prepared = match Prepared::new(query) {
            Ok(prepared) => prepared,
            Err(error) => {
                return info
                    .error(kind_of(&error), error.to_string().as_bytes())
                    .await;
            }
        };
        let params = vec![param_column(); prepared.param_count()];
        let (prepared, schema) = self
            .blocking(move |session| {
                let schema = session.prepared_columns(&prepared);
                (prepared, schema)
            })
            .await?;
        let columns: Vec<Column> = schema
            .map(|schema| schema.fields().iter().map(|f| column_of(f)).collect())
            .unwrap_or_default();
        let Some(id) = self.statements.add(prepared) else {
            let message = format!(
                "Can't create more than max_prepared_stmt_count statements (current value: \
                 {MAX_PREPARED})"
            );
            return info
                .error(
                    ErrorKind::ER_MAX_PREPARED_STMT_COUNT_REACHED,
                    message.as_bytes(),
                )
                .await;
        };
        info.reply(id, &params, &columns).await
    }

    async fn on_execute<'a>(
        &'a mut self,
        id: u32,
        params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        let Some(prepared) = self.statements.get(id) else {
            let message =
                format!("Unknown prepared statement handler ({id}) given to mysqld_stmt_execute");
            return results
                .error(ErrorKind::ER_UNKNOWN_STMT_HANDLER, message.as_bytes())
                .await;
        };
        match values_of(params) {
            Ok(values) => self.run_prepared(prepared, values, results).await,
            Err(message) => {
                results
                    .error(ErrorKind::ER_WRONG_ARGUMENTS, message.as_bytes())
                    .await
            }
        }
    }

    async fn on_close<'a>(&'a mut self, id: u32)
    where
        W: 'async_trait,
    {
        self.statements.remove(id);
    }

    async fn on_query<'a>(
        &'a mut self,
        query: &'a str,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        if let Some(message) = self.too_large(query) {
            return results
                .error(ErrorKind::ER_NET_PACKET_TOO_LARGE, message.as_bytes())
                .await;
        }
        if let Some(answer) = self.chatter(query) {
            return match answer {
                Ok(result) => {
                    let columns: Vec<Column> = result
                        .schema
                        .fields()
                        .iter()
                        .map(|f| column_of(f))
                        .collect();
                    match write_result(&result, &columns, Protocol::Text, results).await? {
                        Some(writer) => writer.no_more_results().await,
                        None => Ok(()),
                    }
                }
                Err((kind, message)) => results.error(kind, message.as_bytes()).await,
            };
        }
        match parse_statements(query) {
            Ok(statements) => self.run_statements(statements, results).await,
            Err(error) => write_error(&error.into(), results).await,
        }
    }

    async fn on_init<'a>(
        &'a mut self,
        database: &'a str,
        writer: InitWriter<'a, W>,
    ) -> io::Result<()> {
        let statement = Statement::Use {
            database: database.to_owned(),
        };
        match self
            .blocking(move |session| session.execute_statement(&statement))
            .await?
        {
            Ok(_) => writer.ok().await,
            Err(error) => {
                writer
                    .error(kind_of(&error), error.to_string().as_bytes())
                    .await
            }
        }
    }
}

async fn write_error<W: AsyncWrite + Unpin>(
    error: &SqlError,
    results: QueryResultWriter<'_, W>,
) -> io::Result<()> {
    results
        .error(kind_of(error), error.to_string().as_bytes())
        .await
}

/// A parameter's column definition at prepare time: its type is only known when EXECUTE binds it.
fn param_column() -> Column {
    Column {
        table: String::new(),
        column: "?".into(),
        coltype: opensrv_mysql::ColumnType::MYSQL_TYPE_VAR_STRING,
        colflags: opensrv_mysql::ColumnFlags::empty(),
    }
}

/// Sends a statement's outcome (a query's rows batch by batch); false when nothing after it
/// should run (it failed, or the client is gone).
fn send_outcome(output: Result<Output, SqlError>, items: &mpsc::Sender<Item>) -> bool {
    match output {
        Ok(Output::Done(result)) => items.blocking_send(Item::Done(result)).is_ok(),
        Ok(Output::Rows(stream)) => {
            if items.blocking_send(Item::Rows(stream.schema())).is_err() {
                return false;
            }
            for batch in stream {
                let item = match batch {
                    Ok(batch) => Item::Batch(batch),
                    Err(error) => {
                        let _ = items.blocking_send(Item::Failed(error));
                        return false;
                    }
                };
                if items.blocking_send(item).is_err() {
                    // Dropping the stream cancels the rest of the query.
                    return false;
                }
            }
            items.blocking_send(Item::RowsEnd).is_ok()
        }
        Err(error) => {
            let _ = items.blocking_send(Item::Failed(error));
            false
        }
    }
}

/// Returns once the client has closed its side (or sent `COM_QUIT`); never when it sends
/// anything else, which only the next read can take.
async fn client_gone(peer: &TcpStream) {
    const COM_QUIT: [u8; 5] = [1, 0, 0, 0, 1];
    let mut head = [0u8; 5];
    match peer.peek(&mut head).await {
        Ok(0) | Err(_) => {}
        Ok(n) if head[..n] == COM_QUIT[..n] && n == COM_QUIT.len() => {}
        Ok(_) => std::future::pending().await,
    }
}

/// Where the writer is in the response.
enum Stage<'a, W: AsyncWrite + Unpin> {
    /// Between results.
    Between(QueryResultWriter<'a, W>),
    /// Inside a query's rows.
    Rows(RowWriter<'a, W>),
}

/// Writes the items of the statements' outcomes to the client as they arrive: a result set per
/// query (rows as they come), an OK packet per other statement, an error packet for a failure.
async fn write_items<'a, W: AsyncWrite + Unpin>(
    items: &mut mpsc::Receiver<Item>,
    columns: &'a [OnceLock<Vec<Column>>],
    protocol: Protocol,
    results: QueryResultWriter<'a, W>,
) -> io::Result<()> {
    let mut stage = Stage::Between(results);
    let mut index = 0;
    loop {
        stage = match (items.recv().await, stage) {
            (None, Stage::Between(writer)) if index == 0 => {
                return writer.completed(OkResponse::default()).await;
            }
            (None, Stage::Between(writer)) => return writer.no_more_results().await,
            (None, Stage::Rows(rows)) => {
                let message = b"the statement stopped before its rows ended";
                return rows
                    .finish_error(ErrorKind::ER_UNKNOWN_ERROR, message)
                    .await;
            }
            (Some(Item::Failed(error)), Stage::Between(writer)) => {
                return write_error(&error, writer).await;
            }
            (Some(Item::Failed(error)), Stage::Rows(rows)) => {
                let message = error.to_string().into_bytes();
                return rows.finish_error(kind_of(&error), &message).await;
            }
            (Some(Item::Rows(schema)), Stage::Between(writer)) => {
                let cols = columns_of(columns, index, &schema)?;
                Stage::Rows(writer.start(cols).await?)
            }
            (Some(Item::Batch(batch)), Stage::Rows(mut rows)) => {
                if let Err(message) = write_batch(&mut rows, &batch, protocol).await? {
                    return rows
                        .finish_error(ErrorKind::ER_UNKNOWN_ERROR, &message)
                        .await;
                }
                Stage::Rows(rows)
            }
            (Some(Item::RowsEnd), Stage::Rows(rows)) => {
                index += 1;
                Stage::Between(rows.finish_one().await?)
            }
            (Some(Item::Done(result)), Stage::Between(writer)) => {
                let cols = columns_of(columns, index, &result.schema)?;
                let Some(writer) = write_result(&result, cols, protocol, writer).await? else {
                    return Ok(());
                };
                index += 1;
                Stage::Between(writer)
            }
            (Some(_), _) => {
                return Err(io::Error::other("statement results out of order"));
            }
        };
    }
}

/// The MySQL columns of result `index`, made once.
fn columns_of<'a>(
    columns: &'a [OnceLock<Vec<Column>>],
    index: usize,
    schema: &SchemaRef,
) -> io::Result<&'a [Column]> {
    let slot = columns
        .get(index)
        .ok_or_else(|| io::Error::other("more results than statements"))?;
    Ok(slot.get_or_init(|| schema.fields().iter().map(|f| column_of(f)).collect()))
}

/// Writes one finished result: a result set with its rows, or an OK packet. `None` when a value
/// could not be encoded: an error packet then ended the response.
async fn write_result<'a, W: AsyncWrite + Unpin>(
    result: &QueryResult,
    columns: &'a [Column],
    protocol: Protocol,
    writer: QueryResultWriter<'a, W>,
) -> io::Result<Option<QueryResultWriter<'a, W>>> {
    if !result.has_rows() {
        let ok = OkResponse {
            affected_rows: result.affected_rows.unwrap_or(0),
            info: result.message.clone().unwrap_or_default(),
            ..OkResponse::default()
        };
        return writer.complete_one(ok).await.map(Some);
    }
    let mut rows = writer.start(columns).await?;
    for batch in &result.batches {
        if let Err(message) = write_batch(&mut rows, batch, protocol).await? {
            rows.finish_error(ErrorKind::ER_UNKNOWN_ERROR, &message)
                .await?;
            return Ok(None);
        }
    }
    rows.finish_one().await.map(Some)
}

/// Writes the rows of `batch` in `protocol`; the inner error is a value MySQL cannot carry.
async fn write_batch<W: AsyncWrite + Unpin>(
    rows: &mut RowWriter<'_, W>,
    batch: &RecordBatch,
    protocol: Protocol,
) -> io::Result<Result<(), Vec<u8>>> {
    if let Protocol::Binary = protocol {
        let batch_rows = match binary_rows(batch) {
            Ok(batch_rows) => batch_rows,
            Err(e) => return Ok(Err(e.to_string().into_bytes())),
        };
        for row in batch_rows {
            write_row(rows, row).await?;
        }
        return Ok(Ok(()));
    }
    let batch_rows = match rows_of(batch) {
        Ok(batch_rows) => batch_rows,
        Err(e) => return Ok(Err(e.to_string().into_bytes())),
    };
    for row in batch_rows {
        for cell in row {
            match cell {
                None => rows.write_col(None::<String>)?,
                Some(Cell::Text(text)) => rows.write_col(text)?,
                Some(Cell::Bytes(bytes)) => rows.write_col(bytes)?,
            }
        }
        rows.end_row().await?;
    }
    Ok(Ok(()))
}
