//! The server's settings: where it listens and its limits.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// StarRocks' query port on the loopback address.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9030);
/// Connections served at once; one more is refused with error 1040.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Largest statement text accepted (16 MiB); a larger one is refused with error 1153.
pub const DEFAULT_MAX_STATEMENT_BYTES: usize = 16 << 20;

/// Connections one client address may hold at once; one more is refused with error 1040.
pub const DEFAULT_MAX_CONNECTIONS_PER_HOST: usize = 128;
/// Time a client has from connecting to being logged in.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// MySQL's default `wait_timeout`: seconds a logged-in connection may sit idle between commands.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(28_800);
/// Pause before a refused login is answered, which slows password guessing.
pub const FAILED_LOGIN_DELAY: Duration = Duration::from_millis(500);

/// How a [`crate::Server`] listens and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port ([`crate::Server::local_addr`] tells it).
    pub listen: SocketAddr,
    /// Connections served at once.
    pub max_connections: usize,
    /// Largest statement text, in bytes; enforced while the frame is read.
    pub max_statement_bytes: usize,
    /// Connections one client address may hold at once.
    pub max_connections_per_host: usize,
    /// Time from connecting to being logged in.
    pub handshake_timeout: Duration,
    /// Default `wait_timeout`: idle time between commands before the server closes the connection
    /// (a session may change its own with `SET wait_timeout = N`).
    pub wait_timeout: Duration,
    /// Bytes of decoded columns the served database keeps between queries
    /// ([`tabvault_sql::Database::column_cache`]); 0 turns the cache off, and `None` leaves the
    /// database's own setting.
    pub column_cache_bytes: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_statement_bytes: DEFAULT_MAX_STATEMENT_BYTES,
            max_connections_per_host: DEFAULT_MAX_CONNECTIONS_PER_HOST,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            column_cache_bytes: None,
        }
    }
}
