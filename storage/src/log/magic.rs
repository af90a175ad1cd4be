//! The eight bytes at the start of every log and checkpoint file: a six-byte format name and a
//! two-byte big-endian version. A file whose name matches but whose version is newer than this
//! build reads is refused, never rewritten.

use std::path::Path;

use crate::error::{Result, StorageError};

/// Bytes of a magic.
pub const MAGIC_LEN: usize = 8;

/// What the first bytes of a file say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    /// The file is shorter than a magic and its bytes are a prefix of it: its creation was torn.
    Torn,
    /// The format name matches; this is the version.
    Version(u16),
}

/// Checks `bytes` against the format `name` (the magic's first six bytes), accepting versions
/// `1..=newest`.
pub(crate) fn read_header(
    path: &Path,
    bytes: &[u8],
    magic: &[u8; MAGIC_LEN],
    newest: u16,
) -> Result<Header> {
    if bytes.len() < MAGIC_LEN && magic.starts_with(bytes) {
        return Ok(Header::Torn);
    }
    let name = &magic[..MAGIC_LEN - 2];
    if bytes.len() < MAGIC_LEN || &bytes[..MAGIC_LEN - 2] != name {
        return Err(StorageError::Corrupted {
            path: path.to_owned(),
            detail: format!(
                "does not start with the {} magic; nothing was changed",
                String::from_utf8_lossy(&name[..name.len() - 1])
            ),
        });
    }
    let version = u16::from_be_bytes([bytes[MAGIC_LEN - 2], bytes[MAGIC_LEN - 1]]);
    if version > newest {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_owned(),
            found: u64::from(version),
            supported: u64::from(newest),
        });
    }
    if version == 0 {
        return Err(StorageError::Corrupted {
            path: path.to_owned(),
            detail: "format version 0 does not exist".into(),
        });
    }
    Ok(Header::Version(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TVLOG\0\x00\x02";

    #[test]
    fn versions_prefixes_and_strangers() {
        let p = Path::new("f");
        assert_eq!(
            read_header(p, b"TVLOG\0\x00\x01rest", MAGIC, 2).expect("test"),
            Header::Version(1)
        );
        assert_eq!(
            read_header(p, b"TVLOG\0\x00\x02", MAGIC, 2).expect("test"),
            Header::Version(2)
        );
        assert_eq!(
            read_header(p, b"TVL", MAGIC, 2).expect("test"),
            Header::Torn
        );
        assert_eq!(read_header(p, b"", MAGIC, 2).expect("test"), Header::Torn);
        assert!(matches!(
            read_header(p, b"TVLOG\0\x00\x03", MAGIC, 2),
            Err(StorageError::UnsupportedVersion {
                found: 3,
                supported: 2,
                ..
            })
        ));
        assert!(matches!(
            read_header(p, b"PK\x03\x04zipfile", MAGIC, 2),
            Err(StorageError::Corrupted { .. })
        ));
        assert!(matches!(
            read_header(p, b"TVX", MAGIC, 2),
            Err(StorageError::Corrupted { .. })
        ));
    }
}
