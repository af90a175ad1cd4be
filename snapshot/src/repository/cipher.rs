//! Client-side encryption of a repository's objects (CREATE REPOSITORY's `encryption` and
//! `encryption.key_file` properties): every object but the marker is sealed with an authenticated
//! cipher before it leaves the process, and opened after it comes back, so the repository's
//! location only ever holds ciphertext and names that reveal no content hash.
//!
//! # Format (version 1)
//!
//! ```text
//! "TVENC001"            8 bytes   magic and format version
//! salt                  32 bytes  random per object: the object's key is derived from it
//! chunk*                          the plaintext in 1 MiB chunks (the last may be shorter, and is
//!                                 empty for an empty object), each sealed with its 16-byte tag
//! ```
//!
//! An object's key is `BLAKE3-keyed(data key, salt)`, so no two objects share a key and each
//! chunk's 96-bit nonce can simply be its index (big-endian, 8 bytes) followed by a last-chunk
//! flag (4 bytes): reordering, dropping or appending chunks fails authentication, as does any
//! flipped bit. The data key, the key that addresses content and the key-check value are derived
//! from the 32-byte master key with BLAKE3's key derivation, each under its own context.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

use super::error::RepositoryError;

/// Property naming the cipher: `aes-256-gcm` or `chacha20-poly1305`.
pub const ENCRYPTION: &str = "encryption";
/// Property naming the file that holds the 32-byte master key (raw, or 64 hex digits).
pub const ENCRYPTION_KEY_FILE: &str = "encryption.key_file";

const MAGIC: &[u8; 8] = b"TVENC001";
const SALT_LEN: usize = 32;
const HEADER_LEN: u64 = (MAGIC.len() + SALT_LEN) as u64;
const CHUNK: usize = 1 << 20;
const TAG_LEN: u64 = 16;

/// An authenticated cipher a repository can be encrypted with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// AES-256 in Galois/Counter Mode (fast where the CPU has AES instructions).
    Aes256Gcm,
    /// ChaCha20 with Poly1305 (fast everywhere in software).
    ChaCha20Poly1305,
}

impl Algorithm {
    /// The name CREATE REPOSITORY's `encryption` property gives.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes-256-gcm",
            Self::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// The algorithm a property value names.
    pub fn named(name: &str) -> Option<Self> {
        [Self::Aes256Gcm, Self::ChaCha20Poly1305]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// One repository's keys, loaded from its key file. Never printed: `Debug` shows the algorithm
/// and the key-check value only.
pub struct RepositoryKey {
    algorithm: Algorithm,
    data_key: [u8; 32],
    address_key: [u8; 32],
    check: String,
}

impl std::fmt::Debug for RepositoryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepositoryKey")
            .field("algorithm", &self.algorithm)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

/// A chunk sealer for one object.
enum Sealer {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Sealer {
    fn nonce(index: u64, last: bool) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&index.to_be_bytes());
        nonce[8..].copy_from_slice(&u32::from(last).to_be_bytes());
        nonce
    }

    fn seal(&self, index: u64, last: bool, chunk: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        let nonce = Self::nonce(index, last);
        match self {
            Self::Aes(c) => c.encrypt(aes_gcm::Nonce::from_slice(&nonce), chunk),
            Self::ChaCha(c) => c.encrypt(chacha20poly1305::Nonce::from_slice(&nonce), chunk),
        }
    }

    fn open(&self, index: u64, last: bool, sealed: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        let nonce = Self::nonce(index, last);
        match self {
            Self::Aes(c) => c.decrypt(aes_gcm::Nonce::from_slice(&nonce), sealed),
            Self::ChaCha(c) => c.decrypt(chacha20poly1305::Nonce::from_slice(&nonce), sealed),
        }
    }
}

impl RepositoryKey {
    /// Loads the master key from `key_file` (exactly 32 bytes, or 64 hex digits with optional
    /// surrounding whitespace) for `algorithm`.
    pub fn load(algorithm: Algorithm, key_file: &Path) -> Result<Self, RepositoryError> {
        let invalid = |why: String| RepositoryError::Encryption(why);
        let bytes = std::fs::read(key_file).map_err(|e| {
            invalid(format!(
                "cannot read the key file {}: {e}",
                key_file.display()
            ))
        })?;
        let master: [u8; 32] = match bytes.len() {
            32 => bytes.as_slice().try_into().ok(),
            _ => std::str::from_utf8(&bytes)
                .ok()
                .map(str::trim)
                .filter(|t| t.len() == 64)
                .and_then(|t| {
                    (0..32)
                        .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok())
                        .collect::<Option<Vec<u8>>>()
                })
                .and_then(|v| v.try_into().ok()),
        }
        .ok_or_else(|| {
            invalid(format!(
                "the key file {} must hold a 32-byte key: 32 raw bytes or 64 hex digits",
                key_file.display()
            ))
        })?;
        Ok(Self::from_master(algorithm, &master))
    }

