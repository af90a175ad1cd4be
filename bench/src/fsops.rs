//! File-system helpers: `cp -r` (the baseline), directory sizes, devices, and the choice of the
//! "another filesystem" directory.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// Runs `cp -r src dst` (the baseline users reach for); fails if cp fails.
pub fn cp_r(src: &Path, dst: &Path) -> Result<()> {
    let status = Command::new("cp").arg("-r").arg(src).arg(dst).status()?;
    if !status.success() {
        return Err(format!("cp -r {} {} failed: {status}", src.display(), dst.display()).into());
    }
    Ok(())
}

/// Removes a directory tree; absent is fine.
pub fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", path.display()).into()),
    }
}

/// Regular files under `path` and their total bytes.
pub fn tree_size(path: &Path) -> Result<(u64, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    Ok((files, bytes))
}

/// The device id of `path`.
pub fn device(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
        .dev())
}

/// The directory for repositories on "another filesystem": `requested` if given, else `/dev/shm`
/// when it exists and is on another device than `work`, else `work` itself. Returns the
/// directory and whether it really is another filesystem.
pub fn pick_other_dir(requested: Option<&Path>, work: &Path) -> Result<(PathBuf, bool)> {
    let work_dev = device(work)?;
    let candidate = match requested {
        Some(dir) => {
            fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            dir.to_owned()
        }
        None => {
            let shm = Path::new("/dev/shm");
            if shm.is_dir() && device(shm)? != work_dev {
                shm.to_owned()
            } else {
                work.to_owned()
            }
        }
    };
    let other = device(&candidate)? != work_dev;
    Ok((candidate, other))
}

/// A path as UTF-8 (repository locations are strings).
pub fn utf8(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_measures_trees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("a")).expect("mkdir");
        fs::write(src.join("a/x"), b"12345").expect("write");
        fs::write(src.join("y"), b"67").expect("write");
        cp_r(&src, &dir.path().join("dst")).expect("cp");
        assert_eq!(tree_size(&dir.path().join("dst")).expect("size"), (2, 7));
        remove_tree(&dir.path().join("dst")).expect("rm");
        remove_tree(&dir.path().join("dst")).expect("absent is fine");
        let (other, is_other) = pick_other_dir(Some(dir.path()), dir.path()).expect("pick");
        assert_eq!((other.as_path(), is_other), (dir.path(), false));
    }
}
