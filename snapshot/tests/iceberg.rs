//! Goal: every BACKUP writes, before its info file, an Iceberg v2 view of each table that lists
//! exactly the snapshot's data files (docs/FORMAT.md §2.4), through the repository store.
//! Method: back up the shared test database into a memory:// repository, read the written
//! metadata.json, manifest list and manifest back (apache-avro), and compare the listed files,
//! row counts and sizes with the snapshot's own `meta.json`, and the Parquet field ids of every
//! listed data file with the ids of the Iceberg schema; then the `iceberg` property off,
//! DROP SNAPSHOT, and `refresh_iceberg` (old snapshots, a moved repository). pyiceberg reading
//! the same files is python/tests/test_iceberg.py.
//! Pins: a manifest list naming another manifest, files missing or listed twice, a PRIMARY KEY
//! table's delete rowsets listed as data or its superseded rows left undeleted, files left
//! behind; a yearly RANGE table's view missing its `year` spec, partition values, manifest-list
//! summaries, or one position delete file per partition. That the deletes name exactly the right rows is checked by reading them back with
//! pyiceberg (python/tests/test_iceberg.py) and in `iceberg::deletes`' unit tests.

mod common;

use std::collections::BTreeSet;

use apache_avro::Reader;
use apache_avro::types::Value;
use common::*;
use tabvault_snapshot::{RepoPath, RepositoryStore, SnapshotManifest};
use tabvault_storage::RowsetKind;

type Error = Box<dyn std::error::Error>;

fn field<'a>(record: &'a Value, name: &str) -> Result<&'a Value, Error> {
    match record {
        Value::Record(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("no field {name}").into()),
        other => Err(format!("not a record: {other:?}").into()),
    }
}

fn string(value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("not a string: {other:?}").into()),
    }
}

fn long(value: &Value) -> Result<i64, Error> {
    match value {
        Value::Long(n) => Ok(*n),
        other => Err(format!("not a long: {other:?}").into()),
    }
}

/// The repository path of an absolute URI inside the repository at `base`.
fn path_of(uri: &str, base: &str) -> Result<RepoPath, Error> {
    let relative = uri
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| format!("{uri} is not under {base}"))?;
    Ok(RepoPath::parse(relative)?)
}

fn records(store: &RepositoryStore, path: &RepoPath) -> Result<Vec<Value>, Error> {
    let bytes = store.get_bytes(path)?;
    Ok(Reader::new(&bytes[..])?.collect::<Result<Vec<_>, _>>()?)
}

