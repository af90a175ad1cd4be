//! Fuzz body: arbitrary text as a repository name. An accepted name never escapes the repository:
//! relative, no `.`/`..`/empty segments, no backslash or control characters; joining a valid
//! segment keeps it valid.

use tabvault_snapshot::RepoPath;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = RepoPath::parse(text) else {
        return;
    };
    let s = path.as_str();
    assert!(!s.starts_with('/'), "absolute path accepted: {s:?}");
    assert!(
        !s.contains('\\') && !s.chars().any(char::is_control),
        "bad character accepted: {s:?}"
    );
    for segment in s.split('/') {
        assert!(
            !segment.is_empty() && segment != "." && segment != "..",
            "escaping segment in {s:?}"
        );
    }
    // Joining a plain segment succeeds unless it would pass the 1024-byte name limit.
    match path.join("x") {
        Ok(joined) => assert!(joined.as_str().ends_with("/x")),
        Err(_) => assert!(s.len() + 2 > 1024, "joining 'x' to {s:?} failed"),
    }
    assert!(path.join("..").is_err());
}
