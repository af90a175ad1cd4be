//! Fuzz body: arbitrary bytes as a metadata-log frame and record. Decoding and applying must fail
//! cleanly or succeed; a decoded record must re-encode to a frame that decodes to the same payload.
//! The same bytes as a whole log file must make recovery fail or succeed, never panic.

use tabvault_storage::whitebox::{LogRecord, apply_edit, decode_frame, encode_frame};
use tabvault_storage::{CatalogState, Engine};

/// Runs one input.
pub fn run(data: &[u8]) {
    if let Some((payload, len)) = decode_frame(data) {
        assert!(len <= data.len());
        let again = encode_frame(payload).expect("a decoded payload is within the limit");
        assert_eq!(decode_frame(&again).map(|(p, _)| p), Some(payload));
        if let Ok(record) = serde_json::from_slice::<LogRecord>(payload) {
            let mut state = CatalogState::default();
            for edit in &record.edits {
                if apply_edit(&mut state, edit).is_err() {
                    break;
                }
            }
        }
    }
    // Whole-file recovery: magic plus the bytes as the first log.
    let Ok(dir) = tempfile::tempdir() else { return };
    let meta = dir.path().join("meta");
    if std::fs::create_dir_all(&meta).is_err() {
        return;
    }
    let mut file = b"TVLOG\0\0\x01".to_vec();
    file.extend_from_slice(data);
    if std::fs::write(meta.join("log-00000000000000000001.tvlog"), &file).is_err() {
        return;
    }
    let _ = Engine::open(dir.path());
}
