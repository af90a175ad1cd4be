//! The privilege check: [`required`] says what a statement needs, [`authorize`] decides whether a
//! user's grants satisfy it. Every statement goes through [`required`] and [`authorize`] before it
//! runs; queries also call [`authorize`] for each table they read, as it is resolved.

use crate::auth::users::{DB_ADMIN, Grants, ROOT, Scope};
use crate::error::{Result, SqlError};
use crate::parser::{ObjectName, Privilege, Statement};
use crate::query::is_information_schema;

/// What a statement needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing (SHOW DATABASES, SHOW BACKUP/RESTORE without a database — whose rows are
    /// filtered to what the user can see — and queries, whose tables are checked one by one).
    Nothing,
    /// Some privilege on the database or one of its tables (USE, SHOW TABLES, SHOW
    /// BACKUP/RESTORE FROM it): a database the user may not see stays hidden.
    Visible {
        /// The database.
        db: String,
    },
    /// ADMIN: the `root` or `db_admin` role (BACKUP, RESTORE, CANCEL, repositories, snapshots,
    /// SHOW REPOSITORIES and SHOW SNAPSHOT, whose locations and contents span databases).
    Admin,
    /// User and role management: the `root` role.
    UserAdmin,
    /// Reading server-side files with `FILES()`: ADMIN, or FILE (or ALL) on `*.*`.
    File,
    /// A table privilege on a database, or on one table of it.
    On {
        /// The privilege.
        privilege: Privilege,
        /// The database.
        db: String,
        /// The table, when the statement names one.
        table: Option<String>,
    },
}

/// What `statement` needs, with `current_db` for unqualified names (an unknown database is left
/// empty: the statement then fails on its own).
pub fn required(statement: &Statement, current_db: Option<&str>, user: &str) -> Need {
    let db_of = |name: &ObjectName| {
        name.database
            .clone()
            .or_else(|| current_db.map(str::to_owned))
            .unwrap_or_default()
    };
    let on = |privilege, name: &ObjectName| Need::On {
        privilege,
        db: db_of(name),
        table: Some(name.name.clone()),
    };
    let on_db = |privilege, db: &str| Need::On {
        privilege,
        db: db.to_owned(),
        table: None,
    };
    let visible = |db: Option<&String>| match db.map(String::as_str).or(current_db) {
        Some(db) => Need::Visible { db: db.to_owned() },
        None => Need::Nothing,
    };
    match statement {
        // SHOW PROCESSLIST lists other users' sessions to admins only, and KILL of another
        // user's session needs ADMIN: both are checked against the process (`can_manage`).
        Statement::ShowDatabases
        | Statement::Query { .. }
        | Statement::SetVariables(_)
        | Statement::ShowVariables { .. }
        | Statement::ShowProcesslist { .. }
        | Statement::Kill { .. } => Need::Nothing,
        Statement::Use { database } => visible(Some(database)),
        Statement::ShowTables { database, .. } | Statement::ShowTableStatus { database, .. } => {
            visible(database.as_ref())
        }
        Statement::ShowBackup { database }
        | Statement::ShowRestore { database }
        | Statement::ShowBackupHistory { database }
        | Statement::ShowRestoreHistory { database } => database
            .as_ref()
            .map_or(Need::Nothing, |db| visible(Some(db))),
        Statement::ShowRepositories | Statement::ShowSnapshot(_) | Statement::VerifySnapshot(_) => {
            Need::Admin
        }
        Statement::ShowGrants { user: who } | Statement::SetPassword { user: who, .. } => match who
        {
            Some(who) if who.name != user => Need::UserAdmin,
            _ => Need::Nothing,
        },
        Statement::ShowPartitions { table }
        | Statement::ShowCreateTable { table }
        | Statement::Describe { table }
        | Statement::ShowColumns { table, .. }
        | Statement::ShowIndex { table } => on(Privilege::Select, table),
        Statement::CreateDatabase { name, .. } => on_db(Privilege::Alter, name),
        Statement::DropDatabase { name, .. } => on_db(Privilege::Drop, name),
        Statement::CreateTable(create) => on(Privilege::Alter, &create.name),
        Statement::CreateView(view) => on(Privilege::Alter, &view.name),
        Statement::AlterTable { table, .. } => on(Privilege::Alter, table),
        Statement::TruncateTable { table, .. } => on(Privilege::Delete, table),
        Statement::DropTable { table, .. } => on(Privilege::Drop, table),
        Statement::DropView { view, .. } => on(Privilege::Drop, view),
        Statement::Insert(insert) => on(Privilege::Insert, &insert.table),
        Statement::Delete(delete) => on(Privilege::Delete, &delete.table),
        Statement::CreateUser { .. }
        | Statement::DropUser { .. }
        | Statement::CreateRole { .. }
        | Statement::DropRole { .. }
        | Statement::Grant(_)
        | Statement::Revoke(_) => Need::UserAdmin,
        Statement::CreateRepository(_)
        | Statement::DropRepository { .. }
        | Statement::RefreshIceberg { .. }
        | Statement::Backup(_)
        | Statement::Restore(_)
        | Statement::CancelBackup { .. }
        | Statement::CancelRestore { .. }
        | Statement::DropSnapshot(_) => Need::Admin,
    }
}

