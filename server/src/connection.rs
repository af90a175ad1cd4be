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
    Database, Output, ProcessHandle, QueryResult, SERVER_VERSION, Session, SqlError, Statement,
    WAIT_TIMEOUT, parse_statements,
};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::chatter;
use crate::columns::column_of;
use crate::config::{FAILED_LOGIN_DELAY, ServerConfig};
use crate::errors::kind_of;
use crate::input::InputLimits;
use crate::login::LoginFailure;
use crate::rows::{Cell, rows_of};
use crate::salt::{SALT_LEN, new_salt};

const NO_PREPARED: &str =
    "prepared statements are not supported; send statements as text (client-side parameters)";

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

    /// The chatter answer to `query`, if it is chatter.
    fn chatter(&mut self, query: &str) -> Option<chatter::Answer> {
        let slot = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        chatter::answer(query, slot.as_ref()?)
    }

    /// Runs `statements` on a blocking thread, streaming their results to `results`; cancels
    /// the running statement when the client leaves. Puts the session back when all ran.
    async fn run_statements<W: AsyncWrite + Send + Unpin>(
        &mut self,
        statements: Vec<Statement>,
        results: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        let mut session = self.take_session()?;
        let count = statements.len();
        let (items, mut received) = mpsc::channel(PENDING_ITEMS);
        let thread = tokio::task::spawn_blocking(move || {
            for statement in &statements {
                if !send_outcome(&mut session, statement, &items) {
                    break;
                }
            }
            let wait_timeout = session.variable(WAIT_TIMEOUT).and_then(|v| v.parse().ok());
            (session, wait_timeout)
        });
        let columns: Vec<OnceLock<Vec<Column>>> = (0..count).map(|_| OnceLock::new()).collect();
        let written = tokio::select! {
            written = write_items(&mut received, &columns, results) => written,
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
        _query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        info.error(ErrorKind::ER_UNSUPPORTED_PS, NO_PREPARED.as_bytes())
            .await
    }

    async fn on_execute<'a>(
        &'a mut self,
        _id: u32,
        _params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        results
            .error(ErrorKind::ER_UNSUPPORTED_PS, NO_PREPARED.as_bytes())
            .await
    }

    async fn on_close<'a>(&'a mut self, _stmt: u32)
    where
        W: 'async_trait,
    {
    }

    async fn on_query<'a>(
        &'a mut self,
        query: &'a str,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        if query.len() > self.config.max_statement_bytes {
            let message = format!(
                "Got a packet bigger than 'max_allowed_packet' bytes ({} > {})",
                query.len(),
                self.config.max_statement_bytes
            );
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
                    match write_result(&result, &columns, results).await? {
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

/// Runs `statement` and sends its outcome (a query's rows batch by batch); false when nothing
/// after it should run (it failed, or the client is gone).
fn send_outcome(session: &mut Session, statement: &Statement, items: &mpsc::Sender<Item>) -> bool {
    match session.execute_streaming(statement) {
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
                if let Err(message) = write_batch(&mut rows, &batch).await? {
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
                let Some(writer) = write_result(&result, cols, writer).await? else {
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
        if let Err(message) = write_batch(&mut rows, batch).await? {
            rows.finish_error(ErrorKind::ER_UNKNOWN_ERROR, &message)
                .await?;
            return Ok(None);
        }
    }
    rows.finish_one().await.map(Some)
}

/// Writes the rows of `batch`; the inner error is a value MySQL cannot carry.
async fn write_batch<W: AsyncWrite + Unpin>(
    rows: &mut RowWriter<'_, W>,
    batch: &RecordBatch,
) -> io::Result<Result<(), Vec<u8>>> {
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
