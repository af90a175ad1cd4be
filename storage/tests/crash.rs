//! Crash test: the process is killed (SIGKILL) at every crash point of a realistic workload, and the
//! reopened engine must hold exactly the acknowledged commits — all of each, nothing of the rest.
//!
//! Goal: prove the atomic, durable commits of docs/ARCHITECTURE.md across processes dying at any
//! instant of the durable-write protocols: rowset temp write, rename, metadata-log append (torn mid-record), log
//! fsync, compaction and checkpoint (with `checkpoint_every(3)`), for DUPLICATE and PRIMARY KEY
//! tables, multi-table commits, deletes, truncates, partition add/drop and compaction.
//!
//! Method: the test re-executes its own binary (`std::env::current_exe()`, `--exact
//! child_process_entry --nocapture`) with `TABVAULT_CRASH_CHILD_DIR`/`TABVAULT_CRASH_TARGET` set.
//! The child opens an engine with a [`CrashHook`] that counts [`CrashPoint`] hits, runs a fixed
//! workload of numbered steps (each step is one commit or checkpoint) and prints `@@ACK i` (flushed)
//! after step `i` returns. At hit number N the hook prints `@@CRASH N point` and parks forever; the
//! parent reads the child's stdout up to that marker and kills it with `Child::kill()` — no sleeps.
//! A reference run of the same workload in the parent (same hook, one thread, manual clock, so the
//! same hit sequence) records the catalog after every step, a copy of the directory after every
//! step, and which step/point each hit belongs to. To keep the run linear rather than quadratic in
//! the workload length, the child for a kill point in step j starts from the reference copy taken
//! after step j-3 and runs (and acknowledges) steps j-2 and j-1 itself before dying in step j; the
//! parent checks that the child's crash point is the reference's. After reopening the killed child's directory the parent checks: the child acknowledged
//! exactly the steps before the crashing one; the catalog equals the reference state after the last
//! acknowledged step (crash before the log record is durable: BeforeTempWrite, AfterTempWrite,
//! AfterRename, MidLogAppend, DuringCompaction) or after the crashing step (AfterLogSync,
//! DuringCheckpoint: the record is already durable) — so a half commit, or a multi-table commit
//! present in one table only, fails; `verify(true)` finds no problem; every file under `data/` is
//! referenced; no `*.tmp` exists anywhere; and the engine accepts and keeps a new commit. Every
//! hit of the workload is a kill point (all seven variants; over 200 in total), run two at a time.
//! A separate test kills inside the log append of a large commit and checks that the torn record
//! was on disk, is cut off on reopen, and that commit is absent.
//!
//! Bugs it pins: commits visible without a durable log record, acknowledged commits lost, orphan
//! or temp files surviving recovery, torn log records replayed or failing recovery, checkpoints
//! that lose records or leave logs that recovery misreads.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use common::*;
use tabvault_storage::internal::*;
use tabvault_storage::whitebox::*;
use tabvault_storage::*;

const DB: &str = "db";
const ENV_DIR: &str = "TABVAULT_CRASH_CHILD_DIR";
const ENV_TARGET: &str = "TABVAULT_CRASH_TARGET";
const ENV_WORKLOAD: &str = "TABVAULT_CRASH_WORKLOAD";
const ENV_START: &str = "TABVAULT_CRASH_START_STEP";
const STEPS: usize = 40;

/// Written while spawning a child, read while the parent has an engine open on a child's
/// directory. Between fork and exec (and briefly after `spawn` returns) a child holds copies of all
/// the parent's descriptors, including an open engine's `LOCK` (an `flock`, which belongs to the
/// open file description): a later reopen of that directory would find it still locked by the
/// half-spawned child. So no child is spawned while the parent holds such an engine open.
static GATE: RwLock<()> = RwLock::new(());

fn dup_def() -> TableDef {
    table_def(
        "d",
        vec![
            col("k", ColumnType::BigInt).not_null(),
            col("c", ColumnType::BigInt),
            col("v", ColumnType::String),
        ],
        KeyModel::Duplicate,
        &["k"],
        by_range("k"),
        hash(&["k"], 2),
        vec![
            range("p0", None, Some(100)),
            range("p1", Some(100), Some(200)),
        ],
    )
}

fn pk_def() -> TableDef {
    table_def(
        "p",
        vec![
            col("k", ColumnType::BigInt).not_null(),
            col("c", ColumnType::BigInt),
        ],
        KeyModel::Primary,
        &["k"],
        PartitionScheme::Unpartitioned,
        hash(&["k"], 2),
        vec![],
    )
}

