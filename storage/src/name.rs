//! Validation of user-chosen names (databases, tables, views, partitions, columns).

use crate::error::{Result, StorageError};

/// Longest accepted name, in bytes.
pub const NAME_LEN_MAX: usize = 256;

/// Accepts a name only if it cannot escape a directory or confuse a file listing: not empty, at most
/// [`NAME_LEN_MAX`] bytes, no path separators, no `.`/`..`, no control characters, no NUL.
pub fn validate_name(name: &str) -> Result<()> {
    let reject = |reason| {
        Err(StorageError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return reject("name is empty");
    }
    if name.len() > NAME_LEN_MAX {
        return reject("name is longer than 256 bytes");
    }
    if name == "." || name == ".." {
        return reject("name is a relative path component");
    }
    if name.contains(['/', '\\']) {
        return reject("name contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return reject("name contains a control character");
    }
    if name.trim() != name {
        return reject("name starts or ends with white space");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_like_names_are_rejected() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "x\0y",
            " t",
            "t\n",
            &"x".repeat(257),
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["t", "sales_2024", "Ünïcode", "a.b", "a-b c"] {
            assert!(validate_name(good).is_ok(), "{good:?} rejected");
        }
    }
}
