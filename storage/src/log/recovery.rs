//! Opening the metadata directory: load the newest checkpoint, replay the logs after it, cut a torn
//! tail off the last log, and remove files a finished checkpoint made obsolete.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CHECKPOINT_MAGIC, LOG_MAGIC, LogRecord, LogWriter, decode_frame, encode_frame};
use crate::catalog::CatalogState;
use crate::crash::{CrashHook, CrashPoint};
use crate::error::{IoContext, Result, StorageError};
use crate::fs::{
    TEMP_SUFFIX, create_dir_durable, remove_file_if_exists, sync_dir, write_file_durable,
};

/// What recovery found: the catalog, the last applied sequence number and the log to append to.
#[derive(Debug)]
pub struct Recovered {
    /// The catalog after every durable record.
    pub state: CatalogState,
    /// Sequence number of the last applied record (0 for a new engine).
    pub last_seq: u64,
    /// The active log, positioned at its end.
    pub log: LogWriter,
    /// Records in the log since the newest checkpoint.
    pub records_since_checkpoint: u64,
}

#[derive(Serialize, Deserialize)]
struct CheckpointBody {
    seq: u64,
    state: CatalogState,
}

fn checkpoint_file_name(seq: u64) -> String {
    format!("checkpoint-{seq:020}.tvckpt")
}

fn parse_seq(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()
}

struct MetaFiles {
    checkpoints: Vec<(u64, PathBuf)>,
    logs: Vec<(u64, PathBuf)>,
}

fn list_meta(meta_dir: &Path) -> Result<MetaFiles> {
    let mut files = MetaFiles {
        checkpoints: Vec::new(),
        logs: Vec::new(),
    };
    let entries =
        fs::read_dir(meta_dir).io_context(|| format!("listing {}", meta_dir.display()))?;
    for entry in entries {
        let entry = entry.io_context(|| format!("listing {}", meta_dir.display()))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.ends_with(TEMP_SUFFIX) {
            remove_file_if_exists(&path)?;
        } else if let Some(seq) = parse_seq(&name, "checkpoint-", ".tvckpt") {
            files.checkpoints.push((seq, path));
        } else if let Some(seq) = parse_seq(&name, "log-", ".tvlog") {
            files.logs.push((seq, path));
        }
    }
    files.checkpoints.sort();
    files.logs.sort();
    Ok(files)
}

