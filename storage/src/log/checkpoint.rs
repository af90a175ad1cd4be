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
    let json = serde_json::to_vec(state)
        .map_err(|e| corrupted(&path, format!("cannot encode checkpoint: {e}")))?;
    let chunks: Vec<&[u8]> = json.chunks(CHUNK_BYTES).collect();
    let header = HeaderV2 {
        seq,
        chunks: chunks.len() as u64,
        bytes: json.len() as u64,
    };
    let header = serde_json::to_vec(&header)
        .map_err(|e| corrupted(&path, format!("cannot encode checkpoint header: {e}")))?;
    let mut bytes = Vec::with_capacity(json.len() + 64 + chunks.len() * 12);
    bytes.extend_from_slice(CHECKPOINT_MAGIC);
    bytes.extend_from_slice(&encode_frame(&header)?);
    for chunk in chunks {
        bytes.extend_from_slice(&encode_frame(chunk)?);
    }
    drop(json);
    io.write_file_durable(&path, &bytes)?;
    if let Some(hook) = hook {
        hook(CrashPoint::DuringCheckpoint);
    }
    Ok(())
}
