//! Publishing: the one path by which the catalog changes. Edits are applied to a copy of the state
//! (so an invalid edit changes nothing), written to the log and fsync'd, and only then made visible.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Engine, gc};
use crate::catalog::{CatalogState, Edit};
use crate::error::{Result, StorageError};
use crate::layout::META_DIR;
use crate::log::{LogRecord, LogWriter, remove_obsolete, write_checkpoint};

impl Engine {
    /// Builds edits from the current state (under the commit lock, so nothing changes meanwhile),
    /// applies them, makes them durable and visible. Returns the record's sequence number, or the
    /// current one when `build` produced no edits.
    pub(crate) fn publish(
        &self,
        build: impl FnOnce(&CatalogState) -> Result<Vec<Edit>>,
    ) -> Result<u64> {
        self.check_writable()?;
        let mut log = self.inner.log.lock();
        let current = self.catalog();
        let edits = build(&current)?;
        if edits.is_empty() {
            return Ok(log.last_seq);
        }
        let mut next = (*current).clone();
        let mut removed = Vec::new();
        for edit in &edits {
            removed.extend(next.apply(edit)?);
        }
        next.next_id = next.next_id.max(self.inner.next_id.load(Ordering::SeqCst));
        debug_assert_eq!(
            next.invariant_violations(),
            Vec::<String>::new(),
            "a publish would break the catalog"
        );
        let record = LogRecord {
            seq: log.last_seq + 1,
            next_id: next.next_id,
            edits,
        };
        match log.writer.append(&record, self.inner.crash_hook.as_ref()) {
            Ok(()) => {}
            // Refused before any byte was written: nothing to poison.
            Err(e @ StorageError::TooLarge(_)) => return Err(e),
            Err(e) => {
                self.inner.io.poison();
                tracing::error!(error = %e, "metadata log append failed; engine poisoned");
                return Err(e);
            }
        }
        log.last_seq = record.seq;
        log.since_checkpoint += 1;
        let next = Arc::new(next);
        *self.inner.state.write() = next.clone();
        drop(current);
        let checkpoint_due = log.since_checkpoint >= self.inner.checkpoint_every;
        drop(log);
        drop(next);
        if checkpoint_due {
            // The commit is durable in the log; a checkpoint only trims it, so it runs after the
            // commit lock is released, and a failure (or one already running) only delays it.
            if let Some(_running) = self.inner.checkpointing.try_lock()
                && let Err(e) = self.rotate_and_checkpoint()
            {
                tracing::warn!(error = %e, "checkpoint failed; it is retried after more commits");
            }
        }
        let mut graveyard = self.inner.graveyard.lock();
        graveyard.extend(removed);
        gc::sweep(&*self.inner.io, &self.inner.root, &mut graveyard);
        drop(graveyard);
        if let Some(compaction) = &self.inner.compaction {
            compaction.wake();
        }
        Ok(record.seq)
    }

    /// Writes a checkpoint now and starts a fresh log (unless the active one holds no record yet).
    pub fn checkpoint(&self) -> Result<()> {
        self.check_writable()?;
        let _running = self.inner.checkpointing.lock();
        self.rotate_and_checkpoint()
    }

    /// Under the commit lock, starts the log that follows the current record and takes the catalog
    /// of that instant; then, with commits going on into the new log, writes the checkpoint and
    /// removes the logs and checkpoints it covers. The caller holds `checkpointing`.
    fn rotate_and_checkpoint(&self) -> Result<()> {
        let meta = self.inner.root.join(META_DIR);
        let (state, seq) = {
            let mut log = self.inner.log.lock();
            // A log that holds no record yet already starts where a new one would: creating it
            // again would truncate the file the writer appends to, and a failure after that
            // truncation would leave the active log without its header.
            if log.writer.first_seq() != log.last_seq + 1 {
                log.writer = LogWriter::create(&*self.inner.io, &meta, log.last_seq + 1)?;
            }
            log.since_checkpoint = 0;
            (self.catalog(), log.last_seq)
        };
        write_checkpoint(
            &*self.inner.io,
            &meta,
            &state,
            seq,
            self.inner.crash_hook.as_ref(),
        )?;
        remove_obsolete(&*self.inner.io, &meta, seq)
    }

    /// Deletes the files of removed rowsets that no pinned version still reads. Runs after every
    /// commit too; call it to release files as soon as readers are done.
    pub fn collect_garbage(&self) -> usize {
        let mut graveyard = self.inner.graveyard.lock();
        let before = graveyard.len();
        gc::sweep(&*self.inner.io, &self.inner.root, &mut graveyard);
        before - graveyard.len()
    }
}
