//! Plans the Iceberg files of one backup run: for each table of the snapshot's manifest, the
//! manifest, manifest list, `v1.metadata.json` and `version-hint.text`, as bytes with their
//! repository paths. No I/O happens here: BACKUP uploads the plan through its repository store.
//!
//! Ids are derived from what identifies the table in the repository (snapshot name, run
//! timestamp, database, table), so planning the same run again gives the same snapshot id,
//! table uuid and file names.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use tabvault_storage::internal::field_id;
use tabvault_storage::{KeyModel, RowsetKind, Value as Datum};

use super::avro::{self, Content, DataFile, ManifestSummary, SnapshotIds};
use super::bounds::single_value;
use super::deletes::{ReadKeys, position_delete_file, superseded_rows};
use super::metadata::TableMetadata;
use super::partition::{PartitionField, partition_spec, summaries};
use super::types::{name_mapping, schema_json};
use crate::error::{Result, SnapshotError};
use crate::layout;
use crate::manifest::{RowsetEntry, SnapshotManifest, TableEntry};
use crate::repository::{RepoPath, RepositoryStore};

/// The one sequence number of a table's one snapshot.
const SEQUENCE_NUMBER: i64 = 1;

/// Name of the file a Hadoop catalog reads first: the current metadata version.
pub(crate) const VERSION_HINT: &str = "version-hint.text";

/// Name of the one table metadata file the export writes.
const METADATA_FILE: &str = "v1.metadata.json";

/// Name of the manifest `index` (0: data files, 1: position deletes) of the table `uuid`.
fn manifest_name(uuid: &str, index: u8) -> String {
    format!("{uuid}-m{index}.avro")
}

/// Name of the manifest list of the table `uuid`'s one snapshot.
fn manifest_list_name(ids: SnapshotIds, uuid: &str) -> String {
    format!("snap-{}-{SEQUENCE_NUMBER}-{uuid}.avro", ids.snapshot_id)
}

/// Name of a position delete file with this content (content-addressed like data files).
fn delete_file_name(bytes: &[u8]) -> String {
    format!("{}-{}.parquet", blake3::hash(bytes).to_hex(), bytes.len())
}

/// Splits `listed` (paths under `iceberg/`) into the files the export wrote and the rest, which
/// are not ours to delete (another engine's commit to the table, a user's notes). A file is ours
/// only when its path is exactly one [`plan_snapshot`] gives the table of the run its path names,
/// and, for the files whose names are not bound to the table's derived uuid, its content proves
/// it: `v1.metadata.json` carries that uuid, a position delete file hashes to its name, and a
/// `version-hint.text` says `1` beside a metadata file that is ours. Nothing is deleted here.
pub(crate) fn split_export_files(
    store: &RepositoryStore,
    listed: Vec<RepoPath>,
) -> (Vec<RepoPath>, Vec<RepoPath>) {
    let read = |path: &RepoPath, max: u64| store.get_bytes_at_most(path, max).ok();
    let mut ours = Vec::new();
    let mut foreign = Vec::new();
    let mut hints = Vec::new();
    for path in listed {
        match export_file_kind(&path) {
            Some(ExportFile::NamedByUuid) => ours.push(path),
            Some(ExportFile::Metadata(uuid)) => {
                let carries_uuid = read(&path, METADATA_MAX_BYTES)
                    .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                    .is_some_and(|json| json["table-uuid"] == uuid.as_str());
                if carries_uuid {
                    ours.push(path)
                } else {
                    foreign.push(path)
                }
            }
            Some(ExportFile::PositionDeletes { checksum, size }) => {
                let hashes_to_name = read(&path, size).is_some_and(|bytes| {
                    bytes.len() as u64 == size && blake3::hash(&bytes).to_hex().as_str() == checksum
                });
                if hashes_to_name {
                    ours.push(path)
                } else {
                    foreign.push(path)
                }
            }
            Some(ExportFile::VersionHint(metadata)) => hints.push((path, metadata)),
            None => foreign.push(path),
        }
    }
    for (hint, metadata) in hints {
        let says_one = read(&hint, 16).is_some_and(|bytes| bytes.as_ref() == b"1");
        if says_one && ours.contains(&metadata) {
            ours.push(hint);
        } else {
            foreign.push(hint);
        }
    }
    (ours, foreign)
}

