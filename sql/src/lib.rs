//! tabvault-sql: the StarRocks-dialect SQL layer of tabvault.
//!
//! Today this crate is the parser: it turns SQL text into a typed [`Statement`] for every
//! statement tabvault supports (databases, tables, partitions, views, `INSERT`/`DELETE`/queries,
//! users, roles and privileges, repositories, `BACKUP`, `RESTORE`, snapshots and jobs), in
//! StarRocks' grammar, and prints statements back as canonical SQL. Sessions, privileges checks
//! and the executor that maps statements onto the storage and snapshot crates come next.
//!
//! ```
//! use tabvault_sql::{Statement, parse_statement};
//!
//! let statement = parse_statement(
//!     "BACKUP SNAPSHOT example_db.snapshot_label2 TO example_repo ON (example_tbl);",
//! )
//! .unwrap();
//! let Statement::Backup(backup) = &statement else { panic!("not a backup") };
//! assert_eq!(backup.repository, "example_repo");
//! assert_eq!(backup.on[0].name, "example_tbl");
//! // Printing gives canonical SQL that parses back to the same statement.
//! assert_eq!(parse_statement(&statement.to_string()).unwrap(), statement);
//! ```
//!
//! Features:
//! - Keywords are case-insensitive; identifiers are plain or back-quoted (`` `a``b` ``); strings
//!   are single- or double-quoted with backslash escapes and doubled quotes; `--`, `#` and
//!   `/* */` comments.
//! - Errors carry line, column, byte offset, what was found and what was expected. No input
//!   panics.
//!
//! Non-goals:
//! - No expression grammar. Queries, `DELETE` conditions and non-literal `VALUES` cells are kept
//!   as their exact source text, for DataFusion to parse and evaluate.
//! - No semantic checks: unknown properties, missing `backup_timestamp`, DECIMAL ranges and the
//!   like are the executor's, with StarRocks' error strings.
//! - No dependency on the storage crate: the AST holds plain values that the executor maps onto
//!   storage types.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod parser;

pub use parser::{
    AlterTableAction, Backup, Broker, ColumnSpec, CreateRepository, CreateTable, CreateView,
    DataType, DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant, GrantItems, GrantObject,
    Grantee, Insert, InsertSource, InsertValue, KeyKind, KeysSpec, Literal, ObjectKind, ObjectName,
    ParseError, PartitionBy, PartitionKind, PartitionSpec, PartitionValues, Privilege, Properties,
    Restore, ShowSnapshot, SnapshotObject, Statement, UserIdentity, parse_statement,
    parse_statements,
};
