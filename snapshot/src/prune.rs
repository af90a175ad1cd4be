//! Removing snapshots from a repository: which ones a DROP SNAPSHOT selects (StarRocks' WHERE
//! forms) or a retention policy expires, and the one path both take to remove them. Removal
//! deletes a snapshot's info and meta files, then — only when no other job uses the repository —
//! the data files no remaining manifest or lease references ([`Repository::remove_unreferenced_data`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::{Result, SnapshotError};
use crate::job::{Job, JobKind};
use crate::repository::{Repository, SnapshotListing};
use crate::retention::SnapshotAge;
use crate::service::ServiceInner;
use crate::timefmt::is_snapshot_timestamp;

/// How DROP SNAPSHOT's `TIMESTAMP` condition compares a snapshot's timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampOp {
    /// `TIMESTAMP = 'ts'`.
    Equal,
    /// `TIMESTAMP <= 'ts'`: taken at or before.
    AtMost,
    /// `TIMESTAMP >= 'ts'`: taken at or after.
    AtLeast,
}

/// A `TIMESTAMP <op> 'ts'` condition. `ts` is `yyyy-MM-dd-HH-mm-ss` or `yyyy-MM-dd-HH-mm-ss-SSS`;
/// a snapshot's timestamp is compared at the precision given, so `<= '2024-05-01-10-00-00'`
/// includes every snapshot taken within that second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampBound {
    /// The comparison.
    pub op: TimestampOp,
    /// The timestamp compared with.
    pub timestamp: String,
}

/// The snapshots a DROP SNAPSHOT names: those in `names` (every snapshot when `None`) whose
/// timestamp satisfies `timestamp` (any when `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotSelection {
    /// `SNAPSHOT = 's'` or `SNAPSHOT IN ('a', 'b')`.
    pub names: Option<Vec<String>>,
    /// `TIMESTAMP <op> 'ts'`.
    pub timestamp: Option<TimestampBound>,
}

impl TimestampBound {
    fn check(&self) -> Result<()> {
        let t = &self.timestamp;
        if is_snapshot_timestamp(t) || is_snapshot_timestamp(&format!("{t}-000")) {
            Ok(())
        } else {
            Err(SnapshotError::InvalidTimestamp(t.clone()))
        }
    }

    fn matches(&self, snapshot_timestamp: &str) -> bool {
        let at_precision = snapshot_timestamp
            .get(..self.timestamp.len())
            .unwrap_or(snapshot_timestamp);
        let order = at_precision.cmp(self.timestamp.as_str());
        match self.op {
            TimestampOp::Equal => order.is_eq(),
            TimestampOp::AtMost => order.is_le(),
            TimestampOp::AtLeast => order.is_ge(),
        }
    }
}

impl SnapshotSelection {
    /// The labels selected among `listed`, sorted. A named snapshot that is not listed is an
    /// error unless `if_exists`; then nothing is selected at all, so a typo drops nothing.
    fn choose(&self, listed: &[SnapshotListing], if_exists: bool) -> Result<Vec<String>> {
        if let Some(bound) = &self.timestamp {
            bound.check()?;
        }
        let by_name: BTreeMap<&str, &SnapshotListing> =
            listed.iter().map(|l| (l.name.as_str(), l)).collect();
        if let Some(names) = &self.names {
            let missing: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| !by_name.contains_key(n))
                .collect();
            if !missing.is_empty() && !if_exists {
                return Err(SnapshotError::SnapshotNotFound(missing.join(", ")));
            }
        }
        let named = |name: &str| {
            self.names
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == name))
        };
        let in_time = |listing: &SnapshotListing| match (&self.timestamp, listing.timestamps.last())
        {
            (None, _) => true,
            (Some(bound), Some(newest)) => bound.matches(newest),
            (Some(_), None) => false,
        };
        Ok(by_name
            .into_values()
            .filter(|l| named(&l.name) && in_time(l))
            .map(|l| l.name.clone())
            .collect())
    }
}

/// DROP SNAPSHOT: removes the snapshots `selection` names from `repository`; returns their
/// labels. Refused, dropping nothing, when one of them is being restored.
pub(crate) fn drop_selected(
    service: &ServiceInner,
    repository: &str,
    selection: &SnapshotSelection,
    if_exists: bool,
) -> Result<Vec<String>> {
    let repo = service.repository(repository)?;
    if repo.read_only() {
        return Err(SnapshotError::RepositoryReadOnly(repository.to_owned()));
    }
    let jobs = service.jobs.lock();
    let chosen = selection.choose(&repo.list_snapshots()?, if_exists)?;
    let restoring = restored_labels(&jobs, repository);
    if let Some(busy) = chosen.iter().find(|name| restoring.contains(*name)) {
        return Err(SnapshotError::SnapshotInUse(busy.clone()));
    }
    remove(service, &repo, &jobs, &chosen, None)?;
    Ok(chosen)
}

