//! Fault injection and power loss against the model workload.
//!
//! Goal: whatever single I/O operation fails — with EIO once, with ENOSPC for good, or because the
//! power fails there — the engine returns an error (never panics), is poisoned exactly when a
//! metadata-log append failed and then refuses writes, and after a reopen every acknowledged commit
//! is present, nothing unacknowledged is half-visible (the state is the model's, or the model's
//! plus the one commit whose append failed), `verify` is clean and no file under `data/` is left
//! unreferenced. Faults during an open must fail it cleanly, and a later open must succeed.
//!
//! Method: every durable operation goes through the engine's [`StorageIo`] seam. A [`FaultIo`]
//! first counts the operations of a fault-free run of a scripted workload (creates, appends to the
//! DUPLICATE and PRIMARY KEY tables of `model.rs`, deletes, truncates, partition DDL, compactions,
//! checkpoints — explicit and every 4 records — and a reopen), then the workload is rerun with the
//! fault at operation N, for N over every operation (or, when there are more than the case budget,
//! the first operation of each kind plus an even sample), in each of three modes:
//! [`FaultMode::Once`] (EIO; a failing write first writes half its bytes; the workload goes on),
//! [`FaultMode::Persistent`] (ENOSPC from N on) and [`FaultMode::PowerLoss`] (nothing from N on
//! reaches the disk, then [`FaultIo::lose_power`] rolls the directory back to what had been
//! fsync'd). The engine runs on one thread, so operation N is the same operation in every run. A
//! second test does the same for random workloads (the proptest strategy of `model.rs`) with a
//! random fault point and mode. The suite prints how many fault points it covered.
//!
//! Case budget: `TABVAULT_FAULT_CASES` fault points per mode for the scripted workload (default
//! 100) and a quarter as many random workloads. The long run covers every point:
//! `TABVAULT_FAULT_CASES=5000 cargo nextest run -p tabvault-storage --test faults --no-capture`.

mod common;
#[path = "common/model.rs"]
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tabvault_storage::internal::*;
use tabvault_storage::whitebox::*;
use tabvault_storage::*;
use workload::*;

/// The three ways a fault is injected, with the error each returns.
const MODES: [(FaultMode, Fault); 3] = [
    (FaultMode::Once, Fault::Eio),
    (FaultMode::Persistent, Fault::Enospc),
    (FaultMode::PowerLoss, Fault::Eio),
];