/// Whether `user` (holding `grants`) may see and kill a session of `owner`: their own, or any
/// with ADMIN.
pub fn can_manage(grants: &Grants, user: &str, owner: &str) -> bool {
    user == owner || is_admin(grants)
}

/// Whether `grants` satisfy `need`; otherwise StarRocks' `Access denied; you need (at least one
/// of) the X privilege(s) for this operation`.
pub fn authorize(grants: &Grants, need: &Need) -> Result<()> {
    if grants.roles.contains(ROOT) {
        return Ok(());
    }
    let admin = grants.roles.contains(DB_ADMIN);
    match need {
        Need::Nothing => Ok(()),
        Need::Visible { db } if can_see(grants, db, None) => Ok(()),
        Need::Visible { .. } => Err(SqlError::AccessDenied("ANY")),
        Need::Admin if admin => Ok(()),
        Need::Admin => Err(SqlError::AccessDenied("ADMIN")),
        Need::UserAdmin => Err(SqlError::AccessDenied("GRANT")),
        Need::File if admin => Ok(()),
        Need::File => {
            let granted = grants.grants.iter().any(|g| {
                (g.privilege == Privilege::File.name() || g.privilege == Privilege::All.name())
                    && g.scope == Scope::Global
            });
            if granted {
                Ok(())
            } else {
                Err(SqlError::AccessDenied("FILE"))
            }
        }
        Need::On { .. } if admin => Ok(()),
        Need::On {
            privilege,
            db,
            table,
        } => {
            let wanted = privilege.name();
            let granted = grants.grants.iter().any(|g| {
                (g.privilege == wanted || g.privilege == "ALL")
                    && g.scope.covers(db, table.as_deref())
            });
            if granted {
                Ok(())
            } else {
                Err(SqlError::AccessDenied(wanted))
            }
        }
    }
}

/// Whether the user holding `grants` may see database `db` (or its `table`, when given): root,
/// ADMIN, or any privilege on it or inside it; `information_schema` is visible to everyone (its
/// rows are filtered by this same rule). SHOW DATABASES/TABLES/TABLE STATUS/BACKUP/RESTORE and
/// information_schema list only what this allows.
pub fn can_see(grants: &Grants, db: &str, table: Option<&str>) -> bool {
    is_admin(grants)
        || is_information_schema(db)
        || grants.grants.iter().any(|g| g.scope.touches(db, table))
}

