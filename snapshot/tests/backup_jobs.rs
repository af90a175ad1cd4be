//! Goal: BACKUP jobs behave as docs/SQL.md and StarRocks' BACKUP/RESTORE page say: StarRocks' error for
//! every bad request, one job per database, CANCEL in every state before FINISHED, timeout, live
//! progress, SHOW BACKUP's row, recovery after a restart, views backed up as definitions.
//! Method: a `Gate` state hook holds the job's worker thread right after a state is persisted, so
//! the test cancels, reads progress or moves the `ManualClock` while the job is provably in that
//! state, then releases it and waits on `Job::wait`. No sleeps, no timing assertions.
//! Pins: the hook for PENDING used to run on the submitting thread while the service's job table
//! was locked, so holding a job in PENDING deadlocked `backup()` itself (fixed: the worker reports
//! PENDING when it picks the job up).

mod common;

use std::sync::Arc;

use common::*;
use tabvault_snapshot::{
    BackupRequest, JobKind, LOCAL_SNAPSHOTS_DIR, ObjectSpec, RestoreRequest, SnapshotService,
};
use tabvault_storage::{Engine, ManualClock};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn request(db: &str, snapshot: &str, repo: &str) -> BackupRequest {
    BackupRequest {
        database: db.into(),
        snapshot: snapshot.into(),
        repository: repo.into(),
        objects: vec![],
        options: Default::default(),
    }
}

fn on(name: &str, partitions: Option<&[&str]>) -> ObjectSpec {
    ObjectSpec {
        name: name.into(),
        partitions: partitions.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
        alias: None,
    }
}

struct Fixture {
    _data: tempfile::TempDir,
    repo_dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    gate: Gate,
    service: SnapshotService,
}

fn fixture() -> R<Fixture> {
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let clock = Arc::new(ManualClock::new(T0_MS));
    let gate = Gate::default();
    let service = gated_service(data.path(), clock.clone(), &gate)?;
    populate(service.engine(), "db")?;
    local_repo(&service, "repo", repo_dir.path())?;
    Ok(Fixture {
        _data: data,
        repo_dir,
        clock,
        gate,
        service,
    })
}

/// Nothing of snapshot `name` is visible, and no local snapshot is left.
fn assert_no_trace(f: &Fixture, name: &str) -> R {
    let repo = f.service.repository("repo")?;
    assert!(
        !repo.list_snapshots()?.iter().any(|s| s.name == name),
        "{name} listed"
    );
    assert!(!repo.has_snapshot(name)?);
    let local = files_under(&f.service.engine().root().join(LOCAL_SNAPSHOTS_DIR));
    assert!(local.is_empty(), "local snapshot files left: {local:?}");
    let leftovers = files_under(&f.repo_dir.path().join("snapshots").join(name));
    assert!(leftovers.is_empty(), "repository files left: {leftovers:?}");
    Ok(())
}

#[test]
fn bad_requests_get_starrocks_errors() -> R {
    let f = fixture()?;
    let s = &f.service;
    let ro_dir = tempfile::tempdir()?;
    // A READ ONLY repository attached to a location that already holds one (made by a repository
    // dropped since: one engine never registers two repositories at one location).
    local_repo(s, "seed", ro_dir.path())?;
    s.drop_repository("seed")?;
    s.create_repository(
        "ro",
        ro_dir.path().to_str().ok_or("path")?,
        &RepositoryOptions::default(),
        true,
        None,
    )?;
    assert_eq!(
        err_text(s.backup(&request("db", "s", "r"))),
        "Repository [r] does not exist"
    );
    assert_eq!(
        err_text(s.backup(&request("db", "s", ""))),
        "Repository is empty"
    );
    assert_eq!(
        err_text(s.backup(&request("x", "s", "repo"))),
        "Unknown database 'x'"
    );
    let mut r = request("db", "s", "repo");
    r.objects = vec![on("x", None)];
    assert_eq!(err_text(s.backup(&r)), "Incorrect table name 'x'");
    r.objects = vec![on("t", Some(&["p1", "p9"]))];
    assert_eq!(
        err_text(s.backup(&r)),
        "partition[p9] does not exist  in tablet"
    );
    r.objects = vec![on("t", None), on("pk", None), on("t", Some(&["p1"]))];
    assert_eq!(err_text(s.backup(&r)), "Duplicated table: t");
    r.objects = vec![ObjectSpec {
        alias: Some("t2".into()),
        ..ObjectSpec::named("t")
    }];
    assert_eq!(
        err_text(s.backup(&r)),
        "Can not set alias for table in Backup Stmt: t AS t2"
    );
    let mut r = request("db", "s", "repo");
    r.options.timeout_s = 599;
    assert_eq!(err_text(s.backup(&r)), "timeout must be at least 10 min");
    assert_eq!(
        err_text(s.backup(&request("db", "s", "ro"))),
        "Repository ro is read only"
    );
    assert!(s.backup(&request("db", "", "repo")).is_err());
    // Nothing above created a job.
    assert!(s.last_job("db").is_none());

    r.options.timeout_s = 600;
    let done = s.backup(&r)?.wait();
    assert_finished(&done);
    assert_eq!(done.timeout_s, 600);
    assert_eq!(
        err_text(s.backup(&request("db", "s", "repo"))),
        "Snapshot with name 's' already exist in repository"
    );
    Ok(())
}

