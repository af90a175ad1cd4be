//! Where a repository may live. Every repository location is reduced to a [`Place`] (a canonical
//! local directory, a memory store name and key prefix, or an S3 endpoint, bucket and key prefix)
//! so that CREATE REPOSITORY can refuse a location that is, contains or lies inside the data
//! directory or another repository: tabvault deletes files in a repository (DROP SNAPSHOT's
//! cleanup) and in the data directory, and neither may ever reach the other's files.

use std::path::{Component, Path, PathBuf};

use crate::repository::{Location, RepositoryError, S3Options, parse_location};

/// A repository location reduced to what decides overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// A local directory, canonical (see [`canonicalize_lenient`]).
    Local(PathBuf),
    /// A `memory://` store and the key segments of its prefix.
    Memory {
        /// Store name.
        name: String,
        /// Prefix segments (empty: the whole store).
        prefix: Vec<String>,
    },
    /// An S3 bucket (per endpoint) and the key segments of its prefix.
    S3 {
        /// Custom endpoint, empty for AWS.
        endpoint: String,
        /// Bucket name.
        bucket: String,
        /// Prefix segments (empty: the whole bucket).
        prefix: Vec<String>,
    },
}

impl Place {
    /// The place of `location` (parsed as [`crate::RepositoryStore::open`] would).
    pub(crate) fn of(location: &str, s3: &S3Options) -> Result<Self, RepositoryError> {
        let segments = |prefix: Option<crate::repository::RepoPath>| -> Vec<String> {
            prefix
                .map(|p| p.segments().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        Ok(match parse_location(location, s3)? {
            Location::Local(path) => Place::Local(canonicalize_lenient(&path).map_err(
                |source| RepositoryError::Io {
                    context: format!("resolving {}", path.display()),
                    source,
                },
            )?),
            Location::Memory { name, prefix } => Place::Memory {
                name,
                prefix: segments(prefix),
            },
            Location::S3(config) => Place::S3 {
                endpoint: config.options.endpoint.clone().unwrap_or_default(),
                bucket: config.bucket.clone(),
                prefix: segments(config.prefix.clone()),
            },
        })
    }

    /// Whether one of the two places is, contains or lies inside the other.
    pub(crate) fn overlaps(&self, other: &Place) -> bool {
        fn nested(a: &[String], b: &[String]) -> bool {
            a.iter().zip(b).all(|(x, y)| x == y)
        }
        match (self, other) {
            (Place::Local(a), Place::Local(b)) => a.starts_with(b) || b.starts_with(a),
            (
                Place::Memory { name, prefix },
                Place::Memory {
                    name: other_name,
                    prefix: other_prefix,
                },
            ) => name == other_name && nested(prefix, other_prefix),
            (
                Place::S3 {
                    endpoint,
                    bucket,
                    prefix,
                },
                Place::S3 {
                    endpoint: other_endpoint,
                    bucket: other_bucket,
                    prefix: other_prefix,
                },
            ) => {
                endpoint == other_endpoint && bucket == other_bucket && nested(prefix, other_prefix)
            }
            _ => false,
        }
    }

    /// Why a repository may not live here, given the engine's data directory (canonical): `None`
    /// when it may.
    pub(crate) fn data_dir_conflict(&self, data_dir: &Path) -> Option<String> {
        let Place::Local(path) = self else {
            return None;
        };
        let relation = if path == data_dir {
            "is"
        } else if path.starts_with(data_dir) {
            "lies inside"
        } else if data_dir.starts_with(path) {
            "contains"
        } else {
            return None;
        };
        Some(format!(
            "location {} {relation} the data directory {}; choose a directory outside it \
             (a relative location resolves against the data directory's parent)",
            path.display(),
            data_dir.display()
        ))
    }
}

/// `path` made absolute and canonical as far as it exists: the longest existing prefix is
/// canonicalised (symbolic links resolved), and the rest is appended with `.` dropped and `..`
/// applied (a missing directory cannot be a symbolic link, so that is exact).
pub(crate) fn canonicalize_lenient(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut existing = absolute.as_path();
    let mut rest: Vec<Component<'_>> = Vec::new();
    let mut base = loop {
        match existing.canonicalize() {
            Ok(canonical) => break canonical,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let Some(parent) = existing.parent() else {
            break PathBuf::from("/");
        };
        if let Some(last) = existing.components().next_back() {
            rest.push(last);
        }
        existing = parent;
    };
    for component in rest.into_iter().rev() {
        match component {
            Component::ParentDir => {
                base.pop();
            }
            Component::Normal(name) => base.push(name),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(path: &str) -> Place {
        Place::Local(PathBuf::from(path))
    }

    fn memory(name: &str, prefix: &[&str]) -> Place {
        Place::Memory {
            name: name.into(),
            prefix: prefix.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn overlap_is_by_whole_segments() {
        assert!(local("/a/b").overlaps(&local("/a/b")));
        assert!(local("/a/b/c").overlaps(&local("/a/b")));
        assert!(local("/a").overlaps(&local("/a/b")));
        assert!(!local("/a/bc").overlaps(&local("/a/b")));
        assert!(memory("m", &[]).overlaps(&memory("m", &["p"])));
        assert!(!memory("m", &["p"]).overlaps(&memory("m", &["q"])));
        assert!(!memory("m", &["p"]).overlaps(&memory("n", &["p"])));
        assert!(!memory("m", &[]).overlaps(&local("/m")));
    }

    #[test]
    fn data_dir_conflicts_name_the_relation() {
        let data = Path::new("/srv/data");
        assert!(local("/srv/data").data_dir_conflict(data).is_some());
        assert!(local("/srv/data/r").data_dir_conflict(data).is_some());
        assert!(local("/srv").data_dir_conflict(data).is_some());
        assert!(local("/srv/backups").data_dir_conflict(data).is_none());
        assert!(local("/srv/data2").data_dir_conflict(data).is_none());
    }

    #[test]
    fn lenient_canonicalisation_resolves_what_exists() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let real = dir.path().canonicalize()?;
        std::fs::create_dir(real.join("x"))?;
        std::os::unix::fs::symlink(real.join("x"), real.join("link"))?;
        assert_eq!(
            canonicalize_lenient(&real.join("link/new/../other/./y"))?,
            real.join("x/other/y")
        );
        assert_eq!(canonicalize_lenient(&real.join("x/."))?, real.join("x"));
        Ok(())
    }
}
