//! Goal: a repository's retention policy (issue 14) and DROP SNAPSHOT's StarRocks WHERE forms drop
//! exactly the snapshots they name, never one a running RESTORE reads or the one just written,
//! and never a data file a remaining snapshot references.
//! Method: real services on temp directories with a manual clock; after each step the test lists
//! the repository's snapshots and verifies every remaining one (every data file present with its
//! size and BLAKE3). A `Gate` holds a RESTORE while it provably runs. No sleeps.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::*;
use tabvault_snapshot::{
    FileStatus, RestoreRequest, SnapshotSelection, SnapshotService, TimestampBound, TimestampOp,
};
use tabvault_storage::{Engine, ManualClock};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

const DAY_MS: u64 = 86_400_000;

/// The labels in the repository, each checked whole by VERIFY.
fn snapshots(s: &SnapshotService) -> R<BTreeSet<String>> {
    let mut labels = BTreeSet::new();
    for listing in s.repository("repo")?.list_snapshots()? {
        let rows = s.verify_snapshot("repo", &listing.name, None)?;
        assert!(
            rows.iter().all(|r| r.status == FileStatus::Ok),
            "{}: {rows:?}",
            listing.name
        );
        labels.insert(listing.name);
    }
    Ok(labels)
}

fn labels(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The data files below the repository's `data/`.
fn data_files(repo: &Path) -> BTreeSet<String> {
    files_under(&repo.join("data")).into_iter().collect()
}

/// A service over `data` whose clock the test moves, with `db` populated and a repository `repo`
/// at `location` created with `properties`.
fn service(
    data: &Path,
    location: &Path,
    properties: &[(&str, &str)],
) -> R<(SnapshotService, Arc<ManualClock>, Gate)> {
    let clock = Arc::new(ManualClock::new(T0_MS));
    let gate = Gate::default();
    let s = gated_service(data, clock.clone(), &gate)?;
    populate(s.engine(), "db")?;
    s.create_repository(
        "repo",
        location.to_str().ok_or("path")?,
        &options(properties),
        false,
        None,
    )?;
    Ok((s, clock, gate))
}

/// New rows in `db.t`, so the next snapshot has a data file of its own.
fn change(engine: &Engine, db: &str, tag: &str) -> R {
    engine.append(db, "t", rows(300..310, tag))?;
    Ok(())
}

#[test]
fn keep_last_drops_the_oldest_and_only_their_own_files() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (s, clock, _gate) = service(data.path(), repo.path(), &[("retention.keep_last", "2")])?;
    backup_database(&s, "db", "repo", "s1")?;
    let s1_files = data_files(repo.path());
    clock.advance(1_000);
    // Table pk's files are s1's alone from now on.
    s.engine().drop_table("db", "pk", false)?;
    change(s.engine(), "db", "b")?;
    backup_database(&s, "db", "repo", "s2")?;
    clock.advance(1_000);
    change(s.engine(), "db", "c")?;
    backup_database(&s, "db", "repo", "s3")?;
    assert_eq!(snapshots(&s)?, labels(&["s2", "s3"]));
    // s2 and s3 still share t's files with s1 (snapshots() verified them); pk's are gone.
    let left = data_files(repo.path());
    assert!(
        s1_files.iter().any(|f| left.contains(f)),
        "shared files stay"
    );
    assert!(
        s1_files.iter().any(|f| !left.contains(f)),
        "s1's own file goes"
    );
    Ok(())
}

#[test]
fn keep_within_drops_what_is_older_than_the_duration() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (s, clock, _gate) = service(data.path(), repo.path(), &[("retention.keep_within", "2d")])?;
    backup_database(&s, "db", "repo", "monday")?;
    clock.advance(DAY_MS);
    change(s.engine(), "db", "b")?;
    backup_database(&s, "db", "repo", "tuesday")?;
    clock.advance(DAY_MS + 1);
    change(s.engine(), "db", "c")?;
    backup_database(&s, "db", "repo", "wednesday")?;
    assert_eq!(snapshots(&s)?, labels(&["tuesday", "wednesday"]));
    // Long after, the newest is still kept: it is the snapshot just written.
    clock.advance(30 * DAY_MS);
    backup_database(&s, "db", "repo", "later")?;
    assert_eq!(snapshots(&s)?, labels(&["later"]));
    Ok(())
}