#[test]
fn one_job_per_database_at_a_time() -> R {
    let f = fixture()?;
    let s = &f.service;
    populate(s.engine(), "db2")?;
    let held = f.gate.hold_job(Some("first"), "UPLOADING");
    let first = s.backup(&request("db", "first", "repo"))?;
    held.reached()?;
    assert_eq!(
        err_text(s.backup(&request("db", "second", "repo"))),
        "Can only run one backup or restore job of a database at same time"
    );
    assert_eq!(
        err_text(s.restore(&RestoreRequest {
            database: "db".into(),
            snapshot: "first".into(),
            repository: "repo".into(),
            objects: vec![],
            options: tabvault_snapshot::RestoreOptions::at(first.record().timestamp),
        })),
        "Can only run one backup or restore job of a database at same time"
    );
    // The same snapshot name is taken while the first job runs, even in another database.
    assert_eq!(
        err_text(s.backup(&request("db2", "first", "repo"))),
        "Snapshot with name 'first' already exist in repository"
    );
    let other = s.backup(&request("db2", "other", "repo"))?;
    assert_finished(&other.wait());
    assert_eq!(first.record().state, "UPLOADING");
    held.release();
    assert_finished(&first.wait());
    // Finished: the database takes a new job again.
    assert_finished(&s.backup(&request("db", "second", "repo"))?.wait());
    Ok(())
}

#[test]
fn cancel_in_every_state_before_finished_leaves_nothing() -> R {
    let f = fixture()?;
    let s = &f.service;
    for state in [
        "PENDING",
        "SNAPSHOTING",
        "UPLOAD_SNAPSHOT",
        "UPLOADING",
        "SAVE_META",
        "UPLOAD_INFO",
    ] {
        let name = format!("s_{}", state.to_lowercase());
        let held = f.gate.hold_job(Some(&name), state);
        let job = s.backup(&request("db", &name, "repo"))?;
        assert_eq!(held.reached()?.state, state);
        s.cancel_backup("db")?;
        held.release();
        let end = job.wait();
        assert_eq!(end.state, "CANCELLED", "cancel in {state}: {end:?}");
        assert_eq!(
            end.status.to_string(),
            "[COMMON_ERROR, msg: user cancelled]",
            "cancel in {state}"
        );
        assert!(end.finished_time_ms.is_some());
        assert_no_trace(&f, &name)?;
        let shown = &s.jobs(JobKind::Backup, Some("db"))[0];
        assert_eq!(shown.state.name(), "CANCELLED");
        assert_eq!(
            shown.status.to_string(),
            "[COMMON_ERROR, msg: user cancelled]"
        );
        // A cancelled job's name is free again.
        let again = s.backup(&request("db", &name, "repo"))?.wait();
        assert_finished(&again);
        assert!(s.repository("repo")?.has_snapshot(&name)?);
    }
    Ok(())
}

#[test]
fn cancel_without_a_running_job_is_refused() -> R {
    let f = fixture()?;
    let s = &f.service;
    assert_eq!(
        err_text(s.cancel_backup("db")),
        "No backup job is currently running"
    );
    let done = s.backup(&request("db", "s", "repo"))?.wait();
    assert_finished(&done);
    assert_eq!(
        err_text(s.cancel_backup("db")),
        "Failed to cancel job: Job with label s can not be cancelled. state: FINISHED"
    );
    // The last job of the database is a backup: CANCEL RESTORE has nothing to cancel.
    assert_eq!(
        err_text(s.cancel_restore("db")),
        "No restore is currently running"
    );
    assert!(s.repository("repo")?.has_snapshot("s")?);
    Ok(())
}

