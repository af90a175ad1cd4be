//! `SHOW [FULL] PROCESSLIST` and `KILL [CONNECTION|QUERY] id`, as StarRocks answers them: admins
//! see and kill every session, other users their own.

use std::time::UNIX_EPOCH;

use crate::auth::can_manage;
use crate::error::{Result, SqlError};
use crate::result::QueryResult;
use crate::session::Exec;

/// `SHOW PROCESSLIST` cuts statements at this many characters unless `FULL` is given.
const INFO_CHARS: usize = 100;

/// StarRocks' columns of `SHOW PROCESSLIST`.
const COLUMNS: [&str; 10] = [
    "Id",
    "User",
    "Host",
    "Db",
    "Command",
    "ConnectionStartTime",
    "Time",
    "State",
    "Info",
    "IsPending",
];

/// `SHOW [FULL] PROCESSLIST` for `user`.
pub(crate) fn show(exec: &Exec<'_>, user: &str, full: bool) -> Result<QueryResult> {
    let rows = exec
        .database()
        .processes()
        .rows()
        .into_iter()
        .filter(|row| can_manage(exec.grants(), user, &row.user))
        .map(|row| {
            let started = row
                .connected
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let command = if row.statement.is_some() {
                "Query"
            } else {
                "Sleep"
            };
            let info = row.statement.map(|text| {
                if full {
                    text
                } else {
                    text.chars().take(INFO_CHARS).collect()
                }
            });
            vec![
                Some(row.id.to_string()),
                Some(row.user),
                Some(row.host),
                row.database,
                Some(command.to_owned()),
                Some(tabvault_snapshot::show_time(started)),
                Some(row.seconds.to_string()),
                Some("OK".to_owned()),
                info,
                Some("false".to_owned()),
            ]
        })
        .collect();
    QueryResult::text_table(&COLUMNS, rows)
}

/// `KILL [CONNECTION|QUERY] id` by `user`.
pub(crate) fn kill(exec: &Exec<'_>, user: &str, id: u32, query_only: bool) -> Result<QueryResult> {
    let processes = exec.database().processes();
    let owner = processes.user_of(id).ok_or(SqlError::NoSuchProcess(id))?;
    if !can_manage(exec.grants(), user, &owner) {
        return Err(SqlError::NotProcessOwner(id));
    }
    if !processes.kill(id, query_only) {
        return Err(SqlError::NoSuchProcess(id));
    }
    Ok(QueryResult::ok())
}
