//! The listener: accepts connections up to the limit, runs each as a [`Connection`], and stops
//! gracefully.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use opensrv_mysql::{AsyncMysqlIntermediary, IntermediaryOptions};
use tabvault_sql::query::ImportPolicy;
use tabvault_sql::{Database, SqlError};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::ServerConfig;
use crate::connection::Connection;
use crate::input::{Input, InputLimits};
use crate::login::{LoginFailure, Output};
use crate::root::RootAccess;
use crate::{reject, signals};

/// Why the server could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Opening the data directory failed.
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// A network or runtime operation failed.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A non-loopback address was asked for while root has no password.
    #[error(
        "refusing to listen on {listen} while root has no password: anyone who can reach it could \
         log in as root. Give one with --root-password-file FILE or TABVAULT_ROOT_PASSWORD (or \
         ALTER USER root IDENTIFIED BY '…'), listen on 127.0.0.1, or pass \
         --allow-passwordless-root"
    )]
    PasswordlessRoot {
        /// The address asked for.
        listen: SocketAddr,
    },
    /// The root password file is empty or holds more than one line.
    #[error("the root password file {} must hold the password on its one line", path.display())]
    RootPasswordFile {
        /// The file.
        path: PathBuf,
    },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let context = context.into();
    move |source| ServerError::Io { context, source }
}

/// Opens the data directory `data`, applies `root` (root's password) and `import` (where
/// `FILES()` may read), serves on `config.listen` until SIGINT or SIGTERM, then shuts down
/// gracefully. Refuses to listen on a non-loopback address while `root` has no password, unless
/// `root.allow_passwordless` is set.
pub fn serve(
    data: &Path,
    config: &ServerConfig,
    root: &RootAccess,
    import: ImportPolicy,
) -> Result<(), ServerError> {
    let database = Database::open(data)?;
    root.apply(&database, config.listen)?;
    database.set_import_policy(import);
    let server = Server::start(database, config)?;
    eprintln!(
        "tabvault serve: listening on {} (data {}); connect with `mysql -h {} -P {} -u root`",
        server.local_addr(),
        data.display(),
        server.local_addr().ip(),
        server.local_addr().port()
    );
    server.run_until_signal()
}

