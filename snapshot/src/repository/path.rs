//! [`RepoPath`]: the only kind of name a repository accepts or hands out.

use std::fmt;

use super::error::RepositoryError;

/// Longest accepted name, in bytes (S3 keys are limited to 1024 bytes too).
pub const MAX_NAME_LEN: usize = 1024;

/// First segment reserved for a local repository's temporary files (see the module docs); no
/// [`RepoPath`] may start with it, so temporaries can never be mistaken for, or replace, objects.
pub(crate) const RESERVED_TEMP_DIR: &str = ".tabvault-tmp";

/// A validated name inside a repository.
///
/// Relative, `/`-separated, non-empty segments, none equal to `.` or `..`, no backslash, no NUL
/// or other control character, no leading or trailing `/`, at most [`MAX_NAME_LEN`] bytes, and
/// not inside the reserved temporary directory `.tabvault-tmp`. Every repository operation takes
/// one, so a name read from a manifest or listed from a bucket can never escape the repository
/// root (no `..`, no absolute path) nor mean different things on different backends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoPath(String);

impl RepoPath {
    /// Validates `s` as a repository name; the error says which rule it broke.
    pub fn parse(s: &str) -> Result<RepoPath, RepositoryError> {
        let invalid = |reason: &'static str| RepositoryError::InvalidName {
            name: s.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(invalid("the name is empty"));
        }
        if s.len() > MAX_NAME_LEN {
            return Err(invalid("the name is longer than 1024 bytes"));
        }
        if s.starts_with('/') {
            return Err(invalid("the name is absolute (starts with '/')"));
        }
        if s.ends_with('/') {
            return Err(invalid("the name ends with '/'"));
        }
        if s.contains('\\') {
            return Err(invalid("the name contains a backslash"));
        }
        if s.chars().any(char::is_control) {
            return Err(invalid("the name contains a NUL or control character"));
        }
        for segment in s.split('/') {
            match segment {
                "" => return Err(invalid("the name has an empty segment ('//')")),
                "." => return Err(invalid("the name has a '.' segment")),
                ".." => return Err(invalid("the name has a '..' segment")),
                _ => {}
            }
        }
        if s.split('/').next() == Some(RESERVED_TEMP_DIR) {
            return Err(invalid(
                "the name is inside '.tabvault-tmp', reserved for temporary files",
            ));
        }
        Ok(RepoPath(s.to_string()))
    }

    /// The name as a `/`-separated string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This name followed by `/` and `segment`; `segment` may itself contain `/`, and the result
    /// is validated like [`RepoPath::parse`].
    pub fn join(&self, segment: &str) -> Result<RepoPath, RepositoryError> {
        RepoPath::parse(&format!("{}/{}", self.0, segment))
    }

    /// The segments of the name, in order.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RepoPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_names() {
        let good = [
            "a",
            "a/b",
            "snapshots/s1/meta.json",
            ".hidden",
            "a/.b/c..d",
            "...",
            "with space/ü",
            "x%y#z",
        ];
        for name in good {
            let path = RepoPath::parse(name).map_err(|e| format!("{name:?}: {e}"));
            assert_eq!(path.as_ref().map(RepoPath::as_str), Ok(name));
        }
        let long = "a/".repeat(512) + "b";
        let bad = [
            "",
            "../x",
            "a/../b",
            "..",
            ".",
            "/abs",
            "a//b",
            "a/./b",
            "a\\b",
            "x\0",
            "x\ny",
            "x\u{85}",
            "a/",
            ".tabvault-tmp/x",
            ".tabvault-tmp",
            long.as_str(),
        ];
        for name in bad {
            match RepoPath::parse(name) {
                Err(RepositoryError::InvalidName { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name:?} should be invalid, got {other:?}"),
            }
        }
        assert!(RepoPath::parse(&"a".repeat(MAX_NAME_LEN)).is_ok());
        assert!(RepoPath::parse("x/.tabvault-tmp/y").is_ok());
    }

    #[test]
    fn join_validates() {
        let base = RepoPath::parse("snapshots").expect("valid");
        assert_eq!(
            base.join("s1/info").map(|p| p.to_string()).ok(),
            Some("snapshots/s1/info".to_string())
        );
        assert!(base.join("..").is_err());
        assert!(base.join("").is_err());
        assert!(base.join("/x").is_err());
        assert_eq!(base.segments().collect::<Vec<_>>(), ["snapshots"]);
    }

    #[test]
    fn ordering_is_bytewise() {
        let mut names: Vec<RepoPath> = ["b", "a/b", "a", "A"]
            .iter()
            .filter_map(|s| RepoPath::parse(s).ok())
            .collect();
        names.sort();
        let strs: Vec<&str> = names.iter().map(RepoPath::as_str).collect();
        assert_eq!(strs, ["A", "a", "a/b", "b"]);
    }
}
