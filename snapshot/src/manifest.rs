//! The snapshot manifest (`meta.json`) and the snapshot info file (`info-<timestamp>.json`): what a
//! snapshot holds, and the proof that it is complete. Both are versioned JSON; decoding validates
//! every name and checksum, because the bytes come from a repository anyone may have touched.

use serde::{Deserialize, Serialize};
use tabvault_storage::{
    ColumnStats, PartitionBound, PartitionDef, RowsetKind, TableSchema, ViewDef, validate_name,
};

use crate::error::{Result, SnapshotError};
use crate::timefmt::is_snapshot_timestamp;

/// Version of the manifest and info formats written by this code.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// Everything a snapshot holds: table definitions trimmed to the captured partitions, each
/// partition's version and files, and view definitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotManifest {
    /// Always [`SNAPSHOT_FORMAT_VERSION`] when written by this code.
    #[serde(rename = "format_version")]
    pub format_version: u32,
    /// The database the snapshot was taken of.
    #[serde(rename = "database")]
    pub database: String,
    /// Tables, in name order.
    #[serde(rename = "tables")]
    pub tables: Vec<TableEntry>,
    /// Views, as definitions.
    #[serde(rename = "views")]
    pub views: Vec<ViewDef>,
}

/// One table of a snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Table name.
    #[serde(rename = "name")]
    pub name: String,
    /// Columns, keys, partitioning, distribution, properties.
    #[serde(rename = "schema")]
    pub schema: TableSchema,
    /// The captured partitions.
    #[serde(rename = "partitions")]
    pub partitions: Vec<PartitionEntry>,
}

/// One captured partition: its bound, its visible version at the capture instant and its files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionEntry {
    /// Partition name.
    #[serde(rename = "name")]
    pub name: String,
    /// The rows it holds.
    #[serde(rename = "bound")]
    pub bound: PartitionBound,
    /// Visible version at the capture instant.
    #[serde(rename = "version")]
    pub version: u64,
    /// One entry per bucket, in bucket order (restore maps tablets by position).
    #[serde(rename = "tablets")]
    pub tablets: Vec<TabletEntry>,
}

/// The rowsets of one tablet, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TabletEntry {
    /// Rowsets, oldest first.
    #[serde(rename = "rowsets")]
    pub rowsets: Vec<RowsetEntry>,
}

/// One rowset file, identified by content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowsetEntry {
    /// Data or delete (PRIMARY KEY tombstones).
    #[serde(rename = "kind")]
    pub kind: RowsetKind,
    /// Partition version that published it.
    #[serde(rename = "version")]
    pub version: u64,
    /// File size in bytes.
    #[serde(rename = "size_bytes")]
    pub size_bytes: u64,
    /// BLAKE3 of the file, lowercase hex (64 characters).
    #[serde(rename = "checksum")]
    pub checksum: String,
    /// Row count.
    #[serde(rename = "rows")]
    pub rows: u64,
    /// Column statistics recorded when the file was written.
    #[serde(rename = "columns")]
    pub columns: Vec<ColumnStats>,
}

/// The info file: written last, its presence makes a snapshot visible and restorable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// Always [`SNAPSHOT_FORMAT_VERSION`] when written by this code.
    #[serde(rename = "format_version")]
    pub format_version: u32,
    /// Snapshot name (StarRocks' label).
    #[serde(rename = "name")]
    pub name: String,
    /// Database name.
    #[serde(rename = "database")]
    pub database: String,
    /// The job's submission time as `yyyy-MM-dd-HH-mm-ss-SSS` (UTC).
    #[serde(rename = "timestamp")]
    pub timestamp: String,
    /// The job's submission time in ms since the epoch.
    #[serde(rename = "backup_time_ms")]
    pub backup_time_ms: u64,
    /// BLAKE3 of the `meta.json` bytes this info vouches for.
    #[serde(rename = "meta_checksum")]
    pub meta_checksum: String,
    /// Size of those bytes.
    #[serde(rename = "meta_size_bytes")]
    pub meta_size_bytes: u64,
    /// What was backed up: tables with their partitions and versions, and views.
    #[serde(rename = "objects")]
    pub objects: Vec<InfoObject>,
    /// `"succeed"`, as StarRocks writes it.
    #[serde(rename = "backup_result")]
    pub backup_result: String,
}

/// One backed-up object as the info file lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InfoObject {
    /// Table or view name.
    #[serde(rename = "name")]
    pub name: String,
    /// True for a view.
    #[serde(rename = "is_view")]
    pub is_view: bool,
    /// `(partition, version)` pairs; empty for views.
    #[serde(rename = "partitions")]
    pub partitions: Vec<(String, u64)>,
}