#[test]
fn timeout_cancels_a_held_job() -> R {
    let f = fixture()?;
    let s = &f.service;
    for state in ["SNAPSHOTING", "UPLOADING", "UPLOAD_INFO"] {
        let name = format!("t_{}", state.to_lowercase());
        let held = f.gate.hold_job(Some(&name), state);
        let mut r = request("db", &name, "repo");
        r.options.timeout_s = 600;
        let job = s.backup(&r)?;
        held.reached()?;
        f.clock.advance(600_001);
        held.release();
        let end = job.wait();
        assert_eq!(end.state, "CANCELLED", "{state}: {end:?}");
        assert_eq!(end.status.to_string(), "[TIMEOUT, msg: ]", "{state}");
        assert_no_trace(&f, &name)?;
    }
    Ok(())
}

#[test]
fn progress_is_readable_while_uploading() -> R {
    let f = fixture()?;
    let s = &f.service;
    let held = f.gate.hold("UPLOADING");
    let job = s.backup(&request("db", "s", "repo"))?;
    held.reached()?;
    let live = job.progress().snapshot();
    assert!(live.files_total > 0 && live.bytes_total > 0, "{live:?}");
    assert_eq!(live.files_done, 0);
    assert_eq!(job.record().progress, live);
    let shown = &s.jobs(JobKind::Backup, Some("db"))[0];
    assert_eq!(shown.state.name(), "UPLOADING");
    assert_eq!(shown.progress, live);
    held.release();
    let end = job.wait();
    assert_finished(&end);
    assert_eq!(end.progress.files_done, live.files_total);
    assert_eq!(end.progress.bytes_done, live.bytes_total);
    Ok(())
}

#[test]
fn a_backup_record_has_its_objects_times_and_progress() -> R {
    let f = fixture()?;
    let s = &f.service;
    let mut r = request("db", "snap", "repo");
    r.objects = vec![on("t", Some(&["p1", "p2"])), on("pk", None), on("v", None)];
    let held = f.gate.hold("UPLOADING");
    let job = s.backup(&r)?;
    held.reached()?;
    f.clock.advance(61_000);
    held.release();
    let end = job.wait();
    assert_finished(&end);
    let shown = s.jobs(JobKind::Backup, Some("db"));
    assert_eq!(shown, vec![end.clone()]);
    let objects: Vec<(&str, Option<Vec<String>>)> = end
        .objects
        .iter()
        .map(|o| (o.name.as_str(), o.partitions.clone()))
        .collect();
    assert_eq!(
        objects,
        vec![
            ("t", Some(vec!["p1".into(), "p2".into()])),
            ("pk", None),
            ("v", None)
        ]
    );
    assert_eq!(end.create_time_ms, 1_733_739_958_842);
    assert_eq!(end.snapshot_finished_time_ms, Some(1_733_739_958_842));
    assert_eq!(end.transfer_finished_time_ms, Some(1_733_740_019_842));
    assert_eq!(end.finished_time_ms, Some(1_733_740_019_842));
    assert_eq!(end.progress.files_done, end.progress.files_total);
    assert_eq!(end.progress.bytes_done, end.progress.bytes_total);
    assert_eq!(
        (end.status.to_string().as_str(), end.timeout_s),
        ("[OK]", 86400)
    );
    assert_eq!(end.timestamp, "2024-12-09-10-25-58-842");
    // Without a database every database's latest backup is listed; another database has none.
    assert_eq!(s.jobs(JobKind::Backup, None).len(), 1);
    assert!(s.jobs(JobKind::Backup, Some("db2")).is_empty());
    Ok(())
}