/// The largest `v1.metadata.json` read to check its uuid (the export writes a few KiB).
const METADATA_MAX_BYTES: u64 = 16 << 20;

/// What a path names when it is spelled exactly as the export names one of a table's files.
enum ExportFile {
    /// A manifest or manifest list: its name holds the table's derived uuid.
    NamedByUuid,
    /// `v1.metadata.json`, ours when it carries this table uuid.
    Metadata(String),
    /// `version-hint.text`, ours when it says `1` and this metadata file is ours.
    VersionHint(RepoPath),
    /// `data/<checksum>-<size>.parquet`, ours when its content has that checksum and size.
    PositionDeletes { checksum: String, size: u64 },
}

fn export_file_kind(listed: &RepoPath) -> Option<ExportFile> {
    let parts: Vec<&str> = listed.as_str().split('/').collect();
    let [dir, label, timestamp, database, table, kind, file] = parts[..] else {
        return None;
    };
    let table_dir = layout::iceberg_table_dir(label, timestamp, database, table).ok()?;
    if dir != layout::ICEBERG_DIR || listed.as_str() != format!("{table_dir}/{kind}/{file}") {
        return None;
    }
    let run = Run {
        label,
        timestamp,
        time_ms: 0,
    };
    let (ids, uuid) = identity(run, database, table);
    match kind {
        layout::ICEBERG_METADATA_DIR if file == METADATA_FILE => Some(ExportFile::Metadata(uuid)),
        layout::ICEBERG_METADATA_DIR if file == VERSION_HINT => Some(ExportFile::VersionHint(
            table_dir
                .join(layout::ICEBERG_METADATA_DIR)
                .ok()?
                .join(METADATA_FILE)
                .ok()?,
        )),
        layout::ICEBERG_METADATA_DIR
            if file == manifest_name(&uuid, 0)
                || file == manifest_name(&uuid, 1)
                || file == manifest_list_name(ids, &uuid) =>
        {
            Some(ExportFile::NamedByUuid)
        }
        layout::DATA_DIR => {
            let (checksum, size) = file.strip_suffix(".parquet")?.split_once('-')?;
            let size: u64 = size.parse().ok()?;
            (crate::manifest::is_checksum(checksum) && file == format!("{checksum}-{size}.parquet"))
                .then(|| ExportFile::PositionDeletes {
                    checksum: checksum.to_owned(),
                    size,
                })
        }
        _ => None,
    }
}

/// One file to upload.
#[derive(Debug)]
pub(crate) struct IcebergFile {
    /// Where it goes in the repository.
    pub path: RepoPath,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Everything one backup run writes for Iceberg readers.
#[derive(Debug, Default)]
pub(crate) struct IcebergPlan {
    /// Files to upload. Order does not matter for readers except that each table's
    /// `version-hint.text` must be uploaded after the rest (a Hadoop catalog reads the hint
    /// first); the snapshot is only published by the info file, after all of them.
    pub files: Vec<IcebergFile>,
    /// Tables left out, each with the reason (see [`SnapshotError::Iceberg`]).
    pub skipped: Vec<SnapshotError>,
}

impl IcebergPlan {
    /// The files as [`crate::RepositoryStore::put_groups`] takes them: everything but the
    /// version hints, then the hints (a Hadoop catalog reads the hint first).
    pub(crate) fn upload_groups(self) -> Vec<Vec<(RepoPath, Bytes)>> {
        let (hints, files): (Vec<_>, Vec<_>) = self
            .files
            .into_iter()
            .map(|f| (f.path, Bytes::from(f.bytes)))
            .partition(|(path, _)| path.as_str().ends_with(VERSION_HINT));
        vec![files, hints]
    }
}

/// Which backup run the files describe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run<'a> {
    /// The snapshot's name (label).
    pub label: &'a str,
    /// The run's timestamp, `yyyy-MM-dd-HH-mm-ss-SSS`.
    pub timestamp: &'a str,
    /// The run's submission time, ms since the epoch.
    pub time_ms: u64,
}

