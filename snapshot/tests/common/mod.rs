//! Shared fixtures for the snapshot crate's integration tests: engines, tables, generated rows.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Date32Array, Int64Array, StringArray};
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;
pub use tabvault_snapshot::RepositoryOptions;
use tabvault_snapshot::{JobRecord, SnapshotService};
use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, Engine, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, ScanRequest, TableDef, TableProperties, TableSchema, Value, ViewDef,
};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One row of the test tables: `(k, v, d)`.
pub type Row = (i64, Option<String>, Option<i32>);

/// The columns of both test tables: `k BIGINT NOT NULL, v STRING, d DATE`.
fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new("k", ColumnType::BigInt).not_null(),
        ColumnDef::new("v", ColumnType::String),
        ColumnDef::new("d", ColumnType::Date),
    ]
}

/// A DUPLICATE KEY table range-partitioned by `k` into p1 [0,100), p2 [100,200), p3 [200,MAX).
pub fn ranged_table(name: &str) -> TableDef {
    let bound = |lo: Option<i64>, hi: Option<i64>| PartitionBound::Range {
        lower: lo.map(Value::Int),
        upper: hi.map(Value::Int),
    };
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns: columns(),
            key_model: KeyModel::Duplicate,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Range { column: "k".into() },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 3,
            },
            properties: TableProperties::default(),
        },
        partitions: vec![
            PartitionDef {
                name: "p1".into(),
                bound: bound(None, Some(100)),
            },
            PartitionDef {
                name: "p2".into(),
                bound: bound(Some(100), Some(200)),
            },
            PartitionDef {
                name: "p3".into(),
                bound: bound(Some(200), None),
            },
        ],
    }
}

/// An unpartitioned PRIMARY KEY table on `k`.
pub fn pk_table(name: &str) -> TableDef {
    TableDef {
        name: name.into(),
        schema: TableSchema {
            columns: columns(),
            key_model: KeyModel::Primary,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Unpartitioned,
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        },
        partitions: vec![],
    }
}

/// Rows `k` in `keys` with `v = "<tag>-<k>"` and a date (NULL for every seventh key).
pub fn rows(keys: impl IntoIterator<Item = i64>, tag: &str) -> RecordBatch {
    let keys: Vec<i64> = keys.into_iter().collect();
    let values: Vec<String> = keys.iter().map(|k| format!("{tag}-{k}")).collect();
    let dates: Vec<Option<i32>> = keys
        .iter()
        .map(|k| (k % 7 != 0).then_some(19_000 + (*k as i32)))
        .collect();
    RecordBatch::try_from_iter(vec![
        ("k", Arc::new(Int64Array::from(keys)) as _),
        ("v", Arc::new(StringArray::from(values)) as _),
        ("d", Arc::new(Date32Array::from(dates)) as _),
    ])
    .expect("valid batch")
}

/// Creates database `db` with tables `t` (ranged), `pk` (primary key) and view `v`, loaded.
pub fn populate(engine: &Engine, db: &str) -> TestResult {
    engine.create_database(db, true)?;
    engine.create_table(db, &ranged_table("t"), false)?;
    engine.create_table(db, &pk_table("pk"), false)?;
    engine.create_view(
        db,
        &ViewDef {
            name: "v".into(),
            columns: vec![],
            query: "SELECT k FROM t".into(),
        },
        false,
    )?;
    engine.append(db, "t", rows(0..250, "a"))?;
    engine.append(db, "t", rows(50..60, "b"))?;
    engine.append(db, "pk", rows(0..40, "a"))?;
    engine.append(db, "pk", rows(10..20, "b"))?;
    engine.delete_keys(db, "pk", rows([3, 4, 5], "x"))?;
    Ok(())
}

/// Every row of `db.table` as sorted `(k, v, d)` triples.
pub fn table_rows(
    engine: &Engine,
    db: &str,
    table: &str,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    version_rows(&engine.pin_table(db, table)?, &ScanRequest::all())
}

