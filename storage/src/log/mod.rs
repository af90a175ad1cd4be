//! The metadata log: the only place where commits become durable. Records are length-prefixed and
//! checksummed frames; a checkpoint holds the whole catalog so the log can start afresh.

mod checkpoint;
mod frame;
mod magic;
mod recovery;
mod writer;

pub use checkpoint::write_checkpoint;
#[cfg(feature = "whitebox")]
pub use frame::FRAME_PAYLOAD_MAX;
pub use frame::{FRAME_HEADER_LEN, decode_frame, encode_frame};
pub(crate) use recovery::remove_obsolete;
pub use recovery::{RecoverOptions, recover};
pub use writer::{LogRecord, LogWriter};

/// First bytes of every log file: format name and version (1).
pub const LOG_MAGIC: &[u8; 8] = b"TVLOG\0\x00\x01";
/// First bytes of every checkpoint file this build writes: format name and version (2: chunked).
pub const CHECKPOINT_MAGIC: &[u8; 8] = b"TVCKP\0\x00\x02";

/// Name of the log whose first record is `first_seq`.
pub(crate) fn log_file_name(first_seq: u64) -> String {
    format!("log-{first_seq:020}.tvlog")
}

/// Name of the checkpoint of the catalog after record `seq`.
pub(crate) fn checkpoint_file_name(seq: u64) -> String {
    format!("checkpoint-{seq:020}.tvckpt")
}

/// The sequence number in a log file name.
pub(crate) fn parse_log_name(name: &str) -> Option<u64> {
    parse_seq(name, "log-", ".tvlog")
}

/// The sequence number in a checkpoint file name.
pub(crate) fn parse_checkpoint_name(name: &str) -> Option<u64> {
    parse_seq(name, "checkpoint-", ".tvckpt")
}

/// Whether `name` is a log or checkpoint file name as the engine writes them.
pub(crate) fn is_meta_file_name(name: &str) -> bool {
    parse_log_name(name).is_some() || parse_checkpoint_name(name).is_some()
}

fn parse_seq(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}