    fn from_master(algorithm: Algorithm, master: &[u8; 32]) -> Self {
        let check = blake3::derive_key("tabvault repository encryption v1 key check", master);
        RepositoryKey {
            algorithm,
            data_key: blake3::derive_key("tabvault repository encryption v1 data", master),
            address_key: blake3::derive_key("tabvault repository encryption v1 address", master),
            check: blake3::hash(&check).to_hex().to_string(),
        }
    }

    /// The cipher.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// A value that tells whether a key is the repository's without revealing it: the marker
    /// records it, and opening with another key fails with a clear error.
    pub fn check_value(&self) -> &str {
        &self.check
    }

    /// The name under which content with plaintext BLAKE3 `checksum` is stored: a keyed hash, so
    /// equal content still shares one object but the location does not reveal content hashes.
    pub fn address(&self, checksum: &str) -> String {
        blake3::keyed_hash(&self.address_key, checksum.as_bytes())
            .to_hex()
            .to_string()
    }

    fn sealer(&self, salt: &[u8; SALT_LEN]) -> Sealer {
        let key = blake3::keyed_hash(&self.data_key, salt);
        let key = key.as_bytes();
        match self.algorithm {
            Algorithm::Aes256Gcm => Sealer::Aes(Box::new(Aes256Gcm::new(
                aes_gcm::Key::<Aes256Gcm>::from_slice(key),
            ))),
            Algorithm::ChaCha20Poly1305 => Sealer::ChaCha(Box::new(ChaCha20Poly1305::new(
                chacha20poly1305::Key::from_slice(key),
            ))),
        }
    }

    /// The plaintext size of a sealed object of `sealed` bytes, or `None` when no object of that
    /// size can be one this format wrote.
    pub fn plaintext_size(sealed: u64) -> Option<u64> {
        let body = sealed.checked_sub(HEADER_LEN)?;
        let per_chunk = CHUNK as u64 + TAG_LEN;
        let chunks = body.div_ceil(per_chunk).max(1);
        let plain = body.checked_sub(chunks * TAG_LEN)?;
        (sealed_size(plain) == sealed).then_some(plain)
    }

