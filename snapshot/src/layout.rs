//! Where things live in a repository (see docs/FORMAT.md, "Repository layout", version 1):
//!
//! ```text
//! tabvault-repository.json                         marker: format, version, name, create time
//! data/<cc>/<checksum>-<size>.parquet              content-addressed rowset files (cc = checksum[..2])
//! snapshots/<name>/meta.json                       the snapshot manifest
//! snapshots/<name>/info-<yyyy-MM-dd-HH-mm-ss-SSS>.json   one per backup run, written last
//! leases/<label>-<job id>-<nonce>.json             data files a running backup will reference
//! iceberg/<name>/<yyyy-MM-dd-HH-mm-ss-SSS>/<db>/<table>/metadata/...   Iceberg view of a run
//! ```

use crate::error::{Result, SnapshotError};
use crate::manifest::is_checksum;
use crate::repository::RepoPath;
use crate::timefmt::is_snapshot_timestamp;
use tabvault_storage::validate_name;

/// The repository marker file.
pub const MARKER: &str = "tabvault-repository.json";
/// Directory of content-addressed data files.
pub const DATA_DIR: &str = "data";
/// Directory of snapshots.
pub const SNAPSHOTS_DIR: &str = "snapshots";
/// Directory of the leases of running backups.
pub const LEASES_DIR: &str = "leases";
/// Directory of the Apache Iceberg metadata written next to snapshots (see `crate::iceberg`).
pub const ICEBERG_DIR: &str = "iceberg";
/// Name of an Iceberg table's metadata directory.
pub const ICEBERG_METADATA_DIR: &str = "metadata";
/// Name of a snapshot's manifest.
pub const META_FILE: &str = "meta.json";
/// The largest info file read: a few hundred bytes in practice; anything near this is forged.
pub const INFO_MAX_BYTES: u64 = 1 << 20;
/// The largest manifest read (it grows with the rowsets of a snapshot; 1 GiB is millions of them).
pub const META_MAX_BYTES: u64 = 1 << 30;

fn path(text: &str) -> Result<RepoPath> {
    Ok(RepoPath::parse(text)?)
}

/// The marker's path.
pub fn marker() -> Result<RepoPath> {
    path(MARKER)
}

/// Where the file with this content lives.
pub fn data_file(checksum: &str, size_bytes: u64) -> Result<RepoPath> {
    if !is_checksum(checksum) {
        return Err(SnapshotError::corrupted(
            "rowset entry",
            format!("invalid checksum {checksum:?}"),
        ));
    }
    path(&format!(
        "{DATA_DIR}/{}/{checksum}-{size_bytes}.parquet",
        &checksum[..2]
    ))
}

/// The content a repository path names when it is exactly a content-addressed data file as
/// [`data_file`] writes it (`data/<cc>/<checksum>-<size>.parquet`): `(checksum, size)`. Anything
/// else (another tool's file, a different spelling of the size) is `None`: never ours to delete.
pub fn parse_data_file(listed: &RepoPath) -> Option<(String, u64)> {
    let rest = listed.as_str().strip_prefix(DATA_DIR)?.strip_prefix('/')?;
    let (_, file) = rest.split_once('/')?;
    let (checksum, size) = file.strip_suffix(".parquet")?.split_once('-')?;
    let size: u64 = size.parse().ok()?;
    let canonical = data_file(checksum, size).ok()?;
    (&canonical == listed).then(|| (checksum.to_owned(), size))
}

/// The lease object of a running backup (`name` is chosen by the job, see [`crate::lease`]).
pub fn lease_file(name: &str) -> Result<RepoPath> {
    path(&format!("{LEASES_DIR}/{name}.json"))
}

/// A snapshot's directory.
pub fn snapshot_dir(snapshot: &str) -> Result<RepoPath> {
    path(&format!("{SNAPSHOTS_DIR}/{snapshot}"))
}

/// A snapshot's manifest.
pub fn meta_file(snapshot: &str) -> Result<RepoPath> {
    snapshot_dir(snapshot)?.join(META_FILE).map_err(Into::into)
}

/// A snapshot's info file for one timestamp.
pub fn info_file(snapshot: &str, timestamp: &str) -> Result<RepoPath> {
    if !is_snapshot_timestamp(timestamp) {
        return Err(SnapshotError::SnapshotNotFound(format!(
            "{snapshot} with timestamp {timestamp}"
        )));
    }
    snapshot_dir(snapshot)?
        .join(&format!("info-{timestamp}.json"))
        .map_err(Into::into)
}