fn has_p2(engine: &Engine) -> R<bool> {
    Ok(engine.pin_table(DB, "d")?.table().partition("p2").is_some())
}

/// Rows for table `d` written by step `i`: keys spread over p0, p1 (and p2 when it exists).
fn dup_rows(i: usize, with_p2: bool, count: usize) -> Vec<Row> {
    let span = if with_p2 { 300 } else { 200 };
    (0..count)
        .map(|j| {
            let k = ((i * 13 + j * 37) % span) as i64;
            vec![int(k), int(i as i64), s(&format!("step{i}-{j}"))]
        })
        .collect()
}

fn pk_rows(i: usize, count: usize) -> Vec<Row> {
    (0..count)
        .map(|j| vec![int(((i + j * 5) % 12) as i64), int(i as i64)])
        .collect()
}

fn keys(ks: &[i64]) -> R<arrow::record_batch::RecordBatch> {
    let rows: Vec<Row> = ks.iter().map(|k| vec![int(*k)]).collect();
    batch_of(&[("k", ColumnType::BigInt)], &rows)
}

/// Step `i` of the workload: exactly one commit (or one checkpoint, or one compaction).
fn step(engine: &Engine, i: usize, big: bool) -> R {
    let (d, p) = (dup_def(), pk_def());
    match i {
        0 => {
            engine.create_database(DB, false)?;
        }
        1 => {
            engine.create_table(DB, &d, false)?;
        }
        2 => {
            engine.create_table(DB, &p, false)?;
        }
        _ => match i % 10 {
            1 | 5 | 3 => {
                // Multi-table commit: both tables or neither.
                let rows = if big { 3000 } else { 6 };
                let mut w = WriteBatch::new();
                w.append(
                    DB,
                    "d",
                    table_batch(&d.schema, &dup_rows(i, has_p2(engine)?, rows))?,
                );
                w.append(DB, "p", table_batch(&p.schema, &pk_rows(i, 4))?);
                engine.write(w)?;
            }
            2 => {
                engine.delete_keys(DB, "p", keys(&[(i % 12) as i64, ((i + 5) % 12) as i64])?)?;
            }
            4 => {
                engine.compact_table(DB, "d")?;
            }
            6 => {
                engine.truncate(DB, "d", Some(&["p1".to_owned()]))?;
            }
            7 => {
                if has_p2(engine)? {
                    engine.drop_partition(DB, "d", "p2", false)?;
                } else {
                    engine.add_partition(DB, "d", &range("p2", Some(200), Some(300)))?;
                }
            }
            8 => {
                engine.compact_table(DB, "p")?;
            }
            9 => {
                // Upsert and delete in one commit, plus DUP rows.
                let mut w = WriteBatch::new();
                w.append(DB, "p", table_batch(&p.schema, &pk_rows(i, 3))?);
                w.delete(DB, "p", keys(&[((i + 1) % 12) as i64])?);
                w.append(
                    DB,
                    "d",
                    table_batch(&d.schema, &dup_rows(i, has_p2(engine)?, 3))?,
                );
                engine.write(w)?;
            }
            _ => engine.checkpoint()?,
        },
    }
    Ok(())
}

/// Everything the steps change that a reader can observe: rows and partition versions.
fn state(engine: &Engine) -> R<String> {
    let mut out = format!("dbs {:?}\n", engine.database_names());
    if engine.database_names().is_empty() {
        return Ok(out);
    }
    for t in engine.table_names(DB)? {
        out += &format!(
            "{t}: {:?}\n{:?}\n",
            versions(engine, DB, &t)?,
            all_rows(engine, DB, &t)?
        );
    }
    Ok(out)
}

fn builder(dir: &Path, hook: Option<CrashHook>) -> EngineBuilder {
    let b = Engine::builder(dir)
        .checkpoint_every(3)
        .threads(1)
        .clock(Arc::new(ManualClock::new(1_000)));
    match hook {
        Some(h) => b.crash_hook(h),
        None => b,
    }
}

/// Runs in the child process only: the workload with a hook that stops the process at hit N.
#[test]
fn child_process_entry() -> R {
    let (Ok(dir), Ok(target)) = (std::env::var(ENV_DIR), std::env::var(ENV_TARGET)) else {
        return Ok(());
    };
    let target: u64 = target.parse()?;
    let big = std::env::var(ENV_WORKLOAD).is_ok_and(|w| w == "big");
    let hits = AtomicU64::new(0);
    let hook: CrashHook = Arc::new(move |point| {
        let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
        if n == target {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "\n@@CRASH {n} {point:?}");
            let _ = out.flush();
            loop {
                std::thread::park();
            }
        }
    });
    let start: usize = std::env::var(ENV_START)?.parse()?;
    let engine = builder(Path::new(&dir), Some(hook)).open()?;
    for i in start..STEPS {
        step(&engine, i, big)?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "\n@@ACK {i}")?;
        out.flush()?;
    }
    println!("\n@@DONE");
    Ok(())
}

