//! The Avro files of an Iceberg v2 table: a manifest (`manifest_entry` records, one per data
//! file) and a manifest list (`manifest_file` records, one per manifest), with the field ids of
//! the Iceberg spec ("Manifests" and "Manifest Lists") carried as `field-id` attributes, which
//! readers match fields by. Maps with int keys are arrays of key/value records marked
//! `"logicalType": "map"`, as the spec's Avro mapping requires. Written uncompressed (the `null`
//! codec, which every reader takes; DuckDB 1.4 refuses zstd): a manifest is a few hundred bytes
//! per data file, and deflating it cost a BACKUP more time than the bytes are worth.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::avro_binary::{Encoder, container};
use super::partition::{FieldSummary, PartitionField, spec_json};
use tabvault_storage::Value as Datum;

/// The `manifest_entry` schema of a v2 manifest; `@PARTITION_FIELDS@` stands for the fields of
/// the `partition` record (none for the unpartitioned spec), see [`manifest_entry_schema`].
pub(crate) const MANIFEST_ENTRY_SCHEMA: &str = r#"{
  "type": "record", "name": "manifest_entry", "fields": [
    {"name": "status", "type": "int", "field-id": 0},
    {"name": "snapshot_id", "type": ["null", "long"], "default": null, "field-id": 1},
    {"name": "sequence_number", "type": ["null", "long"], "default": null, "field-id": 3},
    {"name": "file_sequence_number", "type": ["null", "long"], "default": null, "field-id": 4},
    {"name": "data_file", "field-id": 2, "type": {"type": "record", "name": "r2", "fields": [
      {"name": "content", "type": "int", "field-id": 134},
      {"name": "file_path", "type": "string", "field-id": 100},
      {"name": "file_format", "type": "string", "field-id": 101},
      {"name": "partition", "field-id": 102,
       "type": {"type": "record", "name": "r102", "fields": @PARTITION_FIELDS@}},
      {"name": "record_count", "type": "long", "field-id": 103},
      {"name": "file_size_in_bytes", "type": "long", "field-id": 104},
      {"name": "column_sizes", "default": null, "field-id": 108, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k117_v118",
         "fields": [{"name": "key", "type": "int", "field-id": 117},
                    {"name": "value", "type": "long", "field-id": 118}]}}]},
      {"name": "value_counts", "default": null, "field-id": 109, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k119_v120",
         "fields": [{"name": "key", "type": "int", "field-id": 119},
                    {"name": "value", "type": "long", "field-id": 120}]}}]},
      {"name": "null_value_counts", "default": null, "field-id": 110, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k121_v122",
         "fields": [{"name": "key", "type": "int", "field-id": 121},
                    {"name": "value", "type": "long", "field-id": 122}]}}]},
      {"name": "nan_value_counts", "default": null, "field-id": 137, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k138_v139",
         "fields": [{"name": "key", "type": "int", "field-id": 138},
                    {"name": "value", "type": "long", "field-id": 139}]}}]},
      {"name": "lower_bounds", "default": null, "field-id": 125, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k126_v127",
         "fields": [{"name": "key", "type": "int", "field-id": 126},
                    {"name": "value", "type": "bytes", "field-id": 127}]}}]},
      {"name": "upper_bounds", "default": null, "field-id": 128, "type": ["null",
        {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k129_v130",
         "fields": [{"name": "key", "type": "int", "field-id": 129},
                    {"name": "value", "type": "bytes", "field-id": 130}]}}]},
      {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 131},
      {"name": "split_offsets", "default": null, "field-id": 132,
       "type": ["null", {"type": "array", "items": "long", "element-id": 133}]},
      {"name": "equality_ids", "default": null, "field-id": 135,
       "type": ["null", {"type": "array", "items": "int", "element-id": 136}]},
      {"name": "sort_order_id", "type": ["null", "int"], "default": null, "field-id": 140}
    ]}}
  ]
}"#;

