//! Goal: docs/ARCHITECTURE.md ("RESTORE — atomic"): "wherever the process dies (kill -9),
//! afterwards each target table holds either all of its old data or all of the snapshot's" — for RESTORE, at every point it passes.
//! Method: the test re-executes its own binary as a child (`crash_child`, selected by the
//! `TV_RESTORE_CRASH` environment variable). The child opens the engine with a crash hook and the
//! service with a state hook that both count kill points (every engine `CrashPoint` passed, incl.
//! MidLogAppend and AfterLogSync of the install commit, and every persisted job state); at the
//! N-th point it prints a marker and blocks reading stdin. The parent reads up to the marker,
//! SIGKILLs the child (`Child::kill`), reopens engine and service on the directory and checks:
//! the database equals exactly its state before the restore or exactly the state a complete
//! restore leaves (all tables at once: the commit is one record), `Engine::verify(true)` is clean,
//! nothing is left under `staging/`, no file under `data/` that the catalog does not reference,
//! the job shows CANCELLED or FINISHED, and the tables are unlocked and writable. N runs over every
//! point of each workload (a complete child run first counts them), over workloads that overwrite
//! existing partitions, add a dropped partition, create new tables and views, with an alias, with
//! a checkpoint after every commit or not — well over 200 kill points. The repository and the
//! pre-restore data directory are prepared once and the directory copied per kill point.
//! Pins: a restore that publishes part of its tables, or leaves staging, unreferenced files or a
//! running job after a crash; and a restore killed after its install record was durable (at
//! AfterLogSync / DuringCheckpoint) that the restarted service showed as CANCELLED ("engine
//! restarted while the job was COMMITTING") although the snapshot's data was in place — the job
//! must show FINISHED exactly when the data is restored.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use tabvault_snapshot::{BackupRequest, ObjectSpec, RestoreRequest, STAGING_DIR, SnapshotService};
use tabvault_storage::{Engine, ViewDef};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

const ENV: &str = "TV_RESTORE_CRASH";
const MARKER: &str = "TV-KILL-POINT";
const DONE: &str = "TV-COMPLETED";

fn obj(name: &str, partitions: Option<&[&str]>, alias: Option<&str>) -> ObjectSpec {
    ObjectSpec {
        name: name.into(),
        partitions: partitions.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
        alias: alias.map(str::to_owned),
    }
}

/// The restores tried: (ON list, checkpoint after every commit).
fn workloads() -> Vec<(Vec<ObjectSpec>, bool)> {
    let lists: Vec<Vec<ObjectSpec>> = vec![
        vec![],
        vec![obj("t", None, None), obj("extra", None, None)],
        vec![obj("t", Some(&["p1", "p3"]), None), obj("pk", None, None)],
        vec![obj("t", Some(&["p2"]), None)],
        vec![obj("extra", None, None)],
        vec![obj("pk", None, None), obj("v", None, None)],
        vec![obj("t", None, Some("t_alias")), obj("pk", None, None)],
        vec![
            obj("t", Some(&["p1"]), None),
            obj("extra", None, Some("extra2")),
            obj("v", None, None),
        ],
        vec![obj("pk", None, Some("pk2")), obj("t", Some(&["p3"]), None)],
        vec![
            obj("t", Some(&["p2", "p3"]), None),
            obj("extra", None, None),
        ],
        vec![
            obj("v", None, None),
            obj("extra", None, None),
            obj("pk", None, None),
        ],
        vec![obj("t", None, None)],
    ];
    lists
        .into_iter()
        .flat_map(|l| [(l.clone(), false), (l, true)])
        .collect()
}