/// `(content, file_path, record_count, file_size_in_bytes)` of every entry the table's Iceberg
/// snapshot lists (content 0 data, 1 position deletes), following metadata.json → manifest list
/// → manifests, each file checked present with its size.
fn listed_files(
    store: &RepositoryStore,
    base: &str,
    table_dir: &str,
) -> Result<BTreeSet<(i32, String, i64, i64)>, Error> {
    let metadata_path = RepoPath::parse(&format!("{table_dir}/metadata/v1.metadata.json"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&store.get_bytes(&metadata_path)?)?;
    assert_eq!(metadata["format-version"], 2);
    assert_eq!(metadata["location"], format!("{base}/{table_dir}"));
    let hint = RepoPath::parse(&format!("{table_dir}/metadata/version-hint.text"))?;
    assert_eq!(&store.get_bytes(&hint)?[..], b"1");
    let list = metadata["snapshots"][0]["manifest-list"]
        .as_str()
        .ok_or("no manifest list")?;
    let mut files = BTreeSet::new();
    for manifest in records(store, &path_of(list, base)?)? {
        let manifest_path = path_of(&string(field(&manifest, "manifest_path")?)?, base)?;
        let length = long(field(&manifest, "manifest_length")?)?;
        assert_eq!(store.size(&manifest_path)?, Some(u64::try_from(length)?));
        for entry in records(store, &manifest_path)? {
            let data = field(&entry, "data_file")?;
            let Value::Int(content) = field(data, "content")? else {
                return Err("content is not an int".into());
            };
            let path = string(field(data, "file_path")?)?;
            let size = long(field(data, "file_size_in_bytes")?)?;
            assert_eq!(
                store.size(&path_of(&path, base)?)?,
                Some(u64::try_from(size)?)
            );
            let listed = (
                *content,
                path,
                long(field(data, "record_count")?)?,
                long(field(data, "file_size_in_bytes")?)?,
            );
            assert!(files.insert(listed.clone()), "{listed:?} listed twice");
        }
    }
    Ok(files)
}

/// Checks that every data file listed (content 0) gives each of its top-level Parquet columns
/// the field id the table's Iceberg schema gives the column of that name, and holds every
/// column of the schema (so readers resolve them by id; files written before rowset files
/// carried ids would be resolved through the name mapping instead).
fn check_field_ids(
    store: &RepositoryStore,
    base: &str,
    table_dir: &str,
    listed: &BTreeSet<(i32, String, i64, i64)>,
) -> Result<(), Error> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let metadata_path = RepoPath::parse(&format!("{table_dir}/metadata/v1.metadata.json"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&store.get_bytes(&metadata_path)?)?;
    assert_eq!(metadata["current-schema-id"], 0);
    let schema_ids: Vec<(String, i64)> = metadata["schemas"][0]["fields"]
        .as_array()
        .ok_or("no schema fields")?
        .iter()
        .map(|f| {
            Ok((
                f["name"].as_str().ok_or("field name")?.to_owned(),
                f["id"].as_i64().ok_or("field id")?,
            ))
        })
        .collect::<Result<_, Error>>()?;
    assert!(!schema_ids.is_empty());
    let mut checked = 0;
    for (_, path, _, _) in listed.iter().filter(|(content, ..)| *content == 0) {
        let bytes = store.get_bytes(&path_of(path, base)?)?;
        let reader = SerializedFileReader::new(bytes)?;
        let descr = reader.metadata().file_metadata().schema_descr_ptr();
        let file_ids: Vec<(String, i64)> = descr
            .root_schema()
            .get_fields()
            .iter()
            .map(|f| {
                let info = f.get_basic_info();
                assert!(
                    info.has_id(),
                    "{path}: column {} has no field id",
                    info.name()
                );
                (info.name().to_owned(), i64::from(info.id()))
            })
            .collect();
        assert_eq!(file_ids, schema_ids, "{path}");
        checked += 1;
    }
    assert!(checked > 0, "no data file in {table_dir}");
    Ok(())
}

fn backup(service: &tabvault_snapshot::SnapshotService, label: &str) -> Result<String, Error> {
    Ok(backup_database(service, "db", "repo", label)?.timestamp)
}

fn memory_location() -> String {
    format!("memory://iceberg-{}", std::process::id())
        + &format!(
            "-{}",
            std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos())
        )
}

#[test]
fn backup_lists_exactly_the_snapshots_data_files() -> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    let location = memory_location();
    register(&service, "repo", &location)?;
    let timestamp = backup(&service, "snap1")?;

    let repository = service.repository("repo")?;
    let store = repository.store();
    let info = repository.read_info("snap1", &timestamp)?;
    let manifest: SnapshotManifest = repository.read_manifest(&info)?;
    for (name, merged) in [("t", false), ("pk", true)] {
        let table = manifest.table(name).ok_or("table")?;
        let data_files: BTreeSet<(i32, String, i64, i64)> = table
            .partitions
            .iter()
            .flat_map(|p| &p.tablets)
            .flat_map(|t| &t.rowsets)
            .filter(|r| r.kind == RowsetKind::Data)
            .map(|r| {
                let cc = &r.checksum[..2];
                let path = format!(
                    "{location}/data/{cc}/{}-{}.parquet",
                    r.checksum, r.size_bytes
                );
                (0, path, r.rows as i64, r.size_bytes as i64)
            })
            .collect();
        assert!(data_files.len() > 1, "several files expected");
        let table_dir = format!("iceberg/snap1/{timestamp}/db/{name}");
        let listed = listed_files(store, &location, &table_dir)?;
        check_field_ids(store, &location, &table_dir, &listed)?;
        let (data, deletes): (BTreeSet<_>, BTreeSet<_>) =
            listed.into_iter().partition(|(content, ..)| *content == 0);
        assert_eq!(data, data_files, "{name}");
        if merged {
            // pk: keys 10..20 rewritten and 3, 4, 5 deleted after the first 40 rows.
            let deletes: Vec<_> = deletes.into_iter().collect();
            let [(1, path, rows, _)] = deletes.as_slice() else {
                return Err(format!("one position delete file expected: {deletes:?}").into());
            };
            assert!(
                path.starts_with(&format!("{location}/{table_dir}/data/")),
                "{path}"
            );
            assert_eq!(*rows, 13);
        } else {
            assert!(deletes.is_empty());
        }
    }
    Ok(())
}

