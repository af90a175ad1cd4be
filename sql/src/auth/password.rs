//! How a password is kept: an Argon2id PHC string (`$argon2id$v=19$…`) with a random salt from
//! the operating system, plus, for logins over the MySQL protocol, MySQL's native hash
//! `SHA1(SHA1(password))` (see native.rs; it is password-equivalent for that protocol, which
//! docs/SERVER.md says plainly). Users of `users.json` format 1 keep their salted BLAKE3 verifier
//! until their password is next set.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use subtle::ConstantTimeEq;

use crate::error::{Result, SqlError};
use crate::parser::NewPassword;

/// The verifiers stored for one password (all `None`: no password).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verifiers {
    /// Argon2id PHC string.
    pub argon2: Option<String>,
    /// `SHA1(SHA1(password))`, lower-case hex.
    pub native: Option<String>,
}

impl Verifiers {
    /// The verifiers for `password`; an empty plain password means no password (as in MySQL).
    pub fn of(password: &NewPassword) -> Result<Self> {
        match password {
            NewPassword::Plain(p) if p.is_empty() => Ok(Self::default()),
            NewPassword::Plain(p) => Ok(Self {
                argon2: Some(argon2_hash(p)?),
                native: Some(super::native::stored_hash(p)),
            }),
            NewPassword::NativeHash(h) => Ok(Self {
                argon2: None,
                native: Some(h[1..].to_ascii_lowercase()),
            }),
        }
    }
}

fn argon2_hash(password: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| SqlError::Invalid(format!("cannot draw a random salt: {e}")))?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| SqlError::Invalid(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| SqlError::Invalid(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches an Argon2 PHC string (a malformed string matches nothing).
pub fn argon2_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Whether `password` matches a stored native hash (lower-case hex of `SHA1(SHA1(password))`).
pub fn native_matches(stored_hex: &str, password: &str) -> bool {
    let candidate = super::native::stored_hash(password);
    candidate.len() == stored_hex.len()
        && bool::from(candidate.as_bytes().ct_eq(stored_hex.as_bytes()))
}

/// Whether `password` matches a format-1 verifier: BLAKE3(salt, 0x00, password) in hex.
pub fn legacy_blake3_matches(salt: &str, stored_hex: &str, password: &str) -> bool {
    let mut hasher = blake3::Hasher::new();
    hasher.update(salt.as_bytes());
    hasher.update(&[0]);
    hasher.update(password.as_bytes());
    let candidate = hasher.finalize().to_hex();
    candidate.len() == stored_hex.len()
        && bool::from(candidate.as_bytes().ct_eq(stored_hex.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_are_salted_and_verify() {
        let a = Verifiers::of(&NewPassword::Plain("s3cret".into())).expect("hash");
        let b = Verifiers::of(&NewPassword::Plain("s3cret".into())).expect("hash");
        let (a2, b2) = (a.argon2.expect("argon2"), b.argon2.expect("argon2"));
        assert!(a2.starts_with("$argon2id$"), "{a2}");
        assert_ne!(a2, b2, "two hashes of one password share a salt");
        assert!(argon2_matches(&a2, "s3cret"));
        assert!(!argon2_matches(&a2, "s3cret "));
        assert!(!argon2_matches("not a phc string", "s3cret"));
        assert_eq!(a.native, b.native);
    }

    #[test]
    fn native_hashes_verify_the_password_they_came_from() {
        let hash = "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9";
        let verifiers = Verifiers::of(&NewPassword::NativeHash(hash.into())).expect("hash");
        assert_eq!(verifiers.argon2, None);
        // MySQL's PASSWORD('123456').
        assert!(native_matches(
            verifiers.native.as_deref().expect("native"),
            "123456"
        ));
        assert!(!native_matches(
            verifiers.native.as_deref().expect("native"),
            "1234567"
        ));
        assert_eq!(
            Verifiers::of(&NewPassword::Plain(String::new())).expect("none"),
            Verifiers::default()
        );
    }
}
