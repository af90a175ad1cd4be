//! MySQL error codes and SQLSTATEs for the SQL layer's errors (the table is in the crate doc).

use opensrv_mysql::ErrorKind;
use tabvault_snapshot::SnapshotError;
use tabvault_sql::SqlError;
use tabvault_storage::StorageError;

/// The MySQL error kind (code and SQLSTATE) reported for `error`.
pub(crate) fn kind_of(error: &SqlError) -> ErrorKind {
    match error {
        SqlError::Parse(_) => ErrorKind::ER_PARSE_ERROR,
        SqlError::AccessDenied(_) => ErrorKind::ER_SPECIFIC_ACCESS_DENIED_ERROR,
        SqlError::Login(_) => ErrorKind::ER_ACCESS_DENIED_ERROR,
        SqlError::NoDatabase => ErrorKind::ER_NO_DB_ERROR,
        SqlError::Timeout(_) | SqlError::Interrupted => ErrorKind::ER_QUERY_INTERRUPTED,
        SqlError::NoSuchProcess(_) => ErrorKind::ER_NO_SUCH_THREAD,
        SqlError::NotProcessOwner(_) => ErrorKind::ER_KILL_DENIED_ERROR,
        SqlError::Unsupported(_) => ErrorKind::ER_NOT_SUPPORTED_YET,
        SqlError::Storage(e) => storage_kind(e),
        SqlError::Snapshot(e) => snapshot_kind(e),
        SqlError::Query(message) => query_kind(message),
        SqlError::Invalid(_) | SqlError::Io { .. } => ErrorKind::ER_UNKNOWN_ERROR,
    }
}

fn storage_kind(error: &StorageError) -> ErrorKind {
    match error {
        StorageError::NotFound {
            kind: "database", ..
        } => ErrorKind::ER_BAD_DB_ERROR,
        StorageError::NotFound {
            kind: "table" | "view",
            ..
        } => ErrorKind::ER_NO_SUCH_TABLE,
        StorageError::AlreadyExists {
            kind: "database", ..
        } => ErrorKind::ER_DB_CREATE_EXISTS,
        StorageError::AlreadyExists {
            kind: "table" | "view",
            ..
        } => ErrorKind::ER_TABLE_EXISTS_ERROR,
        StorageError::Unsupported(_) => ErrorKind::ER_NOT_SUPPORTED_YET,
        _ => ErrorKind::ER_UNKNOWN_ERROR,
    }
}

fn snapshot_kind(error: &SnapshotError) -> ErrorKind {
    match error {
        SnapshotError::Storage(e) => storage_kind(e),
        SnapshotError::UnknownDatabase(_) => ErrorKind::ER_BAD_DB_ERROR,
        SnapshotError::UnknownTable(_) => ErrorKind::ER_WRONG_TABLE_NAME,
        _ => ErrorKind::ER_UNKNOWN_ERROR,
    }
}

/// DataFusion reports an unknown table in a query as "table '…' not found".
fn query_kind(message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    if lower.contains("table '") && lower.contains("not found") {
        ErrorKind::ER_NO_SUCH_TABLE
    } else {
        ErrorKind::ER_UNKNOWN_ERROR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_states() {
        let cases = [
            (SqlError::AccessDenied("ADMIN"), 1227, b"42000"),
            (SqlError::Login("u".into()), 1045, b"28000"),
            (SqlError::NoDatabase, 1046, b"3D000"),
            (
                SqlError::Storage(StorageError::NotFound {
                    kind: "database",
                    name: "x".into(),
                }),
                1049,
                b"42000",
            ),
            (
                SqlError::Snapshot(SnapshotError::UnknownTable("t".into())),
                1103,
                b"42000",
            ),
            (
                SqlError::Query("Error during planning: table 'db.t' not found".into()),
                1146,
                b"42S02",
            ),
            (SqlError::Invalid("x".into()), 1105, b"HY000"),
        ];
        for (error, code, state) in cases {
            let kind = kind_of(&error);
            assert_eq!(kind as u16, code, "{error}");
            assert_eq!(kind.sqlstate(), state, "{error}");
        }
    }
}
