//! The table metadata document (`v1.metadata.json`, Iceberg spec "Table Metadata", format
//! version 2) of a table with one snapshot, one schema, one partition spec and no sort order.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::avro::SnapshotIds;
use super::partition::{PartitionField, last_partition_id, spec_json};

/// What one table's metadata says.
#[derive(Debug)]
pub(crate) struct TableMetadata<'a> {
    /// The table's root URI (`location`).
    pub location: &'a str,
    /// `table-uuid`.
    pub table_uuid: &'a str,
    /// The schema as [`super::types::schema_json`] builds it.
    pub schema: Json,
    /// Highest field id of the schema.
    pub last_column_id: i32,
    /// The fields of the one partition spec (id 0); none when unpartitioned.
    pub partition: &'a [PartitionField],
    /// The one snapshot.
    pub ids: SnapshotIds,
    /// When the snapshot was taken (the backup's submission time), ms since the epoch.
    pub timestamp_ms: u64,
    /// URI of the snapshot's manifest list.
    pub manifest_list: &'a str,
    /// The snapshot's `summary` besides `operation`.
    pub summary: BTreeMap<String, String>,
    /// Table properties (the name mapping among them).
    pub properties: BTreeMap<String, String>,
}

impl TableMetadata<'_> {
    /// The document as JSON.
    pub(crate) fn to_json(&self) -> Json {
        let mut summary: serde_json::Map<String, Json> = self
            .summary
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        summary.insert("operation".into(), Json::String("append".into()));
        let snapshot_id = self.ids.snapshot_id;
        json!({
            "format-version": 2,
            "table-uuid": self.table_uuid,
            "location": self.location,
            "last-sequence-number": self.ids.sequence_number,
            "last-updated-ms": self.timestamp_ms,
            "last-column-id": self.last_column_id,
            "current-schema-id": 0,
            "schemas": [self.schema],
            "default-spec-id": 0,
            "partition-specs": [{"spec-id": 0, "fields": spec_json(self.partition)}],
            "last-partition-id": last_partition_id(self.partition),
            "default-sort-order-id": 0,
            "sort-orders": [{"order-id": 0, "fields": []}],
            "properties": self.properties,
            "current-snapshot-id": snapshot_id,
            "refs": {"main": {"snapshot-id": snapshot_id, "type": "branch"}},
            "snapshots": [{
                "snapshot-id": snapshot_id,
                "sequence-number": self.ids.sequence_number,
                "timestamp-ms": self.timestamp_ms,
                "manifest-list": self.manifest_list,
                "summary": summary,
                "schema-id": 0,
            }],
            "snapshot-log": [{"timestamp-ms": self.timestamp_ms, "snapshot-id": snapshot_id}],
            "metadata-log": [],
            "statistics": [],
            "partition-statistics": [],
        })
    }
}