fn case_budget() -> usize {
    std::env::var("TABVAULT_FAULT_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn builder(root: &Path, io: Arc<dyn StorageIo>) -> EngineBuilder {
    Engine::builder(root)
        .checkpoint_every(4)
        .threads(1)
        .clock(Arc::new(ManualClock::new(1_000)))
        .io(io)
}

/// A workload touching every durable path: table and partition DDL, appends, PRIMARY KEY upserts
/// and deletes, a refused append, truncation, compaction of both key models, explicit and automatic
/// checkpoints, a reopen and a re-created table.
fn script() -> Vec<Op> {
    let row = |k: i64| (k, Some("ab".to_owned()), Some(1));
    vec![
        Op::CreateTable {
            t: 0,
            parts: vec![0, 10, 20],
        },
        Op::CreateTable {
            t: 1,
            parts: vec![0, 10],
        },
        Op::Append {
            t: 0,
            rows: vec![row(1), row(12), row(25)],
        },
        Op::Append {
            t: 1,
            rows: vec![row(2), row(3), row(15)],
        },
        Op::Append {
            t: 1,
            rows: vec![row(3), (4, None, None)],
        },
        Op::Delete {
            t: 1,
            keys: vec![2, 15],
        },
        Op::Append {
            t: 0,
            rows: vec![row(5), row(99)],
        },
        Op::Checkpoint,
        Op::Compact { t: 1 },
        Op::Truncate {
            t: 0,
            parts: Some(vec![0]),
        },
        Op::AddPartition { t: 0, lo: 30 },
        Op::Append {
            t: 0,
            rows: vec![row(31), row(11)],
        },
        Op::Compact { t: 0 },
        Op::DropPartition { t: 1, lo: 10 },
        Op::Reopen,
        Op::Append {
            t: 1,
            rows: vec![row(6)],
        },
        Op::DropTable { t: 0 },
        Op::CreateTable {
            t: 0,
            parts: vec![0],
        },
        Op::Append {
            t: 0,
            rows: vec![row(7)],
        },
    ]
}

/// What one run saw.
struct Outcome {
    /// Kinds of the operations attempted.
    kinds: Vec<OpKind>,
    /// The fault fired (operation number and kind).
    fired: Option<(u64, OpKind)>,
    /// The engine was poisoned by a failed log append.
    poisoned: bool,
}

/// Opens the engine through `io`; `None` when the open failed because of the injected fault and
/// the fault keeps every later operation from succeeding. After a one-off fault the open is retried
/// and must succeed.
fn open_through(root: &Path, io: &Arc<FaultIo>, mode: Option<FaultMode>) -> R<Option<Engine>> {
    match open_with(builder(root, io.clone())) {
        Ok(engine) => Ok(Some(engine)),
        Err(e) if io.fired().is_none() => Err(format!("open failed without a fault: {e}").into()),
        Err(_) if mode == Some(FaultMode::Once) => open_with(builder(root, io.clone()))
            .map(Some)
            .map_err(|e| format!("open after a failed open: {e}").into()),
        Err(_) => Ok(None),
    }
}

/// Runs `ops` with the fault `plan` (none: a clean run) and checks everything the module docs
/// promise.
fn run(ops: &[Op], plan: Option<(u64, FaultMode, Fault)>) -> R<Outcome> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("db");
    let io = Arc::new(match plan {
        Some((at, mode, fault)) => FaultIo::failing_at(at, fault, mode),
        None => FaultIo::new(),
    });
    let mode = plan.map(|(_, mode, _)| mode);
    let mut model = Model::default();
    let mut in_doubt: Option<Model> = None;
    let mut engine = open_through(&root, &io, mode)?;
    for (i, op) in ops.iter().enumerate() {
        let Some(current) = engine.as_ref() else {
            break;
        };
        let mut next = model.clone();
        let expect_ok = apply_model(&mut next, op).is_ok();
        if matches!(op, Op::Reopen) {
            drop(engine.take());
            engine = open_through(&root, &io, mode)?;
            continue;
        }
        match apply_engine(current, op) {
            Ok(()) if expect_ok => model = next,
            Ok(()) => return Err(format!("step {i} {op:?}: accepted what must fail").into()),
            Err(e) => {
                let message = e.to_string();
                if expect_ok && io.fired().is_none() {
                    return Err(format!("step {i} {op:?}: failed without a fault: {e}").into());
                }
                let append_failed = message.contains("appending to");
                if current.is_poisoned() != append_failed {
                    return Err(format!(
                        "step {i} {op:?}: poisoned {} after {e}",
                        current.is_poisoned()
                    )
                    .into());
                }
                if append_failed {
                    in_doubt = Some(if expect_ok { next } else { model.clone() });
                    match current.create_database("other", false) {
                        Err(StorageError::Poisoned) => {}
                        other => {
                            return Err(format!("poisoned engine wrote: {other:?}").into());
                        }
                    }
                    break;
                }
            }
        }
        compare(current, &model).map_err(|e| format!("after step {i} {op:?}: {e}"))?;
    }
    let poisoned = engine.as_ref().is_some_and(Engine::is_poisoned);
    drop(engine);
    if mode == Some(FaultMode::PowerLoss) && io.fired().is_some() {
        io.lose_power()?;
    }
    let engine = open_with(builder(&root, Arc::new(RealIo)))
        .map_err(|e| format!("clean reopen failed: {e}"))?;
    compare(&engine, &model)
        .or_else(|first| match &in_doubt {
            Some(other) => compare(&engine, other),
            None => Err(first),
        })
        .map_err(|e| format!("after reopen: {e}"))?;
    engine.collect_garbage();
    if data_files(&root) != referenced_files(&engine) {
        return Err(format!(
            "unreferenced files under data/: {:?} vs referenced {:?}",
            data_files(&root),
            referenced_files(&engine)
        )
        .into());
    }
    let report = engine.verify(true)?;
    if !report.is_clean() {
        return Err(format!("verify: {report:?}").into());
    }
    Ok(Outcome {
        kinds: io.op_kinds(),
        fired: io.fired(),
        poisoned,
    })
}

/// The fault points to try among `kinds`: all of them when they fit in `budget`, else the first of
/// each kind and an even sample.
fn fault_points(kinds: &[OpKind], budget: usize) -> Vec<u64> {
    let total = kinds.len();
    if total <= budget {
        return (0..total as u64).collect();
    }
    let mut points: BTreeSet<u64> = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (i, kind) in kinds.iter().enumerate() {
        if seen.insert(*kind) {
            points.insert(i as u64);
        }
    }
    let stride = total.div_ceil(budget.saturating_sub(points.len()).max(1));
    points.extend((0..total).step_by(stride.max(1)).map(|i| i as u64));
    points.into_iter().collect()
}