/// The rows of `version` that `request` selects, as sorted `(k, v, d)` triples.
pub fn version_rows(
    version: &tabvault_storage::TableVersion,
    request: &ScanRequest,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for batch in version.scan(request)? {
        let k = batch.column(0).as_primitive::<Int64Type>();
        let v = batch.column(1).as_string::<i32>();
        let d = batch
            .column(2)
            .as_primitive::<arrow::datatypes::Date32Type>();
        for i in 0..batch.num_rows() {
            out.push((
                k.value(i),
                v.is_valid(i).then(|| v.value(i).to_owned()),
                d.is_valid(i).then(|| d.value(i)),
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// Partition name → visible version of `db.table`.
pub fn versions(
    engine: &Engine,
    db: &str,
    table: &str,
) -> Result<BTreeMap<String, u64>, Box<dyn std::error::Error>> {
    Ok(engine
        .pin_table(db, table)?
        .table()
        .partitions
        .values()
        .map(|p| (p.name.clone(), p.visible_version))
        .collect())
}

/// Opens a service on a fresh engine in a new temp dir.
pub fn service_in(dir: &std::path::Path) -> Result<SnapshotService, Box<dyn std::error::Error>> {
    Ok(SnapshotService::open(Engine::open(dir)?)?)
}

/// The properties map from pairs.
pub fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Repository options from StarRocks-style property pairs, which must be valid.
pub fn options(pairs: &[(&str, &str)]) -> RepositoryOptions {
    RepositoryOptions::from_properties(&props(pairs)).expect("valid repository properties")
}

/// Runs a BACKUP of all of database `db` to repository `repo` as snapshot `label`, waits for it,
/// and asserts it FINISHED.
pub fn backup_database(
    service: &SnapshotService,
    db: &str,
    repo: &str,
    label: &str,
) -> Result<JobRecord, Box<dyn std::error::Error>> {
    let record = service
        .backup(&tabvault_snapshot::BackupRequest {
            database: db.into(),
            snapshot: label.into(),
            repository: repo.into(),
            objects: vec![],
            options: Default::default(),
        })?
        .wait();
    assert_finished(&record);
    Ok(record)
}

/// Asserts a finished job.
pub fn assert_finished(record: &JobRecord) {
    assert_eq!(record.state, "FINISHED", "job ended {record:?}");
    assert_eq!(record.status.to_string(), "[OK]");
}

/// Holds jobs in chosen states. Its [`Gate::hook`] is a `StateHook`: when a job reaches an armed
/// state (on the job's worker thread, after the state is persisted), the hook reports the record
/// and blocks until the test releases it. No sleeps: the test waits on the report.
#[derive(Clone, Default)]
pub struct Gate {
    armed: Arc<std::sync::Mutex<Vec<Arm>>>,
}

struct Arm {
    label: Option<String>,
    state: String,
    reached: std::sync::mpsc::Sender<JobRecord>,
    release: std::sync::mpsc::Receiver<()>,
}

/// A job held in a state by a [`Gate`]; dropping it (or [`Held::release`]) lets the job go on.
pub struct Held {
    reached: std::sync::mpsc::Receiver<JobRecord>,
    release: Option<std::sync::mpsc::Sender<()>>,
}

impl Held {
    /// Blocks until the job is held in the armed state; returns its record then.
    pub fn reached(&self) -> Result<JobRecord, Box<dyn std::error::Error>> {
        // A generous bound that only turns a test bug (a state never reached) into a failure
        // instead of a hang; it synchronises nothing.
        Ok(self
            .reached
            .recv_timeout(std::time::Duration::from_secs(300))?)
    }

    /// Lets the held job continue.
    pub fn release(mut self) {
        self.release.take();
    }
}

impl Gate {
    /// The state hook to install in the service.
    pub fn hook(&self) -> tabvault_snapshot::StateHook {
        let armed = self.armed.clone();
        Arc::new(move |record: &JobRecord| {
            let arm = {
                let mut armed = armed.lock().unwrap_or_else(|e| e.into_inner());
                armed
                    .iter()
                    .position(|a| {
                        record.state == a.state.as_str()
                            && a.label.as_ref().is_none_or(|l| *l == record.label)
                    })
                    .map(|i| armed.remove(i))
            };
            if let Some(arm) = arm {
                let _ = arm.reached.send(record.clone());
                let _ = arm.release.recv();
            }
        })
    }

    /// Holds the next job (of any label) that reaches `state`.
    pub fn hold(&self, state: &str) -> Held {
        self.hold_job(None, state)
    }

    /// Holds the next job with snapshot `label` (any when `None`) that reaches `state`.
    pub fn hold_job(&self, label: Option<&str>, state: &str) -> Held {
        let (reached_tx, reached) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arm {
                label: label.map(str::to_owned),
                state: state.to_owned(),
                reached: reached_tx,
                release: release_rx,
            });
        Held {
            reached,
            release: Some(release),
        }
    }
}

/// A service over a fresh engine in `dir` with a manual clock and a gate's hook.
pub fn gated_service(
    dir: &std::path::Path,
    clock: Arc<tabvault_storage::ManualClock>,
    gate: &Gate,
) -> Result<SnapshotService, Box<dyn std::error::Error>> {
    let engine = Engine::builder(dir).clock(clock).open()?;
    Ok(SnapshotService::builder(engine)
        .state_hook(gate.hook())
        .open()?)
}

/// 2024-12-09 10:25:58.842 UTC, a fixed start for manual clocks.
pub const T0_MS: u64 = 1_733_739_958_842;

/// Registers a repository `name` at `location`, with default options.
pub fn register(
    service: &SnapshotService,
    name: &str,
    location: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    service.create_repository(name, location, &RepositoryOptions::default(), false, None)?;
    Ok(())
}

/// Registers a local repository `name` at `dir`.
pub fn local_repo(
    service: &SnapshotService,
    name: &str,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    register(service, name, dir.to_str().ok_or("path")?)
}

/// The error message of a result that must fail.
pub fn err_text<T: std::fmt::Debug, E: std::fmt::Display>(result: Result<T, E>) -> String {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// Every file (relative path) below `dir`, sorted; empty when `dir` is absent.
pub fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Copies every file under `from` to the same relative place under `to` (a data directory or
/// repository copied by hand).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> TestResult {
    for file in files_under(from) {
        let target = to.join(&file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(&file), &target)?;
    }
    Ok(())
}
