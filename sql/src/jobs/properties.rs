//! BACKUP's and RESTORE's PROPERTIES, checked with StarRocks' messages and turned into the
//! snapshot service's typed options.

use std::collections::BTreeMap;

use tabvault_snapshot::{BackupOptions, DEFAULT_TIMEOUT_S, RestoreOptions};

use crate::error::{Result, SqlError};
use crate::parser::Properties;

/// PROPERTIES as a map; a key written twice keeps its last value.
pub(super) fn property_map(properties: &Properties) -> BTreeMap<String, String> {
    properties.iter().cloned().collect()
}

/// Refuses keys outside `known`: `Unknown <what> properties: [<keys>]`.
fn refuse_unknown(map: &BTreeMap<String, String>, known: &[&str], what: &str) -> Result<()> {
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(SqlError::Invalid(format!(
        "Unknown {what} properties: [{}]",
        unknown.join(", ")
    )))
}

/// `timeout`: seconds (the service refuses less than ten minutes); one day when absent.
fn timeout(map: &BTreeMap<String, String>) -> Result<u64> {
    let Some(text) = map.get("timeout") else {
        return Ok(DEFAULT_TIMEOUT_S);
    };
    text.trim()
        .parse()
        .map_err(|_| SqlError::Invalid(format!("Invalid timeout format: {text}")))
}

/// `true` or `false` (any case, surrounding spaces allowed), `default` when absent; anything else
/// is `Invalid <what> value: <v>`.
fn flag(map: &BTreeMap<String, String>, key: &str, what: &str, default: bool) -> Result<bool> {
    match map.get(key) {
        None => Ok(default),
        Some(v) if v.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(SqlError::Invalid(format!("Invalid {what} value: {v}"))),
    }
}

/// BACKUP's PROPERTIES: `type` (only `full`), `timeout`, `verify_existing` (a tabvault extension).
pub(super) fn backup_options(properties: &Properties) -> Result<BackupOptions> {
    let map = property_map(properties);
    refuse_unknown(&map, &["type", "timeout", "verify_existing"], "backup job")?;
    if let Some(kind) = map.get("type")
        && !kind.eq_ignore_ascii_case("full")
    {
        return Err(SqlError::Invalid(format!(
            "Invalid backup job type: {kind}"
        )));
    }
    Ok(BackupOptions {
        verify_existing: flag(&map, "verify_existing", "verify_existing", false)?,
        timeout_s: timeout(&map)?,
    })
}

/// RESTORE's PROPERTIES: `backup_timestamp` (required), `timeout`, `replication_num` (a positive
/// integer), `allow_load`, and `meta_version` / `starrocks_meta_version` (integers, accepted and
/// ignored, as StarRocks' own backups carry them).
pub(super) fn restore_options(properties: &Properties) -> Result<RestoreOptions> {
    let map = property_map(properties);
    refuse_unknown(
        &map,
        &[
            "backup_timestamp",
            "timeout",
            "replication_num",
            "allow_load",
            "meta_version",
            "starrocks_meta_version",
        ],
        "restore job",
    )?;
    let backup_timestamp = map
        .get("backup_timestamp")
        .cloned()
        .ok_or_else(|| SqlError::Invalid("Missing backup_timestamp property".into()))?;
    let timeout_s = timeout(&map)?;
    // StarRocks reports a bad `replication_num` with its meta-version message.
    let bad_number = |v: &String| SqlError::Invalid(format!("Invalid meta version format: {v}"));
    let replication_num = match map.get("replication_num") {
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| bad_number(v))?,
        None => 1,
    };
    for key in ["meta_version", "starrocks_meta_version"] {
        if let Some(v) = map.get(key) {
            v.trim().parse::<i64>().map_err(|_| bad_number(v))?;
        }
    }
    Ok(RestoreOptions {
        backup_timestamp,
        timeout_s,
        replication_num,
        allow_load: flag(&map, "allow_load", "allow load", false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn message<T: std::fmt::Debug>(result: Result<T>) -> String {
        result.expect_err("an error").to_string()
    }

    #[test]
    fn backup_properties_become_options_or_starrocks_errors() {
        assert_eq!(
            backup_options(&props(&[])).ok(),
            Some(BackupOptions::default())
        );
        let options = backup_options(&props(&[
            ("type", "FULL"),
            ("timeout", " 3600 "),
            ("verify_existing", "True"),
        ]));
        assert_eq!(
            options.ok(),
            Some(BackupOptions {
                timeout_s: 3600,
                verify_existing: true
            })
        );
        for (pairs, expected) in [
            (vec![("k", "v")], "Unknown backup job properties: [k]"),
            (
                vec![("type", "incremental")],
                "Invalid backup job type: incremental",
            ),
            (vec![("timeout", "abc")], "Invalid timeout format: abc"),
            (
                vec![("verify_existing", "yes")],
                "Invalid verify_existing value: yes",
            ),
        ] {
            assert_eq!(message(backup_options(&props(&pairs))), expected);
        }
    }

    #[test]
    fn restore_properties_become_options_or_starrocks_errors() {
        let options = restore_options(&props(&[
            ("backup_timestamp", "2024-12-09-10-25-58-842"),
            ("replication_num", "3"),
            ("allow_load", "TRUE"),
            ("meta_version", "93"),
        ]));
        assert_eq!(
            options.ok(),
            Some(RestoreOptions {
                replication_num: 3,
                allow_load: true,
                ..RestoreOptions::at("2024-12-09-10-25-58-842")
            })
        );
        let at = ("backup_timestamp", "t");
        for (pairs, expected) in [
            (vec![], "Missing backup_timestamp property"),
            (vec![at, ("k", "v")], "Unknown restore job properties: [k]"),
            (
                vec![at, ("timeout", "soon")],
                "Invalid timeout format: soon",
            ),
            (
                vec![at, ("replication_num", "0")],
                "Invalid meta version format: 0",
            ),
            (
                vec![at, ("meta_version", "x")],
                "Invalid meta version format: x",
            ),
            (
                vec![at, ("allow_load", "maybe")],
                "Invalid allow load value: maybe",
            ),
        ] {
            assert_eq!(message(restore_options(&props(&pairs))), expected);
        }
    }
}
