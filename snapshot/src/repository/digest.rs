//! [`Digest`]: what a repository object's bytes hash to, the unit content addressing and
//! verification compare.

/// The size and BLAKE3 of an object's bytes, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// Bytes read.
    pub size: u64,
    /// BLAKE3 of those bytes, 64 lowercase hex digits (the form manifests and info files use).
    pub checksum: String,
}

impl Digest {
    /// The digest of everything `hasher` was fed.
    pub(crate) fn of(hasher: &blake3::Hasher) -> Self {
        Self {
            size: hasher.count(),
            checksum: hasher.finalize().to_hex().to_string(),
        }
    }
}
