//! The metadata log: the only place where commits become durable. Records are length-prefixed and
//! checksummed frames; a checkpoint holds the whole catalog so the log can start afresh.

mod frame;
mod recovery;
mod writer;

pub use frame::{FRAME_HEADER_LEN, FRAME_PAYLOAD_MAX, decode_frame, encode_frame};
pub use recovery::{recover, write_checkpoint};
pub use writer::{LogRecord, LogWriter};

/// First bytes of every log file: format name and version.
pub const LOG_MAGIC: &[u8; 8] = b"TVLOG\0\x00\x01";
/// First bytes of every checkpoint file: format name and version.
pub const CHECKPOINT_MAGIC: &[u8; 8] = b"TVCKP\0\x00\x01";