#[test]
fn the_iceberg_property_off_writes_nothing_refresh_adds_it_and_drop_snapshot_removes_it()
-> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    let location = memory_location();
    let off = options(&[("iceberg", "false")]);
    service.create_repository("repo", &location, &off, false, None)?;
    backup(&service, "snap1")?;
    let iceberg = RepoPath::parse("iceberg")?;
    let store = service.repository("repo")?.store().clone();
    assert!(store.list(&iceberg)?.is_empty());
    // REFRESH adds the view to snapshots taken without it.
    let report = service.refresh_iceberg("repo")?;
    assert_eq!((report.runs, report.tables), (1, 2), "{report:?}");
    assert!(!store.list(&RepoPath::parse("iceberg/snap1")?)?.is_empty());

    service.drop_repository("repo")?;
    register(&service, "repo", &location)?;
    backup(&service, "snap2")?;
    assert!(!store.list(&RepoPath::parse("iceberg/snap2")?)?.is_empty());
    service.drop_snapshot("repo", "snap2")?;
    assert!(store.list(&RepoPath::parse("iceberg/snap2")?)?.is_empty());
    assert!(!store.list(&RepoPath::parse("iceberg/snap1")?)?.is_empty());
    Ok(())
}

#[test]
fn refresh_rewrites_the_view_at_the_repositorys_new_place() -> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    let dirs = tempfile::tempdir()?;
    let (old, new) = (dirs.path().join("old"), dirs.path().join("new"));
    let old_location = old.to_str().ok_or("path")?;
    register(&service, "repo", old_location)?;
    let timestamp = backup(&service, "snap1")?;
    let pk_deletes = format!("iceberg/snap1/{timestamp}/db/pk/data");
    assert_eq!(std::fs::read_dir(old.join(&pk_deletes))?.count(), 1);

    copy_dir(&old, &new)?;
    let new_location = new.to_str().ok_or("path")?;
    register(&service, "moved", new_location)?;
    let report = service.refresh_iceberg("moved")?;
    assert_eq!((report.runs, report.tables), (1, 2), "{report:?}");
    assert!(report.left_out.is_empty(), "{report:?}");
    let store = service.repository("moved")?.store().clone();
    let base = format!("file://{new_location}");
    for table in ["t", "pk"] {
        let listed = listed_files(
            &store,
            &base,
            &format!("iceberg/snap1/{timestamp}/db/{table}"),
        )?;
        assert!(
            listed.iter().all(|(_, path, ..)| path.starts_with(&base)),
            "{listed:?}"
        );
    }
    // The position delete file names data files by URI: its new content has a new name, and
    // the copy naming the old place is gone.
    assert_eq!(std::fs::read_dir(new.join(&pk_deletes))?.count(), 1);
    // Refreshing again rewrites the same names and leaves nothing stale behind.
    let files_before = store.list(&RepoPath::parse("iceberg")?)?;
    service.refresh_iceberg("moved")?;
    assert_eq!(store.list(&RepoPath::parse("iceberg")?)?, files_before);
    Ok(())
}

/// Files another tool put among a snapshot's own: never tabvault's to delete.
const FOREIGN: [&str; 7] = [
    "snapshots/snap1/NOTES.md",
    "iceberg/snap1/README",
    "iceberg/snap1/{ts}/db/t/metadata/v2.metadata.json",
    "iceberg/snap1/{ts}/db/t/metadata/0b7c0f0e-5d2c-4b8e-9a51-3f1c2e4d5a6b-m0.avro",
    "iceberg/snap1/{ts}/db/pk/data/00000-0-0b7c0f0e-5d2c-4b8e-9a51-3f1c2e4d5a6b.parquet",
    "iceberg/snap1/{ts}/db/notes/metadata/v1.metadata.json",
    // Spelled like a position delete file, but its content does not hash to its name.
    "iceberg/snap1/{ts}/db/pk/data/abababababababababababababababababababababababababababababababab-14.parquet",
];

