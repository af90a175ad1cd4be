//! The statements the parser produces.
//!
//! The AST records what the user wrote, not what it means: names keep their case, omitted clauses
//! are `None` or empty, and defaults (such as DECIMAL's precision or the current database) are the
//! executor's to apply. Literals stay text-like ([`Literal::Number`] keeps its digits) so the
//! executor can coerce them to the column's type without loss. Queries and expressions (`DELETE`
//! and `SHOW … WHERE` conditions, non-literal `VALUES` cells) are sqlparser's AST, as DataFusion
//! plans them; a view's definition is kept as written, since it is stored.

use datafusion::sql::parser::Statement as QueryStatement;
use datafusion::sql::sqlparser::ast::Expr;

/// The filter of a MySQL `SHOW` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShowFilter {
    /// `LIKE 'pattern'` on the name column.
    Like(String),
    /// `WHERE condition` over the statement's columns.
    Where(Box<Expr>),
}

/// One SQL statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// `CREATE DATABASE [IF NOT EXISTS] db`.
    CreateDatabase {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// The database to create.
        name: String,
    },
    /// `DROP DATABASE [IF EXISTS] db [FORCE]`.
    DropDatabase {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The database to drop.
        name: String,
        /// `FORCE` was given.
        force: bool,
    },
    /// `USE db`.
    Use {
        /// The database that becomes current.
        database: String,
    },
    /// `SHOW DATABASES`.
    ShowDatabases,
    /// `SHOW [FULL] TABLES [FROM db]`.
    ShowTables {
        /// The database to list; `None` means the current one.
        database: Option<String>,
        /// `FULL` was given: a `Table_type` column says `BASE TABLE` or `VIEW`.
        full: bool,
    },
    /// `SHOW TABLE STATUS [FROM db] [LIKE 'pattern' | WHERE condition]`: MySQL's facts about each
    /// table and view of a database (rows, sizes, engine), as BI tools and clients ask for them.
    ShowTableStatus {
        /// The database to list; `None` means the current one.
        database: Option<String>,
        /// Which rows to keep, if any.
        filter: Option<ShowFilter>,
    },
    /// `SHOW [FULL] COLUMNS|FIELDS FROM t [FROM db]`: `DESC` in MySQL's columns.
    ShowColumns {
        /// The table or view.
        table: ObjectName,
        /// `FULL` was given: `Collation`, `Privileges` and `Comment` columns too.
        full: bool,
    },
    /// `SHOW INDEX|INDEXES|KEYS FROM t [FROM db]`: tabvault has no secondary indexes, so no
    /// rows, in MySQL's columns (clients and ORMs ask).
    ShowIndex {
        /// The table.
        table: ObjectName,
    },
    /// `SHOW PARTITIONS FROM t`.
    ShowPartitions {
        /// The table whose partitions are listed.
        table: ObjectName,
    },
    /// `SHOW CREATE TABLE t`.
    ShowCreateTable {
        /// The table (or view) to show.
        table: ObjectName,
    },
    /// `DESC t` or `DESCRIBE t`.
    Describe {
        /// The table (or view) to describe.
        table: ObjectName,
    },
    /// `CREATE TABLE …`.
    CreateTable(CreateTable),
    /// `DROP TABLE [IF EXISTS] t [FORCE]`.
    DropTable {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The table to drop.
        table: ObjectName,
        /// `FORCE` was given.
        force: bool,
    },
    /// `TRUNCATE TABLE t [PARTITION (p, …)]`.
    TruncateTable {
        /// The table to empty.
        table: ObjectName,
        /// The partitions to empty; empty means all of them.
        partitions: Vec<String>,
    },
    /// `ALTER TABLE t ADD|DROP PARTITION …`.
    AlterTable {
        /// The table to change.
        table: ObjectName,
        /// The change.
        action: AlterTableAction,
    },
    /// `CREATE [OR REPLACE] VIEW …`.
    CreateView(CreateView),
    /// `DROP VIEW [IF EXISTS] v`.
    DropView {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The view to drop.
        view: ObjectName,
    },
    /// `INSERT INTO|OVERWRITE …`.
    Insert(Insert),
    /// `DELETE FROM t [PARTITION …] WHERE …`.
    Delete(Delete),
    /// A `SELECT` or `WITH` query, or `EXPLAIN` of one.
    Query {
        /// The query as DataFusion's parser gives it.
        query: Box<QueryStatement>,
    },
    /// `CREATE USER [IF NOT EXISTS] 'u'[@'host'] [IDENTIFIED BY 'p']`.
    CreateUser {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// The user to create.
        user: UserIdentity,
        /// The password from `IDENTIFIED BY [PASSWORD]`.
        password: Option<NewPassword>,
    },
    /// `ALTER USER 'u' IDENTIFIED BY [PASSWORD] '…'` and `SET PASSWORD [FOR 'u'] = …`.
    SetPassword {
        /// Whose password; `None` is the session's own user (`SET PASSWORD = …`).
        user: Option<UserIdentity>,
        /// The new password.
        password: NewPassword,
    },
    /// `SET name = value [, …]` of session variables (`query_timeout`, `wait_timeout`, and the
    /// ones drivers send, which are accepted and kept).
    SetVariables(Vec<SetVariable>),
    /// `SHOW [GLOBAL|SESSION] VARIABLES [LIKE 'pattern']`.
    ShowVariables {
        /// The `LIKE` pattern (`%`, `_`, case-insensitive), if given.
        pattern: Option<String>,
    },
    /// `SHOW [FULL] PROCESSLIST`: the open sessions (all for admins, one's own otherwise).
    ShowProcesslist {
        /// `FULL` was given: statements are shown whole, not cut at 100 characters.
        full: bool,
    },
    /// `KILL [CONNECTION|QUERY] id`: cancels the session's running statement; without `QUERY`
    /// also closes its connection.
    Kill {
        /// `QUERY` was given: the connection stays open.
        query_only: bool,
        /// The process (connection) id.
        id: u32,
    },
    /// `DROP USER [IF EXISTS] 'u'[@'host']`.
    DropUser {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The user to drop.
        user: UserIdentity,
    },
    /// `CREATE ROLE [IF NOT EXISTS] r`.
    CreateRole {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// The role to create.
        name: String,
    },
    /// `DROP ROLE [IF EXISTS] r`.
    DropRole {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The role to drop.
        name: String,
    },
    /// `GRANT … TO …`.
    Grant(Grant),
    /// `REVOKE … FROM …`: the same parts as a grant, taken away.
    Revoke(Grant),
    /// `SHOW GRANTS [FOR 'u']`.
    ShowGrants {
        /// Whose grants; `None` means the current user's.
        user: Option<UserIdentity>,
    },
    /// `CREATE [READ ONLY] REPOSITORY …`.
    CreateRepository(CreateRepository),
    /// `DROP REPOSITORY [IF EXISTS] r` (`IF EXISTS` is a tabvault extension).
    DropRepository {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The repository to forget (its remote files stay).
        name: String,
    },
    /// `SHOW REPOSITORIES`.
    ShowRepositories,
    /// `ALTER REPOSITORY r REFRESH ICEBERG` (tabvault extension): writes again the Iceberg view
    /// of every complete snapshot in the repository at its current location.
    RefreshIceberg {
        /// The repository.
        repository: String,
    },
    /// `BACKUP SNAPSHOT …`.
    Backup(Backup),
    /// `SHOW BACKUP [FROM db]`.
    ShowBackup {
        /// The database whose last job is shown; `None` means the current one.
        database: Option<String>,
    },
    /// `SHOW ALL BACKUP [FROM db]` (tabvault extension): every BACKUP job still kept, oldest
    /// first.
    ShowBackupHistory {
        /// The database whose jobs are shown; `None` means the current one.
        database: Option<String>,
    },
    /// `CANCEL BACKUP FROM db`.
    CancelBackup {
        /// The database whose running backup is cancelled; `None` means the current one.
        database: Option<String>,
    },
    /// `SHOW SNAPSHOT ON repo [WHERE …]`.
    ShowSnapshot(ShowSnapshot),
    /// `DROP SNAPSHOT s ON repo [FORCE]` or `DROP SNAPSHOT ON repo WHERE SNAPSHOT = "s" …`.
    DropSnapshot(DropSnapshot),
    /// `ADMIN VERIFY SNAPSHOT s ON repo [PROPERTIES (…)]` (tabvault extension).
    VerifySnapshot(VerifySnapshot),
    /// `RESTORE SNAPSHOT …`.
    Restore(Restore),
    /// `SHOW RESTORE [FROM db]`.
    ShowRestore {
        /// The database whose last job is shown; `None` means the current one.
        database: Option<String>,
    },
    /// `SHOW ALL RESTORE [FROM db]` (tabvault extension): every RESTORE job still kept, oldest
    /// first.
    ShowRestoreHistory {
        /// The database whose jobs are shown; `None` means the current one.
        database: Option<String>,
    },
    /// `CANCEL RESTORE FROM db`.
    CancelRestore {
        /// The database whose running restore is cancelled; `None` means the current one.
        database: Option<String>,
    },
}

