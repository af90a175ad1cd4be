//! Prints statements back as canonical SQL: every identifier back-quoted, strings double-quoted
//! (user names single-quoted, as StarRocks shows them), clauses in StarRocks' order. Parsing the
//! printed text gives back an equal statement; a property test holds this for every family.
//! Queries and expressions are printed by sqlparser, view definitions as written. sqlparser prints
//! strings without MySQL's backslash escapes, takes a doubled quote for one it already escaped and
//! escapes a back-quote in an identifier with a backslash, so in queries and expressions such
//! strings and identifiers do not read back as they were.

use std::fmt::{self, Display, Formatter};

use super::ast::{
    AlterTableAction, Backup, Broker, ColumnSpec, CompactKind, CreateRepository, CreateTable,
    CreateView, DataType, DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant, GrantItems,
    GrantObject, Grantee, Insert, InsertSource, InsertValue, KeyKind, KeysSpec, Literal,
    NewPassword, ObjectKind, ObjectName, PartitionBy, PartitionKind, PartitionSpec,
    PartitionValues, Privilege, Properties, Restore, SetVariable, ShowFilter, ShowSnapshot,
    SnapshotObject, Statement, TimestampComparison, UserIdentity, VerifySnapshot,
};

/// An identifier, back-quoted with inner back-quotes doubled.
struct Ident<'a>(&'a str);

impl Display for Ident<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.0.replace('`', "``"))
    }
}

/// What follows `IDENTIFIED BY`: `'p'` or `PASSWORD '*…'`.
struct Password<'a>(&'a NewPassword);

impl Display for Password<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            NewPassword::Plain(p) => write!(f, "{}", Quoted(p, '\'')),
            NewPassword::NativeHash(h) => write!(f, "PASSWORD {}", Quoted(h, '\'')),
        }
    }
}

/// A string literal in `quote`s, with the backslash escapes the lexer reads back.
struct Quoted<'a>(&'a str, char);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Quoted(text, quote) = *self;
        write!(f, "{quote}")?;
        for c in text.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                '\0' => f.write_str("\\0")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{1a}' => f.write_str("\\Z")?,
                c if c == quote => write!(f, "\\{quote}")?,
                c => write!(f, "{c}")?,
            }
        }
        write!(f, "{quote}")
    }
}

/// A double-quoted string.
fn string(text: &str) -> Quoted<'_> {
    Quoted(text, '"')
}

/// Items joined by `, `.
struct Comma<I>(I);

impl<I> Display for Comma<I>
where
    I: Clone + IntoIterator,
    I::Item: Display,
{
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.clone().into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

/// `(`a`, `b`)`: names back-quoted, comma-separated, in parentheses.
fn idents(names: &[String]) -> impl Display + '_ {
    Parens(Comma(names.iter().map(|n| Ident(n))))
}

/// Something in parentheses.
struct Parens<T>(T);

impl<T: Display> Display for Parens<T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.0)
    }
}

/// ` PARTITION (p, …)`, or nothing when `names` is empty.
fn partitions(f: &mut Formatter<'_>, names: &[String]) -> fmt::Result {
    if names.is_empty() {
        return Ok(());
    }
    write!(f, " PARTITION {}", idents(names))
}

/// ` PROPERTIES ("k" = "v", …)`, or nothing when empty.
fn properties(f: &mut Formatter<'_>, properties: &Properties) -> fmt::Result {
    if properties.is_empty() {
        return Ok(());
    }
    let pairs = properties
        .iter()
        .map(|(k, v)| format!("{} = {}", string(k), string(v)));
    write!(f, " PROPERTIES {}", Parens(Comma(pairs)))
}

/// `keyword` followed by a space when `flag` holds; nothing otherwise.
fn flag(f: &mut Formatter<'_>, flag: bool, keyword: &str) -> fmt::Result {
    if flag {
        write!(f, "{keyword} ")?;
    }
    Ok(())
}

