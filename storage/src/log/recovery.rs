//! Opening the metadata directory: load the newest checkpoint, replay the logs after it, and decide
//! what damage means. Only a damaged *final* frame (a write torn by a crash) is cut, and its bytes
//! are kept in `lost+found/`. A damaged frame followed by any well-formed frame is corruption: open
//! fails naming the file, offset and record, and nothing is changed, unless the caller asked for
//! repair, which cuts there and keeps everything cut (bytes and later logs) in `lost+found/`.

use std::fs;
use std::path::{Path, PathBuf};

use super::magic::{Header, MAGIC_LEN, read_header};
use super::{
    LOG_MAGIC, LogRecord, LogWriter, checkpoint::load_checkpoint, decode_frame,
    parse_checkpoint_name, parse_log_name,
};
use crate::catalog::CatalogState;
use crate::error::{IoContext, Result, StorageError};
use crate::fs::TEMP_SUFFIX;
use crate::io::StorageIo;

/// Newest log version this build reads and writes.
const LOG_VERSION: u16 = 1;

/// How recovery treats damage.
#[derive(Clone, Debug)]
pub struct RecoverOptions {
    /// Cut the log at the first damaged record even when valid records follow (accepting their
    /// loss); without it such damage fails the open.
    pub repair: bool,
    /// Where cut bytes and set-aside logs are kept (created only when needed).
    pub lost_found: PathBuf,
}

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
    /// Whether any record bytes were cut: files only those records named must be kept, not deleted.
    pub truncated: bool,
}

struct MetaFiles {
    checkpoints: Vec<(u64, PathBuf)>,
    logs: Vec<(u64, PathBuf)>,
}

