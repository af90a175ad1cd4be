//! Progress counters: atomics the worker bumps and anyone reads without locking.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Live progress of a job.
#[derive(Debug, Default)]
pub struct Progress {
    files_total: AtomicU64,
    files_done: AtomicU64,
    bytes_total: AtomicU64,
    bytes_done: AtomicU64,
    files_transferred: AtomicU64,
    bytes_transferred: AtomicU64,
}

/// A reading of [`Progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressSnapshot {
    /// Files the job must handle.
    #[serde(rename = "files_total")]
    pub files_total: u64,
    /// Files handled (transferred or found already present).
    #[serde(rename = "files_done")]
    pub files_done: u64,
    /// Bytes of all files.
    #[serde(rename = "bytes_total")]
    pub bytes_total: u64,
    /// Bytes of handled files.
    #[serde(rename = "bytes_done")]
    pub bytes_done: u64,
    /// Files actually copied, uploaded or linked (the rest were already there).
    #[serde(rename = "files_transferred")]
    pub files_transferred: u64,
    /// Bytes actually copied, uploaded or linked.
    #[serde(rename = "bytes_transferred")]
    pub bytes_transferred: u64,
}

impl Progress {
    /// Sets the totals once the work is planned.
    pub fn set_totals(&self, files: u64, bytes: u64) {
        self.files_total.store(files, Ordering::SeqCst);
        self.bytes_total.store(bytes, Ordering::SeqCst);
    }

    /// Counts one handled file; `transferred` when it was really moved.
    pub fn file_done(&self, bytes: u64, transferred: bool) {
        self.files_done.fetch_add(1, Ordering::SeqCst);
        self.bytes_done.fetch_add(bytes, Ordering::SeqCst);
        if transferred {
            self.files_transferred.fetch_add(1, Ordering::SeqCst);
            self.bytes_transferred.fetch_add(bytes, Ordering::SeqCst);
        }
    }

    /// A consistent-enough reading for display.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            files_total: self.files_total.load(Ordering::SeqCst),
            files_done: self.files_done.load(Ordering::SeqCst),
            bytes_total: self.bytes_total.load(Ordering::SeqCst),
            bytes_done: self.bytes_done.load(Ordering::SeqCst),
            files_transferred: self.files_transferred.load(Ordering::SeqCst),
            bytes_transferred: self.bytes_transferred.load(Ordering::SeqCst),
        }
    }

    /// Loads a persisted reading (after a restart).
    pub fn restore(&self, from: &ProgressSnapshot) {
        self.files_total.store(from.files_total, Ordering::SeqCst);
        self.files_done.store(from.files_done, Ordering::SeqCst);
        self.bytes_total.store(from.bytes_total, Ordering::SeqCst);
        self.bytes_done.store(from.bytes_done, Ordering::SeqCst);
        self.files_transferred
            .store(from.files_transferred, Ordering::SeqCst);
        self.bytes_transferred
            .store(from.bytes_transferred, Ordering::SeqCst);
    }
}