/// ` FORCE` when `force` holds.
fn force_suffix(f: &mut Formatter<'_>, force: bool) -> fmt::Result {
    if force {
        f.write_str(" FORCE")?;
    }
    Ok(())
}

/// ` FROM `db``, or nothing.
fn from_database(f: &mut Formatter<'_>, database: Option<&String>) -> fmt::Result {
    match database {
        Some(db) => write!(f, " FROM {}", Ident(db)),
        None => Ok(()),
    }
}

impl Display for ObjectName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "{}.", Ident(db))?;
        }
        write!(f, "{}", Ident(&self.name))
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Boolean(true) => f.write_str("TRUE"),
            Self::Boolean(false) => f.write_str("FALSE"),
            Self::Number(n) => f.write_str(n),
            Self::String(s) => write!(f, "{}", string(s)),
        }
    }
}

impl Display for DataType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Boolean => "BOOLEAN",
            Self::TinyInt => "TINYINT",
            Self::SmallInt => "SMALLINT",
            Self::Int => "INT",
            Self::BigInt => "BIGINT",
            Self::LargeInt => "LARGEINT",
            Self::Float => "FLOAT",
            Self::Double => "DOUBLE",
            Self::String => "STRING",
            Self::Date => "DATE",
            Self::DateTime => "DATETIME",
            Self::Decimal { precision, scale } => {
                f.write_str("DECIMAL")?;
                return match (precision, scale) {
                    (Some(p), Some(s)) => write!(f, "({p}, {s})"),
                    (Some(p), None) => write!(f, "({p})"),
                    (None, _) => Ok(()),
                };
            }
            Self::Char(length) | Self::Varchar(length) => {
                f.write_str(if matches!(self, Self::Char(_)) {
                    "CHAR"
                } else {
                    "VARCHAR"
                })?;
                return match length {
                    Some(n) => write!(f, "({n})"),
                    None => Ok(()),
                };
            }
        };
        f.write_str(name)
    }
}

impl Display for ColumnSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Ident(&self.name), self.data_type)?;
        match self.nullable {
            Some(true) => f.write_str(" NULL")?,
            Some(false) => f.write_str(" NOT NULL")?,
            None => {}
        }
        match &self.default {
            Some(DefaultValue::CurrentTimestamp) => f.write_str(" DEFAULT CURRENT_TIMESTAMP")?,
            Some(DefaultValue::Literal(value)) => write!(f, " DEFAULT {value}")?,
            None => {}
        }
        if let Some(comment) = &self.comment {
            write!(f, " COMMENT {}", string(comment))?;
        }
        Ok(())
    }
}

impl Display for KeysSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            KeyKind::Duplicate => "DUPLICATE",
            KeyKind::Primary => "PRIMARY",
        };
        write!(f, "{kind} KEY{}", idents(&self.columns))
    }
}

/// Prints `p VALUES …`; the `PARTITION` keyword before it is the caller's, since `ALTER TABLE`
/// puts `IF NOT EXISTS` between the two.
impl Display for PartitionSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} VALUES ", Ident(&self.name))?;
        match &self.values {
            PartitionValues::LessThan(None) => f.write_str("LESS THAN MAXVALUE"),
            PartitionValues::LessThan(Some(bound)) => write!(f, "LESS THAN ({bound})"),
            PartitionValues::Between { lower, upper } => write!(f, "[({lower}), ({upper}))"),
            PartitionValues::In(values) => write!(f, "IN ({})", Comma(values)),
        }
    }
}

impl Display for PartitionBy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PartitionKind::Range => "RANGE",
            PartitionKind::List => "LIST",
        };
        let partitions = self.partitions.iter().map(|p| format!("PARTITION {p}"));
        write!(
            f,
            "PARTITION BY {kind}({}) ({})",
            Ident(&self.column),
            Comma(partitions)
        )
    }
}

