//! Goal: a BACKUP is one instant (docs/ARCHITECTURE.md, "BACKUP"): every commit acknowledged before the
//! job was submitted is in the snapshot, nothing is half in, and a commit spanning two tables is in
//! both or neither.
//! Method: a writer thread commits numbered batches continuously; batch `n` writes row `k = n` to
//! table `a` (range-partitioned, so batches spread over partitions) and to table `b` (primary key)
//! in ONE `WriteBatch`. While it runs, several backups are taken; each is held (state hook) at
//! SNAPSHOTING until the writer has committed more batches, so capture happens mid-stream. Every
//! snapshot is restored into a fresh database and must hold exactly `0..k` in both tables, with
//! the same `k`, and `k` at least the number of batches acknowledged before submission.
//! Pins: captures that read partitions at different instants (gaps or a batch in one table only),
//! or that miss acknowledged commits.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use common::*;
use tabvault_snapshot::{BackupRequest, RestoreRequest};
use tabvault_storage::{Engine, ManualClock, ScanRequest, WriteBatch};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn keys(engine: &Engine, db: &str, table: &str) -> R<Vec<i64>> {
    let mut out = Vec::new();
    for batch in engine.pin_table(db, table)?.scan(&ScanRequest::all())? {
        out.extend(batch.column(0).as_primitive::<Int64Type>().values().iter());
    }
    out.sort_unstable();
    Ok(out)
}

/// Batches acknowledged so far, with a condition variable to wait for more.
#[derive(Default)]
struct Acked {
    count: Mutex<u64>,
    more: Condvar,
}

impl Acked {
    fn get(&self) -> u64 {
        *self.count.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn wait_for(&self, at_least: u64, done: &AtomicBool) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *count < at_least && !done.load(Ordering::SeqCst) {
            count = self.more.wait(count).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[test]
fn every_backup_is_a_prefix_of_the_committed_batches_in_both_tables() -> R {
    const MAX_BATCHES: u64 = 400;
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let gate = Gate::default();
    let service = gated_service(data.path(), Arc::new(ManualClock::new(T0_MS)), &gate)?;
    let engine = service.engine().clone();
    engine.create_database("db", false)?;
    engine.create_table("db", &ranged_table("a"), false)?;
    engine.create_table("db", &pk_table("b"), false)?;
    local_repo(&service, "repo", repo_dir.path())?;

    let acked = Arc::new(Acked::default());
    let stop = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let writer = {
        let (engine, acked, stop, finished) = (
            engine.clone(),
            acked.clone(),
            stop.clone(),
            finished.clone(),
        );
        std::thread::spawn(move || -> Result<(), String> {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) && n < MAX_BATCHES {
                let k = i64::try_from(n).map_err(|e| e.to_string())?;
                let mut batch = WriteBatch::new();
                batch.append("db", "a", rows([k], "w"));
                batch.append("db", "b", rows([k], "w"));
                engine.write(batch).map_err(|e| e.to_string())?;
                n += 1;
                *acked.count.lock().unwrap_or_else(|e| e.into_inner()) = n;
                acked.more.notify_all();
            }
            finished.store(true, Ordering::SeqCst);
            acked.more.notify_all();
            Ok(())
        })
    };

    let mut taken = Vec::new();
    for i in 0..5 {
        let name = format!("s{i}");
        let held = gate.hold_job(Some(&name), "SNAPSHOTING");
        // Let some batches land between submissions.
        acked.wait_for(acked.get() + 10, &finished);
        let before = acked.get();
        let job = service.backup(&BackupRequest {
            database: "db".into(),
            snapshot: name.clone(),
            repository: "repo".into(),
            objects: vec![],
            options: Default::default(),
        })?;
        held.reached()?;
        // The writer keeps committing while the job is about to capture.
        acked.wait_for(before + 5, &finished);
        held.release();
        let end = job.wait();
        assert_finished(&end);
        taken.push((name, end.timestamp, before));
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().map_err(|_| "writer panicked")??;
    let total = acked.get();

    let mut prefixes = Vec::new();
    for (i, (name, timestamp, before)) in taken.iter().enumerate() {
        let target = format!("r{i}");
        let end = service
            .restore(&RestoreRequest {
                database: target.clone(),
                snapshot: name.clone(),
                repository: "repo".into(),
                objects: vec![],
                options: tabvault_snapshot::RestoreOptions::at(timestamp),
            })?
            .wait();
        assert_finished(&end);
        let a = keys(&engine, &target, "a")?;
        let b = keys(&engine, &target, "b")?;
        let k = a.len() as u64;
        let prefix: Vec<i64> = (0..i64::try_from(k)?).collect();
        assert_eq!(a, prefix, "{name}: table a is not a prefix of the batches");
        assert_eq!(b, prefix, "{name}: table b differs from table a");
        assert!(
            k >= *before,
            "{name}: {before} batches were acknowledged before submission, snapshot holds {k}"
        );
        assert!(k <= total);
        prefixes.push(k);
    }
    // Later snapshots never hold less.
    assert!(prefixes.windows(2).all(|w| w[0] <= w[1]), "{prefixes:?}");
    // The source holds everything acknowledged.
    assert_eq!(keys(&engine, "db", "a")?.len() as u64, total);
    Ok(())
}
