//! The shape of a data directory, in one place: the names the engine gives its directories and
//! files, and the test that tells the engine's own files from anything else. Garbage collection
//! deletes only what [`classify_data_file`] recognises; FORMAT.md §1 documents every name here.

use std::path::{Component, Path};

/// Subdirectory of the metadata log and checkpoints.
pub const META_DIR: &str = "meta";
/// Subdirectory of table data files.
pub const DATA_DIR: &str = "data";
/// File locked by the process that has the data directory open.
pub const LOCK_FILE: &str = "LOCK";
/// The marker that makes a directory a tabvault data directory (format name and version).
pub const MARKER_FILE: &str = "tabvault.json";
/// Where files the engine will not delete, but no longer references, are moved.
pub const LOST_FOUND_DIR: &str = "lost+found";
/// Extension of rowset files.
const ROWSET_EXTENSION: &str = ".parquet";

/// The path, relative to the data directory, of a tablet's directory.
pub(crate) fn tablet_dir(table_id: u64, partition_id: u64, tablet_id: u64) -> String {
    format!("{DATA_DIR}/{table_id}/{partition_id}/{tablet_id}")
}

/// The path, relative to the data directory, of a rowset file.
pub(crate) fn rowset_path(
    table_id: u64,
    partition_id: u64,
    tablet_id: u64,
    rowset_id: u64,
) -> String {
    format!(
        "{}/{rowset_id}{ROWSET_EXTENSION}",
        tablet_dir(table_id, partition_id, tablet_id)
    )
}

/// What an entry under `data/` is, judged by its place and name alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataEntry {
    /// `data/<table>/<partition>/<tablet>/<rowset>.parquet`: a (possibly unreferenced) rowset.
    Rowset,
    /// The same with the temporary suffix: a write that never finished.
    TempRowset,
    /// `data/<id>`, `data/<id>/<id>` or `data/<id>/<id>/<id>`: a directory the engine makes.
    Directory,
}

/// Classifies `relative` (a path under `data/`, without the `data/` prefix) as one of the
/// engine's own entries, or `None` for anything the engine never writes.
pub(crate) fn classify_data_file(relative: &Path, is_dir: bool) -> Option<DataEntry> {
    let mut parts = Vec::with_capacity(4);
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            _ => return None,
        }
    }
    let (last, dirs) = parts.split_last()?;
    if !dirs.iter().all(|d| is_id(d)) {
        return None;
    }
    if is_dir {
        return (parts.len() <= 3 && is_id(last)).then_some(DataEntry::Directory);
    }
    if dirs.len() != 3 {
        return None;
    }
    if let Some(stem) = last
        .strip_suffix(crate::fs::TEMP_SUFFIX)
        .and_then(|n| n.strip_suffix(ROWSET_EXTENSION))
    {
        return is_id(stem).then_some(DataEntry::TempRowset);
    }
    let stem = last.strip_suffix(ROWSET_EXTENSION)?;
    is_id(stem).then_some(DataEntry::Rowset)
}

/// Whether `name` is a decimal id as the engine writes it (no sign, no leading zero).
fn is_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 20
        && name.bytes().all(|b| b.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_the_engines_own_shapes() {
        let file = |p: &str| classify_data_file(Path::new(p), false);
        let dir = |p: &str| classify_data_file(Path::new(p), true);
        assert_eq!(file("1/2/3/4.parquet"), Some(DataEntry::Rowset));
        assert_eq!(file("1/2/3/4.parquet.tmp"), Some(DataEntry::TempRowset));
        assert_eq!(dir("1"), Some(DataEntry::Directory));
        assert_eq!(dir("1/2/3"), Some(DataEntry::Directory));
        for foreign in [
            "notes.txt",
            "1/2/3/4.csv",
            "1/2/3/x.parquet",
            "1/2/4.parquet",
            "1/2/3/4/5.parquet",
            "a/2/3/4.parquet",
            "1/2/3/04.parquet",
            "1/2/3/.parquet",
            "../1/2/3/4.parquet",
        ] {
            assert_eq!(file(foreign), None, "{foreign}");
        }
        assert_eq!(dir("1/2/3/4"), None);
        assert_eq!(dir("photos"), None);
    }

    #[test]
    fn rowset_paths_are_recognised() {
        let path = rowset_path(10, 20, 30, 40);
        assert_eq!(path, "data/10/20/30/40.parquet");
        let relative = Path::new(&path).strip_prefix(DATA_DIR).expect("test");
        assert_eq!(classify_data_file(relative, false), Some(DataEntry::Rowset));
    }
}
