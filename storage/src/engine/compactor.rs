//! The background compactor: one thread per engine that, after commits, merges the rowsets of
//! every tablet that holds too many (see [`due_run`]), so small writes do not leave a table in
//! thousands of files. It never blocks a commit or a snapshot: it merges from a pinned version and
//! publishes only if the merged rowsets are still in place; tables locked by a RESTORE are left
//! alone. It stops (finishing the tablet it merges) when the last handle of the engine is dropped.

use std::thread::JoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded, select};

use super::compaction::due_run;
use super::{CompactionReport, Engine};
use crate::error::StorageError;
use crate::schema::KeyModel;

/// When the background compactor merges: once a tablet holds `trigger` rowsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// Rowsets a tablet may hold before a merge (at least 2).
    pub trigger: usize,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        Self { trigger: 6 }
    }
}

/// Wakes the compactor after a commit; a wake-up already pending absorbs the next ones.
#[derive(Clone, Debug)]
pub(crate) struct Wake(Sender<()>);

impl Wake {
    pub(crate) fn wake(&self) {
        let _ = self.0.try_send(());
    }
}

/// Held by every user handle of the engine: the last one to go stops the compactor and waits for
/// it, so that the engine (and its directory lock) is released when the caller's last handle is.
#[derive(Debug)]
pub(crate) struct CompactorGuard {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for CompactorGuard {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The channel a compactor is woken through, and its receiving end.
pub(crate) fn wake_channel() -> (Wake, Receiver<()>) {
    let (sender, receiver) = bounded(1);
    (Wake(sender), receiver)
}

/// Starts the compactor of `engine` (a handle without a guard), woken through `woken`.
pub(crate) fn start(
    engine: Engine,
    policy: CompactionPolicy,
    woken: Receiver<()>,
) -> std::io::Result<CompactorGuard> {
    let (stop, stopped) = bounded::<()>(0);
    let thread = std::thread::Builder::new()
        .name("tabvault-compactor".into())
        .spawn(move || {
            loop {
                select! {
                    recv(woken) -> message => if message.is_err() { return },
                    recv(stopped) -> _ => return,
                }
                // A panic must not end background compaction for the engine's lifetime.
                let pass = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    compact_due(&engine, policy, &stopped);
                }));
                if pass.is_err() {
                    tracing::error!("a background compaction pass panicked");
                }
            }
        })?;
    Ok(CompactorGuard {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// One background pass, stopping between tables once the engine's last handle is gone.
fn compact_due(engine: &Engine, policy: CompactionPolicy, stopped: &Receiver<()>) {
    let still_open = || {
        matches!(
            stopped.try_recv(),
            Err(crossbeam::channel::TryRecvError::Empty)
        )
    };
    if let Err(error) = engine.compact_due_while(policy, still_open) {
        tracing::warn!(%error, "background compaction failed");
    }
}

impl Engine {
    /// Merges now, in every table, the rowsets of the tablets `policy` finds due — what the
    /// background compactor does after commits; for embedders that run it on their own schedule
    /// (`EngineBuilder::auto_compaction(None)`). Tables locked by a RESTORE are skipped; a table
    /// that fails does not stop the others (the first error is returned after all were tried).
    /// Tablets are merged one at a time, so memory holds one tablet's rows.
    pub fn compact_due(&self, policy: CompactionPolicy) -> crate::error::Result<CompactionReport> {
        self.compact_due_while(policy, || true)
    }

    fn compact_due_while(
        &self,
        policy: CompactionPolicy,
        go_on: impl Fn() -> bool,
    ) -> crate::error::Result<CompactionReport> {
        let mut total = CompactionReport::default();
        let mut failure = None;
        let catalog = self.catalog();
        for table in catalog.tables.values() {
            if !go_on() {
                break;
            }
            let primary = table.schema.key_model == KeyModel::Primary;
            let due = table.partitions.values().any(|p| {
                p.tablets
                    .iter()
                    .any(|t| due_run(t, primary, policy.trigger).is_some())
            });
            let Some(db) = catalog.databases.get(&table.db_id) else {
                continue;
            };
            if !due {
                continue;
            }
            let Ok(version) = self.pin_table(&db.name, &table.name) else {
                continue; // dropped meanwhile, or locked by a RESTORE
            };
            if version.table().id != table.id {
                continue; // dropped and created again meanwhile: the next pass sees it
            }
            match self.compact_runs(version, 1, |_, tablet| {
                due_run(tablet, primary, policy.trigger)
            }) {
                Ok(report) => total.add(&report),
                // Another commit replaced the rowsets first, or a RESTORE locked the table.
                Err(StorageError::Conflict(_) | StorageError::Locked { .. }) => {}
                // One table failing (a damaged file, a full disk) must not starve the others.
                Err(error) => {
                    tracing::warn!(table = %table.name, %error, "compaction failed");
                    failure.get_or_insert(error);
                }
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(total),
        }
    }
}
