//! tabvault-sql: the StarRocks-dialect SQL layer of tabvault.
//!
//! - A parser that turns SQL text into a typed [`Statement`] for every statement tabvault supports
//!   (databases, tables, partitions, views, `INSERT`/`DELETE`/queries, users, roles and privileges,
//!   repositories, `BACKUP`, `RESTORE`, snapshots and jobs), in StarRocks' grammar, and prints
//!   statements back as canonical SQL.
//! - An executor: a [`Database`] (engine + snapshot service + users) opens [`Session`]s whose
//!   [`Session::execute`] runs statements and returns [`QueryResult`]s (Arrow record batches, an
//!   affected-row count or a message). DDL maps onto the storage engine, BACKUP/RESTORE/SHOW onto
//!   the snapshot service, and queries, `INSERT … SELECT`, view bodies and `DELETE … WHERE` go
//!   through DataFusion, each table a provider over one pinned version.
//! - Users and roles: `root` and `db_admin`, `CREATE/DROP USER`, `GRANT/REVOKE`, with one privilege
//!   check for every statement ([`auth::required`] + [`auth::authorize`]).
//!
//! ```
//! use tabvault_sql::Database;
//!
//! let dir = tempfile::tempdir()?;
//! let mut session = Database::open(dir.path())?.root_session()?;
//! session.execute(
//!     "CREATE DATABASE db; USE db;
//!      CREATE TABLE t (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2;
//!      INSERT INTO t VALUES (1, 'a'), (2, 'b');",
//! )?;
//! let results = session.execute("SELECT COUNT(*) AS n FROM t")?;
//! assert_eq!(results[0].row_count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Parser features: keywords are case-insensitive; identifiers are plain or back-quoted; strings
//! are single- or double-quoted with backslash escapes; `--`, `#` and `/* */` comments; errors
//! carry line, column and what was expected. No input panics.
//!
//! Non-goals: an expression grammar of our own (queries and expressions are DataFusion's, in its
//! MySQL dialect with case-sensitive identifiers); the MySQL wire protocol (see the binary).

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod auth;
mod database;
mod ddl;
mod dml;
mod error;
mod jobs;
mod literal;
mod parser;
mod prepared;
mod process;
mod processes;
pub mod query;
mod result;
mod session;
mod variables;

pub use database::Database;
pub use datafusion::common::ScalarValue;
pub use ddl::{DEFAULT_BUCKETS, PARTITION_COLUMNS};
pub use error::{Result, SqlError};
pub use jobs::{LATEST_TIMESTAMP, verify_result};
pub use literal::{DEFAULT_DECIMAL_PRECISION, DEFAULT_VARCHAR_LEN};
pub use parser::{
    AlterTableAction, ArrowRows, Backup, Broker, ColumnSpec, CompactKind, CreateRepository,
    CreateTable, CreateView, DataType, DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant,
    GrantItems, GrantObject, Grantee, Insert, InsertSource, InsertValue, KeyKind, KeysSpec,
    Literal, NewPassword, ObjectKind, ObjectName, ParseError, PartitionBy, PartitionKind,
    PartitionSpec, PartitionValues, Privilege, Properties, Restore, SetVariable, ShowFilter,
    ShowSnapshot, SnapshotObject, Statement, TimestampComparison, TimestampCondition, UserIdentity,
    VerifySnapshot, parse_object_name, parse_statement, parse_statements,
};
pub use prepared::{MAX_PARAMS, Prepared};
pub use process::{ProcessHandle, Signal};
pub use result::{Output, QueryResult, RowStream};
pub use session::{QUERY_TIMEOUT, Session, WAIT_TIMEOUT};
pub use variables::{SERVER_VERSION, VariableValue};