impl Display for DistributionSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let buckets = match self {
            Self::Hash { columns, buckets } => {
                write!(f, "DISTRIBUTED BY HASH{}", idents(columns))?;
                buckets
            }
            Self::Random { buckets } => {
                f.write_str("DISTRIBUTED BY RANDOM")?;
                buckets
            }
        };
        match buckets {
            Some(n) => write!(f, " BUCKETS {n}"),
            None => Ok(()),
        }
    }
}

impl Display for CreateTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE TABLE ")?;
        flag(f, self.if_not_exists, "IF NOT EXISTS")?;
        write!(f, "{} ({})", self.name, Comma(&self.columns))?;
        if let Some(engine) = &self.engine {
            write!(f, " ENGINE = {}", Ident(engine))?;
        }
        if let Some(keys) = &self.keys {
            write!(f, " {keys}")?;
        }
        if let Some(comment) = &self.comment {
            write!(f, " COMMENT {}", string(comment))?;
        }
        if let Some(partition_by) = &self.partition_by {
            write!(f, " {partition_by}")?;
        }
        if let Some(distribution) = &self.distribution {
            write!(f, " {distribution}")?;
        }
        properties(f, &self.properties)
    }
}

impl Display for CreateView {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        flag(f, self.or_replace, "OR REPLACE")?;
        f.write_str("VIEW ")?;
        flag(f, self.if_not_exists, "IF NOT EXISTS")?;
        write!(f, "{}", self.name)?;
        if !self.columns.is_empty() {
            write!(f, " {}", idents(&self.columns))?;
        }
        write!(f, " AS {}", self.query)
    }
}

impl Display for InsertValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(literal) => write!(f, "{literal}"),
            Self::Default => f.write_str("DEFAULT"),
            Self::Expr(expr) => write!(f, "{expr}"),
            Self::Param(n) => write!(f, "?{n}"),
        }
    }
}

impl Display for Insert {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let verb = if self.overwrite { "OVERWRITE" } else { "INTO" };
        write!(f, "INSERT {verb} {}", self.table)?;
        partitions(f, &self.partitions)?;
        if !self.columns.is_empty() {
            write!(f, " {}", idents(&self.columns))?;
        }
        match &self.source {
            InsertSource::Values(rows) => {
                let rows = rows.iter().map(|row| Parens(Comma(row)));
                write!(f, " VALUES {}", Comma(rows))
            }
            InsertSource::Query(query) => write!(f, " {query}"),
            InsertSource::Arrow(rows) => write!(f, " <{} rows of Arrow data>", rows.num_rows()),
        }
    }
}

impl Display for Delete {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "DELETE FROM {}", self.table)?;
        partitions(f, &self.partitions)?;
        write!(f, " WHERE {}", self.predicate)
    }
}

impl Display for UserIdentity {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Quoted(&self.name, '\''))?;
        if let Some(host) = &self.host {
            write!(f, "@{}", Quoted(host, '\''))?;
        }
        Ok(())
    }
}

impl Display for Grantee {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(user) => write!(f, "USER {user}"),
            Self::Role(role) => write!(f, "ROLE {}", Ident(role)),
        }
    }
}

impl Display for Privilege {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Display for GrantObject {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("*.*"),
            Self::Database(db) => write!(f, "{}.*", Ident(db)),
            Self::Table(table) => write!(f, "{table}"),
        }
    }
}

/// `GRANT … TO grantee` or `REVOKE … FROM grantee`.
fn grant(f: &mut Formatter<'_>, grant: &Grant, verb: &str, direction: &str) -> fmt::Result {
    write!(f, "{verb} ")?;
    match &grant.items {
        GrantItems::Roles(roles) => write!(f, "{}", Comma(roles.iter().map(|r| Ident(r))))?,
        GrantItems::Privileges { privileges, on } => write!(f, "{} ON {on}", Comma(privileges))?,
    }
    write!(f, " {direction} {}", grant.grantee)
}

