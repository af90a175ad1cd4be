//! Appending records to the active log file: one frame per record, fsync'd before the commit is
//! acknowledged.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{LOG_MAGIC, encode_frame, log_file_name};
use crate::catalog::Edit;
use crate::crash::{CrashHook, CrashPoint};
use crate::error::{IoContext, Result, StorageError};
use crate::io::{StorageFile, StorageIo};

/// One metadata-log record: a sequence number and the edits it applies atomically.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogRecord {
    /// Consecutive from 1; never reused.
    #[serde(rename = "seq")]
    pub seq: u64,
    /// The catalog's id high-water mark after this record.
    #[serde(rename = "next_id")]
    pub next_id: u64,
    /// The edits, applied in order, all or none.
    #[serde(rename = "edits")]
    pub edits: Vec<Edit>,
}

/// The open, active log file.
#[derive(Debug)]
pub struct LogWriter {
    file: Box<dyn StorageFile>,
    path: PathBuf,
    /// The sequence number the file's name says its first record has.
    first_seq: u64,
}

impl LogWriter {
    /// Creates a new, empty log file (with its magic) in `meta_dir`, durably.
    pub fn create(io: &dyn StorageIo, meta_dir: &Path, first_seq: u64) -> Result<Self> {
        let path = meta_dir.join(log_file_name(first_seq));
        let mut file = io
            .create_file(&path)
            .io_context(|| format!("creating {}", path.display()))?;
        file.write_all(LOG_MAGIC)
            .io_context(|| format!("writing {}", path.display()))?;
        file.sync_all()
            .io_context(|| format!("syncing {}", path.display()))?;
        io.sync_dir(meta_dir)?;
        Ok(Self {
            file,
            path,
            first_seq,
        })
    }

    /// Opens the existing log file `path`, named for its first record `first_seq`, for
    /// appending at its end.
    pub fn open_append(io: &dyn StorageIo, path: &Path, first_seq: u64) -> Result<Self> {
        let file = io
            .open_append(path)
            .io_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            first_seq,
        })
    }

    /// The sequence number of the first record this file holds or will hold (from its name).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Appends `record` and fsyncs. When this returns `Ok` the record survives a crash. A record
    /// too large for a frame is refused before any byte is written ([`StorageError::TooLarge`]).
    pub fn append(&mut self, record: &LogRecord, hook: Option<&CrashHook>) -> Result<()> {
        let payload = serde_json::to_vec(record).map_err(|e| StorageError::Corrupted {
            path: self.path.clone(),
            detail: format!("cannot encode record: {e}"),
        })?;
        let frame = encode_frame(&payload)?;
        let (first, second) = frame.split_at(frame.len() / 2);
        let context = || format!("appending to {}", self.path.display());
        self.file.write_all(first).io_context(context)?;
        if let Some(hook) = hook {
            self.file.flush().io_context(context)?;
            hook(CrashPoint::MidLogAppend);
        }
        self.file.write_all(second).io_context(context)?;
        self.file
            .sync_data()
            .io_context(|| format!("appending to {} (fsync)", self.path.display()))?;
        if let Some(hook) = hook {
            hook(CrashPoint::AfterLogSync);
        }
        Ok(())
    }
}
