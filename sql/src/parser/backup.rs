//! Repositories, snapshots and jobs: `CREATE/DROP REPOSITORY`, `BACKUP`, `RESTORE`,
//! `SHOW/DROP SNAPSHOT` and `CANCEL BACKUP/RESTORE`, in StarRocks' grammar (the classic forms, plus
//! 3.4's `BACKUP DATABASE db SNAPSHOT s` and `ON (TABLE t, VIEW v)`, plus 4.2's
//! `DROP SNAPSHOT s ON repo`), and tabvault's `ADMIN VERIFY SNAPSHOT s ON repo`.

use datafusion::sql::sqlparser::tokenizer::Token as SqlToken;

use super::ast::{
    Backup, Broker, CreateRepository, DropSnapshot, ObjectKind, ObjectName, Restore, ShowSnapshot,
    SnapshotObject, Statement, TimestampComparison, TimestampCondition, VerifySnapshot,
};
use super::parser::{PResult, Parser};

impl Parser<'_> {
    /// After `CREATE [READ ONLY] REPOSITORY`: `r [WITH BROKER [b]] ON LOCATION "uri"
    /// [PROPERTIES (…)]`.
    pub(crate) fn create_repository(&mut self, read_only: bool) -> PResult<Statement> {
        let name = self.ident()?;
        let broker = if self.eat_keyword("WITH") {
            self.expect_keyword("BROKER")?;
            if self.is_keyword("ON") {
                Some(Broker::Default)
            } else {
                Some(Broker::Named(self.ident()?))
            }
        } else {
            None
        };
        self.expect_keywords(&["ON", "LOCATION"])?;
        let location = self.string()?;
        Ok(Statement::CreateRepository(CreateRepository {
            read_only,
            name,
            broker,
            location,
            properties: self.properties()?,
        }))
    }

    /// `BACKUP SNAPSHOT [db.]s TO repo [ON (…)] [PROPERTIES (…)]`, or with
    /// `BACKUP DATABASE db SNAPSHOT s` as its head.
    pub(crate) fn backup(&mut self) -> PResult<Statement> {
        self.expect_keyword("BACKUP")?;
        let snapshot = if self.eat_keyword("DATABASE") {
            let database = self.ident()?;
            self.expect_keyword("SNAPSHOT")?;
            ObjectName {
                database: Some(database),
                name: self.ident()?,
            }
        } else {
            self.expect_keyword("SNAPSHOT")?;
            self.object_name()?
        };
        self.expect_keyword("TO")?;
        let repository = self.ident()?;
        // An alias is parsed so that the executor can refuse it in StarRocks' words.
        let on = self.snapshot_objects()?;
        Ok(Statement::Backup(Backup {
            snapshot,
            repository,
            on,
            properties: self.properties()?,
        }))
    }

    /// `RESTORE SNAPSHOT [db.]s FROM repo [ON (…)] [PROPERTIES (…)]`.
    pub(crate) fn restore(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["RESTORE", "SNAPSHOT"])?;
        let snapshot = self.object_name()?;
        self.expect_keyword("FROM")?;
        let repository = self.ident()?;
        let on = self.snapshot_objects()?;
        Ok(Statement::Restore(Restore {
            snapshot,
            repository,
            on,
            properties: self.properties()?,
        }))
    }

    /// `[ON (item, …)]`; empty when absent.
    fn snapshot_objects(&mut self) -> PResult<Vec<SnapshotObject>> {
        if !self.eat_keyword("ON") {
            return Ok(Vec::new());
        }
        self.parenthesized(Self::snapshot_object)
    }

    /// `[TABLE | VIEW] name [PARTITION (p, …)] [AS alias]`.
    fn snapshot_object(&mut self) -> PResult<SnapshotObject> {
        // A kind keyword is one only when a name follows it; `ON (view)` names a table `view`.
        let names_follow = self.is_ident_at(1)
            && !self.is_keyword_at(1, "PARTITION")
            && !self.is_keyword_at(1, "AS");
        let kind = match self.peek_keyword_of(&["TABLE", "VIEW"]) {
            Some("TABLE") if names_follow => Some(ObjectKind::Table),
            Some(_) if names_follow => Some(ObjectKind::View),
            _ => None,
        };
        if kind.is_some() {
            self.advance();
        }
        let name = self.ident()?;
        let partitions = self.partition_names()?;
        let alias = if self.eat_keyword("AS") {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(SnapshotObject {
            kind,
            name,
            partitions,
            alias,
        })
    }

    /// After `SHOW SNAPSHOT`: `ON repo [WHERE SNAPSHOT = "s" [AND TIMESTAMP = "ts"]]`.
    pub(crate) fn show_snapshot(&mut self) -> PResult<Statement> {
        self.expect_keyword("ON")?;
        let repository = self.ident()?;
        let (snapshot, timestamp) = if self.eat_keyword("WHERE") {
            let (snapshot, timestamp) = self.snapshot_filter()?;
            (Some(snapshot), timestamp)
        } else {
            (None, None)
        };
        Ok(Statement::ShowSnapshot(ShowSnapshot {
            repository,
            snapshot,
            timestamp,
        }))
    }

    /// After `WHERE`: `SNAPSHOT = "s" [AND TIMESTAMP = "ts"]`.
    fn snapshot_filter(&mut self) -> PResult<(String, Option<String>)> {
        let snapshot = self.keyword_equals_string("SNAPSHOT")?;
        let timestamp = if self.eat_keyword("AND") {
            Some(self.keyword_equals_string("TIMESTAMP")?)
        } else {
            None
        };
        Ok((snapshot, timestamp))
    }

    /// After `DROP SNAPSHOT`: `[IF EXISTS] s ON repo [FORCE]` or `[IF EXISTS] ON repo WHERE
    /// <conditions> [FORCE]`, the conditions being StarRocks': `SNAPSHOT = "s"` or `SNAPSHOT IN
    /// ("a", …)`, and/or `TIMESTAMP {= | <= | >=} "ts"`, joined by AND.
    pub(crate) fn drop_snapshot(&mut self) -> PResult<Statement> {
        let if_exists = self.if_exists()?;
        let (repository, snapshots, timestamp) = if self.eat_keyword("ON") {
            let repository = self.ident()?;
            self.expect_keyword("WHERE")?;
            let (snapshots, timestamp) = self.drop_conditions()?;
            (repository, snapshots, timestamp)
        } else {
            let snapshot = self.ident_or_string()?;
            self.expect_keyword("ON")?;
            (self.ident()?, Some(vec![snapshot]), None)
        };
        Ok(Statement::DropSnapshot(DropSnapshot {
            if_exists,
            repository,
            snapshots,
            timestamp,
            force: self.eat_keyword("FORCE"),
        }))
    }

    /// DROP SNAPSHOT's WHERE: at most one SNAPSHOT and one TIMESTAMP condition, joined by AND.
    fn drop_conditions(&mut self) -> PResult<(Option<Vec<String>>, Option<TimestampCondition>)> {
        let mut snapshots = None;
        let mut timestamp = None;
        loop {
            match self.peek_keyword_of(&["SNAPSHOT", "TIMESTAMP"]) {
                Some("SNAPSHOT") if snapshots.is_none() => {
                    self.advance();
                    snapshots = Some(if self.eat_keyword("IN") {
                        self.expect_punct('(')?;
                        let mut names = vec![self.string()?];
                        while self.eat_punct(',') {
                            names.push(self.string()?);
                        }
                        self.expect_punct(')')?;
                        names
                    } else if self.eat_punct('=') {
                        vec![self.string()?]
                    } else {
                        return Err(self.error("'=' or IN"));
                    });
                }
                Some("TIMESTAMP") if timestamp.is_none() => {
                    self.advance();
                    let op = if self.eat_token(&SqlToken::LtEq) {
                        TimestampComparison::AtMost
                    } else if self.eat_token(&SqlToken::GtEq) {
                        TimestampComparison::AtLeast
                    } else if self.eat_punct('=') {
                        TimestampComparison::Equal
                    } else {
                        return Err(self.error("one of '<=', '>=', '='"));
                    };
                    timestamp = Some(TimestampCondition {
                        op,
                        timestamp: self.string()?,
                    });
                }
                _ => {
                    return Err(self.error(
                        "SNAPSHOT = 'name', SNAPSHOT IN ('name', …) or TIMESTAMP {= | <= | >=} \
                         'yyyy-MM-dd-HH-mm-ss', joined by AND",
                    ));
                }
            }
            if !self.eat_keyword("AND") {
                return Ok((snapshots, timestamp));
            }
        }
    }

    /// `ADMIN VERIFY SNAPSHOT s ON repo [PROPERTIES (…)]`.
    pub(crate) fn verify_snapshot(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["ADMIN", "VERIFY", "SNAPSHOT"])?;
        let snapshot = self.ident_or_string()?;
        self.expect_keyword("ON")?;
        Ok(Statement::VerifySnapshot(VerifySnapshot {
            snapshot,
            repository: self.ident()?,
            properties: self.properties()?,
        }))
    }

    /// `ALTER REPOSITORY r REFRESH ICEBERG`.
    pub(crate) fn refresh_iceberg(&mut self) -> PResult<Statement> {
        self.expect_keywords(&["ALTER", "REPOSITORY"])?;
        let repository = self.ident()?;
        self.expect_keywords(&["REFRESH", "ICEBERG"])?;
        Ok(Statement::RefreshIceberg { repository })
    }

    /// `CANCEL BACKUP|RESTORE [FROM db]`.
    pub(crate) fn cancel(&mut self) -> PResult<Statement> {
        self.expect_keyword("CANCEL")?;
        let is_backup = self.expect_keyword_of(&["BACKUP", "RESTORE"])? == "BACKUP";
        let database = self.optional_database()?;
        Ok(if is_backup {
            Statement::CancelBackup { database }
        } else {
            Statement::CancelRestore { database }
        })
    }
}
