//! Named points in the durable-write protocols where a test may stop the process, to prove that a
//! crash at any of them loses no acknowledged commit and shows no half commit.

use std::sync::Arc;

/// A place in a write protocol. The engine calls the installed [`CrashHook`] with each point it
/// passes; production engines install none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrashPoint {
    /// A rowset's temporary file is about to be created.
    BeforeTempWrite,
    /// A rowset's temporary file is written and fsync'd, not yet renamed.
    AfterTempWrite,
    /// A rowset file has been renamed into place (not yet published).
    AfterRename,
    /// Half of a metadata-log record has been written.
    MidLogAppend,
    /// A metadata-log record has been written and fsync'd: the commit is durable.
    AfterLogSync,
    /// Compaction has written its merged file but not published it.
    DuringCompaction,
    /// A checkpoint file has been written but older logs are not yet removed.
    DuringCheckpoint,
}

#[cfg(feature = "whitebox")]
impl CrashPoint {
    /// Every point, for tests that iterate over them.
    pub const ALL: [CrashPoint; 7] = [
        Self::BeforeTempWrite,
        Self::AfterTempWrite,
        Self::AfterRename,
        Self::MidLogAppend,
        Self::AfterLogSync,
        Self::DuringCompaction,
        Self::DuringCheckpoint,
    ];
}

/// Called at every [`CrashPoint`] the engine passes; a test hook may kill the process there.
pub type CrashHook = Arc<dyn Fn(CrashPoint) + Send + Sync>;