/// Plans the Iceberg files of every table of `manifest`. `read_keys` reads the key columns of a
/// PRIMARY KEY table's rowset files (only for tablets with more than one rowset). A table that
/// cannot be expressed is left out and reported in [`IcebergPlan::skipped`]; an `Err` (the
/// repository has no URI readers could use, an invalid name) means nothing can be exported.
pub(crate) fn plan_snapshot(
    store: &RepositoryStore,
    manifest: &SnapshotManifest,
    run: Run<'_>,
    read_keys: ReadKeys<'_>,
) -> Result<IcebergPlan> {
    layout::iceberg_warehouse(run.label, run.timestamp)?;
    let mut plan = IcebergPlan::default();
    for table in &manifest.tables {
        match plan_table(store, &manifest.database, table, run, read_keys) {
            Ok(files) => plan.files.extend(files),
            Err(e @ SnapshotError::Iceberg { .. }) => plan.skipped.push(e),
            Err(e) => return Err(e),
        }
    }
    Ok(plan)
}

fn plan_table(
    store: &RepositoryStore,
    database: &str,
    table: &TableEntry,
    run: Run<'_>,
    read_keys: ReadKeys<'_>,
) -> Result<Vec<IcebergFile>> {
    let refuse = |detail: String| SnapshotError::Iceberg {
        table: format!("{database}.{}", table.name),
        detail,
    };
    let table_dir = layout::iceberg_table_dir(run.label, run.timestamp, database, &table.name)?;
    let dir = table_dir.join(layout::ICEBERG_METADATA_DIR)?;
    let uri = |path: &RepoPath| store.uri(path).map_err(SnapshotError::from);

    let TableRows {
        data: rowsets,
        partition_of,
        superseded,
    } = table_rows(table, read_keys).map_err(refuse)?;
    let mut seen = BTreeSet::new();
    let mut files = Vec::with_capacity(rowsets.len());
    for rowset in rowsets {
        let data_path = layout::data_file(&rowset.checksum, rowset.size_bytes)?;
        if !seen.insert(data_path.clone()) {
            return Err(refuse(format!(
                "data file {data_path} appears twice; readers would count its rows once per entry"
            )));
        }
        files.push(data_file(table, rowset, uri(&data_path)?).map_err(refuse)?);
    }

    // The spec: a transform when every partition of the snapshot maps exactly onto one (so the
    // spec follows the table's definition, not which partitions happen to hold rows).
    let bounds: Vec<_> = table.partitions.iter().map(|p| &p.bound).collect();
    let (spec, partition_values): (Vec<PartitionField>, Vec<Datum>) =
        match partition_spec(&table.schema, &bounds) {
            Some((field, values)) => (vec![field], values),
            None => (Vec::new(), Vec::new()),
        };
    // The partition tuple of the files of partition `p` (empty when unpartitioned).
    let tuple = |p: usize| -> Vec<Datum> { partition_values.get(p).cloned().into_iter().collect() };
    for (file, &p) in files.iter_mut().zip(&partition_of) {
        file.partition = tuple(p);
    }

    let (ids, uuid) = identity(run, database, &table.name);
    let schema = schema_json(&table.schema).to_string();
    let mut out = Vec::new();
    let mut manifests = Vec::new();
    let mut add_manifest = |content: Content, name: String, listed: &[DataFile]| -> Result<()> {
        let bytes = avro::manifest(ids, &schema, &spec, content, listed).map_err(refuse)?;
        let path = dir.join(&name)?;
        let tuples: Vec<&[Datum]> = listed.iter().map(|f| f.partition.as_slice()).collect();
        manifests.push(ManifestSummary {
            content,
            path: uri(&path)?,
            length: i64::try_from(bytes.len()).map_err(|e| refuse(e.to_string()))?,
            files: i32::try_from(listed.len()).map_err(|e| refuse(e.to_string()))?,
            rows: listed.iter().map(|f| f.record_count).sum(),
            partitions: summaries(&spec, &tuples).map_err(refuse)?,
        });
        out.push(IcebergFile { path, bytes });
        Ok(())
    };
    add_manifest(Content::Data, manifest_name(&uuid, 0), &files)?;
    // Readers match position delete files to data files by partition under a partitioned spec:
    // one delete file per partition then, carrying its value; one file when unpartitioned.
    let mut groups: BTreeMap<usize, Vec<(usize, i64)>> = BTreeMap::new();
    for &(i, pos) in &superseded {
        let p = partition_of
            .get(i)
            .copied()
            .ok_or_else(|| refuse("superseded row of an unknown file".into()))?;
        let group = if spec.is_empty() { 0 } else { p };
        groups.entry(group).or_default().push((i, pos));
    }
    let mut deletes = Vec::with_capacity(groups.len());
    let mut delete_files = Vec::with_capacity(groups.len());
    for (p, rows) in &groups {
        let (file, mut listed) = delete_file(&table_dir, &files, rows, &uri, &refuse)?;
        listed.partition = tuple(*p);
        delete_files.push(file);
        deletes.push(listed);
    }
    if !deletes.is_empty() {
        add_manifest(Content::PositionDeletes, manifest_name(&uuid, 1), &deletes)?;
    }
    out.extend(delete_files);
    let list_bytes = avro::manifest_list(ids, &manifests).map_err(refuse)?;
    let list_path = dir.join(&manifest_list_name(ids, &uuid))?;

    let metadata = TableMetadata {
        location: &uri(&table_dir)?,
        table_uuid: &uuid,
        schema: schema_json(&table.schema),
        last_column_id: field_id(table.schema.columns.len().saturating_sub(1)),
        partition: &spec,
        ids,
        timestamp_ms: run.time_ms,
        manifest_list: &uri(&list_path)?,
        summary: summary(&files, &deletes),
        properties: BTreeMap::from([
            (
                "schema.name-mapping.default".into(),
                name_mapping(&table.schema).to_string(),
            ),
            ("tabvault.snapshot".into(), run.label.to_owned()),
            (
                "tabvault.snapshot-timestamp".into(),
                run.timestamp.to_owned(),
            ),
            ("tabvault.database".into(), database.to_owned()),
        ]),
    };
    let metadata_bytes = crate::error::json_bytes(&metadata.to_json(), "Iceberg table metadata")?;
    out.push(IcebergFile {
        path: list_path,
        bytes: list_bytes,
    });
    out.push(IcebergFile {
        path: dir.join(METADATA_FILE)?,
        bytes: metadata_bytes,
    });
    out.push(IcebergFile {
        path: dir.join(VERSION_HINT)?,
        bytes: b"1".to_vec(),
    });
    Ok(out)
}