fn list_meta(io: &dyn StorageIo, meta_dir: &Path) -> Result<MetaFiles> {
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
        if let Some(seq) = parse_checkpoint_name(&name) {
            files.checkpoints.push((seq, path));
        } else if let Some(seq) = parse_log_name(&name) {
            files.logs.push((seq, path));
        } else if name
            .strip_suffix(TEMP_SUFFIX)
            .is_some_and(super::is_meta_file_name)
        {
            io.remove_file_if_exists(&path)?;
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

/// How replaying one log file ended.
enum LogEnd {
    /// Every byte was a good record.
    Clean,
    /// The file is shorter than its magic and a prefix of it: its creation was torn.
    TornCreation,
    /// The final frame is damaged and nothing well-formed follows: a torn write, cut at `offset`.
    TornTail { offset: u64 },
    /// A damaged frame with a well-formed frame after it: corruption.
    Corrupt { offset: u64, record: u64 },
}

/// Replays one log file into `state`.
fn replay_log(
    path: &Path,
    state: &mut CatalogState,
    last_seq: &mut u64,
    replayed: &mut u64,
) -> Result<LogEnd> {
    let bytes = fs::read(path).io_context(|| format!("reading {}", path.display()))?;
    if read_header(path, &bytes, LOG_MAGIC, LOG_VERSION)? == Header::Torn {
        return Ok(LogEnd::TornCreation);
    }
    let mut offset = MAGIC_LEN;
    let mut record_number = 0u64;
    while offset < bytes.len() {
        record_number += 1;
        let rest = &bytes[offset..];
        let Some((payload, len)) = decode_frame(rest) else {
            return Ok(if has_well_formed_frame(&rest[1..]) {
                LogEnd::Corrupt {
                    offset: offset as u64,
                    record: record_number,
                }
            } else {
                LogEnd::TornTail {
                    offset: offset as u64,
                }
            });
        };
        let record: LogRecord = serde_json::from_slice(payload).map_err(|e| {
            corrupted(
                path,
                format!("record {record_number} at offset {offset} does not parse: {e}"),
            )
        })?;
        if record.seq <= *last_seq {
            // Already contained in the checkpoint.
        } else if record.seq == *last_seq + 1 {
            for edit in &record.edits {
                state.apply(edit).map_err(|e| {
                    corrupted(
                        path,
                        format!(
                            "record {record_number} (seq {}) at offset {offset} does not apply: {e}",
                            record.seq
                        ),
                    )
                })?;
            }
            state.next_id = state.next_id.max(record.next_id);
            *last_seq = record.seq;
            *replayed += 1;
        } else {
            return Err(corrupted(
                path,
                format!(
                    "record {record_number} at offset {offset} has seq {} but follows seq {last_seq}",
                    record.seq
                ),
            ));
        }
        offset += len;
    }
    Ok(LogEnd::Clean)
}

/// Whether a well-formed frame (valid checksum, a JSON object payload) starts anywhere in `bytes`.
fn has_well_formed_frame(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|start| {
        let rest = &bytes[start..];
        rest.get(super::FRAME_HEADER_LEN) == Some(&b'{')
            && decode_frame(rest).is_some_and(|(payload, _)| {
                serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok()
            })
    })
}

/// Recovers the catalog from `meta_dir`, creating the directory and a first log for a new engine.
pub fn recover(io: &dyn StorageIo, meta_dir: &Path, options: &RecoverOptions) -> Result<Recovered> {
    io.create_dir_durable(meta_dir)?;
    let files = list_meta(io, meta_dir)?;
    let (mut state, checkpoint_seq) = match files.checkpoints.last() {
        Some((seq, path)) => {
            let (body_seq, state) = load_checkpoint(path)?;
            if body_seq != *seq {
                return Err(corrupted(
                    path,
                    format!("file name says seq {seq}, content says {body_seq}"),
                ));
            }
            (state, body_seq)
        }
        None => (CatalogState::default(), 0),
    };
    let mut last_seq = checkpoint_seq;
    let mut replayed = 0;
    let mut truncated = false;
    let mut active: Option<PathBuf> = None;
    for (i, (_, path)) in files.logs.iter().enumerate() {
        let is_last = i + 1 == files.logs.len();
        let later = &files.logs[i + 1..];
        match replay_log(path, &mut state, &mut last_seq, &mut replayed)? {
            LogEnd::Clean => {}
            LogEnd::TornCreation if is_last => io.write_file_durable(path, LOG_MAGIC)?,
            LogEnd::TornTail { offset } if is_last => {
                tracing::warn!(
                    log = %path.display(),
                    offset,
                    "cut a torn record off the end of the metadata log (a write interrupted by a \
                     crash); its bytes are kept in lost+found"
                );
                cut_log(io, path, offset, &options.lost_found)?;
                truncated = true;
            }
            end if options.repair => {
                let offset = match end {
                    LogEnd::TornTail { offset } | LogEnd::Corrupt { offset, .. } => offset,
                    _ => 0,
                };
                tracing::warn!(
                    log = %path.display(),
                    offset,
                    later_logs = later.len(),
                    "repair: cut the metadata log at damage; the cut records are kept in lost+found"
                );
                cut_log(io, path, offset, &options.lost_found)?;
                for (_, later_path) in later {
                    set_aside(io, later_path, &options.lost_found)?;
                }
                truncated = true;
                active = Some(path.clone());
                break;
            }
            LogEnd::Corrupt { offset, record } => {
                return Err(corrupted(
                    path,
                    format!(
                        "record {record} at byte offset {offset} is damaged and valid records \
                         follow it: this is corruption, not a torn write. Nothing was changed or \
                         deleted. `tabvault verify --repair` cuts the log there, keeping the cut \
                         records and the files only they used in lost+found/"
                    ),
                ));
            }
            LogEnd::TornTail { offset } => {
                return Err(corrupted(
                    path,
                    format!(
                        "damaged record at byte offset {offset} in a log that is not the newest; \
                         nothing was changed. `tabvault verify --repair` cuts it there"
                    ),
                ));
            }
            LogEnd::TornCreation => {
                return Err(corrupted(
                    path,
                    "log shorter than its header in a log that is not the newest",
                ));
            }
        }
        if is_last {
            active = Some(path.clone());
        }
    }
    let active = active.and_then(|path| Some((parse_log_name(&file_name(&path))?, path)));
    let log = match active {
        Some((first, path)) if last_seq > checkpoint_seq || first > checkpoint_seq => {
            LogWriter::open_append(io, &path, first)?
        }
        _ => LogWriter::create(io, meta_dir, last_seq + 1)?,
    };
    remove_obsolete(io, meta_dir, checkpoint_seq)?;
    Ok(Recovered {
        state,
        last_seq,
        log,
        records_since_checkpoint: replayed,
        truncated,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Keeps the bytes of `path` from `offset` on in `lost_found/meta/`, then cuts them off.
fn cut_log(io: &dyn StorageIo, path: &Path, offset: u64, lost_found: &Path) -> Result<()> {
    let bytes = fs::read(path).io_context(|| format!("reading {}", path.display()))?;
    let start = usize::try_from(offset)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    let kept_dir = lost_found.join(super::super::layout::META_DIR);
    io.create_dir_durable(&kept_dir)?;
    io.write_file_durable(
        &kept_dir.join(format!("{}.from-{offset}", file_name(path))),
        &bytes[start..],
    )?;
    if start <= MAGIC_LEN {
        return io.write_file_durable(path, LOG_MAGIC);
    }
    let mut file = io
        .open_append(path)
        .io_context(|| format!("opening {}", path.display()))?;
    file.set_len(offset)
        .io_context(|| format!("truncating {}", path.display()))?;
    file.sync_all()
        .io_context(|| format!("syncing {}", path.display()))
}

/// Moves a whole log into `lost_found/meta/`.
fn set_aside(io: &dyn StorageIo, path: &Path, lost_found: &Path) -> Result<()> {
    let kept_dir = lost_found.join(super::super::layout::META_DIR);
    io.create_dir_durable(&kept_dir)?;
    io.rename_durable(path, &kept_dir.join(file_name(path)))?;
    if let Some(parent) = path.parent() {
        io.sync_dir(parent)?;
    }
    Ok(())
}

/// Removes checkpoints older than `checkpoint_seq` and logs whose records it contains (a log is
/// covered when the next log starts at or before `checkpoint_seq + 1`; the newest log never is).
pub(crate) fn remove_obsolete(
    io: &dyn StorageIo,
    meta_dir: &Path,
    checkpoint_seq: u64,
) -> Result<()> {
    let files = list_meta(io, meta_dir)?;
    let mut changed = false;
    for (seq, path) in &files.checkpoints {
        if *seq < checkpoint_seq {
            io.remove_file_if_exists(path)?;
            changed = true;
        }
    }
    for (i, (_, path)) in files.logs.iter().enumerate() {
        let next_first = files.logs.get(i + 1).map(|(first, _)| *first);
        if next_first.is_some_and(|next| next <= checkpoint_seq + 1) {
            io.remove_file_if_exists(path)?;
            changed = true;
        }
    }
    if changed {
        io.sync_dir(meta_dir)?;
    }
    Ok(())
}