#[test]
fn refresh_and_drop_snapshot_keep_files_tabvault_did_not_write() -> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    let repo_dir = tempfile::tempdir()?;
    let location = repo_dir.path().to_str().ok_or("path")?;
    service.create_repository("repo", location, &RepositoryOptions::default(), false, None)?;
    let timestamp = backup(&service, "snap1")?;
    let store = service.repository("repo")?.store().clone();
    let foreign: BTreeSet<RepoPath> = FOREIGN
        .iter()
        .map(|f| RepoPath::parse(&f.replace("{ts}", &timestamp)))
        .collect::<Result<_, _>>()?;
    for path in &foreign {
        let file = repo_dir.path().join(path.as_str());
        std::fs::create_dir_all(file.parent().ok_or("parent")?)?;
        std::fs::write(file, b"not tabvault's")?;
    }

    service.refresh_iceberg("repo")?;
    let after_refresh: BTreeSet<RepoPath> = store.list_all()?.into_iter().map(|(p, _)| p).collect();
    assert!(after_refresh.is_superset(&foreign), "{after_refresh:?}");

    service.drop_snapshot("repo", "snap1")?;
    assert!(!service.repository("repo")?.has_snapshot("snap1")?);
    let left = |dir: &str| -> Result<BTreeSet<RepoPath>, Error> {
        Ok(store
            .list(&RepoPath::parse(dir)?)?
            .into_iter()
            .map(|(p, _)| p)
            .collect())
    };
    // Everything tabvault wrote for the snapshot is gone (the pk table's position delete file
    // and delete manifest too); exactly the foreign files are left.
    let mut remaining = left("snapshots/snap1")?;
    remaining.extend(left("iceberg/snap1")?);
    assert_eq!(remaining, foreign);
    Ok(())
}

#[test]
fn a_table_left_out_of_the_view_is_named_in_the_jobs_task_err_msg() -> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    // The same rows appended twice: byte-identical files, two rowsets of each tablet naming one
    // file, which an Iceberg manifest cannot list twice.
    for _ in 0..2 {
        service.engine().append("db", "t", rows(300..303, "z"))?;
    }
    let location = memory_location();
    register(&service, "repo", &location)?;
    let record = backup_database(&service, "db", "repo", "snap1")?;
    assert_finished(&record);
    let message = record.task_err_msg.clone().ok_or("TaskErrMsg")?;
    assert!(
        message.starts_with("left out of the Iceberg view: ") && message.contains("db.t"),
        "{message}"
    );
    assert!(!message.contains("db.pk"), "{message}");
    let store = service.repository("repo")?.store().clone();
    let run = format!("iceberg/snap1/{}/db", record.timestamp);
    assert!(
        store
            .list(&RepoPath::parse(&format!("{run}/t"))?)?
            .is_empty()
    );
    assert!(
        !store
            .list(&RepoPath::parse(&format!("{run}/pk"))?)?
            .is_empty()
    );
    Ok(())
}

/// A PRIMARY KEY table `yearly (k BIGINT, d DATE, v STRING)` keyed on `(k, d)`, RANGE-partitioned
/// by `d` into the whole years 2022 and 2023: odd keys fall in 2023, even ones in 2022.
fn yearly_table() -> tabvault_storage::TableDef {
    use tabvault_storage::days_from_civil;
    use tabvault_storage::{
        ColumnDef, ColumnType, Distribution, KeyModel, PartitionBound, PartitionDef,
        PartitionScheme, TableDef, TableProperties, TableSchema, Value as Datum,
    };
    let year = |y: i64| {
        let day = |y| Some(Datum::Date(days_from_civil(y, 1, 1) as i32));
        PartitionDef {
            name: format!("p{y}"),
            bound: PartitionBound::Range {
                lower: day(y),
                upper: day(y + 1),
            },
        }
    };
    TableDef {
        name: "yearly".into(),
        schema: TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("d", ColumnType::Date).not_null(),
                ColumnDef::new("v", ColumnType::String),
            ],
            key_model: KeyModel::Primary,
            key_columns: vec!["k".into(), "d".into()],
            partition_scheme: PartitionScheme::Range { column: "d".into() },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        },
        partitions: vec![year(2022), year(2023)],
    }
}

fn yearly_rows(keys: std::ops::Range<i64>, tag: &str) -> arrow::record_batch::RecordBatch {
    use arrow::array::{Date32Array, Int64Array, StringArray};
    use std::sync::Arc;
    let keys: Vec<i64> = keys.collect();
    // 2022-07-01 and 2023-07-01.
    let dates: Vec<i32> = keys
        .iter()
        .map(|k| if k % 2 == 0 { 19_174 } else { 19_539 })
        .collect();
    let values: Vec<String> = keys.iter().map(|k| format!("{tag}-{k}")).collect();
    arrow::record_batch::RecordBatch::try_from_iter(vec![
        ("k", Arc::new(Int64Array::from(keys)) as _),
        ("d", Arc::new(Date32Array::from(dates)) as _),
        ("v", Arc::new(StringArray::from(values)) as _),
    ])
    .expect("valid batch")
}