/// Restart recovery. Method: hold a job in UPLOADING (a local snapshot exists and part of the
/// upload may be done), copy the whole data directory while it is held — the copy is exactly what
/// a process killed at that instant leaves on disk, since every state change is persisted before
/// the hook runs — then open a new engine and service on the copy.
#[test]
fn restart_cancels_an_interrupted_backup_and_cleans_up() -> R {
    let f = fixture()?;
    let s = &f.service;
    let held = f.gate.hold("UPLOADING");
    let job = s.backup(&request("db", "s", "repo"))?;
    held.reached()?;
    let root = s.engine().root().to_owned();
    assert!(!files_under(&root.join(LOCAL_SNAPSHOTS_DIR)).is_empty());
    let crashed = tempfile::tempdir()?;
    copy_dir(&root, crashed.path())?;
    held.release();
    assert_finished(&job.wait());

    // The copied engine points at a repository that now holds a finished "s"; give the crashed
    // copy its own repository at the state it had at the crash (no info file, maybe a meta file).
    let repo_copy = tempfile::tempdir()?;
    copy_dir(f.repo_dir.path(), repo_copy.path())?;
    let info: Vec<String> = files_under(&repo_copy.path().join("snapshots/s"));
    for file in info {
        std::fs::remove_file(repo_copy.path().join("snapshots/s").join(file))?;
    }
    std::fs::write(repo_copy.path().join("snapshots/s/meta.json"), b"{}")?;
    let registry = std::fs::read_to_string(crashed.path().join("repositories.json"))?;
    let old = serde_json_string(f.repo_dir.path())?;
    let new = serde_json_string(repo_copy.path())?;
    std::fs::write(
        crashed.path().join("repositories.json"),
        registry.replace(&old, &new),
    )?;
    std::fs::remove_file(crashed.path().join("LOCK")).ok();

    let service = SnapshotService::open(Engine::open(crashed.path())?)?;
    let end = service.last_job("db").ok_or("job lost")?.record();
    assert_eq!(end.state, "CANCELLED");
    assert_eq!(
        end.status.to_string(),
        "[COMMON_ERROR, msg: engine restarted while the job was UPLOADING]"
    );
    assert!(files_under(&crashed.path().join(LOCAL_SNAPSHOTS_DIR)).is_empty());
    let repo = service.repository("repo")?;
    assert!(!repo.has_snapshot("s")?);
    assert!(files_under(&repo_copy.path().join("snapshots/s")).is_empty());
    // The name is free, and a new backup works.
    assert_finished(&service.backup(&request("db", "s", "repo"))?.wait());
    Ok(())
}

fn serde_json_string(path: &std::path::Path) -> R<String> {
    // Paths appear JSON-escaped in the registry; temp dirs hold no characters needing escapes.
    Ok(path.to_str().ok_or("path")?.to_owned())
}

#[test]
fn views_are_backed_up_as_definitions_and_restored() -> R {
    let f = fixture()?;
    let s = &f.service;
    let mut r = request("db", "views", "repo");
    r.objects = vec![on("v", None), on("pk", None)];
    let end = s.backup(&r)?.wait();
    assert_finished(&end);
    let info = s.repository("repo")?.read_info("views", &end.timestamp)?;
    let view = info.objects.iter().find(|o| o.name == "v").ok_or("v")?;
    assert!(view.is_view, "{info:?}");
    let before = s.engine().views("db")?;
    s.engine().drop_view("db", "v", false)?;
    let restored = s
        .restore(&RestoreRequest {
            database: "db".into(),
            snapshot: "views".into(),
            repository: "repo".into(),
            objects: vec![],
            options: tabvault_snapshot::RestoreOptions::at(&end.timestamp),
        })?
        .wait();
    assert_finished(&restored);
    assert_eq!(s.engine().views("db")?, before);
    // Into another database too, with the table it reads.
    let restored = s
        .restore(&RestoreRequest {
            database: "db3".into(),
            snapshot: "views".into(),
            repository: "repo".into(),
            objects: vec![],
            options: tabvault_snapshot::RestoreOptions::at(&end.timestamp),
        })?
        .wait();
    assert_finished(&restored);
    assert_eq!(s.engine().views("db3")?, before);
    assert_eq!(
        table_rows(s.engine(), "db3", "pk")?,
        table_rows(s.engine(), "db", "pk")?
    );
    Ok(())
}

/// `job_history(2)`: each database keeps its newest two jobs (records included); older finished
/// ones are forgotten as new ones start, and a reopened service keeps the same two.
#[test]
fn the_job_history_is_bounded_per_database() -> R {
    let dir = tempfile::tempdir()?;
    let repo = dir.path().join("repo");
    let labels = |s: &SnapshotService| -> Vec<String> {
        s.job_history(JobKind::Backup, Some("db"))
            .into_iter()
            .map(|r| r.label)
            .collect()
    };
    {
        let engine = Engine::open(dir.path().join("data"))?;
        populate(&engine, "db")?;
        let s = SnapshotService::builder(engine).job_history(2).open()?;
        local_repo(&s, "r", &repo)?;
        for label in ["s1", "s2", "s3"] {
            assert_finished(&s.backup(&request("db", label, "r"))?.wait());
        }
        assert_eq!(labels(&s), ["s2", "s3"]);
    }
    let engine = Engine::open(dir.path().join("data"))?;
    let s = SnapshotService::builder(engine).job_history(2).open()?;
    assert_eq!(labels(&s), ["s2", "s3"]);
    let jobs_dir = dir.path().join("data").join("jobs");
    assert_eq!(
        std::fs::read_dir(jobs_dir)?.count(),
        2,
        "older records are removed"
    );
    Ok(())
}
