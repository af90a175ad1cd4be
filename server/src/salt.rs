//! The 20-byte scramble each connection's handshake sends for `mysql_native_password`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of a `mysql_native_password` scramble.
pub(crate) const SALT_LEN: usize = 20;

/// An unpredictable scramble of printable ASCII without `$` (as MySQL's): the standard library's
/// randomly keyed hasher (seeded from the operating system), a counter and the time, through
/// BLAKE3.
pub(crate) fn new_salt() -> [u8; SALT_LEN] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = blake3::Hasher::new();
    let mut keyed = RandomState::new().build_hasher();
    keyed.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.update(&keyed.finish().to_le_bytes());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.update(&nanos.to_le_bytes());
    let digest = hasher.finalize();
    let mut salt = [0u8; SALT_LEN];
    for (out, byte) in salt.iter_mut().zip(digest.as_bytes()) {
        let c = 0x21 + byte % 94;
        *out = if c == b'$' { b'%' } else { c };
    }
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_printable_and_differ() {
        let a = new_salt();
        let b = new_salt();
        assert_ne!(a, b);
        for c in a.iter().chain(b.iter()) {
            assert!(c.is_ascii_graphic() && *c != b'$', "{c}");
        }
    }
}