/// The partition value `d_year` of a manifest entry's data file.
fn year_of(data_file: &Value) -> Result<i32, Error> {
    match field(field(data_file, "partition")?, "d_year")? {
        Value::Union(1, v) => match v.as_ref() {
            Value::Int(y) => Ok(*y),
            other => Err(format!("d_year is not an int: {other:?}").into()),
        },
        other => Err(format!("d_year is not set: {other:?}").into()),
    }
}

#[test]
fn a_yearly_table_gets_the_year_transform_and_deletes_per_partition() -> TestResult {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    let engine = service.engine();
    engine.create_database("db", true)?;
    engine.create_table("db", &yearly_table(), false)?;
    engine.append("db", "yearly", yearly_rows(0..40, "a"))?;
    engine.append("db", "yearly", yearly_rows(10..20, "b"))?;
    engine.delete_keys("db", "yearly", yearly_rows(3..6, "x"))?;
    let location = memory_location();
    register(&service, "repo", &location)?;
    let timestamp = backup(&service, "snap1")?;
    let store = service.repository("repo")?.store().clone();
    let table_dir = format!("iceberg/snap1/{timestamp}/db/yearly");

    let metadata_path = RepoPath::parse(&format!("{table_dir}/metadata/v1.metadata.json"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&store.get_bytes(&metadata_path)?)?;
    assert_eq!(
        metadata["partition-specs"],
        serde_json::json!([{"spec-id": 0, "fields": [
            {"name": "d_year", "transform": "year", "source-id": 2, "field-id": 1000}
        ]}])
    );
    assert_eq!(metadata["last-partition-id"], 1000);
    assert_eq!(metadata["default-spec-id"], 0);

    let list = metadata["snapshots"][0]["manifest-list"]
        .as_str()
        .ok_or("no manifest list")?;
    let mut data_years = BTreeSet::new();
    let mut delete_years = Vec::new();
    for manifest in records(&store, &path_of(list, &location)?)? {
        let Value::Int(content) = field(&manifest, "content")? else {
            return Err("content is not an int".into());
        };
        let manifest_path = path_of(&string(field(&manifest, "manifest_path")?)?, &location)?;
        let bytes = store.get_bytes(&manifest_path)?;
        let header = Reader::new(&bytes[..])?.user_metadata().clone();
        let spec: serde_json::Value =
            serde_json::from_slice(header.get("partition-spec").ok_or("no partition-spec")?)?;
        assert_eq!(spec, metadata["partition-specs"][0]["fields"]);
        let years: Vec<i32> = records(&store, &manifest_path)?
            .iter()
            .map(|entry| year_of(field(entry, "data_file")?))
            .collect::<Result<_, Error>>()?;
        // The manifest list bounds the manifest's values (Appendix D: 4-byte little-endian).
        let bound = |y: i32| Value::Union(1, Box::new(Value::Bytes(y.to_le_bytes().to_vec())));
        let (lo, hi) = (years.iter().min(), years.iter().max());
        let (Some(&lo), Some(&hi)) = (lo, hi) else {
            return Err("an empty manifest".into());
        };
        assert_eq!(
            field(&manifest, "partitions")?,
            &Value::Union(
                1,
                Box::new(Value::Array(vec![Value::Record(vec![
                    ("contains_null".into(), Value::Boolean(false)),
                    (
                        "contains_nan".into(),
                        Value::Union(1, Box::new(Value::Boolean(false)))
                    ),
                    ("lower_bound".into(), bound(lo)),
                    ("upper_bound".into(), bound(hi)),
                ])]))
            )
        );
        if *content == 0 {
            data_years.extend(years);
        } else {
            delete_years.extend(years);
        }
    }
    // 2022 − 1970 and 2023 − 1970; one position delete file per partition (readers match
    // deletes to data files by partition): both years had keys rewritten and deleted.
    assert_eq!(data_years, BTreeSet::from([52, 53]));
    delete_years.sort();
    assert_eq!(delete_years, vec![52, 53]);
    let listed = listed_files(&store, &location, &table_dir)?;
    let delete_rows: i64 = listed
        .iter()
        .filter(|(content, ..)| *content == 1)
        .map(|(_, _, rows, _)| rows)
        .sum();
    // Keys 10..20 rewritten, 3, 4 and 5 deleted.
    assert_eq!(delete_rows, 13);
    check_field_ids(&store, &location, &table_dir, &listed)?;
    Ok(())
}