/// Whether `grants` carry the `root` or `db_admin` role.
pub fn is_admin(grants: &Grants) -> bool {
    grants.roles.contains(ROOT) || grants.roles.contains(DB_ADMIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::GrantRecord;
    use crate::parser::parse_statement;

    fn need(sql: &str) -> Need {
        required(&parse_statement(sql).expect("parses"), Some("db"), "u")
    }

    #[test]
    fn admin_statements_need_admin() {
        for sql in [
            "BACKUP SNAPSHOT db.s TO r",
            "RESTORE SNAPSHOT db.s FROM r PROPERTIES (\"backup_timestamp\" = \"x\")",
            "CANCEL BACKUP FROM db",
            "CANCEL RESTORE FROM db",
            "CREATE REPOSITORY r ON LOCATION \"/tmp/r\"",
            "DROP REPOSITORY r",
            "SHOW REPOSITORIES",
            "SHOW SNAPSHOT ON r",
        ] {
            assert_eq!(need(sql), Need::Admin, "{sql}");
            let err = authorize(&Grants::default(), &need(sql)).expect_err("denied");
            assert_eq!(
                err.to_string(),
                "Access denied; you need (at least one of) the ADMIN privilege(s) for this operation"
            );
        }
        let admin = Grants {
            roles: [DB_ADMIN.to_owned()].into(),
            ..Grants::default()
        };
        authorize(&admin, &need("BACKUP SNAPSHOT db.s TO r")).expect("db_admin may");
    }

    #[test]
    fn table_privileges_follow_scope() {
        let grants = Grants {
            grants: [GrantRecord {
                privilege: "SELECT".into(),
                scope: Scope::Database("db".into()),
            }]
            .into(),
            ..Grants::default()
        };
        authorize(&grants, &need("DESC t")).expect("select on db.*");
        let err = authorize(&grants, &need("INSERT INTO t VALUES (1)")).expect_err("no insert");
        assert!(err.to_string().contains("the INSERT privilege"));
        assert!(authorize(&grants, &need("DESC other.t")).is_err());
    }

    #[test]
    fn visibility_follows_any_grant_on_or_inside_a_database() {
        let grants = Grants {
            grants: [GrantRecord {
                privilege: "SELECT".into(),
                scope: Scope::Table("db".into(), "t".into()),
            }]
            .into(),
            ..Grants::default()
        };
        assert!(can_see(&grants, "db", None));
        assert!(can_see(&grants, "db", Some("t")));
        assert!(!can_see(&grants, "db", Some("u")));
        assert!(!can_see(&grants, "other", None));
        authorize(&grants, &need("USE db")).expect("db is visible");
        authorize(&grants, &need("SHOW BACKUP FROM db")).expect("db is visible");
        for sql in [
            "USE other",
            "SHOW TABLES FROM other",
            "SHOW RESTORE FROM other",
        ] {
            let err = authorize(&grants, &need(sql)).expect_err("hidden");
            assert!(err.to_string().starts_with("Access denied"), "{sql}: {err}");
        }
        assert_eq!(need("SHOW DATABASES"), Need::Nothing);
    }

    #[test]
    fn files_need_file_on_everything_or_admin() {
        let with = |privilege: &str, scope: Scope| Grants {
            grants: [GrantRecord {
                privilege: privilege.into(),
                scope,
            }]
            .into(),
            ..Grants::default()
        };
        let denied = authorize(&Grants::default(), &Need::File).expect_err("no grant");
        assert!(
            denied.to_string().contains("the FILE privilege"),
            "{denied}"
        );
        authorize(&with("FILE", Scope::Global), &Need::File).expect("FILE on *.*");
        authorize(&with("ALL", Scope::Global), &Need::File).expect("ALL on *.*");
        assert!(authorize(&with("ALL", Scope::Database("db".into())), &Need::File).is_err());
        assert!(authorize(&with("SELECT", Scope::Global), &Need::File).is_err());
        let admin = Grants {
            roles: [DB_ADMIN.to_owned()].into(),
            ..Grants::default()
        };
        authorize(&admin, &Need::File).expect("ADMIN");
    }
}
