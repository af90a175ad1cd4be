//! Goal: repository and job safety (issue 10): tabvault deletes only what it wrote itself.
//! Method: real services on temp directories; foreign files, leases and manifests are planted by
//! hand where another tool or another engine would put them, then the destructive step runs (DROP
//! SNAPSHOT's cleanup, start-up cleanup, a backup publishing) and the test checks what is left.
//! A `Gate` state hook holds a backup in a state to act while it provably runs. No sleeps.
//! Pins: every test here failed before the fix — cleanup removed every unreferenced file under
//! `data/` and ignored unfinished backups, start-up removed `snapshots/` and `staging/` whole,
//! READ ONLY repositories created `.tabvault-tmp/`, an unopenable repository vanished from the
//! registry, one torn job file stopped the engine from opening.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use tabvault_snapshot::{
    BackupRequest, JobKind, JobRecord, ObjectSpec, RepoPath, RestoreRequest, SnapshotService,
};
use tabvault_storage::{Engine, ManualClock};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Starts a BACKUP of `db` (only `only`, when given) to `repo`.
fn start_backup(
    s: &SnapshotService,
    repo: &str,
    snapshot: &str,
    only: Option<&str>,
) -> Result<Arc<tabvault_snapshot::Job>, tabvault_snapshot::SnapshotError> {
    s.backup(&BackupRequest {
        database: "db".into(),
        snapshot: snapshot.into(),
        repository: repo.into(),
        objects: only
            .map(|name| ObjectSpec {
                name: name.into(),
                partitions: None,
                alias: None,
            })
            .into_iter()
            .collect(),
        options: Default::default(),
    })
}

/// Runs a BACKUP of `db` (only `only`, when given) to `repo` and waits for it to finish.
fn backup(s: &SnapshotService, repo: &str, snapshot: &str, only: Option<&str>) -> R<JobRecord> {
    let record = start_backup(s, repo, snapshot, only)?.wait();
    assert_finished(&record);
    Ok(record)
}

/// A service over `data` with a local repository `repo` at `location`, running a BACKUP `s1` of
/// all of `db` that is held on reaching job state `state`.
fn backup_held_at(
    data: &Path,
    location: &Path,
    state: &str,
) -> R<(SnapshotService, Held, Arc<tabvault_snapshot::Job>)> {
    let gate = Gate::default();
    let s = gated_service(data, Arc::new(ManualClock::new(T0_MS)), &gate)?;
    populate(s.engine(), "db")?;
    local_repo(&s, "repo", location)?;
    let held = gate.hold(state);
    let job = start_backup(&s, "repo", "s1", None)?;
    held.reached()?;
    Ok((s, held, job))
}

fn data_files(repo: &Path) -> BTreeSet<String> {
    files_under(&repo.join("data"))
        .into_iter()
        .map(|f| format!("data/{f}"))
        .collect()
}

/// A repository at `repo` holding `small` (table `pk` only) and then `big` (everything): returns
/// the data files of `small` and those only `big` needs.
fn two_snapshots(s: &SnapshotService, repo: &Path) -> R<(BTreeSet<String>, BTreeSet<String>)> {
    populate(s.engine(), "db")?;
    local_repo(s, "repo", repo)?;
    backup(s, "repo", "small", Some("pk"))?;
    let small = data_files(repo);
    backup(s, "repo", "big", None)?;
    let big_only: BTreeSet<String> = data_files(repo).difference(&small).cloned().collect();
    assert!(!big_only.is_empty(), "the table t adds files");
    Ok((small, big_only))
}

fn plant(root: &Path, rel: &str, content: &[u8]) -> R {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().ok_or("parent")?)?;
    std::fs::write(path, content)?;
    Ok(())
}

fn now_ms() -> R<u64> {
    Ok(u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?)
}

