//! Checkpoints: the whole catalog after record `seq`, so that older logs can be removed. Version 2
//! (written now) is a header frame `{"seq", "chunks", "bytes"}` followed by the catalog's JSON split
//! into frames of at most [`CHUNK_BYTES`]: the catalog's size has no limit. Version 1 (one frame
//! holding `{"seq", "state"}`) is still read.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::magic::{Header, MAGIC_LEN, read_header};
use super::{CHECKPOINT_MAGIC, checkpoint_file_name, decode_frame, encode_frame};
use crate::catalog::CatalogState;
use crate::crash::{CrashHook, CrashPoint};
use crate::error::{IoContext, Result, StorageError};
use crate::io::StorageIo;

/// Newest checkpoint version this build reads and writes.
const CHECKPOINT_VERSION: u16 = 2;
/// Largest chunk of catalog JSON in one frame.
const CHUNK_BYTES: usize = 64 << 20;

#[derive(Serialize, Deserialize)]
struct HeaderV2 {
    seq: u64,
    chunks: u64,
    bytes: u64,
}

#[derive(Deserialize)]
struct BodyV1 {
    seq: u64,
    state: CatalogState,
}

fn corrupted(path: &Path, detail: impl Into<String>) -> StorageError {
    StorageError::Corrupted {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

/// Reads a checkpoint: the sequence number it was taken at and the catalog.
pub(crate) fn load_checkpoint(path: &Path) -> Result<(u64, CatalogState)> {
    let bytes = fs::read(path).io_context(|| format!("reading {}", path.display()))?;
    let version = match read_header(path, &bytes, CHECKPOINT_MAGIC, CHECKPOINT_VERSION)? {
        Header::Version(v) => v,
        Header::Torn => return Err(corrupted(path, "checkpoint is shorter than its magic")),
    };
    let mut rest = &bytes[MAGIC_LEN..];
    let mut next_frame = |what: &str| -> Result<&[u8]> {
        let (payload, len) = decode_frame(rest)
            .ok_or_else(|| corrupted(path, format!("checkpoint {what} fails its checksum")))?;
        rest = &rest[len..];
        Ok(payload)
    };
    if version == 1 {
        let body: BodyV1 = serde_json::from_slice(next_frame("frame")?)
            .map_err(|e| corrupted(path, format!("checkpoint does not parse: {e}")))?;
        return Ok((body.seq, body.state));
    }
    let header: HeaderV2 = serde_json::from_slice(next_frame("header")?)
        .map_err(|e| corrupted(path, format!("checkpoint header does not parse: {e}")))?;
    let mut json = Vec::with_capacity(usize::try_from(header.bytes).unwrap_or(0).min(1 << 30));
    for i in 0..header.chunks {
        json.extend_from_slice(next_frame(&format!("chunk {i}"))?);
    }
    if json.len() as u64 != header.bytes || !rest.is_empty() {
        return Err(corrupted(
            path,
            format!(
                "checkpoint holds {} catalog bytes, header says {}",
                json.len(),
                header.bytes
            ),
        ));
    }
    let state = serde_json::from_slice(&json)
        .map_err(|e| corrupted(path, format!("checkpoint catalog does not parse: {e}")))?;
    Ok((header.seq, state))
}

/// Writes the checkpoint of `state` after record `seq` durably. The caller has already started
/// the log that follows it; removing what the checkpoint makes obsolete is the caller's next step.
pub fn write_checkpoint(
    io: &dyn StorageIo,
    meta_dir: &Path,
    state: &CatalogState,
    seq: u64,
    hook: Option<&CrashHook>,
) -> Result<()> {
    let path = meta_dir.join(checkpoint_file_name(seq));
    let bytes = encode_checkpoint(&path, state, seq, CHUNK_BYTES)?;
    io.write_file_durable(&path, &bytes)?;
    if let Some(hook) = hook {
        hook(CrashPoint::DuringCheckpoint);
    }
    Ok(())
}

/// The bytes of a version-2 checkpoint with chunks of at most `chunk_bytes`.
fn encode_checkpoint(
    path: &Path,
    state: &CatalogState,
    seq: u64,
    chunk_bytes: usize,
) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(state)
        .map_err(|e| corrupted(path, format!("cannot encode checkpoint: {e}")))?;
    let chunks: Vec<&[u8]> = json.chunks(chunk_bytes).collect();
    let header = HeaderV2 {
        seq,
        chunks: chunks.len() as u64,
        bytes: json.len() as u64,
    };
    let header = serde_json::to_vec(&header)
        .map_err(|e| corrupted(path, format!("cannot encode checkpoint header: {e}")))?;
    let mut bytes = Vec::with_capacity(json.len() + 64 + chunks.len() * 12);
    bytes.extend_from_slice(CHECKPOINT_MAGIC);
    bytes.extend_from_slice(&encode_frame(&header)?);
    for chunk in chunks {
        bytes.extend_from_slice(&encode_frame(chunk)?);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Edit;

    fn catalog_with_databases(n: usize) -> CatalogState {
        let mut state = CatalogState::default();
        for i in 0..n {
            let edit = Edit::CreateDatabase {
                id: i as u64 + 1,
                name: format!("database_number_{i}"),
            };
            state.apply(&edit).expect("test");
        }
        state
    }

    #[test]
    fn a_catalog_larger_than_one_chunk_round_trips() {
        let dir = tempfile::tempdir().expect("test");
        let path = dir.path().join(checkpoint_file_name(7));
        let state = catalog_with_databases(50);
        let bytes = encode_checkpoint(&path, &state, 7, 100).expect("test");
        std::fs::write(&path, &bytes).expect("test");
        let (seq, loaded) = load_checkpoint(&path).expect("test");
        assert_eq!(seq, 7);
        assert_eq!(
            serde_json::to_string(&loaded).expect("test"),
            serde_json::to_string(&state).expect("test")
        );
        // A lost chunk is detected, not silently read as a shorter catalog.
        let (_, header_len) = decode_frame(&bytes[MAGIC_LEN..]).expect("test");
        let header_end = MAGIC_LEN + header_len;
        let (_, chunk_len) = decode_frame(&bytes[header_end..]).expect("test");
        let mut missing = bytes[..header_end].to_vec();
        missing.extend_from_slice(&bytes[header_end + chunk_len..]);
        std::fs::write(&path, &missing).expect("test");
        assert!(load_checkpoint(&path).is_err());
    }

    #[test]
    fn version_one_checkpoints_are_still_read() {
        let dir = tempfile::tempdir().expect("test");
        let path = dir.path().join(checkpoint_file_name(3));
        let state = catalog_with_databases(2);
        let body = serde_json::json!({ "seq": 3, "state": state });
        let mut bytes = b"TVCKP\0\x00\x01".to_vec();
        bytes.extend_from_slice(
            &encode_frame(&serde_json::to_vec(&body).expect("test")).expect("test"),
        );
        std::fs::write(&path, &bytes).expect("test");
        let (seq, loaded) = load_checkpoint(&path).expect("test");
        assert_eq!((seq, loaded.databases.len()), (3, 2));
    }
}