impl Display for CreateRepository {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        flag(f, self.read_only, "READ ONLY")?;
        write!(f, "REPOSITORY {}", Ident(&self.name))?;
        match &self.broker {
            Some(Broker::Default) => f.write_str(" WITH BROKER")?,
            Some(Broker::Named(broker)) => write!(f, " WITH BROKER {}", Ident(broker))?,
            None => {}
        }
        write!(f, " ON LOCATION {}", string(&self.location))?;
        properties(f, &self.properties)
    }
}

impl Display for SnapshotObject {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(ObjectKind::Table) => f.write_str("TABLE ")?,
            Some(ObjectKind::View) => f.write_str("VIEW ")?,
            None => {}
        }
        write!(f, "{}", Ident(&self.name))?;
        partitions(f, &self.partitions)?;
        if let Some(alias) = &self.alias {
            write!(f, " AS {}", Ident(alias))?;
        }
        Ok(())
    }
}

/// ` ON (item, …)`, or nothing when empty.
fn snapshot_objects(f: &mut Formatter<'_>, objects: &[SnapshotObject]) -> fmt::Result {
    if objects.is_empty() {
        return Ok(());
    }
    write!(f, " ON ({})", Comma(objects))
}

impl Display for Backup {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BACKUP SNAPSHOT {} TO {}",
            self.snapshot,
            Ident(&self.repository)
        )?;
        snapshot_objects(f, &self.on)?;
        properties(f, &self.properties)
    }
}

impl Display for Restore {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RESTORE SNAPSHOT {} FROM {}",
            self.snapshot,
            Ident(&self.repository)
        )?;
        snapshot_objects(f, &self.on)?;
        properties(f, &self.properties)
    }
}

/// ` WHERE SNAPSHOT = "s" [AND TIMESTAMP = "ts"]`.
fn snapshot_filter(
    f: &mut Formatter<'_>,
    snapshot: &str,
    timestamp: Option<&String>,
) -> fmt::Result {
    write!(f, " WHERE SNAPSHOT = {}", string(snapshot))?;
    match timestamp {
        Some(ts) => write!(f, " AND TIMESTAMP = {}", string(ts)),
        None => Ok(()),
    }
}

impl Display for ShowSnapshot {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "SHOW SNAPSHOT ON {}", Ident(&self.repository))?;
        match &self.snapshot {
            Some(snapshot) => snapshot_filter(f, snapshot, self.timestamp.as_ref()),
            None => Ok(()),
        }
    }
}

impl Display for DropSnapshot {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let if_exists = if self.if_exists { "IF EXISTS " } else { "" };
        match (&self.snapshots, &self.timestamp) {
            (Some(names), None) if names.len() == 1 => write!(
                f,
                "DROP SNAPSHOT {if_exists}{} ON {}",
                Ident(&names[0]),
                Ident(&self.repository)
            )?,
            (names, timestamp) => {
                write!(
                    f,
                    "DROP SNAPSHOT {if_exists}ON {} WHERE ",
                    Ident(&self.repository)
                )?;
                match names.as_deref() {
                    Some([one]) => write!(f, "SNAPSHOT = {}", string(one))?,
                    Some(several) => {
                        write!(f, "SNAPSHOT IN (")?;
                        for (i, name) in several.iter().enumerate() {
                            let sep = if i == 0 { "" } else { ", " };
                            write!(f, "{sep}{}", string(name))?;
                        }
                        write!(f, ")")?;
                    }
                    None => {}
                }
                if let Some(t) = timestamp {
                    let and = if names.is_some() { " AND " } else { "" };
                    let op = match t.op {
                        TimestampComparison::Equal => "=",
                        TimestampComparison::AtMost => "<=",
                        TimestampComparison::AtLeast => ">=",
                    };
                    write!(f, "{and}TIMESTAMP {op} {}", string(&t.timestamp))?;
                }
            }
        }
        force_suffix(f, self.force)
    }
}

impl Display for VerifySnapshot {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ADMIN VERIFY SNAPSHOT {} ON {}",
            Ident(&self.snapshot),
            Ident(&self.repository)
        )?;
        properties(f, &self.properties)
    }
}

