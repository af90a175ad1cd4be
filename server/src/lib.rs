//! tabvault-server: `tabvault serve`, the MySQL wire protocol over one tabvault [`Database`], so a
//! stock `mysql` client or a MySQL driver (pymysql, JDBC, …) can run every statement of the SQL
//! layer — BACKUP and RESTORE included — on port 9030, as with StarRocks.
//!
//! Each connection is one [`tabvault_sql::Session`]: it logs in with `mysql_native_password`
//! against tabvault's users (`root` has no password until one is set; that default is meant for a
//! loopback address, and [`serve`] refuses to listen elsewhere with a passwordless root unless
//! told to; [`RootAccess`] sets root's password at start), takes
//! `USE db` and the connect-time database, and runs each statement on a blocking thread so that a
//! long statement in one connection never stalls another. BACKUP and RESTORE return at once, as in
//! StarRocks; poll `SHOW BACKUP` / `SHOW RESTORE` for their state.
//!
//! Result sets carry MySQL column types derived from the Arrow types: integers (`TINYINT` …
//! `BIGINT`, unsigned when the Arrow type is), `DECIMAL`, `FLOAT`, `DOUBLE`, `DATE`, `DATETIME`,
//! strings and `NULL`s. Writes report their affected-row counts.
//!
//! Prepared statements (COM_STMT_PREPARE / EXECUTE / CLOSE): `?` parameters found by the SQL
//! lexer, values bound typed (never spliced into text), binary-protocol rows, at most 1024 held per
//! connection; each EXECUTE runs through the same session path as a text statement (privileges,
//! `query_timeout`, `KILL`, the process list).
//!
//! Errors carry MySQL error codes and SQLSTATEs:
//!
//! | code | SQLSTATE | when |
//! | --- | --- | --- |
//! | 1064 | 42000 | the statement does not parse |
//! | 1045 | 28000 | login refused (unknown user or wrong password) |
//! | 1227 | 42000 | the user lacks a privilege for the statement |
//! | 1046 | 3D000 | no database selected |
//! | 1049 | 42000 | unknown database |
//! | 1146 | 42S02 | unknown table or view |
//! | 1103 | 42000 | BACKUP of a table the database does not hold (`Incorrect table name`) |
//! | 1007 | HY000 | database exists |
//! | 1050 | 42S01 | table or view exists |
//! | 1235 | 42000 | understood but not supported |
//! | 1461 | 42000 | a connection holds 1024 prepared statements already |
//! | 1210 | HY000 | EXECUTE parameters that do not decode |
//! | 1243 | HY000 | EXECUTE of a statement id the server does not hold |
//! | 1193 | HY000 | unknown system variable in `SELECT @@var` |
//! | 1040 | 08004 | too many connections (sent before the handshake, without SQLSTATE) |
//! | 1153 | 08S01 | statement larger than the configured maximum |
//! | 1105 | HY000 | anything else: storage, snapshot, query and I/O errors, with their message |
//!
//! Transactions: every statement commits by itself (autocommit). `BEGIN`, `COMMIT` and
//! `ROLLBACK` are accepted and do nothing, so drivers that wrap work in transactions still run;
//! a `ROLLBACK` cannot undo an earlier statement.
//!
//! Shutdown ([`Server::shutdown`], or SIGINT/SIGTERM under [`serve`]): the listener closes, idle
//! connections close, running statements finish and send their results, then running BACKUP and
//! RESTORE jobs are cancelled and the engine is closed.
//!
//! ```no_run
//! let config = tabvault_server::ServerConfig::default();
//! let root = tabvault_server::RootAccess::default();
//! let import = tabvault_server::ImportPolicy::disabled(); // FILES() off
//! tabvault_server::serve(std::path::Path::new("tabvault-data"), &config, &root, import)?;
//! # Ok::<(), tabvault_server::ServerError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod binary;
mod chatter;
mod columns;
mod config;
mod connection;
mod errors;
mod input;
mod login;
mod params;
mod reject;
mod root;
mod rows;
mod salt;
mod server;
mod signals;
mod statements;

pub use config::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_HOST, DEFAULT_MAX_STATEMENT_BYTES, DEFAULT_WAIT_TIMEOUT,
    FAILED_LOGIN_DELAY, ServerConfig,
};
pub use root::{ROOT_PASSWORD_ENV, RootAccess};
pub use server::{Server, ServerError, serve};
pub use tabvault_sql::Database;
pub use tabvault_sql::query::ImportPolicy;