/// The reference run: state after each step (`states[0]` is the empty engine), a copy of the data
/// directory after each step (`copies[i]` holds steps `0..i`), and, for every hook hit in order,
/// the step it happened in and its point.
struct Reference {
    states: Vec<String>,
    copies: Vec<tempfile::TempDir>,
    hits: Vec<(usize, CrashPoint)>,
}

/// Copies a data directory (a quiescent one: between two steps of the reference run).
fn copy_dir(from: &Path, to: &Path) -> R {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn reference(big: bool) -> R<Reference> {
    let dir = tempfile::tempdir()?;
    let current = Arc::new(AtomicUsize::new(0));
    let hits = Arc::new(Mutex::new(Vec::new()));
    let hook: CrashHook = {
        let (current, hits) = (current.clone(), hits.clone());
        Arc::new(move |point| {
            if let Ok(mut h) = hits.lock() {
                h.push((current.load(Ordering::SeqCst), point));
            }
        })
    };
    let engine = builder(dir.path(), Some(hook)).open()?;
    let mut states = vec![state(&engine)?];
    let mut copies = vec![tempfile::tempdir()?];
    for i in 0..STEPS {
        current.store(i, Ordering::SeqCst);
        step(&engine, i, big)?;
        states.push(state(&engine)?);
        let copy = tempfile::tempdir()?;
        copy_dir(dir.path(), copy.path())?;
        copies.push(copy);
    }
    let hits = hits.lock().map_err(|_| "poisoned")?.clone();
    Ok(Reference {
        states,
        copies,
        hits,
    })
}

/// What the killed child printed.
struct Killed {
    acked: Option<usize>,
    point: String,
}

/// Runs the workload from step `start` in a child process on `dir` and kills it at its hit `target`.
fn run_child_until(dir: &Path, start: usize, target: usize, big: bool) -> R<Killed> {
    let guard = GATE.write().map_err(|_| "poisoned")?;
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DIR, dir)
        .env(ENV_TARGET, target.to_string())
        .env(ENV_START, start.to_string())
        .env(ENV_WORKLOAD, if big { "big" } else { "small" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    drop(guard);
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut acked = None;
    let mut point = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        // libtest may print "test child_process_entry ... " before a marker on the same line.
        let Some(at) = line.find("@@") else { continue };
        let line = &line[at..];
        if let Some(i) = line.strip_prefix("@@ACK ") {
            acked = Some(i.trim().parse::<usize>()?);
        } else if let Some(rest) = line.strip_prefix("@@CRASH ") {
            point = Some(rest.split_whitespace().nth(1).unwrap_or("").to_owned());
            break;
        } else if line.starts_with("@@DONE") {
            break;
        }
    }
    child.kill()?;
    child.wait()?;
    Ok(Killed {
        acked,
        point: point.ok_or_else(|| format!("child never reached hit {target}"))?,
    })
}

fn durable_at(point: CrashPoint) -> bool {
    matches!(
        point,
        CrashPoint::AfterLogSync | CrashPoint::DuringCheckpoint
    )
}

/// Kills a child at the reference run's hit `target` (1-based) and checks the reopened directory.
/// The child starts from the reference run's directory two steps before the crashing step, so it
/// acknowledges a few commits of its own before it dies.
fn check_kill_point(reference: &Reference, target: usize, big: bool) -> R {
    let (step_no, point) = reference.hits[target - 1];
    let start = step_no.saturating_sub(2);
    let first_hit_of_start = reference
        .hits
        .iter()
        .position(|(s, _)| *s >= start)
        .unwrap_or(0);
    let dir = tempfile::tempdir()?;
    copy_dir(reference.copies[start].path(), dir.path())?;
    let killed = run_child_until(dir.path(), start, target - first_hit_of_start, big)?;
    let ctx = format!("hit {target} ({point:?} in step {step_no})");
    if killed.point != format!("{point:?}") {
        return Err(format!("{ctx}: child crashed at {}", killed.point).into());
    }
    if killed.acked != step_no.checked_sub(1) {
        return Err(format!("{ctx}: child acknowledged {:?}", killed.acked).into());
    }
    let _gate = GATE.read().map_err(|_| "poisoned")?;
    let engine = builder(dir.path(), None)
        .open()
        .map_err(|e| format!("{ctx}: first reopen: {e}"))?;
    let expected = if durable_at(point) {
        &reference.states[step_no + 1]
    } else {
        &reference.states[step_no]
    };
    let got = state(&engine)?;
    if &got != expected {
        return Err(format!("{ctx}: recovered\n{got}\nexpected\n{expected}").into());
    }
    let report = engine.verify(true)?;
    if !report.problems.is_empty() {
        return Err(format!("{ctx}: verify {:?}", report.problems).into());
    }
    if data_files(dir.path()) != referenced_files(&engine) {
        return Err(format!(
            "{ctx}: files {:?} referenced {:?}",
            data_files(dir.path()),
            referenced_files(&engine)
        )
        .into());
    }
    if let Some(tmp) = files_under(dir.path())
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".tmp"))
    {
        return Err(format!("{ctx}: temp file {} survived", tmp.display()).into());
    }
    // The recovered engine keeps working, durably.
    if engine
        .table_names(DB)
        .is_ok_and(|t| t.contains(&"d".to_owned()))
    {
        let d = dup_def();
        engine.append(
            DB,
            "d",
            table_batch(&d.schema, &[vec![int(1), int(-1), s("after")]])?,
        )?;
        let after = state(&engine)?;
        drop(engine);
        let engine = builder(dir.path(), None)
            .open()
            .map_err(|e| format!("{ctx}: second reopen: {e}"))?;
        if state(&engine)? != after {
            return Err(format!("{ctx}: commit after recovery lost").into());
        }
    }
    Ok(())
}

