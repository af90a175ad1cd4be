//! tabvault-snapshot: snapshots, repositories and BACKUP/RESTORE jobs (being built).

mod repository;
pub use repository::{FaultPlan, RepoPath, RepositoryError, RepositoryStore, TransferMethod};
