//! `tabvault serve`: the MySQL protocol on the data directory (see the tabvault-server crate).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tabvault::sql::query::ImportPolicy;
use tabvault_server::{
    DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_STATEMENT_BYTES, RootAccess, ServerConfig,
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
    /// Set root's password from this file (its one line) before listening. Without it,
    /// `TABVAULT_ROOT_PASSWORD` is used when set.
    #[arg(long = "root-password-file", value_name = "FILE")]
    pub root_password_file: Option<PathBuf>,
    /// Listen beyond loopback even while root has no password (anyone reaching the port is root).
    #[arg(long = "allow-passwordless-root")]
    pub allow_passwordless_root: bool,
}

/// Serves until SIGINT/SIGTERM; exit code 1 when the server cannot start.
pub fn run(data: &Path, args: &ServeArgs, import: ImportPolicy) -> ExitCode {
    let config = ServerConfig {
        listen: args.listen,
        max_connections: args.max_connections,
        max_statement_bytes: args.max_statement_bytes,
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