/// A possibly database-qualified name: `t` or `db.t`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectName {
    /// The database, when qualified; `None` means the current database.
    pub database: Option<String>,
    /// The object's own name.
    pub name: String,
}

/// A literal value, as written. The executor coerces it to the target column's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `TRUE` or `FALSE`.
    Boolean(bool),
    /// A number with its sign, digits, point and exponent as written (`-12`, `3.50`, `1e9`), so
    /// that LARGEINT and DECIMAL values keep every digit.
    Number(String),
    /// A quoted string, unescaped. Dates and datetimes are strings too, as in StarRocks.
    String(String),
}

/// A column type, named as in StarRocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `BOOLEAN`.
    Boolean,
    /// `TINYINT`.
    TinyInt,
    /// `SMALLINT`.
    SmallInt,
    /// `INT` or `INTEGER`.
    Int,
    /// `BIGINT`.
    BigInt,
    /// `LARGEINT`.
    LargeInt,
    /// `FLOAT`.
    Float,
    /// `DOUBLE`.
    Double,
    /// `DECIMAL[(p[, s])]`, also spelled `DECIMALV2`, `DECIMALV3`, `DECIMAL32/64/128`.
    Decimal {
        /// The precision, if given.
        precision: Option<u8>,
        /// The scale, if given; only ever `Some` when `precision` is.
        scale: Option<u8>,
    },
    /// `CHAR[(n)]`.
    Char(Option<u32>),
    /// `VARCHAR[(n)]`.
    Varchar(Option<u32>),
    /// `STRING`.
    String,
    /// `DATE`.
    Date,
    /// `DATETIME`.
    DateTime,
}