#[test]
fn every_fault_point_of_the_scripted_workload_recovers() -> R {
    let ops = script();
    let clean = run(&ops, None)?;
    let kinds = clean.kinds;
    let points = fault_points(&kinds, case_budget());
    let mut covered: BTreeMap<OpKind, usize> = BTreeMap::new();
    let mut poisoned = 0;
    for (mode, fault) in MODES {
        for &at in &points {
            let outcome = run(&ops, Some((at, mode, fault)))
                .map_err(|e| format!("{mode:?} {fault:?} at operation {at}: {e}"))?;
            let expected = kinds[at as usize];
            if outcome.fired != Some((at, expected)) {
                return Err(format!(
                    "{mode:?} at {at}: fired {:?}, the clean run had {expected:?} there",
                    outcome.fired
                )
                .into());
            }
            *covered.entry(expected).or_default() += 1;
            poisoned += usize::from(outcome.poisoned);
        }
    }
    let mut in_workload: BTreeMap<OpKind, usize> = BTreeMap::new();
    for kind in &kinds {
        *in_workload.entry(*kind).or_default() += 1;
    }
    eprintln!(
        "fault points: {} operations in the workload {in_workload:?}; {} points x {} modes = {} \
         cases, by kind {covered:?}; {poisoned} poisoned the engine",
        kinds.len(),
        points.len(),
        MODES.len(),
        points.len() * MODES.len(),
    );
    assert!(poisoned > 0, "no case exercised the poisoned path");
    assert_eq!(
        covered.keys().collect::<Vec<_>>(),
        in_workload.keys().collect::<Vec<_>>(),
        "every kind of operation is faulted at least once"
    );
    Ok(())
}

