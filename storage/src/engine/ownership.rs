//! Whether a directory is the engine's to open. A data directory carries a marker written when it
//! was created; tabvault opens (and then cleans) only an empty or new directory (one holding only
//! the lock file and an empty `meta/` counts: its creation stopped before the first log), a marked one with
//! its metadata present, or an unmarked one whose `meta/` holds tabvault's own log (a directory
//! created before markers existed, or one whose creation was interrupted), which it then marks.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result, StorageError};
use crate::fs::TEMP_SUFFIX;
use crate::io::StorageIo;
use crate::layout::{LOCK_FILE, MARKER_FILE, META_DIR};
use crate::log::{CHECKPOINT_MAGIC, LOG_MAGIC, is_meta_file_name};

/// Format name in the marker.
const MARKER_FORMAT: &str = "tabvault-data-directory";
/// Newest marker version this build writes and reads.
pub(crate) const MARKER_VERSION: u32 = 1;

/// The marker file's content.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
}

/// What [`inspect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ownership {
    /// Missing or empty: the engine creates a new data directory here.
    New,
    /// Marked, with metadata: the engine's own.
    Marked,
    /// Unmarked, but `meta/` holds the engine's log: the engine's own, to be marked.
    Unmarked,
}

fn refuse(dir: &Path, detail: impl Into<String>) -> StorageError {
    StorageError::DataDirectory {
        path: dir.to_owned(),
        detail: detail.into(),
    }
}

/// Decides whether `dir` may be opened, without changing anything in it.
pub(crate) fn inspect(dir: &Path) -> Result<Ownership> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Ownership::New),
        Err(e) => return Err(e).io_context(|| format!("listing {}", dir.display())),
    };
    let mut empty = true;
    for entry in entries {
        let name = entry
            .io_context(|| format!("listing {}", dir.display()))?
            .file_name();
        let name = name.to_string_lossy();
        // A creation interrupted before the first log was written leaves only these behind.
        let leftover = name == LOCK_FILE
            || name == format!("{MARKER_FILE}{TEMP_SUFFIX}")
            || (name == META_DIR && is_empty_dir(&dir.join(META_DIR)));
        if !leftover {
            empty = false;
        }
    }
    let marker_path = dir.join(MARKER_FILE);
    match fs::read(&marker_path) {
        Ok(bytes) => {
            check_marker(&marker_path, &bytes)?;
            if !meta_holds_log(&dir.join(META_DIR))? {
                return Err(refuse(
                    dir,
                    format!(
                        "it is a tabvault data directory but its metadata ({}) is missing or \
                         empty, so its tables cannot be known; nothing was changed. Restore \
                         `{META_DIR}/` (was the disk mounted? was the copy complete?), or move the \
                         directory aside",
                        dir.join(META_DIR).display()
                    ),
                ));
            }
            Ok(Ownership::Marked)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if empty {
                Ok(Ownership::New)
            } else if meta_holds_log(&dir.join(META_DIR))? {
                Ok(Ownership::Unmarked)
            } else {
                Err(refuse(
                    dir,
                    format!(
                        "it is not empty and is not a tabvault data directory (no {MARKER_FILE}, \
                         no tabvault metadata log); tabvault never writes into or cleans a \
                         directory it did not create. Choose a new or empty directory"
                    ),
                ))
            }
        }
        Err(e) => Err(e).io_context(|| format!("reading {}", marker_path.display())),
    }
}

fn check_marker(path: &Path, bytes: &[u8]) -> Result<()> {
    let marker: Marker = serde_json::from_slice(bytes).map_err(|e| StorageError::Corrupted {
        path: path.to_owned(),
        detail: format!("the data-directory marker does not parse: {e}"),
    })?;
    if marker.format != MARKER_FORMAT {
        return Err(StorageError::Corrupted {
            path: path.to_owned(),
            detail: format!(
                "marker names format {:?}, not {MARKER_FORMAT:?}",
                marker.format
            ),
        });
    }
    if marker.version > MARKER_VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_owned(),
            found: u64::from(marker.version),
            supported: u64::from(MARKER_VERSION),
        });
    }
    Ok(())
}

/// Whether `path` is a directory with nothing in it.
fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// Whether `meta` holds at least one log or checkpoint of the engine: a file named as the engine
/// names them whose bytes begin with (or, if torn at creation, are a prefix of) their magic.
fn meta_holds_log(meta: &Path) -> Result<bool> {
    let entries = match fs::read_dir(meta) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).io_context(|| format!("listing {}", meta.display())),
    };
    for entry in entries {
        let entry = entry.io_context(|| format!("listing {}", meta.display()))?;
        let name = entry.file_name();
        if !is_meta_file_name(&name.to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        let mut head = [0u8; 8];
        let len = read_head(&path, &mut head)?;
        let head = &head[..len];
        if [LOG_MAGIC, CHECKPOINT_MAGIC]
            .iter()
            .any(|magic| magic[..6].starts_with(&head[..len.min(6)]))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn read_head(path: &Path, head: &mut [u8]) -> Result<usize> {
    use std::io::Read;
    let mut file = fs::File::open(path).io_context(|| format!("opening {}", path.display()))?;
    let mut filled = 0;
    while filled < head.len() {
        let n = file
            .read(&mut head[filled..])
            .io_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Writes the marker durably; the last step of creating (or adopting) a data directory.
pub(crate) fn write_marker(io: &dyn StorageIo, dir: &Path) -> Result<()> {
    let marker = Marker {
        format: MARKER_FORMAT.into(),
        version: MARKER_VERSION,
    };
    let mut bytes = serde_json::to_vec_pretty(&marker).map_err(|e| {
        crate::error::StorageError::InvalidData(format!("encoding the marker: {e}"))
    })?;
    bytes.push(b'\n');
    io.write_file_durable(&dir.join(MARKER_FILE), &bytes)
}
