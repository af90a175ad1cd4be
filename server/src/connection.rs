//! One client connection: its login, its [`Session`], and the commands it sends. Every statement
//! runs on a blocking thread so that a long one never stalls other connections.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use opensrv_mysql::{
    AsyncMysqlShim, Column, ErrorKind, InitWriter, OkResponse, ParamParser, QueryResultWriter,
    StatementMetaWriter,
};
use tabvault_sql::{Database, QueryResult, Session, SqlError, Statement, WAIT_TIMEOUT};
use tokio::io::AsyncWrite;

use crate::chatter::{self, SERVER_VERSION};
use crate::columns::column_of;
use crate::config::{FAILED_LOGIN_DELAY, ServerConfig};
use crate::errors::kind_of;
use crate::input::InputLimits;
use crate::login::LoginFailure;
use crate::rows::{Cell, rows_of};
use crate::salt::{SALT_LEN, new_salt};

const NO_PREPARED: &str =
    "prepared statements are not supported; send statements as text (client-side parameters)";

/// The protocol handler of one connection.
pub(crate) struct Connection {
    database: Database,
    config: Arc<ServerConfig>,
    id: u32,
    host: String,
    salt: [u8; SALT_LEN],
    session: Mutex<Option<Session>>,
    failure: LoginFailure,
    limits: InputLimits,
}

impl Connection {
    pub(crate) fn new(
        database: Database,
        config: Arc<ServerConfig>,
        id: u32,
        host: String,
        failure: LoginFailure,
        limits: InputLimits,
    ) -> Self {
        Self {
            database,
            config,
            id,
            host,
            salt: new_salt(),
            session: Mutex::new(None),
            failure,
            limits,
        }
    }

    /// Runs `work` with the session on a blocking thread. An error means the statement panicked
    /// or no one is logged in; the connection then closes.
    async fn blocking<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> io::Result<T> {
        let slot = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let mut session = slot
            .take()
            .ok_or_else(|| io::Error::other("not logged in"))?;
        let (session, output) = tokio::task::spawn_blocking(move || {
            let output = work(&mut session);
            (session, output)
        })
        .await
        .map_err(|e| io::Error::other(format!("statement failed: {e}")))?;
        *self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Some(session);
        Ok(output)
    }

    /// The chatter answer to `query`, if it is chatter.
    fn chatter(&mut self, query: &str) -> Option<chatter::Answer> {
        let slot = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let session = slot.as_ref()?;
        chatter::answer(
            query,
            &chatter::Context {
                database: session.current_database(),
                user: session.user(),
                connection_id: self.id,
                max_statement_bytes: self.config.max_statement_bytes,
                wait_timeout_s: self.limits.wait_timeout_s(),
                query_timeout_s: session.query_timeout().map_or(0, |t| t.as_secs()),
            },
        )
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Connection {
    type Error = io::Error;

    fn version(&self) -> String {
        SERVER_VERSION.into()
    }

    fn connect_id(&self) -> u32 {
        self.id
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
        match self.database.native_session(&user, salt, auth_data) {
            Ok(session) => {
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
                Ok(result) => write_results(vec![result], results).await,
                Err((kind, message)) => results.error(kind, message.as_bytes()).await,
            };
        }
        let sql = query.to_owned();
        let (outcome, wait_timeout) = self
            .blocking(move |session| {
                let outcome = session.execute(&sql);
                let wait_timeout = session.variable(WAIT_TIMEOUT).and_then(|v| v.parse().ok());
                (outcome, wait_timeout)
            })
            .await?;
        if let Some(seconds) = wait_timeout {
            self.limits.set_wait_timeout(seconds);
        }
        match outcome {
            Ok(outcome) => write_results(outcome, results).await,
            Err(error) => write_error(&error, results).await,
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

/// Sends each result: a result set, or an OK packet with its affected rows and message.
async fn write_results<W: AsyncWrite + Unpin>(
    outcome: Vec<QueryResult>,
    results: QueryResultWriter<'_, W>,
) -> io::Result<()> {
    let columns: Vec<Vec<Column>> = outcome
        .iter()
        .map(|r| r.schema.fields().iter().map(|f| column_of(f)).collect())
        .collect();
    let mut writer = results;
    let count = outcome.len();
    for (index, (result, columns)) in outcome.iter().zip(&columns).enumerate() {
        let last = index + 1 == count;
        if result.has_rows() {
            let mut rows = writer.start(columns).await?;
            for batch in &result.batches {
                let batch_rows = match rows_of(batch) {
                    Ok(batch_rows) => batch_rows,
                    Err(e) => {
                        let message = e.to_string().into_bytes();
                        return rows
                            .finish_error(ErrorKind::ER_UNKNOWN_ERROR, &message)
                            .await;
                    }
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
            }
            if last {
                return rows.finish().await;
            }
            writer = rows.finish_one().await?;
        } else {
            let ok = OkResponse {
                affected_rows: result.affected_rows.unwrap_or(0),
                info: result.message.clone().unwrap_or_default(),
                ..OkResponse::default()
            };
            if last {
                return writer.completed(ok).await;
            }
            writer = writer.complete_one(ok).await?;
        }
    }
    writer.completed(OkResponse::default()).await
}