/// A column's `DEFAULT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    /// `DEFAULT <literal>`.
    Literal(Literal),
    /// `DEFAULT CURRENT_TIMESTAMP`.
    CurrentTimestamp,
}

/// One column of a `CREATE TABLE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Declared type.
    pub data_type: DataType,
    /// `Some(true)` for `NULL`, `Some(false)` for `NOT NULL`, `None` when not written.
    pub nullable: Option<bool>,
    /// The `DEFAULT` clause.
    pub default: Option<DefaultValue>,
    /// The `COMMENT '…'` clause.
    pub comment: Option<String>,
}

/// The table's key model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `DUPLICATE KEY(…)`: every row is kept.
    Duplicate,
    /// `PRIMARY KEY(…)`: the newest row per key wins.
    Primary,
}

/// `DUPLICATE KEY(cols)` or `PRIMARY KEY(cols)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeysSpec {
    /// Which model.
    pub kind: KeyKind,
    /// Key columns, in order.
    pub columns: Vec<String>,
}

/// `PARTITION BY RANGE(col) (…)` or `PARTITION BY LIST(col) (…)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionBy {
    /// RANGE or LIST.
    pub kind: PartitionKind,
    /// The partitioning column.
    pub column: String,
    /// The initial partitions.
    pub partitions: Vec<PartitionSpec>,
}

/// How a partitioned table splits rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartitionKind {
    /// `RANGE`.
    Range,
    /// `LIST`.
    List,
}

/// `PARTITION p VALUES …`, in `CREATE TABLE` or `ALTER TABLE … ADD PARTITION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionSpec {
    /// Partition name.
    pub name: String,
    /// Which rows it holds.
    pub values: PartitionValues,
}

/// The `VALUES` of a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionValues {
    /// `VALUES LESS THAN ("x")`, or `VALUES LESS THAN MAXVALUE` as `None`. The lower bound is the
    /// previous partition's upper bound.
    LessThan(Option<Literal>),
    /// `VALUES [("a"), ("b"))`: from `lower` inclusive to `upper` exclusive.
    Between {
        /// Inclusive lower bound.
        lower: Literal,
        /// Exclusive upper bound.
        upper: Literal,
    },
    /// `VALUES IN ("a", "b")`.
    In(Vec<Literal>),
}