/// The v2 `manifest_file` schema of a manifest list.
pub(crate) const MANIFEST_FILE_SCHEMA: &str = r#"{
  "type": "record", "name": "manifest_file", "fields": [
    {"name": "manifest_path", "type": "string", "field-id": 500},
    {"name": "manifest_length", "type": "long", "field-id": 501},
    {"name": "partition_spec_id", "type": "int", "field-id": 502},
    {"name": "content", "type": "int", "field-id": 517},
    {"name": "sequence_number", "type": "long", "field-id": 515},
    {"name": "min_sequence_number", "type": "long", "field-id": 516},
    {"name": "added_snapshot_id", "type": "long", "field-id": 503},
    {"name": "added_files_count", "type": "int", "field-id": 504},
    {"name": "existing_files_count", "type": "int", "field-id": 505},
    {"name": "deleted_files_count", "type": "int", "field-id": 506},
    {"name": "added_rows_count", "type": "long", "field-id": 512},
    {"name": "existing_rows_count", "type": "long", "field-id": 513},
    {"name": "deleted_rows_count", "type": "long", "field-id": 514},
    {"name": "partitions", "default": null, "field-id": 507, "type": ["null",
      {"type": "array", "element-id": 508, "items": {"type": "record", "name": "r508", "fields": [
        {"name": "contains_null", "type": "boolean", "field-id": 509},
        {"name": "contains_nan", "type": ["null", "boolean"], "default": null, "field-id": 518},
        {"name": "lower_bound", "type": ["null", "bytes"], "default": null, "field-id": 510},
        {"name": "upper_bound", "type": ["null", "bytes"], "default": null, "field-id": 511}
      ]}}]},
    {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 519}
  ]
}"#;

/// `manifest_entry.status` of a file added by the entry's snapshot.
const STATUS_ADDED: i32 = 1;

/// What the files of a manifest hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Content {
    /// Table rows (`data_file.content` 0, `manifest_file.content` 0, header `data`).
    Data,
    /// Position deletes: `(file_path, pos)` rows naming rows of data files that are not part of
    /// the table (`data_file.content` 1, `manifest_file.content` 1, header `deletes`).
    PositionDeletes,
}

impl Content {
    fn file_content(self) -> i32 {
        match self {
            Self::Data => 0,
            Self::PositionDeletes => 1,
        }
    }

    fn manifest_content(self) -> i32 {
        match self {
            Self::Data => 0,
            Self::PositionDeletes => 1,
        }
    }

    fn header(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::PositionDeletes => "deletes",
        }
    }
}

/// One data or delete file as a manifest lists it. Empty metric maps are written as null.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DataFile {
    /// Absolute URI of the Parquet file.
    pub path: String,
    /// Rows in the file.
    pub record_count: i64,
    /// File size.
    pub size_bytes: i64,
    /// Field id → values including NULLs (every column present in the file).
    pub value_counts: BTreeMap<i32, i64>,
    /// Field id → NULL count.
    pub null_counts: BTreeMap<i32, i64>,
    /// Field id → Appendix D lower bound.
    pub lower_bounds: BTreeMap<i32, Vec<u8>>,
    /// Field id → Appendix D upper bound.
    pub upper_bounds: BTreeMap<i32, Vec<u8>>,
    /// The file's partition tuple, one value per field of the spec (empty when unpartitioned).
    pub partition: Vec<Datum>,
}

/// What a manifest list says about one manifest.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ManifestSummary {
    /// Data or delete files.
    pub content: Content,
    /// Absolute URI of the manifest.
    pub path: String,
    /// The manifest's size in bytes.
    pub length: i64,
    /// Files it lists (all added).
    pub files: i32,
    /// Rows in those files.
    pub rows: i64,
    /// One summary per partition field of the spec (empty when unpartitioned).
    pub partitions: Vec<FieldSummary>,
}

/// The snapshot every entry and manifest belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SnapshotIds {
    /// The table's only snapshot.
    pub snapshot_id: i64,
    /// Its sequence number.
    pub sequence_number: i64,
}