/// A running MySQL-protocol server over one [`Database`]. Create and drop it outside any async
/// runtime: it owns its own.
pub struct Server {
    runtime: Option<Runtime>,
    database: Option<Database>,
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `config.listen` and starts accepting connections in the background.
    pub fn start(database: Database, config: &ServerConfig) -> Result<Self, ServerError> {
        if let Some(bytes) = config.column_cache_bytes {
            database.column_cache().set_budget(bytes);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tabvault-server")
            .enable_all()
            .build()
            .map_err(io_error("starting the server runtime"))?;
        let listener = runtime
            .block_on(TcpListener::bind(config.listen))
            .map_err(io_error(format!("listening on {}", config.listen)))?;
        let local_addr = listener
            .local_addr()
            .map_err(io_error("reading the listening address"))?;
        let (stop, stopping) = watch::channel(false);
        let accept = runtime.spawn(accept_loop(
            listener,
            database.clone(),
            Arc::new(config.clone()),
            stopping,
        ));
        Ok(Self {
            runtime: Some(runtime),
            database: Some(database),
            local_addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The address the server listens on (with the port picked when `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGINT or SIGTERM, then shuts down.
    pub fn run_until_signal(mut self) -> Result<(), ServerError> {
        if let Some(runtime) = &self.runtime {
            runtime
                .block_on(signals::terminated())
                .map_err(io_error("waiting for SIGINT/SIGTERM"))?;
        }
        eprintln!("tabvault serve: shutting down");
        self.stop_all();
        Ok(())
    }

    /// Stops gracefully: no new connections, idle connections close, running statements finish
    /// and send their results, then running BACKUP/RESTORE jobs are cancelled and the database
    /// is closed.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        let _ = self.stop.send(true);
        if let Some(runtime) = self.runtime.take() {
            if let Some(accept) = self.accept.take() {
                let _ = runtime.block_on(accept);
            }
            runtime.shutdown_background();
        }
        if let Some(database) = self.database.take() {
            database.snapshots().shutdown();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    database: Database,
    config: Arc<ServerConfig>,
    mut stopping: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let per_host = PerHost::new(config.max_connections_per_host);
    let mut connections = JoinSet::new();
    let for_connections = stopping.clone();
    loop {
        tokio::select! {
            () = stopped(&mut stopping) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        connections.spawn(reject::refuse(stream));
                        continue;
                    };
                    let Some(host_slot) = per_host.enter(peer.ip()) else {
                        connections.spawn(reject::refuse(stream));
                        continue;
                    };
                    connections.spawn(run_connection(
                        stream,
                        peer,
                        database.clone(),
                        config.clone(),
                        for_connections.clone(),
                        (permit, host_slot),
                    ));
                }
                Err(error) => {
                    // Out of descriptors and the like: report, back off briefly, go on.
                    eprintln!("tabvault serve: accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Returns once the server stops (or its handle is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// A second handle on the connection's socket, for [`Connection`] to notice a client that leaves
/// mid-statement.
fn watch_handle(stream: TcpStream) -> std::io::Result<(TcpStream, TcpStream)> {
    let stream = stream.into_std()?;
    let watch = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, TcpStream::from_std(watch)?))
}

async fn run_connection(
    stream: TcpStream,
    peer: SocketAddr,
    database: Database,
    config: Arc<ServerConfig>,
    mut stopping: watch::Receiver<bool>,
    _slots: (OwnedSemaphorePermit, HostSlot),
) {
    let _ = stream.set_nodelay(true);
    let (stream, watch) = match watch_handle(stream) {
        Ok(handles) => handles,
        Err(error) => {
            eprintln!("tabvault serve: connection from {peer}: {error}");
            return;
        }
    };
    let process = Arc::new(database.register_connection(&peer.to_string()));
    let id = process.id();
    let killed = process.killed();
    // Input ends when the server stops or the connection is killed (`KILL id`).
    let stop = async move {
        tokio::select! {
            () = stopped(&mut stopping) => {}
            () = killed.raised() => {}
        }
    };
    let (read, write) = stream.into_split();
    let failure = LoginFailure::default();
    let limits = InputLimits::new(config.wait_timeout);
    let max_statement_bytes = config.max_statement_bytes;
    let input = Input::new(
        read,
        stop,
        limits.clone(),
        config.handshake_timeout,
        max_statement_bytes,
    );
    let connection = Connection::new(
        database,
        config,
        process,
        (watch, peer.ip().to_string()),
        failure.clone(),
        limits,
    );
    let options = IntermediaryOptions {
        process_use_statement_on_query: true,
        reject_connection_on_dbname_absence: false,
        // A statement's long data is held until its EXECUTE: no more than one statement's worth.
        max_long_data_bytes: Some(max_statement_bytes),
    };
    let output = Output::new(write, failure);
    if let Err(error) =
        AsyncMysqlIntermediary::run_with_options(connection, input, output, &options).await
    {
        use std::io::ErrorKind::*;
        // Clients leaving and refused logins are routine; anything else is worth a line.
        if !matches!(
            error.kind(),
            ConnectionReset
                | ConnectionAborted
                | BrokenPipe
                | UnexpectedEof
                | PermissionDenied
                | TimedOut
                | InvalidData
        ) {
            eprintln!("tabvault serve: connection {id} from {peer}: {error}");
        }
    }
}

/// Connections per client address, capped: one address cannot take every connection slot.
#[derive(Clone)]
struct PerHost {
    max: usize,
    counts: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>,
}

impl PerHost {
    fn new(max: usize) -> Self {
        Self {
            max,
            counts: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, unless it holds `max` already.
    fn enter(&self, ip: IpAddr) -> Option<HostSlot> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(HostSlot {
            hosts: self.clone(),
            ip,
        })
    }
}

/// One connection's place in its address's count; given back when dropped.
struct HostSlot {
    hosts: PerHost,
    ip: IpAddr,
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        let mut counts = self
            .hosts
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}