/// `DISTRIBUTED BY …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistributionSpec {
    /// `DISTRIBUTED BY HASH(cols) [BUCKETS n]`.
    Hash {
        /// Hashed columns.
        columns: Vec<String>,
        /// `BUCKETS n`, if given.
        buckets: Option<u32>,
    },
    /// `DISTRIBUTED BY RANDOM [BUCKETS n]`.
    Random {
        /// `BUCKETS n`, if given.
        buckets: Option<u32>,
    },
}

/// A `PROPERTIES ("k" = "v", …)` list, in the order written.
pub type Properties = Vec<(String, String)>;

/// `CREATE TABLE [IF NOT EXISTS] [db.]t (…) …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateTable {
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// The table to create.
    pub name: ObjectName,
    /// Columns, in order.
    pub columns: Vec<ColumnSpec>,
    /// `ENGINE = x` as written (StarRocks' tables are `OLAP`).
    pub engine: Option<String>,
    /// The key model clause.
    pub keys: Option<KeysSpec>,
    /// The table's `COMMENT '…'`.
    pub comment: Option<String>,
    /// The partitioning clause; `None` means one partition named like the table.
    pub partition_by: Option<PartitionBy>,
    /// The distribution clause.
    pub distribution: Option<DistributionSpec>,
    /// `PROPERTIES (…)`.
    pub properties: Properties,
}

/// What `ALTER TABLE` changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlterTableAction {
    /// `ADD PARTITION [IF NOT EXISTS] p VALUES …`.
    AddPartition {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// The new partition.
        partition: PartitionSpec,
    },
    /// `DROP PARTITION [IF EXISTS] p [FORCE]`.
    DropPartition {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The partition to drop.
        name: String,
        /// `FORCE` was given.
        force: bool,
    },
    /// `[BASE|CUMULATIVE] COMPACT [p | (p1, …)]`: merges rowsets now.
    Compact {
        /// Which rowsets of each tablet are merged.
        kind: CompactKind,
        /// The partitions to compact; empty means all of them.
        partitions: Vec<String>,
    },
}

/// The rowsets `ALTER TABLE … COMPACT` merges in each tablet, in StarRocks' words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactKind {
    /// `COMPACT`: all of them.
    Full,
    /// `BASE COMPACT`: all of them, into the base rowset.
    Base,
    /// `CUMULATIVE COMPACT`: all but the oldest (all of them when a PRIMARY KEY tablet's newer
    /// rowsets delete keys).
    Cumulative,
}

/// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] v [(cols)] AS <query>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateView {
    /// `OR REPLACE` was given.
    pub or_replace: bool,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// The view to create.
    pub name: ObjectName,
    /// Column names given after the view name; empty when omitted.
    pub columns: Vec<String>,
    /// The defining query's exact source text, trimmed.
    pub query: String,
}

/// `INSERT INTO|OVERWRITE t [PARTITION (…)] [(cols)] VALUES … | <query>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insert {
    /// `INSERT OVERWRITE` rather than `INSERT INTO`.
    pub overwrite: bool,
    /// The target table.
    pub table: ObjectName,
    /// Target partitions; empty means rows are routed to whatever partition fits them.
    pub partitions: Vec<String>,
    /// Target columns; empty means all columns in order.
    pub columns: Vec<String>,
    /// Where the rows come from.
    pub source: InsertSource,
}

/// The rows of an `INSERT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertSource {
    /// `VALUES (…), (…)`: one inner vector per row.
    Values(Vec<Vec<InsertValue>>),
    /// A `SELECT` or `WITH` query.
    Query(Box<QueryStatement>),
    /// Rows an embedder hands over as Arrow batches (`Session::insert_arrow`); never parsed.
    Arrow(ArrowRows),
}

/// Arrow rows to insert, matched to the table's columns by name and converted to their types.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrowRows {
    /// The schema of every batch.
    pub schema: arrow::datatypes::SchemaRef,
    /// The rows.
    pub batches: Vec<arrow::array::RecordBatch>,
}

