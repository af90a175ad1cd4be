//! The 20-byte scramble each connection's handshake sends for `mysql_native_password`.

/// Length of a `mysql_native_password` scramble.
pub(crate) const SALT_LEN: usize = 20;

/// An unpredictable scramble of printable ASCII without `$` (as MySQL's), from the operating
/// system's random source. Should that source fail (it does not on Linux once booted), the
/// connection gets a scramble from a freshly keyed hasher instead of none.
pub(crate) fn new_salt() -> [u8; SALT_LEN] {
    let mut random = [0u8; SALT_LEN];
    if getrandom::fill(&mut random).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in random.chunks_mut(8) {
            let word = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
                .to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
    random.map(|byte| {
        let c = 0x21 + byte % 94;
        if c == b'$' { b'%' } else { c }
    })
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
