//! The server's settings: where it listens and its limits.

use std::net::{Ipv4Addr, SocketAddr};

/// StarRocks' query port on the loopback address.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9030);
/// Connections served at once; one more is refused with error 1040.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Largest statement text accepted (16 MiB); a larger one is refused with error 1153.
pub const DEFAULT_MAX_STATEMENT_BYTES: usize = 16 << 20;

/// How a [`crate::Server`] listens and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port ([`crate::Server::local_addr`] tells it).
    pub listen: SocketAddr,
    /// Connections served at once.
    pub max_connections: usize,
    /// Largest statement text, in bytes.
    pub max_statement_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_statement_bytes: DEFAULT_MAX_STATEMENT_BYTES,
        }
    }
}