impl ArrowRows {
    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Statements compare equal only to themselves; batches are compared value by value (a NaN
/// float makes two such inserts unequal, which no caller relies on).
impl Eq for ArrowRows {}

/// One cell of an `INSERT … VALUES` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertValue {
    /// A cell that is exactly one literal (with an optional sign).
    Literal(Literal),
    /// `DEFAULT`: the column's default value.
    Default,
    /// Any other expression, for DataFusion to evaluate.
    Expr(Box<Expr>),
    /// A cell that is exactly parameter `?n` of a prepared statement (1-based), replaced by the
    /// bound value before the statement runs.
    Param(usize),
}

/// A new password as a statement gives it. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum NewPassword {
    /// The password itself (`IDENTIFIED BY 'p'`, `PASSWORD('p')`, MySQL 8's `= 'p'`).
    Plain(String),
    /// MySQL's `*`-prefixed native hash (`IDENTIFIED BY PASSWORD '*…'`, StarRocks' `= '*…'`):
    /// logins work over the MySQL protocol only, where the client proves the password.
    NativeHash(String),
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain(_) => f.write_str("Plain(<secret>)"),
            Self::NativeHash(_) => f.write_str("NativeHash(<secret>)"),
        }
    }
}

impl NewPassword {
    /// Whether `text` is a MySQL native hash: `*` and 40 hex digits.
    pub fn is_native_hash(text: &str) -> bool {
        text.len() == 41
            && text.starts_with('*')
            && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// `DELETE FROM t [PARTITION …] WHERE <predicate>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delete {
    /// The table to delete from.
    pub table: ObjectName,
    /// Partitions to delete from; empty means all.
    pub partitions: Vec<String>,
    /// The `WHERE` condition.
    pub predicate: Box<Expr>,
}

/// A user, as `'name'` or `'name'@'host'`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserIdentity {
    /// User name.
    pub name: String,
    /// Host pattern; `None` when not written (StarRocks then means `'%'`).
    pub host: Option<String>,
}

/// Who receives or loses a grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grantee {
    /// `[USER] 'u'[@'host']`.
    User(UserIdentity),
    /// `ROLE r`.
    Role(String),
}

/// A privilege on tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Privilege {
    /// `SELECT`.
    Select,
    /// `INSERT`.
    Insert,
    /// `DELETE`.
    Delete,
    /// `ALTER`.
    Alter,
    /// `DROP`.
    Drop,
    /// `ALL [PRIVILEGES]`.
    All,
    /// `FILE` (on `*.*` only): reading server-side files with `FILES()`, as MySQL's FILE
    /// privilege governs `LOAD DATA INFILE`.
    File,
}

impl Privilege {
    /// The upper-case keyword, as statements write it, grants store it and errors print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Delete => "DELETE",
            Self::Alter => "ALTER",
            Self::Drop => "DROP",
            Self::All => "ALL",
            Self::File => "FILE",
        }
    }
}

/// What a privilege applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantObject {
    /// `*.*`: everything.
    Global,
    /// `db.*` (or `DATABASE db`): every table of a database.
    Database(String),
    /// `db.t` or `t` (or `TABLE t`): one table.
    Table(ObjectName),
}

/// What a `GRANT` gives or a `REVOKE` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantItems {
    /// `GRANT role1, role2 TO …`.
    Roles(Vec<String>),
    /// `GRANT SELECT, INSERT ON obj TO …`.
    Privileges {
        /// The privileges.
        privileges: Vec<Privilege>,
        /// What they apply to.
        on: GrantObject,
    },
}

/// The body of a `GRANT … TO grantee` or `REVOKE … FROM grantee`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Roles or privileges.
    pub items: GrantItems,
    /// Who.
    pub grantee: Grantee,
}

/// `WITH BROKER [b]` of `CREATE REPOSITORY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broker {
    /// `WITH BROKER` without a name: the built-in client.
    Default,
    /// `WITH BROKER b`.
    Named(String),
}

/// `CREATE [READ ONLY] REPOSITORY r [WITH BROKER [b]] ON LOCATION "uri" [PROPERTIES (…)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateRepository {
    /// `READ ONLY` was given: restores only, never backups.
    pub read_only: bool,
    /// Repository name.
    pub name: String,
    /// The `WITH BROKER` clause.
    pub broker: Option<Broker>,
    /// The location URI or path.
    pub location: String,
    /// `PROPERTIES (…)`: credentials and endpoints.
    pub properties: Properties,
}

