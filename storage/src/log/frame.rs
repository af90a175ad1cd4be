//! The frame: `[payload length: u32 LE][checksum: u64 LE][payload]`, where the checksum is the first
//! eight bytes (little-endian) of the payload's BLAKE3 hash.

use crate::error::{Result, StorageError};

/// Bytes before the payload.
pub const FRAME_HEADER_LEN: usize = 12;
/// Largest payload a frame may carry (256 MiB); a larger length read back is damage, and a larger
/// record is refused before anything is written.
pub const FRAME_PAYLOAD_MAX: usize = 256 << 20;

/// Encodes one frame around `payload`, or refuses a payload over [`FRAME_PAYLOAD_MAX`].
pub fn encode_frame(payload: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|_| payload.len() <= FRAME_PAYLOAD_MAX)
        .ok_or_else(|| {
            StorageError::TooLarge(format!(
                "a metadata record of {} bytes exceeds the limit of {FRAME_PAYLOAD_MAX} bytes; \
                 split the change into smaller statements (or compact tables with many files)",
                payload.len()
            ))
        })?;
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Decodes the frame at the start of `bytes`: the payload and the frame's total length, or `None`
/// when the bytes are incomplete or fail the checksum (a torn or damaged frame).
pub fn decode_frame(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let len_bytes: [u8; 4] = bytes.get(0..4)?.try_into().ok()?;
    let sum_bytes: [u8; 8] = bytes.get(4..FRAME_HEADER_LEN)?.try_into().ok()?;
    let len = usize::try_from(u32::from_le_bytes(len_bytes)).ok()?;
    if len > FRAME_PAYLOAD_MAX {
        return None;
    }
    let payload = bytes.get(FRAME_HEADER_LEN..FRAME_HEADER_LEN.checked_add(len)?)?;
    (checksum(payload) == u64::from_le_bytes(sum_bytes))
        .then_some((payload, FRAME_HEADER_LEN + len))
}

fn checksum(payload: &[u8]) -> u64 {
    let hash = blake3::hash(payload);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frame = encode_frame(b"hello").expect("test");
        assert_eq!(decode_frame(&frame), Some((&b"hello"[..], frame.len())));
    }

    #[test]
    fn torn_and_flipped_frames_are_rejected() {
        let frame = encode_frame(b"payload bytes").expect("test");
        for cut in 0..frame.len() {
            assert_eq!(decode_frame(&frame[..cut]), None, "cut at {cut}");
        }
        for i in 0..frame.len() {
            let mut bad = frame.clone();
            bad[i] ^= 0x40;
            assert_eq!(decode_frame(&bad), None, "flip at {i}");
        }
    }

    #[test]
    fn oversized_payloads_are_refused_not_asserted() {
        let big = vec![b'x'; FRAME_PAYLOAD_MAX + 1];
        assert!(matches!(encode_frame(&big), Err(StorageError::TooLarge(_))));
    }
}