/// Writes a metric map (field id → value) as the spec's array of key/value records; null when
/// empty (unknown).
fn map_of<V>(e: &mut Encoder, map: &BTreeMap<i32, V>, value: impl Fn(&mut Encoder, &V)) {
    if map.is_empty() {
        return e.null();
    }
    e.branch(1);
    let pairs: Vec<(&i32, &V)> = map.iter().collect();
    e.array(&pairs, |e, (k, v)| {
        e.int(**k);
        value(e, v);
    });
}

/// An optional `bytes`: null when absent.
fn optional_bytes(e: &mut Encoder, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            e.branch(1);
            e.bytes(bytes);
        }
        None => e.null(),
    }
}

/// The `manifest_entry` schema whose `partition` record has a field per partition field.
pub(crate) fn manifest_entry_schema(partition: &[PartitionField]) -> Result<String, String> {
    let fields = partition
        .iter()
        .map(PartitionField::avro_field)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MANIFEST_ENTRY_SCHEMA.replace("@PARTITION_FIELDS@", &Json::Array(fields).to_string()))
}

/// The manifest listing `files` (all of one `content`), all added by `ids`' snapshot.
/// `schema_json` is the table schema, and `partition` the partition spec's fields, which the
/// spec requires in the header; each file's `partition` holds a value per field.
pub(crate) fn manifest(
    ids: SnapshotIds,
    schema_json: &str,
    partition: &[PartitionField],
    content: Content,
    files: &[DataFile],
) -> Result<Vec<u8>, String> {
    let mut e = Encoder::default();
    for file in files {
        if file.partition.len() != partition.len() {
            return Err(format!(
                "{} has {} partition values for a spec of {} fields",
                file.path,
                file.partition.len(),
                partition.len()
            ));
        }
        e.int(STATUS_ADDED);
        for id in [ids.snapshot_id, ids.sequence_number, ids.sequence_number] {
            e.branch(1);
            e.long(id);
        }
        // data_file, field by field in the schema's order.
        e.int(content.file_content());
        e.string(&file.path);
        e.string("PARQUET");
        for (field, value) in partition.iter().zip(&file.partition) {
            field.encode_value(value, &mut e)?;
        }
        e.long(file.record_count);
        e.long(file.size_bytes);
        e.null(); // column_sizes
        map_of(&mut e, &file.value_counts, |e, v| e.long(*v));
        map_of(&mut e, &file.null_counts, |e, v| e.long(*v));
        e.null(); // nan_value_counts
        map_of(&mut e, &file.lower_bounds, |e, v| e.bytes(v));
        map_of(&mut e, &file.upper_bounds, |e, v| e.bytes(v));
        e.null(); // key_metadata
        e.null(); // split_offsets
        e.null(); // equality_ids
        e.null(); // sort_order_id
    }
    container(
        &manifest_entry_schema(partition)?,
        &[
            ("schema", schema_json.to_owned()),
            ("schema-id", "0".to_owned()),
            ("partition-spec", spec_json(partition).to_string()),
            ("partition-spec-id", "0".to_owned()),
            ("format-version", "2".to_owned()),
            ("content", content.header().to_owned()),
        ],
        files.len(),
        &e.into_bytes(),
    )
}