#[test]
fn cleanup_deletes_only_content_addressed_files() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let (small, big_only) = two_snapshots(&s, repo.path())?;
    // Names a person or another tool could put under data/, some close to ours.
    let sample = big_only.iter().next().ok_or("a file")?.clone();
    let (stem, _) = sample.rsplit_once('-').ok_or("size")?;
    let foreign: BTreeSet<String> = [
        "data/notes.txt".to_owned(),
        "data/ab/notes.parquet".to_owned(),
        format!("{stem}-0{}", &sample[stem.len() + 1..]),
        format!("{sample}.bak"),
        format!("data/x/{}", &sample["data/".len()..]),
    ]
    .into_iter()
    .collect();
    for file in &foreign {
        plant(repo.path(), file, b"not tabvault's")?;
    }
    s.drop_snapshot("repo", "big")?;
    let expected: BTreeSet<String> = small.union(&foreign).cloned().collect();
    assert_eq!(data_files(repo.path()), expected);
    Ok(())
}

#[test]
fn cleanup_keeps_files_an_unpublished_manifest_names() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let (small, big_only) = two_snapshots(&s, repo.path())?;
    // Another engine's backup between SAVE_META and UPLOAD_INFO: a manifest without an info file.
    std::fs::create_dir_all(repo.path().join("snapshots/pending"))?;
    std::fs::copy(
        repo.path().join("snapshots/big/meta.json"),
        repo.path().join("snapshots/pending/meta.json"),
    )?;
    s.drop_snapshot("repo", "big")?;
    let expected: BTreeSet<String> = small.union(&big_only).cloned().collect();
    assert_eq!(data_files(repo.path()), expected);
    Ok(())
}

#[test]
fn cleanup_keeps_leased_files_until_the_lease_expires() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let (small, big_only) = two_snapshots(&s, repo.path())?;
    let files: Vec<&String> = big_only.iter().collect();
    let (held, expired) = files.split_at(files.len() / 2 + 1);
    let lease = |created: u64, files: &[&String]| {
        serde_json::json!({
            "format_version": 1, "label": "other", "job_id": 7, "create_time_ms": created,
            "timeout_s": 86400, "files": files,
        })
        .to_string()
    };
    // Another engine's running backup, and one that died long ago (past deadline and grace).
    plant(
        repo.path(),
        "leases/other-7-00000000000000aa.json",
        lease(now_ms()?, held).as_bytes(),
    )?;
    plant(
        repo.path(),
        "leases/other-8-00000000000000bb.json",
        lease(1_000, expired).as_bytes(),
    )?;
    s.drop_snapshot("repo", "big")?;
    let expected: BTreeSet<String> = small
        .iter()
        .cloned()
        .chain(held.iter().map(|f| (*f).clone()))
        .collect();
    assert_eq!(data_files(repo.path()), expected);
    // Leases are only ever removed by their own job: cleanup left both.
    assert_eq!(files_under(&repo.path().join("leases")).len(), 2);
    Ok(())
}

#[test]
fn an_unreadable_lease_stops_cleanup_before_it_deletes() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let (small, big_only) = two_snapshots(&s, repo.path())?;
    plant(repo.path(), "leases/torn-1-00.json", b"{\"format_vers")?;
    let err = err_text(s.drop_snapshot("repo", "big"));
    assert!(err.contains("leases/torn-1-00.json"), "{err}");
    let expected: BTreeSet<String> = small.union(&big_only).cloned().collect();
    assert_eq!(data_files(repo.path()), expected);
    Ok(())
}

#[test]
fn a_backup_holds_a_lease_while_it_uploads() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (_service, held, job) = backup_held_at(data.path(), repo.path(), "UPLOADING")?;
    let leases = files_under(&repo.path().join("leases"));
    assert_eq!(leases.len(), 1, "{leases:?}");
    let lease: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.path().join("leases").join(&leases[0]))?)?;
    let leased = lease["files"].as_array().ok_or("files")?.len();
    assert!(leased > 0);
    held.release();
    assert_finished(&job.wait());
    assert_eq!(data_files(repo.path()).len(), leased);
    assert!(files_under(&repo.path().join("leases")).is_empty());
    Ok(())
}