    /// Seals `plaintext`.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, RepositoryError> {
        let mut out =
            Vec::with_capacity(usize::try_from(sealed_size(plaintext.len() as u64)).unwrap_or(0));
        let mut reader = plaintext;
        self.seal_to(&mut reader, &mut out, "object")?;
        Ok(out)
    }

    /// Opens a sealed object `what` (named in errors).
    pub fn open(&self, sealed: &[u8], what: &str) -> Result<Vec<u8>, RepositoryError> {
        let mut out = Vec::with_capacity(sealed.len());
        let mut reader = sealed;
        self.open_to(&mut reader, &mut out, what)?;
        Ok(out)
    }

    /// Seals the file `src` into a new file `dest`.
    pub fn seal_file(&self, src: &Path, dest: &Path) -> Result<(), RepositoryError> {
        let what = src.display().to_string();
        let mut reader = BufReader::new(File::open(src).map_err(|e| io(&what, &e))?);
        let file = File::create(dest).map_err(|e| io(&dest.display().to_string(), &e))?;
        let mut writer = BufWriter::new(file);
        self.seal_to(&mut reader, &mut writer, &what)?;
        let file = writer
            .into_inner()
            .map_err(|e| io(&dest.display().to_string(), e.error()))?;
        file.sync_all()
            .map_err(|e| io(&dest.display().to_string(), &e))
    }

    /// Opens the sealed file `src` (object `what`) into a new file `dest`.
    pub fn open_file(&self, src: &Path, dest: &Path, what: &str) -> Result<(), RepositoryError> {
        let mut reader =
            BufReader::new(File::open(src).map_err(|e| io(&src.display().to_string(), &e))?);
        let file = File::create(dest).map_err(|e| io(&dest.display().to_string(), &e))?;
        let mut writer = BufWriter::new(file);
        self.open_to(&mut reader, &mut writer, what)?;
        let file = writer
            .into_inner()
            .map_err(|e| io(&dest.display().to_string(), e.error()))?;
        file.sync_all()
            .map_err(|e| io(&dest.display().to_string(), &e))
    }

    fn seal_to(
        &self,
        reader: &mut dyn Read,
        writer: &mut dyn Write,
        what: &str,
    ) -> Result<(), RepositoryError> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt)
            .map_err(|e| RepositoryError::Encryption(format!("no randomness for a salt: {e}")))?;
        let sealer = self.sealer(&salt);
        writer.write_all(MAGIC).map_err(|e| io(what, &e))?;
        writer.write_all(&salt).map_err(|e| io(what, &e))?;
        let mut current = read_chunk(reader, what)?;
        let mut index = 0u64;
        loop {
            let next = if current.len() == CHUNK {
                read_chunk(reader, what)?
            } else {
                Vec::new()
            };
            let last = current.len() < CHUNK || next.is_empty();
            let sealed = sealer
                .seal(index, last, &current)
                .map_err(|_| RepositoryError::Encryption(format!("cannot encrypt {what}")))?;
            writer.write_all(&sealed).map_err(|e| io(what, &e))?;
            if last {
                return Ok(());
            }
            current = next;
            index += 1;
        }
    }

    fn open_to(
        &self,
        reader: &mut dyn Read,
        writer: &mut dyn Write,
        what: &str,
    ) -> Result<(), RepositoryError> {
        let damaged = || {
            RepositoryError::Encryption(format!(
                "cannot decrypt {what}: the repository's key does not open it, or it is damaged"
            ))
        };
        let mut header = [0u8; HEADER_LEN as usize];
        reader.read_exact(&mut header).map_err(|_| damaged())?;
        if &header[..MAGIC.len()] != MAGIC {
            return Err(damaged());
        }
        let salt: [u8; SALT_LEN] = header[MAGIC.len()..].try_into().map_err(|_| damaged())?;
        let sealer = self.sealer(&salt);
        let sealed_chunk = CHUNK + TAG_LEN as usize;
        let mut current = read_exactly_up_to(reader, sealed_chunk, what)?;
        let mut index = 0u64;
        loop {
            let next = if current.len() == sealed_chunk {
                read_exactly_up_to(reader, sealed_chunk, what)?
            } else {
                Vec::new()
            };
            let last = next.is_empty();
            let plain = sealer.open(index, last, &current).map_err(|_| damaged())?;
            writer.write_all(&plain).map_err(|e| io(what, &e))?;
            if last {
                return Ok(());
            }
            current = next;
            index += 1;
        }
    }
}

/// The size of the sealed form of `plain` bytes.
fn sealed_size(plain: u64) -> u64 {
    let chunks = plain.div_ceil(CHUNK as u64).max(1);
    HEADER_LEN + plain + chunks * TAG_LEN
}