/// `iceberg/<snapshot>`: the Iceberg tables of every backup run of a snapshot.
pub fn iceberg_snapshot_dir(snapshot: &str) -> Result<RepoPath> {
    path(&format!("{ICEBERG_DIR}/{snapshot}"))
}

/// `iceberg/<snapshot>/<timestamp>`: one backup run's Iceberg tables, laid out as a Hadoop
/// catalog's warehouse (namespace = database).
pub fn iceberg_warehouse(snapshot: &str, timestamp: &str) -> Result<RepoPath> {
    if !is_snapshot_timestamp(timestamp) {
        return Err(SnapshotError::SnapshotNotFound(format!(
            "{snapshot} with timestamp {timestamp}"
        )));
    }
    iceberg_snapshot_dir(snapshot)?
        .join(timestamp)
        .map_err(Into::into)
}

/// `iceberg/<snapshot>/<timestamp>/<database>/<table>`, an Iceberg table's location. Database
/// and table names are validated like every catalog name (they come from a manifest).
pub fn iceberg_table_dir(
    snapshot: &str,
    timestamp: &str,
    database: &str,
    table: &str,
) -> Result<RepoPath> {
    validate_name(database)?;
    validate_name(table)?;
    path(&format!(
        "{}/{database}/{table}",
        iceberg_warehouse(snapshot, timestamp)?
    ))
}

/// What a listed name under `snapshots/` is.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotFile {
    /// `snapshots/<name>/meta.json`.
    Meta(String),
    /// `snapshots/<name>/info-<ts>.json`.
    Info(String, String),
    /// Anything else (temporary uploads, foreign files): listed as invalid, never followed.
    Other(String),
}

/// Classifies a listed repository path under `snapshots/`.
pub fn classify(listed: &RepoPath) -> SnapshotFile {
    let text = listed.as_str();
    let Some(rest) = text.strip_prefix("snapshots/") else {
        return SnapshotFile::Other(text.to_owned());
    };
    let Some((name, file)) = rest.split_once('/') else {
        return SnapshotFile::Other(text.to_owned());
    };
    if file == META_FILE {
        return SnapshotFile::Meta(name.to_owned());
    }
    match file
        .strip_prefix("info-")
        .and_then(|f| f.strip_suffix(".json"))
    {
        Some(ts) if is_snapshot_timestamp(ts) => SnapshotFile::Info(name.to_owned(), ts.to_owned()),
        _ => SnapshotFile::Other(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_classify() -> Result<()> {
        assert_eq!(classify(&meta_file("s1")?), SnapshotFile::Meta("s1".into()));
        let ts = "2024-12-09-10-25-58-842";
        assert_eq!(
            classify(&info_file("s1", ts)?),
            SnapshotFile::Info("s1".into(), ts.into())
        );
        assert!(matches!(
            classify(&RepoPath::parse("snapshots/s1/info-x.json")?),
            SnapshotFile::Other(_)
        ));
        assert!(data_file("zz", 1).is_err());
        let checksum = "ab".repeat(32);
        let data = data_file(&checksum, 42)?;
        assert_eq!(parse_data_file(&data), Some((checksum.clone(), 42)));
        for foreign in [
            format!("data/ab/{checksum}-042.parquet"),
            format!("data/cd/{checksum}-42.parquet"),
            format!("data/ab/{checksum}-42.parquet.bak"),
            format!("data/ab/x/{checksum}-42.parquet"),
            format!("data/{checksum}-42.parquet"),
            "data/ab/notes.txt".to_owned(),
            "data/ab/ab-1.parquet".to_owned(),
        ] {
            assert_eq!(
                parse_data_file(&RepoPath::parse(&foreign)?),
                None,
                "{foreign}"
            );
        }
        assert!(info_file("s1", "../../x").is_err());
        assert_eq!(
            iceberg_table_dir("s1", ts, "db", "t")?.as_str(),
            "iceberg/s1/2024-12-09-10-25-58-842/db/t"
        );
        assert!(iceberg_table_dir("s1", "x", "db", "t").is_err());
        assert!(iceberg_table_dir("s1", ts, "..", "t").is_err());
        assert!(snapshot_dir("..").is_err());
        Ok(())
    }
}
