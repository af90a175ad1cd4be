//! `tabvault serve`: the MySQL protocol on the data directory (see the tabvault-server crate).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tabvault::sql::query::ImportPolicy;
use tabvault_server::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_HOST, DEFAULT_MAX_STATEMENT_BYTES, DEFAULT_WAIT_TIMEOUT,
    RootAccess, ServerConfig,
};

/// Arguments of `tabvault serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long = "listen", value_name = "ADDR:PORT", default_value_t = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Connections served at once; more are refused with error 1040.
    #[arg(long = "max-connections", value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Largest statement in bytes; larger ones are refused with error 1153.
    #[arg(long = "max-statement-bytes", value_name = "BYTES", default_value_t = DEFAULT_MAX_STATEMENT_BYTES)]
    pub max_statement_bytes: usize,
    /// Connections one client address may hold at once; more are refused with error 1040.
    #[arg(long = "max-connections-per-host", value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_HOST)]
    pub max_connections_per_host: usize,
    /// Seconds a client has from connecting to being logged in.
    #[arg(long = "handshake-timeout", value_name = "SECONDS", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT.as_secs())]
    pub handshake_timeout_s: u64,
    /// Default `wait_timeout`: seconds a connection may sit idle between commands before it is
    /// closed (a session may set its own).
    #[arg(long = "wait-timeout", value_name = "SECONDS", default_value_t = DEFAULT_WAIT_TIMEOUT.as_secs())]
    pub wait_timeout_s: u64,
    /// Set root's password from this file (its one line) before listening. Without it,
    /// `TABVAULT_ROOT_PASSWORD` is used when set.
    #[arg(long = "root-password-file", value_name = "FILE")]
    pub root_password_file: Option<PathBuf>,
    /// Listen beyond loopback even while root has no password (anyone reaching the port is root).
    #[arg(long = "allow-passwordless-root")]
    pub allow_passwordless_root: bool,
}

/// Serves until SIGINT/SIGTERM, keeping up to `column_cache_bytes` of decoded columns; exit code 1
/// when the server cannot start.
pub fn run(
    data: &Path,
    args: &ServeArgs,
    import: ImportPolicy,
    column_cache_bytes: usize,
) -> ExitCode {
    let config = ServerConfig {
        listen: args.listen,
        max_connections: args.max_connections,
        max_statement_bytes: args.max_statement_bytes,
        max_connections_per_host: args.max_connections_per_host,
        handshake_timeout: Duration::from_secs(args.handshake_timeout_s),
        wait_timeout: Duration::from_secs(args.wait_timeout_s),
        column_cache_bytes: Some(column_cache_bytes),
    };
    let served = RootAccess::from_sources(
        args.root_password_file.as_deref(),
        args.allow_passwordless_root,
    )
    .and_then(|root| tabvault_server::serve(data, &config, &root, import));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR: {e}");
            ExitCode::FAILURE
        }
    }
}
