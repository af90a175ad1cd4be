//! Goal: BACKUP and RESTORE stay correct over an unreliable repository: every job ends FINISHED
//! (after retries) or CANCELLED with the repository error in its Status; every snapshot listed as
//! complete restores and equals its source; a torn upload never leaves a visible object; a failed
//! restore changes nothing.
//! Method: a service whose repository stores inject faults (`FaultPlan`: about one operation in
//! `fail_one_in` fails, seeds varied, with and without `tear_uploads`) through the test seam
//! `SnapshotServiceBuilder::repository_faults`. Several backups with data changes between them,
//! then restores under faults; then a second, fault-free engine attaches to the same location and
//! checks every listed snapshot and every data object.
//! Pins: a failed or torn upload published under its final name, a snapshot listed although part
//! of it is missing, a job stuck or ending without its error, a failed restore that changed data.

mod common;

use std::collections::BTreeMap;

use common::*;
use tabvault_snapshot::{
    BackupRequest, FaultPlan, JobRecord, RepoPath, RestoreRequest, SnapshotService,
};
use tabvault_storage::Engine;
use tabvault_storage::internal::hash_file;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Submits with retries: a submission may itself fail on an injected fault (listing the
/// repository, reading the snapshot); that is an immediate, typed error and allowed.
fn submit(
    mut attempt: impl FnMut() -> tabvault_snapshot::Result<std::sync::Arc<tabvault_snapshot::Job>>,
) -> R<JobRecord> {
    let mut last = String::new();
    for _ in 0..20 {
        match attempt() {
            Ok(job) => return Ok(job.wait()),
            Err(e) => {
                last = e.to_string();
                assert!(last.contains("injected fault"), "unexpected error: {last}");
            }
        }
    }
    Err(format!("20 submissions failed, last: {last}").into())
}

fn check_end(record: &JobRecord) {
    match record.state.name() {
        "FINISHED" => assert_eq!(record.status.to_string(), "[OK]"),
        "CANCELLED" => {
            let status = record.status.to_string();
            assert!(
                status.starts_with("[COMMON_ERROR, msg: ") && status.contains("injected fault"),
                "cancelled without its error: {record:?}"
            );
        }
        other => panic!("job ended in {other}: {record:?}"),
    }
}

type Contents = BTreeMap<String, Vec<Row>>;

fn contents(engine: &Engine, db: &str) -> R<Contents> {
    let mut out = BTreeMap::new();
    for table in engine.table_names(db)? {
        out.insert(table.clone(), table_rows(engine, db, &table)?);
    }
    Ok(out)
}

fn run_plan(plan: FaultPlan) -> R<(usize, usize)> {
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let location = repo_dir.path().to_str().ok_or("path")?.to_owned();
    let engine = Engine::open(data.path())?;
    populate(&engine, "db")?;
    {
        let clean = SnapshotService::open(engine.clone())?;
        register(&clean, "repo", &location)?;
    }
    let service = SnapshotService::builder(engine.clone())
        .transfer_threads(2)
        .repository_faults(plan.clone())
        .open()?;

    // Backups, with changes between them (new files, replaced partitions).
    let mut expected: BTreeMap<String, (String, Contents)> = BTreeMap::new();
    let mut finished = 0;
    for i in 0..4i64 {
        let name = format!("s{i}");
        let source = contents(&engine, "db")?;
        let end = submit(|| {
            service.backup(&BackupRequest {
                database: "db".into(),
                snapshot: name.clone(),
                repository: "repo".into(),
                objects: vec![],
                options: Default::default(),
            })
        })?;
        check_end(&end);
        if end.state == "FINISHED" {
            finished += 1;
            expected.insert(name, (end.timestamp, source));
        }
        engine.append("db", "t", rows(300 + i * 10..310 + i * 10, "late"))?;
        engine.append("db", "pk", rows(i..i + 5, "up"))?;
        if i == 1 {
            engine.truncate("db", "t", Some(&["p2".to_owned()]))?;
        }
    }

    // Restores under faults: FINISHED with the snapshot's rows, or CANCELLED and nothing there.
    let mut restored = 0;
    for (i, (name, (timestamp, source))) in expected.iter().enumerate() {
        let target = format!("r{i}");
        let end = submit(|| {
            service.restore(&RestoreRequest {
                database: target.clone(),
                snapshot: name.clone(),
                repository: "repo".into(),
                objects: vec![],
                options: tabvault_snapshot::RestoreOptions::at(timestamp),
            })
        })?;
        check_end(&end);
        if end.state == "FINISHED" {
            restored += 1;
            assert_eq!(&contents(&engine, &target)?, source, "{name} under faults");
        } else {
            assert!(
                !engine.database_names().contains(&target),
                "a failed restore created {target}"
            );
        }
    }
    assert!(service.engine().verify(true)?.problems.is_empty());
    drop(service);

    // A fault-free engine on the same location sees exactly the finished snapshots, complete.
    let other = tempfile::tempdir()?;
    let check = SnapshotService::open(Engine::open(other.path())?)?;
    check.create_repository("repo", &location, &RepositoryOptions::default(), true, None)?;
    let listed: Vec<String> = check
        .repository("repo")?
        .list_snapshots()?
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        listed,
        expected.keys().cloned().collect::<Vec<_>>(),
        "listed snapshots are exactly the finished ones ({plan:?})"
    );
    for (name, (timestamp, source)) in &expected {
        let end = check
            .restore(&RestoreRequest {
                database: name.clone(),
                snapshot: name.clone(),
                repository: "repo".into(),
                objects: vec![],
                options: tabvault_snapshot::RestoreOptions::at(timestamp),
            })?
            .wait();
        assert_finished(&end);
        assert_eq!(&contents(check.engine(), name)?, source, "{name}");
    }
    // Every visible data object is whole: its content hashes to its name.
    let store = check.repository("repo")?.store().clone();
    // Every finished snapshot's tables have their whole Iceberg view: written before the info
    // file, so a published snapshot never lacks it.
    for (name, (timestamp, _)) in &expected {
        for table in ["t", "pk"] {
            let dir = format!("iceberg/{name}/{timestamp}/db/{table}/metadata");
            let file = |f: &str| RepoPath::parse(&format!("{dir}/{f}"));
            assert_eq!(&store.get_bytes(&file("version-hint.text")?)?[..], b"1");
            let metadata: serde_json::Value =
                serde_json::from_slice(&store.get_bytes(&file("v1.metadata.json")?)?)?;
            let list = metadata["snapshots"][0]["manifest-list"]
                .as_str()
                .and_then(|uri| uri.strip_prefix(&format!("file://{location}/")))
                .ok_or("manifest list outside the repository")?;
            assert!(store.size(&RepoPath::parse(list)?)?.is_some(), "{list}");
        }
    }
    for (path, size) in store.list_all()? {
        let text = path.to_string();
        let Some(file) = text.strip_prefix("data/") else {
            continue;
        };
        let stem = file
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".parquet"))
            .ok_or("data name")?;
        let (checksum, named_size) = stem.rsplit_once('-').ok_or("data name")?;
        assert_eq!(
            named_size.parse::<u64>()?,
            size,
            "{text}: torn object visible"
        );
        assert_eq!(hash_file(&repo_dir.path().join(&text))?, checksum, "{text}");
    }
    Ok((finished, restored))
}

#[test]
fn jobs_survive_failing_operations() -> R {
    let mut finished = 0;
    for seed in [1, 7, 42, 1234] {
        let (f, _) = run_plan(FaultPlan {
            seed,
            fail_one_in: 5,
            ..FaultPlan::default()
        })?;
        finished += f;
    }
    assert!(finished > 0, "no backup finished under faults");
    Ok(())
}

#[test]
fn torn_uploads_never_become_visible() -> R {
    let mut finished = 0;
    for seed in [3, 99, 2024, 31337] {
        let (f, _) = run_plan(FaultPlan {
            seed,
            fail_one_in: 4,
            tear_uploads: true,
            ..FaultPlan::default()
        })?;
        finished += f;
    }
    assert!(finished > 0, "no backup finished under faults");
    Ok(())
}

#[test]
fn very_unreliable_repository_cancels_jobs_cleanly() -> R {
    for seed in [5, 11] {
        run_plan(FaultPlan {
            seed,
            fail_one_in: 2,
            tear_uploads: seed == 11,
            ..FaultPlan::default()
        })?;
    }
    Ok(())
}
