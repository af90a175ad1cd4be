//! Where `FILES()` may read: the operator's import roots, the directories it must never read (the
//! data directory, repository locations), and the bytes one statement may read. `FILES()` runs with
//! the server's file access on behalf of a SQL user, so every path it is given is resolved here
//! first: canonicalised (symbolic links and `..` followed), then checked, and only regular files
//! pass.

use std::path::{Path, PathBuf};

use crate::error::{Result, SqlError};

/// Why a path outside every import root is refused.
const OUTSIDE: &str = "is outside the server's import roots";

/// What `FILES()` may read, set by the operator (`--import-root`, `--import-max-bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportPolicy {
    roots: Vec<PathBuf>,
    max_bytes: u64,
}

impl ImportPolicy {
    /// Bytes one statement may read through `FILES()` unless the operator says otherwise.
    pub const DEFAULT_MAX_BYTES: u64 = 16 << 30;

    /// No import root: `FILES()` is refused for everyone.
    pub fn disabled() -> Self {
        Self {
            roots: Vec::new(),
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }

    /// `FILES()` may read the regular files below `roots` (each an existing directory), at most
    /// `max_bytes` per statement.
    pub fn new(roots: &[PathBuf], max_bytes: u64) -> Result<Self> {
        let roots = roots
            .iter()
            .map(|root| {
                let canonical = root.canonicalize().map_err(|source| SqlError::Io {
                    context: format!("resolving import root {}", root.display()),
                    source,
                })?;
                if !canonical.is_dir() {
                    return Err(SqlError::Invalid(format!(
                        "import root {} is not a directory",
                        root.display()
                    )));
                }
                Ok(canonical)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { roots, max_bytes })
    }

    /// The import roots, canonical.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Bytes one statement may read.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The files `FILES("path" = path)` reads: `path` itself when it is a regular file, else the
    /// regular files directly in the directory `path` whose extension is `extension`, in name
    /// order; each with its size. Refused: no import root configured, a path outside every root,
    /// one that is, contains or lies inside a `forbidden` directory, a file that is not regular
    /// (device, FIFO, socket), and more than [`Self::max_bytes`] in all. Errors name the path as
    /// the user wrote it, never the roots.
    pub fn resolve(
        &self,
        path: &str,
        extension: &str,
        forbidden: &[PathBuf],
    ) -> Result<Vec<(PathBuf, u64)>> {
        if self.roots.is_empty() {
            return Err(SqlError::Invalid(
                "FILES() is disabled: the server has no import root (start tabvault with \
                 --import-root DIR)"
                    .into(),
            ));
        }
        let refuse = |why: &str| SqlError::Invalid(format!("FILES(): {path} {why}"));
        let canonical = Path::new(path).canonicalize().map_err(|e| {
            // Say why only below a root: elsewhere the reason would tell what exists there.
            let below_a_root = std::path::absolute(path)
                .is_ok_and(|p| self.roots.iter().any(|root| p.starts_with(root)));
            if below_a_root {
                refuse(&format!("cannot be read: {e}"))
            } else {
                refuse(OUTSIDE)
            }
        })?;
        self.check_place(&canonical, forbidden)
            .map_err(|why| refuse(&why))?;
        let files = if canonical.is_dir() {
            let entries = std::fs::read_dir(&canonical)
                .map_err(|e| refuse(&format!("cannot be listed: {e}")))?;
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| refuse(&format!("cannot be listed: {e}")))?;
                let named = entry.path();
                if !named
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case(extension))
                {
                    continue;
                }
                let file = named
                    .canonicalize()
                    .map_err(|e| refuse(&format!("holds an unreadable entry: {e}")))?;
                self.check_place(&file, forbidden).map_err(|why| {
                    let name = entry.file_name();
                    refuse(&format!("holds {}, which {why}", name.to_string_lossy()))
                })?;
                files.push(file);
            }
            files.sort();
            files
        } else {
            vec![canonical]
        };
        let mut total: u64 = 0;
        let mut sized = Vec::with_capacity(files.len());
        for file in files {
            let meta = std::fs::metadata(&file).map_err(|e| refuse(&format!("{e}")))?;
            if !meta.is_file() {
                return Err(refuse(
                    "is not a regular file (FILES() reads only regular files)",
                ));
            }
            total = total.saturating_add(meta.len());
            sized.push((file, meta.len()));
        }
        if total > self.max_bytes {
            return Err(refuse(&format!(
                "holds {total} bytes, more than the {} one statement may read (the server's \
                 --import-max-bytes)",
                self.max_bytes
            )));
        }
        Ok(sized)
    }

    /// Why the canonical `path` may not be read, if it may not.
    fn check_place(&self, path: &Path, forbidden: &[PathBuf]) -> std::result::Result<(), String> {
        if !self.roots.iter().any(|root| path.starts_with(root)) {
            return Err(OUTSIDE.into());
        }
        if forbidden
            .iter()
            .any(|f| path.starts_with(f) || f.starts_with(path))
        {
            return Err(
                "is tabvault's data directory or a repository, or holds or lies inside one; \
                 FILES() never reads them (use RESTORE for backups)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The import policy with the directories `FILES()` must never read, as they stand for one
/// statement: the data directory and the local repository locations, canonical.
#[derive(Clone, Debug)]
pub struct ImportScope {
    policy: ImportPolicy,
    forbidden: Vec<PathBuf>,
}

impl ImportScope {
    /// `policy`, never reading `forbidden` (canonicalised here; one that does not exist is kept
    /// as given).
    pub fn new(policy: ImportPolicy, forbidden: impl IntoIterator<Item = PathBuf>) -> Self {
        let forbidden = forbidden
            .into_iter()
            .map(|dir| dir.canonicalize().unwrap_or(dir))
            .collect();
        Self { policy, forbidden }
    }

    /// [`ImportPolicy::resolve`] with this scope's forbidden directories.
    pub fn resolve(&self, path: &str, extension: &str) -> Result<Vec<(PathBuf, u64)>> {
        self.policy.resolve(path, extension, &self.forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(root: &Path, max_bytes: u64) -> ImportPolicy {
        ImportPolicy::new(&[root.to_owned()], max_bytes).expect("policy")
    }

    fn err(result: Result<Vec<(PathBuf, u64)>>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn reads_only_regular_files_below_a_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("import");
        std::fs::create_dir(&root).expect("mkdir");
        std::fs::write(root.join("a.csv"), "k\n1\n").expect("write");
        std::fs::write(root.join("b.CSV"), "k\n2\n").expect("write");
        std::fs::write(root.join("c.txt"), "not csv").expect("write");
        std::fs::write(dir.path().join("secret.csv"), "k\n3\n").expect("write");
        let p = policy(&root, 1 << 20);
        let files = p
            .resolve(root.to_str().expect("utf-8"), "csv", &[])
            .expect("ok");
        let names: Vec<_> = files
            .iter()
            .map(|(f, _)| f.file_name().expect("name").to_owned())
            .collect();
        assert_eq!(names, ["a.csv", "b.CSV"]);
        assert_eq!(files[0].1, 4);
        let outside = dir.path().join("secret.csv");
        assert!(err(p.resolve(outside.to_str().expect("utf-8"), "csv", &[])).contains("outside"));
        let escape = format!("{}/../secret.csv", root.display());
        assert!(err(p.resolve(&escape, "csv", &[])).contains("outside"));
        std::os::unix::fs::symlink(&outside, root.join("link.csv")).expect("symlink");
        let listed = err(p.resolve(root.to_str().expect("utf-8"), "csv", &[]));
        assert!(
            listed.contains("link.csv") && listed.contains("outside"),
            "{listed}"
        );
        assert!(err(p.resolve("/dev/zero", "csv", &[])).contains("outside"));
    }

    #[test]
    fn devices_forbidden_directories_and_the_byte_cap_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let everything = policy(Path::new("/"), 8);
        assert!(err(everything.resolve("/dev/zero", "csv", &[])).contains("not a regular file"));
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        std::fs::write(data.join("x.parquet"), "x").expect("write");
        let forbidden = [data.canonicalize().expect("canonical")];
        let inside = data.join("x.parquet");
        let text = err(everything.resolve(inside.to_str().expect("utf-8"), "parquet", &forbidden));
        assert!(text.contains("data directory"), "{text}");
        let above = dir.path().to_str().expect("utf-8");
        assert!(err(everything.resolve(above, "parquet", &forbidden)).contains("data directory"));
        let big = dir.path().join("big.csv");
        std::fs::write(&big, "0123456789").expect("write");
        let text = err(everything.resolve(big.to_str().expect("utf-8"), "csv", &[]));
        assert!(text.contains("more than the 8"), "{text}");
        assert!(err(ImportPolicy::disabled().resolve(above, "csv", &[])).contains("disabled"));
    }
}
