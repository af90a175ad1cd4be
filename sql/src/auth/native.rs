//! MySQL's `mysql_native_password` for the wire protocol (`tabvault serve`): the user store keeps
//! `SHA1(SHA1(password))` beside its salted BLAKE3 hash, and a login proves knowledge of the
//! password with the client's scramble `SHA1(password) XOR SHA1(salt + SHA1(SHA1(password)))`.
//!
//! Users whose password was set before the native hash was stored cannot log in over the protocol
//! until the user is created again.

use std::sync::Arc;

use sha1::{Digest, Sha1};

use crate::auth::UserStore;
use crate::database::Database;
use crate::error::{Result, SqlError};
use crate::process::ProcessHandle;
use crate::session::Session;

/// `SHA1(SHA1(password))` in lower-case hex: what the store keeps for a password.
pub(crate) fn stored_hash(password: &str) -> String {
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    stage2.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `scramble` answers `salt` for the password whose stored hash is `stored_hex`.
fn scramble_matches(stored_hex: &str, salt: &[u8], scramble: &[u8]) -> bool {
    let Some(stored) = decode_hex(stored_hex) else {
        return false;
    };
    if scramble.len() != stored.len() {
        return false;
    }
    let mut hasher = Sha1::new();
    hasher.update(salt);
    hasher.update(&stored);
    let mask = hasher.finalize();
    let stage1: Vec<u8> = scramble
        .iter()
        .zip(mask.iter())
        .map(|(a, b)| a ^ b)
        .collect();
    let candidate = Sha1::digest(&stage1);
    // Compare without an early exit.
    candidate
        .iter()
        .zip(stored.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl UserStore {
    /// Checks a `mysql_native_password` login: `scramble` is the client's answer to the 20-byte
    /// `salt` the server sent. A user without a password must send an empty answer.
    pub fn verify_native(&self, user: &str, salt: &[u8], scramble: &[u8]) -> bool {
        match self.native_credentials(user) {
            None => false,
            Some((false, _)) => scramble.is_empty(),
            Some((true, Some(stored))) => scramble_matches(stored, salt, scramble),
            Some((true, None)) => false,
        }
    }
}

impl Database {
    /// A session of `user` after a `mysql_native_password` login (see
    /// [`UserStore::verify_native`]); [`SqlError::Login`] when it fails.
    pub fn native_session(
        &self,
        user: &str,
        salt: &[u8],
        scramble: &[u8],
        process: Arc<ProcessHandle>,
    ) -> Result<Session> {
        if self.users().verify_native(user, salt, scramble) {
            Ok(Session::new(self.clone(), user.to_owned(), process))
        } else {
            Err(SqlError::Login(user.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::NewPassword;

    /// What a client computes from the password and the server's salt.
    fn client_scramble(password: &str, salt: &[u8]) -> Vec<u8> {
        let stage1 = Sha1::digest(password.as_bytes());
        let stage2 = Sha1::digest(stage1);
        let mut hasher = Sha1::new();
        hasher.update(salt);
        hasher.update(stage2);
        let mask = hasher.finalize();
        stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
    }

    #[test]
    fn native_logins_check_the_scramble() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = UserStore::open(dir.path()).expect("open");
        store
            .create_user("alice", Some(&NewPassword::Plain("s3cret".into())), false)
            .expect("create");
        store.create_user("nopw", None, false).expect("create");
        let salt = b"0123456789abcdefghij";
        assert!(store.verify_native("alice", salt, &client_scramble("s3cret", salt)));
        assert!(!store.verify_native("alice", salt, &client_scramble("wrong", salt)));
        assert!(!store.verify_native(
            "alice",
            b"another-salt-of-20b!",
            &client_scramble("s3cret", salt)
        ));
        assert!(!store.verify_native("alice", salt, b""));
        assert!(!store.verify_native("alice", salt, b"short"));
        assert!(store.verify_native("nopw", salt, b""));
        assert!(store.verify_native("root", salt, b""));
        assert!(!store.verify_native("nopw", salt, &client_scramble("x", salt)));
        assert!(!store.verify_native("nobody", salt, b""));
        let text = std::fs::read_to_string(dir.path().join(crate::auth::USERS_FILE)).expect("file");
        assert!(!text.contains("s3cret"));
        assert!(text.contains(&stored_hash("s3cret")));
    }

    #[test]
    fn stored_hash_is_mysqls() {
        // MySQL's PASSWORD('password') = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19.
        assert_eq!(
            stored_hash("password"),
            "2470c0c06dee42fd1618bb99005adca2ec9d1e19"
        );
    }
}