/// Child mode: run workload `w` on `dir`, stopping forever at kill point `n` (0 = never).
#[test]
fn crash_child() -> R {
    let Ok(spec) = std::env::var(ENV) else {
        return Ok(());
    };
    let mut parts = spec.splitn(4, ':');
    let w: usize = parts.next().ok_or("spec")?.parse()?;
    let n: u64 = parts.next().ok_or("spec")?.parse()?;
    let timestamp = parts.next().ok_or("spec")?.to_owned();
    let dir = PathBuf::from(parts.next().ok_or("spec")?);
    let (objects, checkpoint_often) = workloads().swap_remove(w);

    let count = Arc::new(AtomicU64::new(0));
    let point = {
        let count = count.clone();
        move |what: String| {
            let at = count.fetch_add(1, Ordering::SeqCst) + 1;
            if at == n {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{MARKER} {at} {what}");
                let _ = out.flush();
                drop(out);
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
                // The parent kills us; should it not, never go on past the point.
                loop {
                    std::thread::park();
                }
            }
        }
    };
    let engine_point = point.clone();
    let engine = Engine::builder(&dir)
        .checkpoint_every(if checkpoint_often { 1 } else { 1000 })
        .crash_hook(Arc::new(move |p| engine_point(format!("engine {p:?}"))))
        .open()?;
    let service = SnapshotService::builder(engine)
        .state_hook(Arc::new(move |r| point(format!("state {}", r.state))))
        .open()?;
    let end = service
        .restore(&RestoreRequest {
            database: "db".into(),
            snapshot: "snap".into(),
            repository: "repo".into(),
            objects,
            options: tabvault_snapshot::RestoreOptions::at(&timestamp),
        })?
        .wait();
    assert_finished(&end);
    drop(service);
    println!("{DONE} {}", count.load(Ordering::SeqCst));
    Ok(())
}

/// Tables (all rows) and views of `db`.
type DbState = (BTreeMap<String, Vec<Row>>, Vec<ViewDef>);

fn db_state(engine: &Engine) -> R<DbState> {
    let mut tables = BTreeMap::new();
    for t in engine.table_names("db")? {
        tables.insert(t.clone(), table_rows(engine, "db", &t)?);
    }
    Ok((tables, engine.views("db")?))
}

/// Runs the child on `dir`; returns the kill point's description, or `None` when it completed
/// (with the number of points it passed).
fn run_child(w: usize, n: u64, timestamp: &str, dir: &Path) -> R<Result<String, u64>> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(ENV, format!("{w}:{n}:{timestamp}:{}", dir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("stdout")?;
    let mut outcome = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        // libtest prints "test crash_child ... " without a newline first: search, not prefix.
        if let Some((_, rest)) = line.split_once(MARKER) {
            outcome = Some(Ok(rest.trim().to_owned()));
            child.kill()?;
            break;
        }
        if let Some((_, rest)) = line.split_once(DONE) {
            let count = rest.split_whitespace().next().ok_or("count")?;
            outcome = Some(Err(count.parse::<u64>()?));
        }
    }
    let status = child.wait()?;
    match outcome {
        Some(Ok(point)) => Ok(Ok(point)),
        Some(Err(count)) if status.success() => Ok(Err(count)),
        _ => Err(format!("child failed ({status}) for workload {w}, point {n}").into()),
    }
}

struct Prepared {
    _keep: Vec<tempfile::TempDir>,
    template: PathBuf,
    timestamp: String,
}

/// The repository with snapshot `snap` of db (t, pk, extra, view v), and a data directory where,
/// since the backup, t got rows in p1 and p3 and lost p2, pk changed, extra and v were dropped.
fn prepare() -> R<Prepared> {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let timestamp;
    {
        let service = service_in(data.path())?;
        let engine = service.engine().clone();
        populate(&engine, "db")?;
        engine.create_table("db", &pk_table("extra"), false)?;
        engine.append("db", "extra", rows(0..30, "extra"))?;
        local_repo(&service, "repo", repo.path())?;
        let end = service
            .backup(&BackupRequest {
                database: "db".into(),
                snapshot: "snap".into(),
                repository: "repo".into(),
                objects: vec![],
                options: Default::default(),
            })?
            .wait();
        assert_finished(&end);
        timestamp = end.timestamp;
        engine.append("db", "t", rows([1, 2, 3, 205, 206], "after"))?;
        engine.drop_partition("db", "t", "p2", false)?;
        engine.append("db", "pk", rows(0..8, "after"))?;
        engine.drop_table("db", "extra", false)?;
        engine.drop_view("db", "v", false)?;
    }
    Ok(Prepared {
        template: data.path().to_owned(),
        _keep: vec![data, repo],
        timestamp,
    })
}

