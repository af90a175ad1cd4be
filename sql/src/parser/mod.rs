//! The StarRocks-dialect parser: SQL text in, [`Statement`]s out, and back again through
//! `Display`.
//!
//! Layout: `lexer` makes tokens with sqlparser's tokenizer; `parser` holds the cursor, the shared grammar pieces and the
//! entry points; `ddl`, `table`, `dml`, `privilege` and `backup` each parse one family of
//! statements; `ast` defines what they produce and `display` prints it back as canonical SQL;
//! `placeholders` numbers the `?` parameters of a prepared statement.

mod ast;
mod backup;
mod ddl;
mod display;
mod dml;
mod error;
pub(crate) mod lexer;
#[allow(clippy::module_inception)]
mod parser;
mod placeholders;
mod privilege;
mod table;
mod variables;

pub use ast::{
    AlterTableAction, ArrowRows, Backup, Broker, ColumnSpec, CompactKind, CreateRepository,
    CreateTable, CreateView, DataType, DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant,
    GrantItems, GrantObject, Grantee, Insert, InsertSource, InsertValue, KeyKind, KeysSpec,
    Literal, NewPassword, ObjectKind, ObjectName, PartitionBy, PartitionKind, PartitionSpec,
    PartitionValues, Privilege, Properties, Restore, SetVariable, ShowFilter, ShowSnapshot,
    SnapshotObject, Statement, TimestampComparison, TimestampCondition, UserIdentity,
    VerifySnapshot,
};
pub use error::ParseError;
pub use parser::{parse_object_name, parse_statement, parse_statements};
pub(crate) use parser::{parse_query, parse_with_params};
