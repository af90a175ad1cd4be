//! Leases: a running backup's claim on the data files its manifest will name. A backup writes its
//! lease (`leases/<label>-<job id>-<nonce>.json`) before it uploads or reuses any data file and
//! removes it when it ends; repository cleanup treats every leased file as referenced, so a
//! DROP SNAPSHOT in this or any other engine never deletes a file an unfinished backup counts on.
//!
//! Only the job that wrote a lease removes it (at its end, or when its engine restarts and
//! cancels it). A lease whose job is past its deadline (`create_time_ms + timeout_s`) by more than
//! [`EXPIRY_GRACE_MS`] is ignored by cleanup, never deleted: such a job can no longer commit (a
//! backup refuses to write its info file after its deadline), and the grace absorbs clock skew
//! between engines sharing a repository.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SnapshotError};
use crate::layout;
use crate::repository::{RepoPath, RepositoryStore};

/// Format version of a lease object.
pub(crate) const LEASE_FORMAT_VERSION: u32 = 1;

/// How long after its job's deadline a lease still protects its files (one hour).
pub(crate) const EXPIRY_GRACE_MS: u64 = 3_600_000;

/// The content of a lease object.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Lease {
    /// [`LEASE_FORMAT_VERSION`].
    pub format_version: u32,
    /// Snapshot name of the backup.
    pub label: String,
    /// Job id in the engine that runs it.
    pub job_id: u64,
    /// The job's submission time, ms since the epoch (the engine's clock).
    pub create_time_ms: u64,
    /// The job's timeout, seconds.
    pub timeout_s: u64,
    /// Repository paths of every data file the backup's manifest will name.
    pub files: Vec<String>,
}

impl Lease {
    fn expired(&self, now_ms: u64) -> bool {
        let deadline = self
            .create_time_ms
            .saturating_add(self.timeout_s.saturating_mul(1000))
            .saturating_add(EXPIRY_GRACE_MS);
        now_ms > deadline
    }
}

/// A fresh lease name for a backup: label, job id and a random nonce, so that two engines whose
/// job ids and labels coincide never share a lease.
pub(crate) fn new_name(label: &str, job_id: u64) -> String {
    let mut nonce = [0u8; 8];
    if getrandom::fill(&mut nonce).is_err() {
        // No OS randomness: a freshly keyed hasher still makes two engines' names differ.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(job_id);
        nonce = hasher.finish().to_le_bytes();
    }
    format!("{label}-{job_id}-{:016x}", u64::from_le_bytes(nonce))
}

/// Writes the lease `name` (before any data file is uploaded or reused).
pub(crate) fn write(store: &RepositoryStore, name: &str, lease: &Lease) -> Result<()> {
    let bytes = crate::error::json_bytes(lease, "a lease")?;
    store.put_bytes(&layout::lease_file(name)?, Bytes::from(bytes))?;
    Ok(())
}

/// Removes the lease `name` (only ever called by the job that wrote it).
pub(crate) fn remove(store: &RepositoryStore, name: &str) -> Result<()> {
    store.delete(&layout::lease_file(name)?)?;
    Ok(())
}

/// Every data file an unexpired lease in the repository holds. A lease that cannot be read, or
/// has a newer format, is an error: cleanup then deletes nothing rather than guess.
pub(crate) fn leased_files(store: &RepositoryStore, now_ms: u64) -> Result<BTreeSet<RepoPath>> {
    let mut held = BTreeSet::new();
    for (path, _) in store.list(&RepoPath::parse(layout::LEASES_DIR)?)? {
        let bytes = store.get_bytes(&path)?;
        let lease: Lease = serde_json::from_slice(&bytes)
            .map_err(|e| SnapshotError::corrupted(path.to_string(), e))?;
        if lease.format_version > LEASE_FORMAT_VERSION {
            return Err(SnapshotError::NewerFormat {
                file: path.to_string(),
                found: lease.format_version,
                supported: LEASE_FORMAT_VERSION,
            });
        }
        if lease.expired(now_ms) {
            tracing::info!(lease = %path, "ignoring a lease whose backup is past its deadline");
            continue;
        }
        for file in &lease.files {
            held.insert(RepoPath::parse(file)?);
        }
    }
    Ok(held)
}