#[test]
fn killed_at_every_crash_point_recovers_exactly_the_acknowledged_commits() -> R {
    if std::env::var(ENV_DIR).is_ok() {
        return Ok(());
    }
    let reference = reference(false)?;
    let total = reference.hits.len();
    for point in CrashPoint::ALL {
        assert!(
            reference.hits.iter().any(|(_, p)| *p == point),
            "workload never reaches {point:?}"
        );
    }
    assert!(total >= 200, "only {total} kill points");
    let next = AtomicUsize::new(1);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    // Children mostly wait on fsync: three at a time keep two cores busy.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let target = next.fetch_add(1, Ordering::SeqCst);
                    if target > total {
                        break;
                    }
                    if let Err(e) = check_kill_point(&reference, target, false)
                        && let Ok(mut f) = failures.lock()
                    {
                        f.push(e.to_string());
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().map_err(|_| "poisoned")?;
    assert!(
        failures.is_empty(),
        "{} of {total} kill points failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn a_commit_torn_mid_log_record_is_absent_after_reopen() -> R {
    if std::env::var(ENV_DIR).is_ok() {
        return Ok(());
    }
    let reference = reference(true)?;
    // The log append of the first large multi-table commit (step 3).
    let target = reference
        .hits
        .iter()
        .position(|(step, p)| *step == 3 && *p == CrashPoint::MidLogAppend)
        .ok_or("no MidLogAppend in step 3")?
        + 1;
    let first_hit_of_step_2 = reference
        .hits
        .iter()
        .position(|(s, _)| *s == 2)
        .ok_or("no hit in step 2")?;
    let dir = tempfile::tempdir()?;
    copy_dir(reference.copies[2].path(), dir.path())?;
    let killed = run_child_until(dir.path(), 2, target - first_hit_of_step_2, true)?;
    assert_eq!(killed.point, "MidLogAppend");
    assert_eq!(killed.acked, Some(2));
    let log = files_under(&dir.path().join(META_DIR))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tvlog"))
        .max()
        .ok_or("no log")?;
    let torn_len = std::fs::metadata(&log)?.len();
    let files_before = data_files(dir.path());
    assert!(
        !files_before.is_empty(),
        "the commit's rowsets were written"
    );
    let engine = builder(dir.path(), None).open()?;
    assert!(
        std::fs::metadata(&log)?.len() < torn_len,
        "reopen did not cut the torn record"
    );
    assert_eq!(state(&engine)?, reference.states[3]);
    assert_eq!(all_rows(&engine, DB, "d")?, Vec::<Row>::new());
    assert!(
        data_files(dir.path()).is_empty(),
        "the torn commit's files remain"
    );
    assert!(engine.verify(true)?.problems.is_empty());
    Ok(())
}