/// Whether `text` is a lowercase hex BLAKE3 digest.
pub fn is_checksum(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl SnapshotManifest {
    /// Encodes as JSON.
    pub fn encode(&self) -> Result<Vec<u8>> {
        crate::error::json_bytes(self, "a snapshot manifest")
    }

    /// Decodes and validates: format version, names, checksums, schemas, bounds, bucket counts.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let manifest: Self = serde_json::from_slice(bytes)
            .map_err(|e| SnapshotError::corrupted("snapshot meta", e))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<()> {
        let bad = |detail: String| SnapshotError::corrupted("snapshot meta", detail);
        if self.format_version != SNAPSHOT_FORMAT_VERSION {
            return Err(bad(format!(
                "unsupported format version {}",
                self.format_version
            )));
        }
        validate_name(&self.database).map_err(|e| bad(e.to_string()))?;
        for view in &self.views {
            validate_name(&view.name).map_err(|e| bad(e.to_string()))?;
        }
        for table in &self.tables {
            validate_name(&table.name).map_err(|e| bad(e.to_string()))?;
            let mut schema = table.schema.clone();
            schema
                .validate()
                .map_err(|e| bad(format!("table {}: {e}", table.name)))?;
            if schema != table.schema {
                return Err(bad(format!(
                    "table {}: schema is not in normal form",
                    table.name
                )));
            }
            let buckets = usize::try_from(schema.distribution.buckets()).unwrap_or(0);
            for partition in &table.partitions {
                let def = PartitionDef {
                    name: partition.name.clone(),
                    bound: partition.bound.clone(),
                };
                let normal = schema
                    .normalize_partition(&def)
                    .map_err(|e| bad(format!("table {}: {e}", table.name)))?;
                if normal != def {
                    return Err(bad(format!(
                        "partition {} of {}: bound is not in normal form",
                        partition.name, table.name
                    )));
                }
                if partition.tablets.len() != buckets {
                    return Err(bad(format!(
                        "partition {} of {} has {} tablets, the table has {buckets} buckets",
                        partition.name,
                        table.name,
                        partition.tablets.len()
                    )));
                }
                if let Some(r) = partition
                    .tablets
                    .iter()
                    .flat_map(|t| &t.rowsets)
                    .find(|r| !is_checksum(&r.checksum))
                {
                    return Err(bad(format!("invalid checksum {:?}", r.checksum)));
                }
            }
        }
        Ok(())
    }

    /// The table entry named `name`.
    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The view named `name`.
    pub fn view(&self, name: &str) -> Option<&ViewDef> {
        self.views.iter().find(|v| v.name == name)
    }

    /// Every rowset of every table.
    pub fn rowsets(&self) -> impl Iterator<Item = &RowsetEntry> {
        self.tables
            .iter()
            .flat_map(|t| &t.partitions)
            .flat_map(|p| &p.tablets)
            .flat_map(|t| &t.rowsets)
    }
}

impl SnapshotInfo {
    /// Encodes as JSON.
    pub fn encode(&self) -> Result<Vec<u8>> {
        crate::error::json_bytes(self, "a snapshot info file")
    }

    /// Decodes and validates: format version, names, timestamp shape, checksum shape.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let info: Self = serde_json::from_slice(bytes)
            .map_err(|e| SnapshotError::corrupted("snapshot info", e))?;
        let bad = |detail: String| SnapshotError::corrupted("snapshot info", detail);
        if info.format_version != SNAPSHOT_FORMAT_VERSION {
            return Err(bad(format!(
                "unsupported format version {}",
                info.format_version
            )));
        }
        validate_name(&info.name).map_err(|e| bad(e.to_string()))?;
        validate_name(&info.database).map_err(|e| bad(e.to_string()))?;
        if !is_snapshot_timestamp(&info.timestamp) {
            return Err(bad(format!("invalid timestamp {:?}", info.timestamp)));
        }
        if !is_checksum(&info.meta_checksum) {
            return Err(bad(format!(
                "invalid meta checksum {:?}",
                info.meta_checksum
            )));
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_path_names_are_rejected() {
        assert!(SnapshotManifest::decode(b"not json").is_err());
        let m = SnapshotManifest {
            format_version: 1,
            database: "../etc".into(),
            tables: vec![],
            views: vec![],
        };
        assert!(SnapshotManifest::decode(&m.encode().expect("encodes")).is_err());
        let ok = SnapshotManifest {
            format_version: 1,
            database: "db".into(),
            tables: vec![],
            views: vec![],
        };
        assert_eq!(
            SnapshotManifest::decode(&ok.encode().expect("encodes")).expect("valid"),
            ok
        );
        let wrong_version = SnapshotManifest {
            format_version: 2,
            ..ok
        };
        assert!(SnapshotManifest::decode(&wrong_version.encode().expect("encodes")).is_err());
    }

    #[test]
    fn info_checks_timestamp_and_checksum() {
        let info = SnapshotInfo {
            format_version: 1,
            name: "s".into(),
            database: "db".into(),
            timestamp: "2024-12-09-10-25-58-842".into(),
            backup_time_ms: 1,
            meta_checksum: "a".repeat(64),
            meta_size_bytes: 10,
            objects: vec![],
            backup_result: "succeed".into(),
        };
        assert!(SnapshotInfo::decode(&info.encode().expect("encodes")).is_ok());
        let bad = SnapshotInfo {
            timestamp: "../x".into(),
            ..info.clone()
        };
        assert!(SnapshotInfo::decode(&bad.encode().expect("encodes")).is_err());
        let bad = SnapshotInfo {
            meta_checksum: "../../x".into(),
            ..info
        };
        assert!(SnapshotInfo::decode(&bad.encode().expect("encodes")).is_err());
    }
}