#[test]
fn a_backup_whose_file_vanished_is_not_published() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let (s, held, job) = backup_held_at(data.path(), repo.path(), "UPLOAD_INFO")?;
    // What a cleanup racing with this backup could do to a file it reused.
    let victim = data_files(repo.path()).into_iter().next().ok_or("a file")?;
    std::fs::remove_file(repo.path().join(&victim))?;
    held.release();
    let record = job.wait();
    assert_eq!(record.state, "CANCELLED");
    let status = record.status.to_string();
    assert!(
        status.contains(&victim) && status.contains("missing from the repository"),
        "{status}"
    );
    assert!(!s.repository("repo")?.has_snapshot("s1")?);
    assert!(files_under(&repo.path().join("leases")).is_empty());
    Ok(())
}

/// Every entry below `dir` (directories too) with its size, modification time and mode.
fn tree(dir: &Path) -> R<Vec<(PathBuf, u64, std::time::SystemTime, u32)>> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((
                path,
                meta.len(),
                meta.modified()?,
                meta.permissions().mode(),
            ));
        }
    }
    out.sort();
    Ok(out)
}

#[test]
fn a_read_only_repository_never_writes_to_its_location() -> R {
    use std::os::unix::fs::PermissionsExt;
    let repo = tempfile::tempdir()?;
    {
        let data = tempfile::tempdir()?;
        let s = service_in(data.path())?;
        populate(s.engine(), "db")?;
        local_repo(&s, "repo", repo.path())?;
        backup(&s, "repo", "s1", None)?;
    }
    // Only what a repository holds for good: no temporary directory to hide a write in.
    std::fs::remove_dir_all(repo.path().join(".tabvault-tmp"))?;
    std::fs::set_permissions(repo.path(), std::fs::Permissions::from_mode(0o555))?;
    let before = tree(repo.path())?;
    let location = repo.path().to_str().ok_or("path")?;
    let data = tempfile::tempdir()?;
    {
        let s = service_in(data.path())?;
        s.create_repository("ro", location, &RepositoryOptions::default(), true, None)?;
        let listed = s.repository("ro")?.list_snapshots()?;
        assert_eq!(listed.len(), 1);
        let ts = listed[0].timestamps[0].clone();
        let job = s.restore(&RestoreRequest {
            database: "db".into(),
            snapshot: "s1".into(),
            repository: "ro".into(),
            objects: vec![],
            options: tabvault_snapshot::RestoreOptions::at(&ts),
        })?;
        assert_finished(&job.wait());
        assert_eq!(
            err_text(s.drop_snapshot("ro", "s1")),
            "Repository ro is read only"
        );
        let store = s.repository("ro")?.store().clone();
        let err = err_text(store.put_bytes(&RepoPath::parse("x")?, bytes::Bytes::new()));
        assert!(err.contains("read-only"), "{err}");
        assert!(
            store
                .delete(&RepoPath::parse("tabvault-repository.json")?)
                .is_err()
        );
    }
    // Reopened from the registry, still nothing written.
    let s = service_in(data.path())?;
    assert_eq!(s.repository_rows()[0].error, None);
    drop(s);
    std::fs::set_permissions(repo.path(), std::fs::Permissions::from_mode(0o755))?;
    assert_eq!(tree(repo.path())?, before);
    // A fresh, empty directory stays empty.
    let empty = tempfile::tempdir()?;
    s_create_read_only(data.path(), empty.path())?;
    assert_eq!(std::fs::read_dir(empty.path())?.count(), 0);
    Ok(())
}

fn s_create_read_only(data: &Path, location: &Path) -> R {
    let s = service_in(data)?;
    s.create_repository(
        "fresh",
        location.to_str().ok_or("path")?,
        &RepositoryOptions::default(),
        true,
        None,
    )?;
    Ok(())
}