/// The position delete file naming `superseded` rows of `files` (content-addressed under the
/// table's `data/`), and its manifest entry. `refuse` makes the error of a table that cannot be
/// expressed.
fn delete_file(
    table_dir: &RepoPath,
    files: &[DataFile],
    superseded: &[(usize, i64)],
    uri: &dyn Fn(&RepoPath) -> Result<String>,
    refuse: &dyn Fn(String) -> SnapshotError,
) -> Result<(IcebergFile, DataFile)> {
    let rows = superseded
        .iter()
        .map(|(i, pos)| {
            let file = files.get(*i).ok_or("superseded row of an unknown file")?;
            Ok((file.path.clone(), *pos))
        })
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(refuse)?;
    let bytes = position_delete_file(rows).map_err(refuse)?;
    let path = table_dir
        .join(layout::DATA_DIR)?
        .join(&delete_file_name(&bytes))?;
    let too_many = |e: std::num::TryFromIntError| refuse(e.to_string());
    let listed = DataFile {
        path: uri(&path)?,
        record_count: i64::try_from(superseded.len()).map_err(too_many)?,
        size_bytes: i64::try_from(bytes.len()).map_err(too_many)?,
        value_counts: BTreeMap::new(),
        null_counts: BTreeMap::new(),
        lower_bounds: BTreeMap::new(),
        upper_bounds: BTreeMap::new(),
        partition: Vec::new(),
    };
    Ok((IcebergFile { path, bytes }, listed))
}

/// The snapshot summary (besides `operation`) of a snapshot adding `files` and `deletes`.
fn summary(files: &[DataFile], deletes: &[DataFile]) -> BTreeMap<String, String> {
    let rows: i64 = files.iter().map(|f| f.record_count).sum();
    let size: i64 = files.iter().chain(deletes).map(|f| f.size_bytes).sum();
    let delete_files = deletes.len();
    let deleted_rows: i64 = deletes.iter().map(|d| d.record_count).sum();
    BTreeMap::from([
        ("added-data-files".into(), files.len().to_string()),
        ("added-records".into(), rows.to_string()),
        ("added-files-size".into(), size.to_string()),
        ("added-delete-files".into(), delete_files.to_string()),
        (
            "added-position-delete-files".into(),
            delete_files.to_string(),
        ),
        ("added-position-deletes".into(), deleted_rows.to_string()),
        ("total-data-files".into(), files.len().to_string()),
        ("total-records".into(), rows.to_string()),
        ("total-files-size".into(), size.to_string()),
        ("total-delete-files".into(), delete_files.to_string()),
        ("total-position-deletes".into(), deleted_rows.to_string()),
        ("total-equality-deletes".into(), "0".into()),
    ])
}