#[test]
fn keep_last_counts_each_database_apart_and_survives_a_restart() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    {
        let (s, clock, _gate) = service(data.path(), repo.path(), &[("retention.keep_last", "1")])?;
        populate(s.engine(), "other")?;
        backup_database(&s, "db", "repo", "db1")?;
        clock.advance(1_000);
        backup_database(&s, "other", "repo", "other1")?;
        clock.advance(1_000);
        backup_database(&s, "other", "repo", "other2")?;
        assert_eq!(snapshots(&s)?, labels(&["db1", "other2"]));
    }
    // Reopened: the policy was kept in repositories.json with the repository.
    let clock = Arc::new(ManualClock::new(T0_MS + 10_000));
    let s = SnapshotService::open(Engine::builder(data.path()).clock(clock).open()?)?;
    backup_database(&s, "db", "repo", "db2")?;
    assert_eq!(snapshots(&s)?, labels(&["db2", "other2"]));
    Ok(())
}

#[test]
fn a_snapshot_being_restored_is_neither_expired_nor_dropped() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (s, clock, gate) = service(data.path(), repo.path(), &[("retention.keep_last", "1")])?;
    backup_database(&s, "db", "repo", "s1")?;
    let timestamp = s.repository("repo")?.list_snapshots()?[0].timestamps[0].clone();
    populate(s.engine(), "copy")?;
    let held = gate.hold_job(Some("s1"), "DOWNLOADING");
    let restore = s.restore(&RestoreRequest {
        database: "copy".into(),
        snapshot: "s1".into(),
        repository: "repo".into(),
        objects: vec![],
        options: tabvault_snapshot::RestoreOptions::at(&timestamp),
    })?;
    held.reached()?;
    assert_eq!(
        err_text(s.drop_snapshot("repo", "s1")),
        "Snapshot s1 is being restored; drop it when the RESTORE has ended"
    );
    clock.advance(1_000);
    backup_database(&s, "db", "repo", "s2")?;
    assert_eq!(snapshots(&s)?, labels(&["s1", "s2"]));
    held.release();
    assert_finished(&restore.wait());
    clock.advance(1_000);
    backup_database(&s, "db", "repo", "s3")?;
    assert_eq!(snapshots(&s)?, labels(&["s3"]));
    Ok(())
}

#[test]
fn invalid_retention_properties_are_refused_at_create() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let location = repo.path().to_str().ok_or("path")?;
    for (key, value) in [
        ("retention.keep_last", "0"),
        ("retention.keep_within", "forever"),
    ] {
        let err = err_text(
            RepositoryOptions::from_properties(&props(&[(key, value)]))
                .and_then(|options| s.create_repository("r", location, &options, false, None)),
        );
        assert!(
            err.starts_with(&format!(
                "Failed to create repository: Invalid {key} value: {value};"
            )),
            "{err}"
        );
    }
    assert!(s.repositories().is_empty());
    Ok(())
}

#[test]
fn drop_by_timestamp_and_by_list() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (s, clock, _gate) = service(data.path(), repo.path(), &[])?;
    for label in ["a", "b", "c", "d"] {
        change(s.engine(), "db", label)?;
        backup_database(&s, "db", "repo", label)?;
        clock.advance(DAY_MS);
    }
    let c_time = s
        .repository("repo")?
        .list_snapshots()?
        .into_iter()
        .find(|l| l.name == "c")
        .ok_or("c")?
        .timestamps[0]
        .clone();
    let older_than_c = SnapshotSelection {
        names: None,
        timestamp: Some(TimestampBound {
            op: TimestampOp::AtMost,
            timestamp: c_time[..19].to_owned(),
        }),
    };
    assert_eq!(
        s.drop_snapshots("repo", &older_than_c, false)?,
        ["a", "b", "c"]
    );
    assert_eq!(snapshots(&s)?, labels(&["d"]));
    let list = SnapshotSelection {
        names: Some(vec!["d".into(), "gone".into()]),
        timestamp: None,
    };
    assert_eq!(
        err_text(s.drop_snapshots("repo", &list, false)),
        "Snapshot gone does not exist in repository"
    );
    assert_eq!(
        snapshots(&s)?,
        labels(&["d"]),
        "a missing name drops nothing"
    );
    assert_eq!(s.drop_snapshots("repo", &list, true)?, ["d"]);
    assert!(snapshots(&s)?.is_empty());
    assert!(data_files(repo.path()).is_empty(), "no snapshot, no data");
    Ok(())
}