impl Display for AlterTableAction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddPartition {
                if_not_exists,
                partition,
            } => {
                f.write_str("ADD PARTITION ")?;
                flag(f, *if_not_exists, "IF NOT EXISTS")?;
                write!(f, "{partition}")
            }
            Self::DropPartition {
                if_exists,
                name,
                force,
            } => {
                f.write_str("DROP PARTITION ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{}", Ident(name))?;
                force_suffix(f, *force)
            }
            Self::Compact { kind, partitions } => {
                f.write_str(match kind {
                    CompactKind::Full => "COMPACT",
                    CompactKind::Base => "BASE COMPACT",
                    CompactKind::Cumulative => "CUMULATIVE COMPACT",
                })?;
                if partitions.is_empty() {
                    return Ok(());
                }
                f.write_str(" (")?;
                for (i, name) in partitions.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Ident(name))?;
                }
                f.write_str(")")
            }
        }
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateDatabase {
                if_not_exists,
                name,
            } => {
                f.write_str("CREATE DATABASE ")?;
                flag(f, *if_not_exists, "IF NOT EXISTS")?;
                write!(f, "{}", Ident(name))
            }
            Self::DropDatabase {
                if_exists,
                name,
                force,
            } => {
                f.write_str("DROP DATABASE ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{}", Ident(name))?;
                force_suffix(f, *force)
            }
            Self::Use { database } => write!(f, "USE {}", Ident(database)),
            Self::ShowDatabases => f.write_str("SHOW DATABASES"),
            Self::ShowTables { database, full } => {
                f.write_str(if *full {
                    "SHOW FULL TABLES"
                } else {
                    "SHOW TABLES"
                })?;
                from_database(f, database.as_ref())
            }
            Self::ShowTableStatus { database, filter } => {
                f.write_str("SHOW TABLE STATUS")?;
                from_database(f, database.as_ref())?;
                match filter {
                    Some(ShowFilter::Like(pattern)) => write!(f, " LIKE {}", Quoted(pattern, '\'')),
                    Some(ShowFilter::Where(condition)) => write!(f, " WHERE {condition}"),
                    None => Ok(()),
                }
            }
            Self::ShowColumns { table, full } => {
                let full = if *full { "FULL " } else { "" };
                write!(f, "SHOW {full}COLUMNS FROM {table}")
            }
            Self::ShowIndex { table } => write!(f, "SHOW INDEX FROM {table}"),
            Self::ShowPartitions { table } => write!(f, "SHOW PARTITIONS FROM {table}"),
            Self::ShowCreateTable { table } => write!(f, "SHOW CREATE TABLE {table}"),
            Self::Describe { table } => write!(f, "DESC {table}"),
            Self::CreateTable(create) => write!(f, "{create}"),
            Self::DropTable {
                if_exists,
                table,
                force,
            } => {
                f.write_str("DROP TABLE ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{table}")?;
                force_suffix(f, *force)
            }
            Self::TruncateTable {
                table,
                partitions: names,
            } => {
                write!(f, "TRUNCATE TABLE {table}")?;
                partitions(f, names)
            }
            Self::AlterTable { table, action } => write!(f, "ALTER TABLE {table} {action}"),
            Self::CreateView(create) => write!(f, "{create}"),
            Self::DropView { if_exists, view } => {
                f.write_str("DROP VIEW ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{view}")
            }
            Self::Insert(insert) => write!(f, "{insert}"),
            Self::Delete(delete) => write!(f, "{delete}"),
            Self::Query { query } => write!(f, "{query}"),
            Self::CreateUser {
                if_not_exists,
                user,
                password,
            } => {
                f.write_str("CREATE USER ")?;
                flag(f, *if_not_exists, "IF NOT EXISTS")?;
                write!(f, "{user}")?;
                match password {
                    Some(p) => write!(f, " IDENTIFIED BY {}", Password(p)),
                    None => Ok(()),
                }
            }
            Self::SetPassword { user, password } => {
                f.write_str("SET PASSWORD ")?;
                if let Some(user) = user {
                    write!(f, "FOR {user} ")?;
                }
                match password {
                    NewPassword::Plain(p) => write!(f, "= PASSWORD({})", Quoted(p, '\'')),
                    NewPassword::NativeHash(h) => write!(f, "= {}", Quoted(h, '\'')),
                }
            }
            Self::SetVariables(assignments) => {
                f.write_str("SET ")?;
                for (i, SetVariable { name, value }) in assignments.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name} = {}", Quoted(value, '\''))?;
                }
                Ok(())
            }
            Self::ShowVariables { pattern } => {
                f.write_str("SHOW VARIABLES")?;
                match pattern {
                    Some(pattern) => write!(f, " LIKE {}", Quoted(pattern, '\'')),
                    None => Ok(()),
                }
            }
            Self::ShowProcesslist { full } => f.write_str(if *full {
                "SHOW FULL PROCESSLIST"
            } else {
                "SHOW PROCESSLIST"
            }),
            Self::Kill { query_only, id } => {
                let what = if *query_only { "QUERY " } else { "" };
                write!(f, "KILL {what}{id}")
            }
            Self::DropUser { if_exists, user } => {
                f.write_str("DROP USER ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{user}")
            }
            Self::CreateRole {
                if_not_exists,
                name,
            } => {
                f.write_str("CREATE ROLE ")?;
                flag(f, *if_not_exists, "IF NOT EXISTS")?;
                write!(f, "{}", Ident(name))
            }
            Self::DropRole { if_exists, name } => {
                f.write_str("DROP ROLE ")?;
                flag(f, *if_exists, "IF EXISTS")?;
                write!(f, "{}", Ident(name))
            }
            Self::Grant(body) => grant(f, body, "GRANT", "TO"),
            Self::Revoke(body) => grant(f, body, "REVOKE", "FROM"),
            Self::ShowGrants { user } => {
                f.write_str("SHOW GRANTS")?;
                match user {
                    Some(user) => write!(f, " FOR {user}"),
                    None => Ok(()),
                }
            }
            Self::CreateRepository(create) => write!(f, "{create}"),
            Self::DropRepository { if_exists, name } => {
                let if_exists = if *if_exists { "IF EXISTS " } else { "" };
                write!(f, "DROP REPOSITORY {if_exists}{}", Ident(name))
            }
            Self::ShowRepositories => f.write_str("SHOW REPOSITORIES"),
            Self::RefreshIceberg { repository } => {
                write!(f, "ALTER REPOSITORY {} REFRESH ICEBERG", Ident(repository))
            }
            Self::Backup(backup) => write!(f, "{backup}"),
            Self::ShowBackupHistory { database } => {
                f.write_str("SHOW ALL BACKUP")?;
                from_database(f, database.as_ref())
            }
            Self::ShowRestoreHistory { database } => {
                f.write_str("SHOW ALL RESTORE")?;
                from_database(f, database.as_ref())
            }
            Self::ShowBackup { database } => {
                f.write_str("SHOW BACKUP")?;
                from_database(f, database.as_ref())
            }
            Self::CancelBackup { database } => {
                f.write_str("CANCEL BACKUP")?;
                from_database(f, database.as_ref())
            }
            Self::ShowSnapshot(show) => write!(f, "{show}"),
            Self::DropSnapshot(drop) => write!(f, "{drop}"),
            Self::VerifySnapshot(verify) => write!(f, "{verify}"),
            Self::Restore(restore) => write!(f, "{restore}"),
            Self::ShowRestore { database } => {
                f.write_str("SHOW RESTORE")?;
                from_database(f, database.as_ref())
            }
            Self::CancelRestore { database } => {
                f.write_str("CANCEL RESTORE")?;
                from_database(f, database.as_ref())
            }
        }
    }
}
