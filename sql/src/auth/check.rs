//! The privilege check: [`required`] says what a statement needs, [`authorize`] decides whether a
//! user's grants satisfy it. Every statement goes through [`required`] and [`authorize`] before it
//! runs; queries also call [`authorize`] for each table they read, as it is resolved.

use crate::auth::users::{DB_ADMIN, Grants, ROOT};
use crate::error::{Result, SqlError};
use crate::parser::{ObjectName, Privilege, Statement};

/// What a statement needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing (SHOW statements, USE, queries — whose tables are checked one by one).
    Nothing,
    /// ADMIN: the `root` or `db_admin` role (BACKUP, RESTORE, CANCEL, repositories, snapshots).
    Admin,
    /// User and role management: the `root` role.
    UserAdmin,
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

/// Upper-case name of a privilege, as grants store it and errors print it.
pub fn privilege_name(privilege: Privilege) -> &'static str {
    match privilege {
        Privilege::Select => "SELECT",
        Privilege::Insert => "INSERT",
        Privilege::Delete => "DELETE",
        Privilege::Alter => "ALTER",
        Privilege::Drop => "DROP",
        Privilege::All => "ALL",
    }
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
    match statement {
        Statement::Use { .. }
        | Statement::ShowDatabases
        | Statement::ShowTables { .. }
        | Statement::Query { .. }
        | Statement::ShowRepositories
        | Statement::ShowBackup { .. }
        | Statement::ShowRestore { .. }
        | Statement::ShowSnapshot(_) => Need::Nothing,
        Statement::ShowGrants { user: who } | Statement::SetPassword { user: who, .. } => match who
        {
            Some(who) if who.name != user => Need::UserAdmin,
            _ => Need::Nothing,
        },
        Statement::ShowPartitions { table }
        | Statement::ShowCreateTable { table }
        | Statement::Describe { table } => on(Privilege::Select, table),
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
        | Statement::Backup(_)
        | Statement::Restore(_)
        | Statement::CancelBackup { .. }
        | Statement::CancelRestore { .. }
        | Statement::DropSnapshot(_) => Need::Admin,
    }
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
        Need::Admin if admin => Ok(()),
        Need::Admin => Err(SqlError::AccessDenied("ADMIN")),
        Need::UserAdmin => Err(SqlError::AccessDenied("GRANT")),
        Need::On { .. } if admin => Ok(()),
        Need::On {
            privilege,
            db,
            table,
        } => {
            let wanted = privilege_name(*privilege);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{GrantRecord, Scope};
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
}