#[test]
fn an_unopenable_repository_stays_registered_and_says_why() -> R {
    let data = tempfile::tempdir()?;
    let parent = tempfile::tempdir()?;
    let here = parent.path().join("r");
    let away = parent.path().join("moved");
    {
        let s = service_in(data.path())?;
        populate(s.engine(), "db")?;
        local_repo(&s, "gone", &here)?;
        backup(&s, "gone", "s1", None)?;
    }
    std::fs::rename(&here, &away)?;
    {
        let s = service_in(data.path())?;
        let rows = s.repository_rows();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let (_, err_msg) = rows[0].error.clone().ok_or("ErrMsg")?;
        assert!(err_msg.contains("does not exist"), "{err_msg}");
        let err = err_text(start_backup(&s, "gone", "s2", None));
        assert!(err.starts_with("Repository gone is unavailable: "), "{err}");
        assert!(err_text(s.repository("gone")).contains("unavailable"));
        // Saving the registry (another CREATE) keeps it.
        let other = tempfile::tempdir()?;
        local_repo(&s, "other", other.path())?;
    }
    std::fs::rename(&away, &here)?;
    {
        let s = service_in(data.path())?;
        assert_eq!(s.repository_rows().len(), 2);
        assert!(s.repository("gone")?.has_snapshot("s1")?);
    }
    std::fs::rename(&here, &away)?;
    let s = service_in(data.path())?;
    s.drop_repository("gone")?;
    let rows = s.repository_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "other");
    drop(s);
    assert_eq!(service_in(data.path())?.repository_rows().len(), 1);
    Ok(())
}

#[test]
fn start_up_removes_only_job_directories() -> R {
    let data = tempfile::tempdir()?;
    drop(service_in(data.path())?);
    let root = data.path();
    for rel in [
        "snapshots/keep-me/a.txt",
        "snapshots/0017/x",
        "snapshots/17/files/x",
        "staging/notes.txt",
        "staging/23/x",
    ] {
        plant(root, rel, b"x")?;
    }
    drop(service_in(root)?);
    assert_eq!(
        files_under(&root.join("snapshots")),
        vec!["0017/x".to_owned(), "keep-me/a.txt".to_owned()]
    );
    assert_eq!(files_under(&root.join("staging")), vec!["notes.txt"]);
    Ok(())
}

#[test]
fn a_torn_job_file_is_set_aside_and_the_engine_opens() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    {
        let s = service_in(data.path())?;
        populate(s.engine(), "db")?;
        local_repo(&s, "repo", repo.path())?;
        backup(&s, "repo", "s1", None)?;
    }
    let jobs = data.path().join("jobs");
    let saved = std::fs::read_dir(&jobs)?
        .next()
        .ok_or("a job file")??
        .path();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(saved)?)?;
    assert_eq!(saved["format_version"], 1);
    std::fs::write(jobs.join("job-00000000000000000098.json"), b"")?;
    std::fs::write(
        jobs.join("job-00000000000000000099.json"),
        b"{\"id\": 99, \"kin",
    )?;
    let s = service_in(data.path())?;
    assert_eq!(s.jobs(JobKind::Backup, Some("db")).len(), 1);
    drop(s);
    let mut names = files_under(&jobs);
    names.retain(|n| n.contains("0009"));
    assert_eq!(
        names,
        vec![
            "job-00000000000000000098.json.corrupt",
            "job-00000000000000000099.json.corrupt"
        ]
    );
    Ok(())
}