/// A table's data rowsets, and the rows among them that are not part of the table.
#[derive(Debug, Default)]
struct TableRows<'t> {
    /// Data rowsets, tablet by tablet, oldest first within each.
    data: Vec<&'t RowsetEntry>,
    /// The index (into the table's partitions) of each data rowset's partition.
    partition_of: Vec<usize>,
    /// `(index into data, position in the file)`.
    superseded: Vec<(usize, i64)>,
}

/// The table's rows: no superseded ones for DUPLICATE KEY tables; for PRIMARY KEY tables the rows
/// a newer rowset of their tablet superseded or deleted (only tablets with more than one rowset
/// are read). A PRIMARY KEY tablet may hold one data file twice (the same rows upserted again
/// give the same bytes): the newer copy supersedes every row of the older, which is then left
/// out rather than listed twice (its position deletes would also hide the newer copy).
fn table_rows<'t>(
    table: &'t TableEntry,
    read_keys: ReadKeys<'_>,
) -> std::result::Result<TableRows<'t>, String> {
    let primary = table.schema.key_model == KeyModel::Primary;
    let TableRows {
        mut data,
        mut partition_of,
        mut superseded,
    } = TableRows::default();
    let tablets = (table.partitions.iter().enumerate())
        .flat_map(|(p, partition)| partition.tablets.iter().map(move |t| (p, t)));
    for (partition, tablet) in tablets {
        // Where each of the tablet's rowsets lands in `data`: delete rowsets and older copies of
        // a PRIMARY KEY tablet's data files land nowhere.
        let mut newer_copies = BTreeSet::new();
        let mut listed: Vec<bool> = tablet
            .rowsets
            .iter()
            .rev()
            .map(|r| {
                r.kind == RowsetKind::Data
                    && (!primary || newer_copies.insert((&r.checksum, r.size_bytes)))
            })
            .collect();
        listed.reverse();
        let index_of: Vec<Option<usize>> = tablet
            .rowsets
            .iter()
            .zip(listed)
            .map(|(rowset, listed)| {
                listed.then(|| {
                    data.push(rowset);
                    partition_of.push(partition);
                    data.len() - 1
                })
            })
            .collect();
        if primary && tablet.rowsets.len() > 1 {
            for (local, pos) in
                superseded_rows(&tablet.rowsets, &table.schema.key_columns, read_keys)?
            {
                if let Some(Some(index)) = index_of.get(local) {
                    superseded.push((*index, pos));
                }
            }
        }
    }
    Ok(TableRows {
        data,
        partition_of,
        superseded,
    })
}

/// A data rowset as a manifest lists it: counts for every column, NULL counts and bounds from
/// its recorded statistics.
fn data_file(
    table: &TableEntry,
    rowset: &RowsetEntry,
    path: String,
) -> std::result::Result<DataFile, String> {
    let rows = i64::try_from(rowset.rows).map_err(|e| e.to_string())?;
    let mut file = DataFile {
        path,
        record_count: rows,
        size_bytes: i64::try_from(rowset.size_bytes).map_err(|e| e.to_string())?,
        value_counts: (0..table.schema.columns.len())
            .map(|i| (field_id(i), rows))
            .collect(),
        null_counts: BTreeMap::new(),
        lower_bounds: BTreeMap::new(),
        upper_bounds: BTreeMap::new(),
        partition: Vec::new(),
    };
    for stats in &rowset.columns {
        let index = table
            .schema
            .column_index(&stats.name)
            .ok_or_else(|| format!("statistics name an unknown column {:?}", stats.name))?;
        let ty = table
            .schema
            .columns
            .get(index)
            .map(|c| &c.ty)
            .ok_or_else(|| format!("column index {index} out of range"))?;
        let id = field_id(index);
        let nulls = i64::try_from(stats.null_count).map_err(|e| e.to_string())?;
        file.null_counts.insert(id, nulls);
        let bound = |value: &Option<tabvault_storage::Value>| match value {
            Some(v) => single_value(ty, v).map_err(|e| format!("column {}: {e}", stats.name)),
            None => Ok(None),
        };
        if let Some(min) = bound(&stats.min)? {
            file.lower_bounds.insert(id, min);
        }
        if let Some(max) = bound(&stats.max)? {
            file.upper_bounds.insert(id, max);
        }
    }
    Ok(file)
}