fn corrupted(path: &Path, detail: impl Into<String>) -> StorageError {
    StorageError::Corrupted {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

fn load_checkpoint(path: &Path) -> Result<CheckpointBody> {
    let bytes = fs::read(path).io_context(|| format!("reading {}", path.display()))?;
    let body = bytes
        .strip_prefix(CHECKPOINT_MAGIC.as_slice())
        .ok_or_else(|| corrupted(path, "not a tabvault checkpoint (bad magic)"))?;
    let (payload, _) =
        decode_frame(body).ok_or_else(|| corrupted(path, "checkpoint frame fails its checksum"))?;
    serde_json::from_slice(payload)
        .map_err(|e| corrupted(path, format!("checkpoint does not parse: {e}")))
}

/// Replays one log file into `state`. Returns the byte offset after the last good record, and
/// whether the file ended with damage.
fn replay_log(
    path: &Path,
    state: &mut CatalogState,
    last_seq: &mut u64,
    replayed: &mut u64,
) -> Result<(u64, bool)> {
    let bytes = fs::read(path).io_context(|| format!("reading {}", path.display()))?;
    let Some(mut rest) = bytes.strip_prefix(LOG_MAGIC.as_slice()) else {
        return Ok((0, true));
    };
    let mut offset = LOG_MAGIC.len();
    while !rest.is_empty() {
        let Some((payload, len)) = decode_frame(rest) else {
            return Ok((offset as u64, true));
        };
        let record: LogRecord = serde_json::from_slice(payload).map_err(|e| {
            corrupted(
                path,
                format!("record at offset {offset} does not parse: {e}"),
            )
        })?;
        if record.seq <= *last_seq {
            // Already contained in the checkpoint.
        } else if record.seq == *last_seq + 1 {
            for edit in &record.edits {
                state.apply(edit).map_err(|e| {
                    corrupted(path, format!("record {} does not apply: {e}", record.seq))
                })?;
            }
            state.next_id = state.next_id.max(record.next_id);
            *last_seq = record.seq;
            *replayed += 1;
        } else {
            return Err(corrupted(
                path,
                format!("record {} follows record {}", record.seq, last_seq),
            ));
        }
        offset += len;
        rest = &rest[len..];
    }
    Ok((offset as u64, false))
}

/// Recovers the catalog from `meta_dir`, creating the directory and a first log for a new engine.
pub fn recover(meta_dir: &Path) -> Result<Recovered> {
    create_dir_durable(meta_dir)?;
    let files = list_meta(meta_dir)?;
    let (mut state, checkpoint_seq) = match files.checkpoints.last() {
        Some((seq, path)) => {
            let body = load_checkpoint(path)?;
            if body.seq != *seq {
                return Err(corrupted(
                    path,
                    format!("file name says seq {seq}, content says {}", body.seq),
                ));
            }
            (body.state, body.seq)
        }
        None => (CatalogState::default(), 0),
    };
    let mut last_seq = checkpoint_seq;
    let mut replayed = 0;
    let mut active: Option<PathBuf> = None;
    for (i, (_, path)) in files.logs.iter().enumerate() {
        let is_last = i + 1 == files.logs.len();
        let (good_len, damaged) = replay_log(path, &mut state, &mut last_seq, &mut replayed)?;
        if damaged && !is_last {
            return Err(corrupted(
                path,
                format!("damaged record at offset {good_len} in a log that is not the newest"),
            ));
        }
        if damaged {
            truncate_torn_tail(path, good_len)?;
        }
        if is_last {
            active = Some(path.clone());
        }
    }
    let log = match active {
        Some(path)
            if last_seq > checkpoint_seq
                || files
                    .logs
                    .last()
                    .is_some_and(|(first, _)| *first > checkpoint_seq) =>
        {
            LogWriter::open_append(&path)?
        }
        _ => LogWriter::create(meta_dir, last_seq + 1)?,
    };
    remove_obsolete(meta_dir, checkpoint_seq, log.path())?;
    Ok(Recovered {
        state,
        last_seq,
        log,
        records_since_checkpoint: replayed,
    })
}

fn truncate_torn_tail(path: &Path, good_len: u64) -> Result<()> {
    if good_len == 0 {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .io_context(|| format!("opening {}", path.display()))?;
        file.set_len(0)
            .io_context(|| format!("truncating {}", path.display()))?;
        drop(file);
        return write_file_durable(path, LOG_MAGIC);
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .io_context(|| format!("opening {}", path.display()))?;
    file.set_len(good_len)
        .io_context(|| format!("truncating {}", path.display()))?;
    file.sync_all()
        .io_context(|| format!("syncing {}", path.display()))
}

/// Removes checkpoints older than `checkpoint_seq` and logs other than `active` whose records the
/// checkpoint contains.
fn remove_obsolete(meta_dir: &Path, checkpoint_seq: u64, active: &Path) -> Result<()> {
    let files = list_meta(meta_dir)?;
    let mut changed = false;
    for (seq, path) in &files.checkpoints {
        if *seq < checkpoint_seq {
            remove_file_if_exists(path)?;
            changed = true;
        }
    }
    for (i, (_, path)) in files.logs.iter().enumerate() {
        let next_first = files.logs.get(i + 1).map(|(first, _)| *first);
        if path != active && next_first.is_some_and(|next| next <= checkpoint_seq + 1) {
            remove_file_if_exists(path)?;
            changed = true;
        }
    }
    if changed {
        sync_dir(meta_dir)?;
    }
    Ok(())
}

/// Writes a checkpoint of `state` at `seq`, starts a new log after it and removes what it made
/// obsolete. Returns the new active log.
pub fn write_checkpoint(
    meta_dir: &Path,
    state: &CatalogState,
    seq: u64,
    hook: Option<&CrashHook>,
) -> Result<LogWriter> {
    let path = meta_dir.join(checkpoint_file_name(seq));
    let body = CheckpointBody {
        seq,
        state: state.clone(),
    };
    let payload = serde_json::to_vec(&body)
        .map_err(|e| corrupted(&path, format!("cannot encode checkpoint: {e}")))?;
    let mut bytes = CHECKPOINT_MAGIC.to_vec();
    bytes.extend_from_slice(&encode_frame(&payload));
    write_file_durable(&path, &bytes)?;
    if let Some(hook) = hook {
        hook(CrashPoint::DuringCheckpoint);
    }
    let log = LogWriter::create(meta_dir, seq + 1)?;
    remove_obsolete(meta_dir, seq, log.path())?;
    Ok(log)
}