fn read_chunk(reader: &mut dyn Read, what: &str) -> Result<Vec<u8>, RepositoryError> {
    read_exactly_up_to(reader, CHUNK, what)
}

/// Up to `len` bytes: fewer only at the end of the input.
fn read_exactly_up_to(
    reader: &mut dyn Read,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, RepositoryError> {
    let mut buf = Vec::with_capacity(len);
    reader
        .take(len as u64)
        .read_to_end(&mut buf)
        .map_err(|e| io(what, &e))?;
    Ok(buf)
}

fn io(what: &str, e: &std::io::Error) -> RepositoryError {
    RepositoryError::Encryption(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(algorithm: Algorithm, byte: u8) -> RepositoryKey {
        RepositoryKey::from_master(algorithm, &[byte; 32])
    }

    #[test]
    fn sealed_objects_open_with_their_key_only() -> Result<(), RepositoryError> {
        for algorithm in [Algorithm::Aes256Gcm, Algorithm::ChaCha20Poly1305] {
            let k = key(algorithm, 7);
            for len in [0, 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5] {
                let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let sealed = k.seal(&plain)?;
                assert_eq!(sealed.len() as u64, sealed_size(len as u64));
                assert_eq!(
                    RepositoryKey::plaintext_size(sealed.len() as u64),
                    Some(len as u64)
                );
                assert_eq!(k.open(&sealed, "o")?, plain);
                if len <= 1 {
                    assert_ne!(k.seal(&plain)?, sealed, "a fresh salt per object");
                }
                let err = key(algorithm, 8).open(&sealed, "o").expect_err("wrong key");
                assert!(err.to_string().contains("does not open it"), "{err}");
                if len > 0 {
                    // A dropped last chunk (or any truncation) never opens.
                    let cut = &sealed[..sealed.len() - 1];
                    assert!(k.open(cut, "o").is_err());
                }
            }
        }
        Ok(())
    }

    #[test]
    fn every_flipped_bit_is_detected() -> Result<(), RepositoryError> {
        let k = key(Algorithm::ChaCha20Poly1305, 1);
        let sealed = k.seal(b"tabvault")?;
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(k.open(&bad, "o").is_err(), "bit flip at byte {i}");
        }
        Ok(())
    }

    #[test]
    fn sizes_that_no_sealed_object_has_are_refused() {
        assert_eq!(RepositoryKey::plaintext_size(0), None);
        assert_eq!(RepositoryKey::plaintext_size(HEADER_LEN + 15), None);
        assert_eq!(RepositoryKey::plaintext_size(HEADER_LEN + 16), Some(0));
        let one_chunk = HEADER_LEN + CHUNK as u64 + TAG_LEN;
        assert_eq!(RepositoryKey::plaintext_size(one_chunk), Some(CHUNK as u64));
        assert_eq!(RepositoryKey::plaintext_size(one_chunk + 16), None);
        assert_eq!(
            RepositoryKey::plaintext_size(one_chunk + 17),
            Some(CHUNK as u64 + 1)
        );
    }

    #[test]
    fn addresses_depend_on_the_key_and_algorithm_names_round_trip() {
        let a = key(Algorithm::Aes256Gcm, 1);
        let b = key(Algorithm::Aes256Gcm, 2);
        let checksum = "ab".repeat(32);
        assert_eq!(a.address(&checksum).len(), 64);
        assert_ne!(a.address(&checksum), b.address(&checksum));
        assert_ne!(a.address(&checksum), checksum);
        assert_ne!(a.check_value(), b.check_value());
        for algorithm in [Algorithm::Aes256Gcm, Algorithm::ChaCha20Poly1305] {
            assert_eq!(Algorithm::named(algorithm.name()), Some(algorithm));
        }
        assert_eq!(Algorithm::named("rot13"), None);
    }
}