/// The snapshot id (positive) and table uuid (version 4 layout) of one table of one run.
fn identity(run: Run<'_>, database: &str, table: &str) -> (SnapshotIds, String) {
    let mut hasher = blake3::Hasher::new();
    for part in [run.label, run.timestamp, database, table] {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    let hash = hasher.finalize();
    let bytes = hash.as_bytes();
    let mut id = [0u8; 8];
    id.copy_from_slice(&bytes[..8]);
    let snapshot_id = i64::try_from(u64::from_le_bytes(id) >> 1)
        .unwrap_or(1)
        .max(1);
    let mut u = [0u8; 16];
    u.copy_from_slice(&bytes[8..24]);
    u[6] = (u[6] & 0x0F) | 0x40;
    u[8] = (u[8] & 0x3F) | 0x80;
    let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    (
        SnapshotIds {
            snapshot_id,
            sequence_number: SEQUENCE_NUMBER,
        },
        uuid,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{PartitionEntry, TabletEntry};
    use arrow::array::{Array, Int64Array, RecordBatch};
    use std::sync::Arc;
    use tabvault_storage::{
        ColumnDef, ColumnType, Distribution, PartitionBound, PartitionScheme, TableProperties,
        TableSchema,
    };

    fn rowset(kind: RowsetKind, tag: char) -> RowsetEntry {
        RowsetEntry {
            kind,
            version: 1,
            size_bytes: 10,
            checksum: tag.to_string().repeat(64),
            rows: 2,
            columns: vec![],
        }
    }

    fn pk_table(rowsets: Vec<RowsetEntry>) -> TableEntry {
        TableEntry {
            name: "pk".into(),
            schema: TableSchema {
                columns: vec![ColumnDef::new("k", ColumnType::BigInt).not_null()],
                key_model: KeyModel::Primary,
                key_columns: vec!["k".into()],
                partition_scheme: PartitionScheme::Unpartitioned,
                distribution: Distribution::Hash {
                    columns: vec!["k".into()],
                    buckets: 1,
                },
                properties: TableProperties::default(),
            },
            partitions: vec![PartitionEntry {
                name: "pk".into(),
                bound: PartitionBound::Whole,
                version: 4,
                tablets: vec![TabletEntry { rowsets }],
            }],
        }
    }

    /// Keys by the rowset's checksum: `a` holds 1 and 2, `d` (a delete) 2, `b` 1.
    fn read(r: &RowsetEntry, _: &[String]) -> std::result::Result<Vec<RecordBatch>, String> {
        let keys = match r.checksum.chars().next() {
            Some('a') => vec![1, 2],
            Some('d') => vec![2],
            _ => vec![1],
        };
        RecordBatch::try_from_iter([("k", Arc::new(Int64Array::from(keys)) as Arc<dyn Array>)])
            .map(|b| vec![b])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_repeated_primary_key_file_is_listed_once_as_its_newest_copy()
    -> std::result::Result<(), String> {
        let table = pk_table(vec![
            rowset(RowsetKind::Data, 'a'),
            rowset(RowsetKind::Delete, 'd'),
            rowset(RowsetKind::Data, 'a'),
        ]);
        let rows = table_rows(&table, &read)?;
        assert_eq!(rows.data.len(), 1);
        assert!(std::ptr::eq(
            rows.data[0],
            &table.partitions[0].tablets[0].rowsets[2]
        ));
        assert_eq!(rows.superseded, vec![]);
        Ok(())
    }

    #[test]
    fn older_rows_of_a_key_are_superseded_and_delete_rowsets_not_listed()
    -> std::result::Result<(), String> {
        let table = pk_table(vec![
            rowset(RowsetKind::Data, 'a'),
            rowset(RowsetKind::Delete, 'd'),
            rowset(RowsetKind::Data, 'b'),
        ]);
        let rows = table_rows(&table, &read)?;
        assert_eq!(rows.data.len(), 2);
        // a's key 1 (position 0) is superseded by b, its key 2 (position 1) deleted by d.
        let mut superseded = rows.superseded.clone();
        superseded.sort();
        assert_eq!(superseded, vec![(0, 0), (0, 1)]);
        Ok(())
    }
}
