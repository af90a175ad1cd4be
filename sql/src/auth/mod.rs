//! Users, roles and privileges: the store (`users.json`), the one privilege check, and the
//! statements that manage them.

mod check;
mod native;
mod password;
mod users;

pub use check::{Need, authorize, can_manage, can_see, is_admin, required};
pub use users::{DB_ADMIN, GrantRecord, Grantee, Grants, ROOT, Scope, USERS_FILE, UserStore};

use crate::error::Result;
use crate::parser::{Grant, GrantItems, GrantObject, Privilege};
use crate::result::QueryResult;
use crate::session::Exec;

/// `GRANT …` (`grant`) or `REVOKE …` (`!grant`).
pub(crate) fn grant(exec: &Exec<'_>, statement: &Grant, grant: bool) -> Result<QueryResult> {
    let mut users = exec.users();
    match (&statement.items, &statement.grantee) {
        (GrantItems::Roles(roles), crate::parser::Grantee::User(user)) => {
            users.set_roles(&user.name, roles, grant)?;
        }
        (GrantItems::Roles(_), crate::parser::Grantee::Role(_)) => {
            return Err(crate::error::SqlError::Unsupported(
                "granting roles to roles is not supported".into(),
            ));
        }
        (GrantItems::Privileges { privileges, on }, grantee) => {
            let scope = match on {
                GrantObject::Global => Scope::Global,
                GrantObject::Database(db) => Scope::Database(db.clone()),
                GrantObject::Table(name) => Scope::Table(exec.db_of(name)?, name.name.clone()),
            };
            if scope != Scope::Global && privileges.contains(&Privilege::File) {
                return Err(crate::error::SqlError::Invalid(
                    "FILE is a global privilege: grant it ON *.*".into(),
                ));
            }
            let records: Vec<GrantRecord> = privileges
                .iter()
                .map(|p| GrantRecord {
                    privilege: p.name().to_owned(),
                    scope: scope.clone(),
                })
                .collect();
            let grantee = match grantee {
                crate::parser::Grantee::User(user) => Grantee::User(&user.name),
                crate::parser::Grantee::Role(role) => Grantee::Role(role),
            };
            users.set_grants(grantee, &records, grant)?;
        }
    }
    Ok(QueryResult::ok())
}

/// `SHOW GRANTS [FOR 'u']`: `UserIdentity, Grants`.
pub(crate) fn show_grants(exec: &Exec<'_>, user: &str) -> Result<QueryResult> {
    let lines = exec.users().grant_lines(user)?;
    let who = format!("'{user}'@'%'");
    let rows = lines
        .into_iter()
        .map(|l| vec![Some(who.clone()), Some(l)])
        .collect();
    QueryResult::text_table(&["UserIdentity", "Grants"], rows)
}