/// The kind keyword of an `ON (…)` item, in StarRocks 3.4's syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `TABLE t`.
    Table,
    /// `VIEW v`.
    View,
}

/// One item of a `BACKUP`/`RESTORE` `ON (…)` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotObject {
    /// `TABLE` or `VIEW` when written; `None` for the classic bare name.
    pub kind: Option<ObjectKind>,
    /// The table or view name.
    pub name: String,
    /// `PARTITION (p, …)`; empty means every partition.
    pub partitions: Vec<String>,
    /// `AS alias` (RESTORE only): restore under this name.
    pub alias: Option<String>,
}

/// `BACKUP SNAPSHOT [db.]s TO repo [ON (…)] [PROPERTIES (…)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    /// The snapshot label; its database is the one backed up (`None`: the current one).
    /// `BACKUP DATABASE db SNAPSHOT s` parses to the same value as `BACKUP SNAPSHOT db.s`.
    pub snapshot: ObjectName,
    /// The repository to write to.
    pub repository: String,
    /// `ON (…)` items; empty means the whole database.
    pub on: Vec<SnapshotObject>,
    /// `PROPERTIES (…)` (`type`, `timeout`).
    pub properties: Properties,
}

/// `RESTORE SNAPSHOT [db.]s FROM repo [ON (…)] [PROPERTIES (…)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restore {
    /// The snapshot label; its database is the one restored into (`None`: the current one).
    pub snapshot: ObjectName,
    /// The repository to read from.
    pub repository: String,
    /// `ON (…)` items; empty means everything in the snapshot.
    pub on: Vec<SnapshotObject>,
    /// `PROPERTIES (…)` (`backup_timestamp` is required, but that is the executor's check).
    pub properties: Properties,
}

/// `SHOW SNAPSHOT ON repo [WHERE SNAPSHOT = "s" [AND TIMESTAMP = "ts"]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowSnapshot {
    /// The repository to list.
    pub repository: String,
    /// `SNAPSHOT = "s"`, if given.
    pub snapshot: Option<String>,
    /// `TIMESTAMP = "ts"`, if given; only ever `Some` when `snapshot` is.
    pub timestamp: Option<String>,
}

/// `DROP SNAPSHOT [IF EXISTS] s ON repo [FORCE]`, or `DROP SNAPSHOT [IF EXISTS] ON repo WHERE
/// <conditions> [FORCE]` with StarRocks' conditions (`IF EXISTS` is a tabvault extension).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropSnapshot {
    /// `IF EXISTS` was given: a named snapshot that is missing is not an error.
    pub if_exists: bool,
    /// The repository holding the snapshots.
    pub repository: String,
    /// `s ON repo` or `SNAPSHOT = "s"` (one label), `SNAPSHOT IN (…)` (several); `None` when
    /// only a TIMESTAMP condition is given.
    pub snapshots: Option<Vec<String>>,
    /// `TIMESTAMP {= | <= | >=} "ts"`, if given.
    pub timestamp: Option<TimestampCondition>,
    /// `FORCE` was given: drop even if made by another cluster or unreadable.
    pub force: bool,
}

/// DROP SNAPSHOT's `TIMESTAMP <op> "ts"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampCondition {
    /// The comparison.
    pub op: TimestampComparison,
    /// The timestamp, as written.
    pub timestamp: String,
}

/// The comparison of a [`TimestampCondition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampComparison {
    /// `=`.
    Equal,
    /// `<=`: taken at or before.
    AtMost,
    /// `>=`: taken at or after.
    AtLeast,
}

/// `ADMIN VERIFY SNAPSHOT s ON repo [PROPERTIES ("backup_timestamp" = "ts")]` (a tabvault
/// extension): re-reads what the snapshot's info files vouch for and reports each file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifySnapshot {
    /// The snapshot label.
    pub snapshot: String,
    /// The repository holding it.
    pub repository: String,
    /// `PROPERTIES (…)` (`backup_timestamp`; checking them is the executor's job).
    pub properties: Properties,
}

/// One assignment of a `SET` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetVariable {
    /// The variable, lower case, without `@@` or scope (`NAMES` is `names`).
    pub name: String,
    /// The value as written (a quoted string unquoted).
    pub value: String,
}
