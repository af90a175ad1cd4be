//! The MySQL error kind for a statement's failure: the SQL layer knows the number
//! ([`SqlError::mysql_code`]); opensrv's kind carries it and its SQLSTATE to the client.

use opensrv_mysql::ErrorKind;
use tabvault_sql::SqlError;

/// The MySQL error kind (code and SQLSTATE) reported for `error`.
pub(crate) fn kind_of(error: &SqlError) -> ErrorKind {
    ErrorKind::from(error.mysql_code())
}

#[cfg(test)]
mod tests {
    use tabvault_snapshot::SnapshotError;
    use tabvault_sql::SqlError;
    use tabvault_storage::{CatalogKind, StorageError};

    use super::*;

    fn missing(kind: CatalogKind) -> SqlError {
        SqlError::Storage(StorageError::NotFound {
            kind,
            name: "x".into(),
        })
    }

    fn clashing(kind: CatalogKind) -> SqlError {
        SqlError::Storage(StorageError::AlreadyExists {
            kind,
            name: "x".into(),
        })
    }

    #[test]
    fn codes_and_states_agree_with_mysql() {
        let cases = [
            (SqlError::AccessDenied("ADMIN"), 1227),
            (SqlError::Login("u".into()), 1045),
            (SqlError::NoDatabase, 1046),
            (SqlError::Interrupted, 1317),
            (SqlError::Unsupported("x".into()), 1235),
            (SqlError::Invalid("x".into()), 1105),
            (SqlError::NoSuchProcess(7), 1094),
            (SqlError::NotProcessOwner(7), 1095),
            (missing(CatalogKind::Database), 1049),
            (missing(CatalogKind::Table), 1146),
            (missing(CatalogKind::View), 1146),
            (missing(CatalogKind::Partition), 1105),
            (clashing(CatalogKind::Database), 1007),
            (clashing(CatalogKind::Table), 1050),
            (
                SqlError::Snapshot(SnapshotError::UnknownTable("t".into())),
                1103,
            ),
            (
                SqlError::Snapshot(SnapshotError::UnknownDatabase("d".into())),
                1049,
            ),
            (
                SqlError::Parse(
                    tabvault_sql::parse_statement("SELEC").expect_err("SELEC does not parse"),
                ),
                1064,
            ),
        ];
        for (error, code) in cases {
            let kind = kind_of(&error);
            assert_eq!(kind as u16, code, "{error}");
            assert_eq!(
                kind.sqlstate(),
                error.sqlstate().as_bytes(),
                "{error}: the SQL layer's SQLSTATE is MySQL's"
            );
        }
    }
}
