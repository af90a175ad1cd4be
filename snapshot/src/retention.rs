//! A repository's retention policy (CREATE REPOSITORY's `retention.keep_last` and
//! `retention.keep_within` properties, a tabvault extension): which snapshots survive after each
//! BACKUP to it. Deciding is a pure function of the snapshots and the clock; dropping goes through
//! DROP SNAPSHOT's path, whose cleanup never deletes a data file another snapshot references.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Result, SnapshotError};

/// Property: keep the newest N snapshots of each database (N ≥ 1).
pub const KEEP_LAST: &str = "retention.keep_last";
/// Property: keep every snapshot younger than a duration (`90s`, `30m`, `12h`, `7d`, `2w`).
pub const KEEP_WITHIN: &str = "retention.keep_within";

/// Which snapshots a repository keeps. A snapshot survives when any given rule keeps it; a policy
/// with no rule keeps everything (and is not stored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Keep the newest this many snapshots of each database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "keep_last")]
    pub keep_last: Option<u32>,
    /// Keep the snapshots taken less than this many seconds ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "keep_within_s")]
    pub keep_within_s: Option<u64>,
}

/// What retention needs to know about one snapshot in a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotAge {
    /// Snapshot label.
    pub name: String,
    /// The database it was taken of.
    pub database: String,
    /// When its BACKUP was submitted (its timestamp), ms since the epoch.
    pub backup_time_ms: u64,
}

impl RetentionPolicy {
    /// Takes the retention properties out of `properties` (leaving the location's own), or
    /// `None` when there are none. A value that is not a positive count or a duration is an error
    /// naming the property.
    pub(crate) fn take_from(properties: &mut BTreeMap<String, String>) -> Result<Option<Self>> {
        let invalid = |key: &str, value: &str, want: &str| {
            SnapshotError::CreateRepository(format!("Invalid {key} value: {value}; {want}"))
        };
        let keep_last = match properties.remove(KEEP_LAST) {
            None => None,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => return Err(invalid(KEEP_LAST, &v, "give a whole number of at least 1")),
            },
        };
        let keep_within_s = match properties.remove(KEEP_WITHIN) {
            None => None,
            Some(v) => Some(parse_duration_s(&v).ok_or_else(|| {
                invalid(
                    KEEP_WITHIN,
                    &v,
                    "give a positive number followed by s, m, h, d or w (for example 7d)",
                )
            })?),
        };
        let policy = RetentionPolicy {
            keep_last,
            keep_within_s,
        };
        Ok((policy != RetentionPolicy::default()).then_some(policy))
    }

    /// The labels of `snapshots` this policy no longer keeps at `now_ms`, never one of `pinned`
    /// (the snapshot just written, snapshots a running job reads). Sorted by name.
    pub fn expired(
        &self,
        snapshots: &[SnapshotAge],
        pinned: &BTreeSet<String>,
        now_ms: u64,
    ) -> Vec<String> {
        let mut by_database: BTreeMap<&str, Vec<&SnapshotAge>> = BTreeMap::new();
        for snapshot in snapshots {
            by_database
                .entry(&snapshot.database)
                .or_default()
                .push(snapshot);
        }
        let mut expired = Vec::new();
        for mut group in by_database.into_values() {
            // Newest first; equal times by name, so the choice never depends on listing order.
            group.sort_by(|a, b| {
                b.backup_time_ms
                    .cmp(&a.backup_time_ms)
                    .then_with(|| a.name.cmp(&b.name))
            });
            for (rank, snapshot) in group.into_iter().enumerate() {
                let by_count = self.keep_last.is_some_and(|n| rank < n as usize);
                let by_age = self.keep_within_s.is_some_and(|s| {
                    now_ms.saturating_sub(snapshot.backup_time_ms) < s.saturating_mul(1000)
                });
                if !by_count && !by_age && !pinned.contains(&snapshot.name) {
                    expired.push(snapshot.name.clone());
                }
            }
        }
        expired.sort();
        expired
    }
}

/// `<n><unit>` with unit s, m, h, d or w and n ≥ 1, in seconds.
fn parse_duration_s(text: &str) -> Option<u64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let scale = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let count: u64 = text[..text.len() - 1].parse().ok()?;
    (count >= 1).then(|| count.checked_mul(scale)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::props;

    fn age(name: &str, database: &str, backup_time_ms: u64) -> SnapshotAge {
        SnapshotAge {
            name: name.into(),
            database: database.into(),
            backup_time_ms,
        }
    }

    #[test]
    fn properties_are_taken_out_and_checked() -> Result<()> {
        let mut p = props(&[
            (KEEP_LAST, "3"),
            (KEEP_WITHIN, "2d"),
            ("aws.s3.region", "x"),
        ]);
        let policy = RetentionPolicy::take_from(&mut p)?;
        assert_eq!(
            policy,
            Some(RetentionPolicy {
                keep_last: Some(3),
                keep_within_s: Some(2 * 86_400)
            })
        );
        assert_eq!(p, props(&[("aws.s3.region", "x")]));
        assert_eq!(RetentionPolicy::take_from(&mut props(&[]))?, None);
        for (key, bad) in [
            (KEEP_LAST, "0"),
            (KEEP_LAST, "-1"),
            (KEEP_LAST, "two"),
            (KEEP_WITHIN, "7"),
            (KEEP_WITHIN, "0d"),
            (KEEP_WITHIN, "d"),
            (KEEP_WITHIN, "3y"),
            (KEEP_WITHIN, "99999999999999999999w"),
        ] {
            let err = RetentionPolicy::take_from(&mut props(&[(key, bad)]))
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains(&format!("Invalid {key} value: {bad}")),
                "{err}"
            );
        }
        Ok(())
    }

    #[test]
    fn keep_last_counts_per_database_newest_first() {
        let policy = RetentionPolicy {
            keep_last: Some(2),
            keep_within_s: None,
        };
        let snapshots = [
            age("a1", "a", 1),
            age("a2", "a", 2),
            age("a3", "a", 3),
            age("b1", "b", 1),
        ];
        assert_eq!(policy.expired(&snapshots, &BTreeSet::new(), 10), vec!["a1"]);
        let pinned = BTreeSet::from(["a1".to_owned()]);
        assert!(policy.expired(&snapshots, &pinned, 10).is_empty());
    }

    #[test]
    fn a_snapshot_survives_when_either_rule_keeps_it() {
        let policy = RetentionPolicy {
            keep_last: Some(1),
            keep_within_s: Some(60),
        };
        let now = 1_000_000;
        let snapshots = [
            age("old", "d", now - 120_000),
            age("young", "d", now - 59_000),
            age("newest", "d", now),
        ];
        assert_eq!(
            policy.expired(&snapshots, &BTreeSet::new(), now),
            vec!["old"]
        );
        let age_only = RetentionPolicy {
            keep_last: None,
            keep_within_s: Some(60),
        };
        assert_eq!(
            age_only.expired(&snapshots, &BTreeSet::new(), now + 61_000),
            vec!["newest", "old", "young"]
        );
    }
}
