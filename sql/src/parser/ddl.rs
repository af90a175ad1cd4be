//! `CREATE …`, `DROP …` and `SHOW …` dispatch, and the database, table and view statements that
//! are not `CREATE TABLE` itself (that one is in `table.rs`).

use super::ast::{AlterTableAction, CompactKind, CreateView, ObjectName, ShowFilter, Statement};
use super::parser::{PResult, Parser};

impl Parser<'_> {
    /// After `CREATE`: dispatches on the object kind.
    pub(crate) fn create(&mut self) -> PResult<Statement> {
        self.expect_keyword("CREATE")?;
        const KINDS: &[&str] = &[
            "DATABASE",
            "TABLE",
            "VIEW",
            "OR",
            "USER",
            "ROLE",
            "READ",
            "REPOSITORY",
        ];
        match self.expect_keyword_of(KINDS)? {
            "DATABASE" => Ok(Statement::CreateDatabase {
                if_not_exists: self.if_not_exists()?,
                name: self.ident()?,
            }),
            "TABLE" => self.create_table(),
            "VIEW" => self.create_view(false),
            "OR" => {
                self.expect_keywords(&["REPLACE", "VIEW"])?;
                self.create_view(true)
            }
            "USER" => self.create_user(),
            "ROLE" => Ok(Statement::CreateRole {
                if_not_exists: self.if_not_exists()?,
                name: self.ident()?,
            }),
            "READ" => {
                self.expect_keywords(&["ONLY", "REPOSITORY"])?;
                self.create_repository(true)
            }
            _ => self.create_repository(false),
        }
    }

    /// After `DROP`: dispatches on the object kind.
    pub(crate) fn drop(&mut self) -> PResult<Statement> {
        self.expect_keyword("DROP")?;
        const KINDS: &[&str] = &[
            "DATABASE",
            "TABLE",
            "VIEW",
            "USER",
            "ROLE",
            "REPOSITORY",
            "SNAPSHOT",
        ];
        match self.expect_keyword_of(KINDS)? {
            "DATABASE" => Ok(Statement::DropDatabase {
                if_exists: self.if_exists()?,
                name: self.ident()?,
                force: self.eat_keyword("FORCE"),
            }),
            "TABLE" => Ok(Statement::DropTable {
                if_exists: self.if_exists()?,
                table: self.object_name()?,
                force: self.eat_keyword("FORCE"),
            }),
            "VIEW" => Ok(Statement::DropView {
                if_exists: self.if_exists()?,
                view: self.object_name()?,
            }),
            "USER" => Ok(Statement::DropUser {
                if_exists: self.if_exists()?,
                user: self.user_identity()?,
            }),
            "ROLE" => Ok(Statement::DropRole {
                if_exists: self.if_exists()?,
                name: self.ident()?,
            }),
            "REPOSITORY" => Ok(Statement::DropRepository {
                if_exists: self.if_exists()?,
                name: self.ident()?,
            }),
            _ => self.drop_snapshot(),
        }
    }

    /// After `SHOW`: dispatches on what is shown.
    pub(crate) fn show(&mut self) -> PResult<Statement> {
        self.expect_keyword("SHOW")?;
        const KINDS: &[&str] = &[
            "DATABASES",
            "TABLES",
            "TABLE",
            "PARTITIONS",
            "CREATE",
            "GRANTS",
            "REPOSITORIES",
            "BACKUP",
            "RESTORE",
            "SNAPSHOT",
            "VARIABLES",
            "PROCESSLIST",
            "FULL",
            "GLOBAL",
            "SESSION",
            "COLUMNS",
            "FIELDS",
            "INDEX",
            "INDEXES",
            "KEYS",
            "ALL",
        ];
        match self.expect_keyword_of(KINDS)? {
            "FULL" => {
                match self.expect_keyword_of(&["PROCESSLIST", "TABLES", "COLUMNS", "FIELDS"])? {
                    "PROCESSLIST" => Ok(Statement::ShowProcesslist { full: true }),
                    "TABLES" => Ok(Statement::ShowTables {
                        database: self.optional_database()?,
                        full: true,
                    }),
                    _ => self.show_columns(true),
                }
            }
            "COLUMNS" | "FIELDS" => self.show_columns(false),
            "ALL" => match self.expect_keyword_of(&["BACKUP", "RESTORE"])? {
                "BACKUP" => Ok(Statement::ShowBackupHistory {
                    database: self.optional_database()?,
                }),
                _ => Ok(Statement::ShowRestoreHistory {
                    database: self.optional_database()?,
                }),
            },
            "INDEX" | "INDEXES" | "KEYS" => Ok(Statement::ShowIndex {
                table: self.table_from()?,
            }),
            "PROCESSLIST" => Ok(Statement::ShowProcesslist { full: false }),
            "GLOBAL" | "SESSION" => {
                self.expect_keyword("VARIABLES")?;
                self.show_variables()
            }
            "VARIABLES" => self.show_variables(),
            "DATABASES" => Ok(Statement::ShowDatabases),
            "TABLE" => {
                self.expect_keyword("STATUS")?;
                Ok(Statement::ShowTableStatus {
                    database: self.optional_database()?,
                    filter: self.show_filter()?,
                })
            }
            "TABLES" => Ok(Statement::ShowTables {
                database: self.optional_database()?,
                full: false,
            }),
            "PARTITIONS" => {
                self.expect_keyword("FROM")?;
                Ok(Statement::ShowPartitions {
                    table: self.object_name()?,
                })
            }
            "CREATE" => {
                // StarRocks' SHOW CREATE TABLE shows views too; SHOW CREATE VIEW is its synonym.
                self.expect_keyword_of(&["TABLE", "VIEW"])?;
                Ok(Statement::ShowCreateTable {
                    table: self.object_name()?,
                })
            }
            "GRANTS" => self.show_grants(),
            "REPOSITORIES" => Ok(Statement::ShowRepositories),
            "BACKUP" => Ok(Statement::ShowBackup {
                database: self.optional_database()?,
            }),
            "RESTORE" => Ok(Statement::ShowRestore {
                database: self.optional_database()?,
            }),
            _ => self.show_snapshot(),
        }
    }

    /// `[LIKE 'pattern' | WHERE condition]` at the end of a MySQL `SHOW` statement.
    fn show_filter(&mut self) -> PResult<Option<ShowFilter>> {
        if self.eat_keyword("LIKE") {
            return Ok(Some(ShowFilter::Like(self.string()?)));
        }
        if self.eat_keyword("WHERE") {
            let condition = self.expression(|_| false, "condition")?;
            return Ok(Some(ShowFilter::Where(Box::new(condition))));
        }
        Ok(None)
    }

    /// After `SHOW [FULL] COLUMNS|FIELDS`: `FROM t [FROM db]`.
    fn show_columns(&mut self, full: bool) -> PResult<Statement> {
        Ok(Statement::ShowColumns {
            table: self.table_from()?,
            full,
        })
    }

    /// `FROM|IN t [FROM|IN db]`, as MySQL's SHOW COLUMNS and SHOW INDEX take it (the second
    /// form names the database, and wins over a qualified name as in MySQL).
    fn table_from(&mut self) -> PResult<ObjectName> {
        if !self.eat_keyword("FROM") {
            self.expect_keyword("IN")?;
        }
        let mut table = self.object_name()?;
        if let Some(database) = self.optional_database()? {
            table.database = Some(database);
        }
        Ok(table)
    }

    /// After `SHOW [GLOBAL|SESSION] VARIABLES`: `[LIKE 'pattern']`.
    fn show_variables(&mut self) -> PResult<Statement> {
        let pattern = if self.eat_keyword("LIKE") {
            Some(self.string()?)
        } else {
            None
        };
        Ok(Statement::ShowVariables { pattern })
    }

    /// `KILL [CONNECTION | QUERY] id`.
    pub(crate) fn kill(&mut self) -> PResult<Statement> {
        self.expect_keyword("KILL")?;
        let query_only = match self.peek_keyword_of(&["CONNECTION", "QUERY"]) {
            Some(which) => {
                self.advance();
                which == "QUERY"
            }
            None => false,
        };
        Ok(Statement::Kill {
            query_only,
            id: self.integer("a connection id")?,
        })
    }

    /// `[FROM | IN db]`, as in `SHOW TABLES FROM db`.
    pub(crate) fn optional_database(&mut self) -> PResult<Option<String>> {
        if self.eat_keyword("FROM") || self.eat_keyword("IN") {
            Ok(Some(self.ident()?))
        } else {
            Ok(None)
        }
    }

    /// `TRUNCATE TABLE t [PARTITION (p, …)]`.
    pub(crate) fn truncate(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["TRUNCATE", "TABLE"])?;
        Ok(Statement::TruncateTable {
            table: self.object_name()?,
            partitions: self.partition_names()?,
        })
    }

    /// `ALTER TABLE t ADD PARTITION … | DROP PARTITION …`.
    pub(crate) fn alter_table(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["ALTER", "TABLE"])?;
        let table = self.object_name()?;
        let action =
            match self.expect_keyword_of(&["ADD", "DROP", "COMPACT", "BASE", "CUMULATIVE"])? {
                "COMPACT" => self.compact(CompactKind::Full)?,
                "BASE" => {
                    self.expect_keyword("COMPACT")?;
                    self.compact(CompactKind::Base)?
                }
                "CUMULATIVE" => {
                    self.expect_keyword("COMPACT")?;
                    self.compact(CompactKind::Cumulative)?
                }
                "ADD" => {
                    self.expect_keyword("PARTITION")?;
                    let if_not_exists = self.if_not_exists()?;
                    AlterTableAction::AddPartition {
                        if_not_exists,
                        partition: self.partition_spec()?,
                    }
                }
                _ => {
                    self.expect_keyword("PARTITION")?;
                    AlterTableAction::DropPartition {
                        if_exists: self.if_exists()?,
                        name: self.ident()?,
                        force: self.eat_keyword("FORCE"),
                    }
                }
            };
        Ok(Statement::AlterTable { table, action })
    }

    /// After `[BASE|CUMULATIVE] COMPACT`: `[p | (p1, …)]`.
    fn compact(&mut self, kind: CompactKind) -> PResult<AlterTableAction> {
        let partitions = if self.is_punct('(') {
            self.ident_list()?
        } else if self.is_ident_at(0) {
            vec![self.ident()?]
        } else {
            Vec::new()
        };
        Ok(AlterTableAction::Compact { kind, partitions })
    }

    /// After `CREATE [OR REPLACE] VIEW`: `[IF NOT EXISTS] v [(cols)] AS <query>`.
    fn create_view(&mut self, or_replace: bool) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.object_name()?;
        let columns = if self.is_punct('(') {
            self.ident_list()?
        } else {
            Vec::new()
        };
        self.expect_keyword("AS")?;
        // The definition is kept as written, once it is known to parse as a query.
        let start = self.position();
        self.query()?;
        Ok(Statement::CreateView(CreateView {
            or_replace,
            if_not_exists,
            name,
            columns,
            query: self.span_text(start..self.position()),
        }))
    }
}