#[test]
fn files_of_a_newer_format_are_refused_by_name() -> R {
    let data = tempfile::tempdir()?;
    drop(service_in(data.path())?);
    let job = data.path().join("jobs/job-00000000000000000005.json");
    std::fs::write(&job, br#"{"format_version": 2, "id": 5}"#)?;
    let err = err_text(service_in(data.path()));
    assert!(
        err.contains("job-00000000000000000005.json") && err.contains("format version 2"),
        "{err}"
    );
    std::fs::remove_file(&job)?;
    std::fs::write(
        data.path().join("repositories.json"),
        br#"{"format_version": 3, "repositories": []}"#,
    )?;
    let err = err_text(service_in(data.path()));
    assert!(
        err.contains("repositories.json") && err.contains("format version 3"),
        "{err}"
    );
    Ok(())
}

#[test]
fn locations_that_overlap_are_refused() -> R {
    let data = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let create = |name: &str, location: &str| {
        s.create_repository(name, location, &RepositoryOptions::default(), false, None)
    };
    assert_eq!(
        err_text(create("r", "")),
        "You must specify a location on the repository"
    );
    let data_dir = data.path().to_str().ok_or("path")?;
    assert!(err_text(create("r", data_dir)).contains("is the data directory"));
    let inside = data.path().join("jobs/../r");
    assert!(err_text(create("r", inside.to_str().ok_or("path")?)).contains("lies inside"));
    let above = data.path().parent().ok_or("parent")?;
    assert!(err_text(create("r", above.to_str().ok_or("path")?)).contains("contains"));
    // Through a symbolic link: canonical paths are compared.
    let links = tempfile::tempdir()?;
    std::os::unix::fs::symlink(data.path(), links.path().join("l"))?;
    let linked = links.path().join("l/sub");
    assert!(err_text(create("r", linked.to_str().ok_or("path")?)).contains("lies inside"));

    let repo = tempfile::tempdir()?;
    let repo_text = repo.path().to_str().ok_or("path")?;
    create("a", repo_text)?;
    for clash in [
        repo_text.to_owned(),
        format!("{repo_text}/sub"),
        format!("file://{repo_text}"),
    ] {
        let err = err_text(create("b", &clash));
        assert!(err.contains("of repository a"), "{clash}: {err}");
    }
    let n = std::process::id();
    create("m", &format!("memory://safety-{n}/a"))?;
    for clash in [
        format!("memory://safety-{n}/a/b"),
        format!("memory://safety-{n}"),
    ] {
        assert!(err_text(create("b", &clash)).contains("of repository m"));
    }
    create("m2", &format!("memory://safety-{n}/ab"))?;

    // Someone else's files: refused, and left untouched.
    let foreign = tempfile::tempdir()?;
    plant(foreign.path(), "photos/cat.jpg", b"meow")?;
    let before = tree(foreign.path())?;
    for read_only in [false, true] {
        let err = err_text(s.create_repository(
            "f",
            foreign.path().to_str().ok_or("path")?,
            &RepositoryOptions::default(),
            read_only,
            None,
        ));
        assert!(
            err.contains("is not empty and holds no tabvault repository"),
            "{err}"
        );
    }
    assert_eq!(tree(foreign.path())?, before);
    Ok(())
}

#[test]
fn an_object_prefix_with_foreign_objects_is_refused() -> R {
    let data = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    let location = format!("memory://safety-objects-{}/p", std::process::id());
    let store = tabvault_snapshot::RepositoryStore::open(&location, &RepositoryOptions::default())?;
    store.put_bytes(
        &RepoPath::parse("theirs.csv")?,
        bytes::Bytes::from_static(b"1"),
    )?;
    let err =
        err_text(s.create_repository("r", &location, &RepositoryOptions::default(), false, None));
    assert!(
        err.contains("is not empty and holds no tabvault repository"),
        "{err}"
    );
    Ok(())
}

/// A repository on `Engine::open` default settings keeps working across the checks (attach).
#[test]
fn attaching_to_an_existing_repository_still_works() -> R {
    let repo = tempfile::tempdir()?;
    let location = repo.path().to_str().ok_or("path")?.to_owned();
    for _ in 0..2 {
        let data = tempfile::tempdir()?;
        let s = SnapshotService::open(Engine::open(data.path())?)?;
        s.create_repository("r", &location, &RepositoryOptions::default(), false, None)?;
    }
    Ok(())
}