/// The manifest list of `ids`' snapshot, naming its manifests.
pub(crate) fn manifest_list(
    ids: SnapshotIds,
    manifests: &[ManifestSummary],
) -> Result<Vec<u8>, String> {
    let mut e = Encoder::default();
    for manifest in manifests {
        e.string(&manifest.path);
        e.long(manifest.length);
        e.int(0); // partition_spec_id
        e.int(manifest.content.manifest_content());
        e.long(ids.sequence_number);
        e.long(ids.sequence_number); // min_sequence_number
        e.long(ids.snapshot_id); // added_snapshot_id
        e.int(manifest.files); // added_files_count
        e.int(0); // existing_files_count
        e.int(0); // deleted_files_count
        e.long(manifest.rows); // added_rows_count
        e.long(0); // existing_rows_count
        e.long(0); // deleted_rows_count
        e.branch(1);
        e.array(&manifest.partitions, |e, p| {
            e.boolean(p.contains_null);
            e.branch(1);
            e.boolean(p.contains_nan);
            optional_bytes(e, p.lower.as_deref());
            optional_bytes(e, p.upper.as_deref());
        });
        e.null(); // key_metadata
    }
    container(
        MANIFEST_FILE_SCHEMA,
        &[
            ("snapshot-id", ids.snapshot_id.to_string()),
            ("parent-snapshot-id", "null".to_owned()),
            ("sequence-number", ids.sequence_number.to_string()),
            ("format-version", "2".to_owned()),
        ],
        manifests.len(),
        &e.into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::Reader;
    use apache_avro::types::Value;
    use serde_json::Value as Json;

    /// The present branch of an optional, as the reader gives it.
    fn some(value: Value) -> Value {
        Value::Union(1, Box::new(value))
    }

    /// Every `field-id`, `element-id`, `key-id`-like attribute of a written schema, by dotted
    /// path (map keys and values appear as `<map>.key` / `<map>.value`, list elements as
    /// `<list>.element`).
    fn ids(schema: &Json, path: &str, out: &mut BTreeMap<String, i64>) {
        match schema {
            Json::Array(union) => union.iter().for_each(|s| ids(s, path, out)),
            Json::Object(o) => {
                if let Some(id) = o.get("element-id").and_then(Json::as_i64) {
                    out.insert(format!("{path}.element"), id);
                }
                for field in o
                    .get("fields")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = field["name"].as_str().unwrap_or("?");
                    let here = if path.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    if let Some(id) = field.get("field-id").and_then(Json::as_i64) {
                        out.insert(here.clone(), id);
                    }
                    ids(&field["type"], &here, out);
                }
                if let Some(items) = o.get("items") {
                    ids(items, path, out);
                }
            }
            _ => {}
        }
    }

    /// The written file's schema (as its header holds it), metadata and records.
    fn read(bytes: &[u8]) -> (Json, std::collections::HashMap<String, Vec<u8>>, Vec<Value>) {
        let reader = Reader::new(bytes).expect("an Avro container");
        let schema = serde_json::to_value(reader.writer_schema()).expect("schema as JSON");
        let metadata = reader.user_metadata().clone();
        let records = reader.map(|r| r.expect("a record")).collect();
        (schema, metadata, records)
    }

    /// A manifest written and read back.
    struct Written {
        bytes: Vec<u8>,
        schema: Json,
        metadata: std::collections::HashMap<String, Vec<u8>>,
        records: Vec<Value>,
        /// Every field id of its schema, as [`ids`] finds them.
        ids: BTreeMap<String, i64>,
    }

    /// A data manifest of the one `file`, written and read back.
    fn written_manifest(
        schema_json: &str,
        partition: &[PartitionField],
        file: &DataFile,
    ) -> Written {
        let bytes = manifest(
            ids_of(),
            schema_json,
            partition,
            Content::Data,
            std::slice::from_ref(file),
        )
        .expect("written");
        let (schema, metadata, records) = read(&bytes);
        let mut found = BTreeMap::new();
        ids(&schema, "", &mut found);
        Written {
            bytes,
            schema,
            metadata,
            records,
            ids: found,
        }
    }

    fn expected(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn field<'a>(record: &'a Value, name: &str) -> &'a Value {
        match record {
            Value::Record(fields) => fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .expect("field present"),
            other => panic!("not a record: {other:?}"),
        }
    }

    fn ids_of() -> SnapshotIds {
        SnapshotIds {
            snapshot_id: 77,
            sequence_number: 1,
        }
    }

    /// The field ids are the Iceberg spec's (format/spec.md, "Manifests", v2 columns): readers
    /// project manifests by id, so one wrong id silently drops or misreads a column.
    #[test]
    fn manifest_field_ids_are_the_specs() {
        let file = DataFile {
            path: "file:///r/data/ab/x.parquet".into(),
            record_count: 3,
            size_bytes: 1000,
            value_counts: BTreeMap::from([(1, 3), (2, 3)]),
            null_counts: BTreeMap::from([(1, 0), (2, 1)]),
            lower_bounds: BTreeMap::from([(1, vec![1, 0, 0, 0])]),
            upper_bounds: BTreeMap::from([(1, vec![9, 0, 0, 0])]),
            partition: vec![],
        };
        let Written {
            bytes,
            schema,
            metadata,
            records,
            ids: found,
        } = written_manifest("{\"s\":1}", &[], &file);
        let d = "data_file";
        let pairs: Vec<(String, i64)> = [
            ("status", 0),
            ("snapshot_id", 1),
            ("sequence_number", 3),
            ("file_sequence_number", 4),
            ("data_file", 2),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .chain(
            [
                ("content", 134),
                ("file_path", 100),
                ("file_format", 101),
                ("partition", 102),
                ("record_count", 103),
                ("file_size_in_bytes", 104),
                ("column_sizes", 108),
                ("column_sizes.key", 117),
                ("column_sizes.value", 118),
                ("value_counts", 109),
                ("value_counts.key", 119),
                ("value_counts.value", 120),
                ("null_value_counts", 110),
                ("null_value_counts.key", 121),
                ("null_value_counts.value", 122),
                ("nan_value_counts", 137),
                ("nan_value_counts.key", 138),
                ("nan_value_counts.value", 139),
                ("lower_bounds", 125),
                ("lower_bounds.key", 126),
                ("lower_bounds.value", 127),
                ("upper_bounds", 128),
                ("upper_bounds.key", 129),
                ("upper_bounds.value", 130),
                ("key_metadata", 131),
                ("split_offsets", 132),
                ("split_offsets.element", 133),
                ("equality_ids", 135),
                ("equality_ids.element", 136),
                ("sort_order_id", 140),
            ]
            .iter()
            .map(|(k, v)| (format!("{d}.{k}"), *v)),
        )
        .collect();
        assert_eq!(found, pairs.into_iter().collect::<BTreeMap<_, _>>());
        for map in [
            "column_sizes",
            "value_counts",
            "lower_bounds",
            "upper_bounds",
        ] {
            let array = &schema["fields"][4]["type"]["fields"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["name"] == map))
                .expect("map field")["type"][1];
            assert_eq!(array["logicalType"], "map", "{map}");
        }
        assert_eq!(
            metadata.get("format-version").map(Vec::as_slice),
            Some(&b"2"[..])
        );
        assert_eq!(
            metadata.get("content").map(Vec::as_slice),
            Some(&b"data"[..])
        );
        assert_eq!(
            metadata.get("schema").map(Vec::as_slice),
            Some(&b"{\"s\":1}"[..])
        );
        assert_eq!(
            metadata.get("partition-spec").map(Vec::as_slice),
            Some(&b"[]"[..])
        );
        // The reader keeps `avro.*` keys to itself: look for the codec in the header bytes.
        // The header map entry `avro.codec` = `null` (Avro strings are zigzag-length-prefixed).
        let codec = b"\x14avro.codec\x08null";
        assert!(
            bytes.windows(codec.len()).any(|w| w == codec),
            "not uncompressed"
        );

        let [entry] = records.as_slice() else {
            panic!("one entry expected, got {}", records.len());
        };
        assert_eq!(field(entry, "status"), &Value::Int(1));
        assert_eq!(
            field(entry, "snapshot_id"),
            &Value::Union(1, Box::new(Value::Long(77)))
        );
        let data = field(entry, "data_file");
        assert_eq!(field(data, "file_path"), &Value::String(file.path.clone()));
        assert_eq!(field(data, "file_format"), &Value::String("PARQUET".into()));
        assert_eq!(field(data, "record_count"), &Value::Long(3));
        assert_eq!(field(data, "file_size_in_bytes"), &Value::Long(1000));
        let pair = |k: i32, v: Value| {
            Value::Record(vec![("key".into(), Value::Int(k)), ("value".into(), v)])
        };
        assert_eq!(
            field(data, "null_value_counts"),
            &some(Value::Array(vec![
                pair(1, Value::Long(0)),
                pair(2, Value::Long(1))
            ]))
        );
        assert_eq!(
            field(data, "upper_bounds"),
            &some(Value::Array(vec![pair(1, Value::Bytes(vec![9, 0, 0, 0]))]))
        );
    }

    /// A data manifest's summary of two files and 30 rows, with `partitions`.
    fn data_summary(partitions: Vec<FieldSummary>) -> ManifestSummary {
        ManifestSummary {
            content: Content::Data,
            path: "s3://b/iceberg/m.avro".into(),
            length: 4096,
            files: 2,
            rows: 30,
            partitions,
        }
    }

    #[test]
    fn manifest_list_field_ids_are_the_specs() {
        let summary = data_summary(vec![]);
        let deletes = ManifestSummary {
            content: Content::PositionDeletes,
            path: "s3://b/iceberg/d.avro".into(),
            ..summary.clone()
        };
        let bytes = manifest_list(ids_of(), &[summary.clone(), deletes]).expect("written");
        let (schema, metadata, records) = read(&bytes);
        let mut found = BTreeMap::new();
        ids(&schema, "", &mut found);
        assert_eq!(
            found,
            expected(&[
                ("manifest_path", 500),
                ("manifest_length", 501),
                ("partition_spec_id", 502),
                ("content", 517),
                ("sequence_number", 515),
                ("min_sequence_number", 516),
                ("added_snapshot_id", 503),
                ("added_files_count", 504),
                ("existing_files_count", 505),
                ("deleted_files_count", 506),
                ("added_rows_count", 512),
                ("existing_rows_count", 513),
                ("deleted_rows_count", 514),
                ("partitions", 507),
                ("partitions.element", 508),
                ("partitions.contains_null", 509),
                ("partitions.contains_nan", 518),
                ("partitions.lower_bound", 510),
                ("partitions.upper_bound", 511),
                ("key_metadata", 519),
            ])
        );
        assert_eq!(
            metadata.get("snapshot-id").map(Vec::as_slice),
            Some(&b"77"[..])
        );
        assert_eq!(
            metadata.get("format-version").map(Vec::as_slice),
            Some(&b"2"[..])
        );
        let [record, delete_record] = records.as_slice() else {
            panic!("two manifests expected, got {}", records.len());
        };
        assert_eq!(field(record, "content"), &Value::Int(0));
        assert_eq!(field(delete_record, "content"), &Value::Int(1));
        assert_eq!(field(record, "manifest_path"), &Value::String(summary.path));
        assert_eq!(field(record, "manifest_length"), &Value::Long(4096));
        assert_eq!(field(record, "added_files_count"), &Value::Int(2));
        assert_eq!(field(record, "added_rows_count"), &Value::Long(30));
        assert_eq!(field(record, "sequence_number"), &Value::Long(1));
    }

    #[test]
    fn an_empty_manifest_is_a_valid_container() {
        let bytes = manifest(ids_of(), "{}", &[], Content::Data, &[]).expect("written");
        let (_, _, records) = read(&bytes);
        assert!(records.is_empty());
    }

    fn partition_fields() -> Vec<PartitionField> {
        use super::super::partition::Transform;
        use tabvault_storage::ColumnType;
        let field = |name: &str, transform, source_id, field_id, result| PartitionField {
            name: name.into(),
            transform,
            source_id,
            field_id,
            result,
        };
        vec![
            field("d_year", Transform::Year, 2, 1000, ColumnType::Int),
            field("d_day", Transform::Day, 2, 1001, ColumnType::Date),
            field(
                "region",
                Transform::Identity,
                3,
                1002,
                ColumnType::Varchar(8),
            ),
            field("n", Transform::Identity, 4, 1003, ColumnType::BigInt),
            field("ts", Transform::Identity, 5, 1004, ColumnType::DateTime),
        ]
    }

    /// A partitioned manifest: the `partition` record has one optional field per spec field,
    /// with the spec field's id (1000 and up) and the transform's result type (year/month int,
    /// day date, identity the source type), and each entry holds its file's values.
    #[test]
    fn partitioned_manifest_field_ids_and_types_are_the_specs() {
        let fields = partition_fields();
        let values = vec![
            Datum::Int(54),
            Datum::Date(19_800),
            Datum::String("eu".into()),
            Datum::Int(-3),
            Datum::DateTime(1_000_000),
        ];
        let file = DataFile {
            path: "file:///r/data/ab/x.parquet".into(),
            record_count: 3,
            size_bytes: 1000,
            value_counts: BTreeMap::new(),
            null_counts: BTreeMap::new(),
            lower_bounds: BTreeMap::new(),
            upper_bounds: BTreeMap::new(),
            partition: values,
        };
        let Written {
            schema,
            metadata,
            records,
            ids: found,
            ..
        } = written_manifest("{}", &fields, &file);
        let partition: BTreeMap<String, i64> = found
            .into_iter()
            .filter(|(k, _)| k.starts_with("data_file.partition"))
            .collect();
        assert_eq!(
            partition,
            expected(&[
                ("data_file.partition", 102),
                ("data_file.partition.d_year", 1000),
                ("data_file.partition.d_day", 1001),
                ("data_file.partition.region", 1002),
                ("data_file.partition.n", 1003),
                ("data_file.partition.ts", 1004),
            ])
        );
        let record = schema["fields"][4]["type"]["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == "partition"))
            .expect("partition field")["type"]["fields"]
            .clone();
        let types: Vec<Json> = record
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["type"].clone())
            .collect();
        assert_eq!(
            types,
            vec![
                serde_json::json!(["null", "int"]),
                serde_json::json!(["null", {"type": "int", "logicalType": "date"}]),
                serde_json::json!(["null", "string"]),
                serde_json::json!(["null", "long"]),
                serde_json::json!(["null", {"type": "long", "logicalType": "timestamp-micros"}]),
            ]
        );
        let spec: Json = serde_json::from_slice(&metadata["partition-spec"]).expect("JSON");
        assert_eq!(
            spec[0],
            serde_json::json!({"name": "d_year", "transform": "year", "source-id": 2,
                               "field-id": 1000})
        );
        assert_eq!(spec[1]["transform"], "day");
        assert_eq!(spec[2]["transform"], "identity");
        let [entry] = records.as_slice() else {
            panic!("one entry expected, got {}", records.len());
        };
        let data = field(entry, "data_file");
        let tuple = field(data, "partition");
        assert_eq!(field(tuple, "d_year"), &some(Value::Int(54)));
        assert_eq!(field(tuple, "d_day"), &some(Value::Date(19_800)));
        assert_eq!(field(tuple, "region"), &some(Value::String("eu".into())));
        assert_eq!(field(tuple, "n"), &some(Value::Long(-3)));
        assert_eq!(field(tuple, "ts"), &some(Value::TimestampMicros(1_000_000)));

        let short = DataFile {
            partition: vec![Datum::Int(1)],
            ..file
        };
        assert!(manifest(ids_of(), "{}", &fields, Content::Data, &[short]).is_err());
    }

    #[test]
    fn manifest_lists_carry_partition_field_summaries() {
        let summary = data_summary(vec![FieldSummary {
            contains_null: false,
            contains_nan: false,
            lower: Some(vec![1, 0, 0, 0]),
            upper: Some(vec![9, 0, 0, 0]),
        }]);
        let bytes = manifest_list(ids_of(), &[summary]).expect("written");
        let (_, _, records) = read(&bytes);
        let [record] = records.as_slice() else {
            panic!("one manifest expected, got {}", records.len());
        };
        assert_eq!(
            field(record, "partitions"),
            &some(Value::Array(vec![Value::Record(vec![
                ("contains_null".into(), Value::Boolean(false)),
                ("contains_nan".into(), some(Value::Boolean(false))),
                ("lower_bound".into(), some(Value::Bytes(vec![1, 0, 0, 0]))),
                ("upper_bound".into(), some(Value::Bytes(vec![9, 0, 0, 0]))),
            ])]))
        );
    }
}