/// Checks the directory after a kill; returns whether the restore's commit had happened.
fn check_after_kill(dir: &Path, before: &DbState, after: &DbState, what: &str) -> R<bool> {
    let engine = Engine::open(dir)?;
    let service = SnapshotService::open(engine.clone())?;
    let state = db_state(&engine)?;
    let committed = if &state == before {
        false
    } else if &state == after {
        true
    } else {
        return Err(
            format!("{what}: the database is neither its old nor its restored state").into(),
        );
    };
    let report = engine.verify(true)?;
    assert!(report.problems.is_empty(), "{what}: {:?}", report.problems);
    let staging = files_under(&dir.join(STAGING_DIR));
    assert!(staging.is_empty(), "{what}: staging left: {staging:?}");
    let referenced: std::collections::BTreeSet<String> = engine
        .catalog()
        .rowsets()
        .map(|r| r.file.path.clone())
        .collect();
    for file in files_under(&dir.join("data")) {
        let path = format!("data/{file}");
        assert!(referenced.contains(&path), "{what}: unreferenced {path}");
    }
    let job = service.last_job("db").ok_or("job lost")?.record();
    assert!(
        job.state == "CANCELLED" || job.state == "FINISHED",
        "{what}: job {}",
        job.state
    );
    // SHOW RESTORE tells the truth: FINISHED exactly when the snapshot's data is in place.
    assert_eq!(
        job.state == "FINISHED",
        committed,
        "{what}: job {} {} but the data is {}",
        job.state,
        job.status,
        if committed { "restored" } else { "old" }
    );
    // Unlocked and writable again.
    engine.append("db", "pk", rows([999], "later"))?;
    Ok(committed)
}

fn crash_workloads(which: impl Iterator<Item = usize>) -> R<u64> {
    let prepared = prepare()?;
    let before = {
        let engine = Engine::open(&prepared.template)?;
        db_state(&engine)?
    };
    let mut kills = 0;
    for w in which {
        // A complete run counts the points and gives the restored state.
        let full = tempfile::tempdir()?;
        copy_dir(&prepared.template, full.path())?;
        let points = match run_child(w, 0, &prepared.timestamp, full.path())? {
            Err(count) => count,
            Ok(point) => return Err(format!("workload {w} stopped at {point}").into()),
        };
        let after = db_state(&Engine::open(full.path())?)?;
        assert_ne!(after, before, "workload {w} changed nothing");
        let mut seen_commit = false;
        for n in 1..=points {
            let dir = tempfile::tempdir()?;
            copy_dir(&prepared.template, dir.path())?;
            let point = match run_child(w, n, &prepared.timestamp, dir.path())? {
                Ok(point) => point,
                Err(count) => return Err(format!("workload {w}: only {count} points").into()),
            };
            let what = format!("workload {w}, kill point {n} ({point})");
            let committed = check_after_kill(dir.path(), &before, &after, &what)?;
            // Once the commit is durable it stays: later points all see the restored state.
            assert!(!seen_commit || committed, "{what}: commit lost");
            seen_commit |= committed;
            if point.contains("AfterLogSync") {
                assert!(committed, "{what}: a synced commit was lost");
            }
            kills += 1;
        }
        assert!(seen_commit, "workload {w}: no kill point after the commit");
    }
    Ok(kills)
}

#[test]
fn kill_during_restore_first_half() -> R {
    let n = workloads().len();
    let kills = crash_workloads(0..n / 2)?;
    assert!(kills >= 100, "{kills} kill points");
    println!("{kills} kill points");
    Ok(())
}

#[test]
fn kill_during_restore_second_half() -> R {
    let n = workloads().len();
    let kills = crash_workloads(n / 2..n)?;
    assert!(kills >= 100, "{kills} kill points");
    println!("{kills} kill points");
    Ok(())
}