/// Applies `repository`'s retention policy, if it has one, after the BACKUP `job` published
/// `written` there: drops the snapshots the policy no longer keeps, never `written` itself, one
/// a running RESTORE reads, or one whose info file cannot be read (reported, not judged).
/// Returns the labels dropped.
pub(crate) fn apply_retention(
    service: &ServiceInner,
    repository: &str,
    written: &str,
    job: &Arc<Job>,
) -> Result<Vec<String>> {
    let repo = service.repository(repository)?;
    let Some(policy) = repo.retention() else {
        return Ok(Vec::new());
    };
    let jobs = service.jobs.lock();
    let mut pinned = restored_labels(&jobs, repository);
    pinned.insert(written.to_owned());
    let mut ages = Vec::new();
    for listing in repo.list_snapshots()? {
        let Some(timestamp) = listing.timestamps.last() else {
            continue;
        };
        match repo.read_info(&listing.name, timestamp) {
            Ok(info) => ages.push(SnapshotAge {
                name: listing.name,
                database: info.database,
                backup_time_ms: info.backup_time_ms,
            }),
            Err(e) => {
                tracing::warn!(snapshot = %listing.name, error = %e, "retention keeps a snapshot whose info file cannot be read");
            }
        }
    }
    let expired = policy.expired(&ages, &pinned, service.now_ms());
    remove(service, &repo, &jobs, &expired, Some(job.id()))?;
    Ok(expired)
}

/// Labels that running RESTORE jobs read from `repository`.
fn restored_labels(jobs: &BTreeMap<u64, Arc<Job>>, repository: &str) -> BTreeSet<String> {
    jobs.values()
        .filter(|j| !j.is_done())
        .map(|j| j.record())
        .filter(|r| r.kind == JobKind::Restore && r.repository == repository)
        .map(|r| r.label)
        .collect()
}

/// Deletes `labels` from `repo`, then its unreferenced data files unless a running job other than
/// `finishing` uses the repository (that job's manifest may not be written yet).
fn remove(
    service: &ServiceInner,
    repo: &Repository,
    jobs: &BTreeMap<u64, Arc<Job>>,
    labels: &[String],
    finishing: Option<u64>,
) -> Result<()> {
    if labels.is_empty() {
        return Ok(());
    }
    for label in labels {
        let kept = repo.delete_snapshot(label)?;
        if !kept.is_empty() {
            let kept: Vec<&str> = kept.iter().map(|p| p.as_str()).collect();
            tracing::warn!(
                snapshot = %label,
                ?kept,
                "kept files in the dropped snapshot's directories that tabvault did not write"
            );
        }
    }
    let busy = jobs
        .values()
        .any(|j| !j.is_done() && Some(j.id()) != finishing && j.record().repository == repo.name());
    if !busy {
        let removed = repo.remove_unreferenced_data(service.now_ms())?;
        tracing::info!(
            files = removed,
            "removed repository data no snapshot references"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(name: &str, timestamp: &str) -> SnapshotListing {
        SnapshotListing {
            name: name.into(),
            timestamps: vec![timestamp.into()],
            invalid: vec![],
        }
    }

    fn listed() -> Vec<SnapshotListing> {
        vec![
            listing("a", "2024-05-01-10-00-00-500"),
            listing("b", "2024-05-01-10-00-01-000"),
            listing("c", "2024-05-02-00-00-00-000"),
        ]
    }

    fn at(op: TimestampOp, timestamp: &str) -> Option<TimestampBound> {
        Some(TimestampBound {
            op,
            timestamp: timestamp.into(),
        })
    }

    fn names(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|n| (*n).to_owned()).collect())
    }

    #[test]
    fn timestamps_compare_at_the_precision_given() -> Result<()> {
        let pick = |timestamp| {
            SnapshotSelection {
                names: None,
                timestamp,
            }
            .choose(&listed(), false)
        };
        assert_eq!(pick(at(TimestampOp::AtMost, "2024-05-01-10-00-00"))?, ["a"]);
        assert_eq!(
            pick(at(TimestampOp::AtMost, "2024-05-01-10-00-00-499"))?,
            Vec::<String>::new()
        );
        assert_eq!(
            pick(at(TimestampOp::AtLeast, "2024-05-01-10-00-01"))?,
            ["b", "c"]
        );
        assert_eq!(pick(at(TimestampOp::Equal, "2024-05-02-00-00-00"))?, ["c"]);
        for bad in ["2024-05-01", "2024-05-01 10:00:00", "2024-05-01-10-00-00-5"] {
            let err = pick(at(TimestampOp::AtMost, bad)).expect_err(bad);
            assert!(matches!(err, SnapshotError::InvalidTimestamp(_)), "{err}");
        }
        Ok(())
    }

    #[test]
    fn a_missing_name_drops_nothing_unless_if_exists() -> Result<()> {
        let selection = SnapshotSelection {
            names: names(&["a", "nope", "c"]),
            timestamp: None,
        };
        let err = selection
            .choose(&listed(), false)
            .expect_err("nope is missing");
        assert_eq!(
            err.to_string(),
            "Snapshot nope does not exist in repository"
        );
        assert_eq!(selection.choose(&listed(), true)?, ["a", "c"]);
        let both = SnapshotSelection {
            names: names(&["a", "c"]),
            timestamp: at(TimestampOp::AtLeast, "2024-05-02-00-00-00"),
        };
        assert_eq!(both.choose(&listed(), false)?, ["c"]);
        Ok(())
    }
}
