//! Goal: a repository snapshot's tables read in place (issue 14, `snapshot()` in SQL) give exactly
//! the rows the tables had when the snapshot was taken — PRIMARY KEY merged, partitions pruned —
//! whatever the live tables do afterwards, and a file that is missing, resized or altered is a
//! clear error, never wrong rows.
//! Method: real services; a local repository (files read where they lie) and a `memory://` one
//! (files fetched and checked); rows compared with the live tables' at backup time; repository
//! files damaged by hand afterwards. (S3 is covered in s3.rs.)

mod common;

use common::*;
use tabvault_snapshot::{RepoPath, RepositoryStore, SnapshotService};
use tabvault_storage::{CompareOp, Predicate, ScanRequest, Value};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Rows of `table` of snapshot `label` in `repo` that `request` selects, read in place.
fn snapshot_rows(
    s: &SnapshotService,
    repo: &str,
    label: &str,
    table: &str,
    request: &ScanRequest,
) -> R<Vec<Row>> {
    let in_place = s.snapshot_table(repo, label, None, table)?;
    version_rows(&in_place.version_for(request)?, request)
}

/// `k < 100`: partition p1 of table t only.
fn p1_only() -> ScanRequest {
    ScanRequest::all().filter(Predicate::new("k", CompareOp::Lt, Value::Int(100)))
}

/// The repository files of `table`'s rowsets in snapshot `label`, as listed by its manifest.
fn files_of(s: &SnapshotService, repo: &str, label: &str, table: &str, p1: bool) -> R<Vec<String>> {
    let in_place = s.snapshot_table(repo, label, None, table)?;
    let request = if p1 { p1_only() } else { ScanRequest::all() };
    let version = in_place.version_for(&request)?;
    let files = version.tablet_files(&request)?;
    Ok(files.into_iter().flatten().map(|f| f.meta.path).collect())
}

/// A service with `db` populated and backed up as `then` to a local repository `repo`: the data
/// directory, the repository directory and the service.
fn backed_up_locally() -> R<(tempfile::TempDir, tempfile::TempDir, SnapshotService)> {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    populate(s.engine(), "db")?;
    local_repo(&s, "repo", repo.path())?;
    backup_database(&s, "db", "repo", "then")?;
    Ok((data, repo, s))
}

#[test]
fn a_local_snapshot_reads_as_the_tables_were() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    populate(s.engine(), "db")?;
    local_repo(&s, "repo", repo.path())?;
    let then_t = table_rows(s.engine(), "db", "t")?;
    let then_pk = table_rows(s.engine(), "db", "pk")?;
    backup_database(&s, "db", "repo", "then")?;
    s.engine().append("db", "t", rows(0..5, "later"))?;
    s.engine().append("db", "pk", rows(0..5, "later"))?;
    s.engine().delete_keys("db", "pk", rows([10, 11], "x"))?;
    assert_ne!(table_rows(s.engine(), "db", "pk")?, then_pk);

    assert_eq!(
        snapshot_rows(&s, "repo", "then", "t", &ScanRequest::all())?,
        then_t
    );
    assert_eq!(
        snapshot_rows(&s, "repo", "then", "pk", &ScanRequest::all())?,
        then_pk
    );
    let then_p1: Vec<Row> = then_t.iter().filter(|r| r.0 < 100).cloned().collect();
    assert_eq!(snapshot_rows(&s, "repo", "then", "t", &p1_only())?, then_p1);
    // Read in place: every path the version reads is inside the repository.
    let in_place = s.snapshot_table("repo", "then", None, "t")?;
    for file in in_place
        .version_for(&ScanRequest::all())?
        .tablet_files(&ScanRequest::all())?
        .iter()
        .flatten()
    {
        assert!(
            file.path.starts_with(repo.path()),
            "{}",
            file.path.display()
        );
    }
    Ok(())
}

#[test]
fn a_damaged_local_file_is_an_error_only_for_scans_that_read_it() -> R {
    let (_data, repo, s) = backed_up_locally()?;
    let p1_files = files_of(&s, "repo", "then", "t", true)?;
    let other = files_of(&s, "repo", "then", "t", false)?
        .into_iter()
        .find(|f| !p1_files.contains(f))
        .ok_or("a file outside p1")?;
    let path = repo.path().join(&other);
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() - 1])?;
    let err = err_text(
        s.snapshot_table("repo", "then", None, "t")?
            .version_for(&ScanRequest::all()),
    );
    assert!(
        err.contains(&other) && err.contains("the manifest records"),
        "{err}"
    );
    // A scan of p1 never touches that file.
    assert!(!snapshot_rows(&s, "repo", "then", "t", &p1_only())?.is_empty());
    std::fs::remove_file(&path)?;
    let err = err_text(
        s.snapshot_table("repo", "then", None, "t")?
            .version_for(&ScanRequest::all()),
    );
    assert!(err.contains("missing from the repository"), "{err}");
    Ok(())
}

#[test]
fn a_fetched_file_is_checked_before_it_is_read() -> R {
    let data = tempfile::tempdir()?;
    let s = service_in(data.path())?;
    populate(s.engine(), "db")?;
    let location = format!("memory://in-place-{}", std::process::id());
    s.create_repository("mem", &location, &RepositoryOptions::default(), false, None)?;
    backup_database(&s, "db", "mem", "then")?;
    assert_eq!(
        snapshot_rows(&s, "mem", "then", "pk", &ScanRequest::all())?,
        table_rows(s.engine(), "db", "pk")?
    );
    // Same size, other bytes: only the BLAKE3 tells.
    let victim = files_of(&s, "mem", "then", "pk", false)?
        .into_iter()
        .next()
        .ok_or("a file")?;
    let store = RepositoryStore::open(&location, &RepositoryOptions::default())?;
    let name = RepoPath::parse(&victim)?;
    let mut bytes = store.get_bytes(&name)?.to_vec();
    bytes[0] ^= 0xff;
    store.put_bytes(&name, bytes.into())?;
    let err = err_text(
        s.snapshot_table("mem", "then", None, "pk")?
            .version_for(&ScanRequest::all()),
    );
    assert!(
        err.contains("checksum mismatch") && err.contains(&victim),
        "{err}"
    );
    Ok(())
}

#[test]
fn unknown_names_get_restore_errors() -> R {
    let (_data, _repo, s) = backed_up_locally()?;
    let open = |repo: &str, label: &str, ts: Option<&str>, table: &str| {
        err_text(s.snapshot_table(repo, label, ts, table))
    };
    assert_eq!(
        open("nowhere", "then", None, "t"),
        "Repository [nowhere] does not exist"
    );
    assert_eq!(
        open("repo", "nope", None, "t"),
        "Snapshot nope does not exist in repository"
    );
    assert_eq!(
        open("repo", "then", None, "nope"),
        "Table nope does not exist in snapshot then"
    );
    assert!(
        open("repo", "then", Some("2000-01-01-00-00-00-000"), "t")
            .starts_with("Failed to get info of snapshot 'then' because"),
    );
    Ok(())
}