#[test]
fn random_workloads_recover_from_a_fault_anywhere() {
    let config = Config {
        cases: u32::try_from(case_budget() / 4).unwrap_or(u32::MAX).max(1),
        failure_persistence: None,
        ..Config::default()
    };
    let strategy = (
        proptest::collection::vec(op_strategy(), 1..=20),
        0.0f64..1.0,
        0usize..MODES.len(),
    );
    let result = TestRunner::new(config).run(&strategy, |(ops, where_, mode)| {
        let check = || -> R {
            let total = run(&ops, None)?.kinds.len();
            let at = (where_ * total as f64) as u64;
            let (mode, fault) = MODES[mode];
            run(&ops, Some((at, mode, fault)))
                .map_err(|e| format!("{mode:?} at operation {at} of {total}: {e}"))?;
            Ok(())
        };
        check().map_err(|e| TestCaseError::fail(e.to_string()))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) -> R {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[test]
fn a_fault_anywhere_in_an_open_that_cuts_a_torn_tail_fails_it_cleanly() -> R {
    // A data directory whose newest log ends in half a record, as a crash mid-append leaves it.
    let template = tempfile::tempdir()?;
    let root = template.path().join("db");
    let mut model = Model::default();
    {
        let engine = open_with(builder(&root, Arc::new(RealIo)))?;
        for op in &script()[..6] {
            let mut next = model.clone();
            if apply_model(&mut next, op).is_ok() {
                apply_engine(&engine, op)?;
                model = next;
            }
        }
    }
    let log = files_under(&root.join(META_DIR))
        .into_iter()
        .rfind(|p| p.extension().is_some_and(|e| e == "tvlog"))
        .ok_or("no log")?;
    let log_name = log.file_name().ok_or("log name")?.to_owned();
    let frame = encode_frame(br#"{"seq":999,"next_id":1,"edits":[]}"#)?;
    let torn = &frame[..frame.len() / 2];
    let mut file = std::fs::OpenOptions::new().append(true).open(&log)?;
    file.write_all(torn)?;
    drop(file);

    let count = {
        let dir = tempfile::tempdir()?;
        copy_tree(template.path(), dir.path())?;
        let io = Arc::new(FaultIo::new());
        let engine = open_with(builder(&dir.path().join("db"), io.clone()))?;
        if !engine.open_report().log_truncated {
            return Err("the torn tail was not cut".into());
        }
        io.ops()
    };
    let mut kinds = BTreeSet::new();
    for (mode, fault) in MODES {
        for at in 0..count {
            let dir = tempfile::tempdir()?;
            copy_tree(template.path(), dir.path())?;
            let root = dir.path().join("db");
            let io = Arc::new(FaultIo::failing_at(at, fault, mode));
            let opened = open_with(builder(&root, io.clone()));
            let (_, kind) = io.fired().ok_or("the fault did not fire")?;
            kinds.insert(kind);
            if let Ok(engine) = opened {
                // Only a clean-up step failed (GC after the log was cut, say): the open may succeed.
                compare(&engine, &model).map_err(|e| format!("{mode:?} at {at}: {e}"))?;
            }
            if mode == FaultMode::PowerLoss {
                io.lose_power()?;
            }
            let engine = open_with(builder(&root, Arc::new(RealIo)))
                .map_err(|e| format!("{mode:?} at {at} ({kind:?}): clean reopen: {e}"))?;
            compare(&engine, &model).map_err(|e| format!("{mode:?} at {at} ({kind:?}): {e}"))?;
            engine.collect_garbage();
            let report = engine.verify(true)?;
            if !report.is_clean() || data_files(&root) != referenced_files(&engine) {
                return Err(format!("{mode:?} at {at} ({kind:?}): {report:?}").into());
            }
            let active = std::fs::read(root.join(META_DIR).join(&log_name))?;
            if report.lost_found.is_empty() || active.ends_with(torn) {
                return Err(format!("{mode:?} at {at}: the torn tail is not cut and kept").into());
            }
        }
    }
    eprintln!(
        "open with a torn tail: {count} operations x {} modes, kinds {kinds:?}",
        MODES.len()
    );
    assert!(kinds.contains(&OpKind::SetLen), "the cut itself is faulted");
    Ok(())
}

#[test]
fn power_loss_keeps_exactly_what_was_fsynced() -> R {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("root");
    let io = FaultIo::new();
    let seam: &dyn StorageIo = &io;
    seam.create_dir(&root)?;
    seam.fsync_dir(dir.path())?;
    // Synced file, synced entry, then an unsynced append: the append is lost.
    let mut durable = seam.create_file(&root.join("durable"))?;
    durable.write_all(b"kept")?;
    durable.sync_all()?;
    seam.fsync_dir(&root)?;
    durable.write_all(b" lost")?;
    drop(durable);
    seam.write_file_durable(&root.join("renamed"), b"r")?;
    seam.write_file_durable(&root.join("removed"), b"d")?;
    // Synced file whose entry was never synced: gone.
    let mut unlinked = seam.create_file(&root.join("no-entry"))?;
    unlinked.write_all(b"x")?;
    unlinked.sync_data()?;
    drop(unlinked);
    // Durable entry, unsynced rename: undone. Durable entry, unsynced removal: undone.
    seam.rename(&root.join("renamed"), &root.join("elsewhere"))?;
    seam.remove_file(&root.join("removed"))?;
    // A directory whose creation was never synced disappears with what is in it.
    seam.create_dir(&root.join("sub"))?;
    seam.write_file_durable(&root.join("sub").join("inner"), b"i")?;
    let before = io.ops();
    io.lose_power()?;
    assert!(
        seam.remove_file(&root.join("durable")).is_err(),
        "dead after power loss"
    );
    assert_eq!(io.ops(), before, "refused operations are not counted");
    let mut names: Vec<String> = std::fs::read_dir(&root)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(names, ["durable", "removed", "renamed"]);
    assert_eq!(std::fs::read(root.join("durable"))?, b"kept");
    assert_eq!(std::fs::read(root.join("renamed"))?, b"r");
    assert_eq!(std::fs::read(root.join("removed"))?, b"d");
    Ok(())
}

#[test]
fn a_fault_fires_once_at_its_operation_with_its_error() -> R {
    let dir = tempfile::tempdir()?;
    let io = FaultIo::failing_at(1, Fault::Enospc, FaultMode::Once);
    let seam: &dyn StorageIo = &io;
    let mut file = seam.create_file(&dir.path().join("f"))?;
    let err = file.write(b"abcd").err().ok_or("the write did not fail")?;
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
    assert_eq!(io.fired(), Some((1, OpKind::Write)));
    file.write_all(b"ef")?;
    drop(file);
    // The failing write wrote half its bytes, as a short write on a full disk does.
    assert_eq!(std::fs::read(dir.path().join("f"))?, b"abef");
    assert_eq!(
        io.op_kinds(),
        [OpKind::CreateFile, OpKind::Write, OpKind::Write]
    );
    Ok(())
}

/// Found by `random_workloads_recover_from_a_fault_anywhere`: a second checkpoint with no commit
/// since the first used to create the active log file again, truncating it; an EIO on the header
/// write then left the writer appending records to a file without its header, which no reopen
/// could read. Operation 30 is that header write.
#[test]
fn a_checkpoint_that_fails_on_an_empty_log_leaves_it_readable() -> R {
    let ops = vec![
        Op::Checkpoint,
        Op::Checkpoint,
        Op::CreateTable {
            t: 0,
            parts: vec![],
        },
        Op::CreateTable {
            t: 1,
            parts: vec![],
        },
    ];
    for at in 0..run(&ops, None)?.kinds.len() as u64 {
        run(&ops, Some((at, FaultMode::Once, Fault::Eio)))
            .map_err(|e| format!("EIO once at operation {at}: {e}"))?;
    }
    Ok(())
}
