//! ADMIN VERIFY SNAPSHOT (`SnapshotService::verify_snapshot`) on local and `memory://`
//! repositories: a good snapshot verifies clean, each kind of damage is reported for exactly the
//! damaged file, a damaged manifest hides its data files, verification changes nothing; and
//! BACKUP's `verify_existing` repairs a damaged data file that a plain BACKUP would reuse.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use common::{RepositoryOptions, assert_finished, err_text, populate, service_in};
use tabvault_snapshot::{
    BackupRequest, FileRole, FileStatus, RepoPath, RepositoryStore, SnapshotService, VerifyRow,
};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// A repository registered as `r`, with a second handle on its location to damage it by hand.
struct Fixture {
    service: SnapshotService,
    store: RepositoryStore,
    _dirs: Vec<tempfile::TempDir>,
}

/// A service over a populated database `db` and a repository `r` at a local directory (`memory`
/// false) or at a fresh `memory://` location.
fn fixture(memory: bool) -> R<Fixture> {
    let data = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    let mut dirs = vec![data];
    let location = if memory {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        format!("memory://verify-{}-{n}", std::process::id())
    } else {
        let repo = tempfile::tempdir()?;
        let location = repo.path().to_str().ok_or("path")?.to_owned();
        dirs.push(repo);
        location
    };
    service.create_repository("r", &location, &RepositoryOptions::default(), false, None)?;
    let store = RepositoryStore::open(&location, &RepositoryOptions::default())?;
    Ok(Fixture {
        service,
        store,
        _dirs: dirs,
    })
}

impl Fixture {
    /// Runs BACKUP `label` of `db` (re-hashing reused files when `verify_existing`) to its end;
    /// returns the files it uploaded.
    fn backup(&self, label: &str, verify_existing: bool) -> R<u64> {
        let record = self
            .service
            .backup(&BackupRequest {
                database: "db".into(),
                snapshot: label.into(),
                repository: "r".into(),
                objects: vec![],
                options: tabvault_snapshot::BackupOptions {
                    verify_existing,
                    ..Default::default()
                },
            })?
            .wait();
        assert_finished(&record);
        Ok(record.progress.files_transferred)
    }

    fn verify(&self, label: &str) -> R<Vec<VerifyRow>> {
        Ok(self.service.verify_snapshot("r", label, None)?)
    }

    /// Every object of the repository with its bytes.
    fn contents(&self) -> R<Vec<(RepoPath, Bytes)>> {
        let mut out = Vec::new();
        for (path, _) in self.store.list_all()? {
            let bytes = self.store.get_bytes(&path)?;
            out.push((path, bytes));
        }
        Ok(out)
    }

    /// Replaces object `file` by `change` of its bytes (an atomic put: a new file, so the engine's
    /// hard-linked original is never touched).
    fn damage(&self, file: &str, change: impl FnOnce(&mut Vec<u8>)) -> R {
        let path = RepoPath::parse(file)?;
        let mut bytes = self.store.get_bytes(&path)?.to_vec();
        change(&mut bytes);
        self.store.put_bytes(&path, Bytes::from(bytes))?;
        Ok(())
    }
}

fn flip_middle_byte(bytes: &mut [u8]) {
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
}

fn data_rows(rows: &[VerifyRow]) -> Vec<&VerifyRow> {
    rows.iter().filter(|r| r.role == FileRole::Data).collect()
}

/// File → status of every row that is not OK.
fn problems(rows: &[VerifyRow]) -> Vec<(String, FileStatus)> {
    rows.iter()
        .filter(|r| !r.status.is_ok())
        .map(|r| (r.file.clone(), r.status.clone()))
        .collect()
}

fn damage_is_reported_file_by_file(memory: bool) -> R {
    let f = fixture(memory)?;
    f.backup("s1", false)?;
    let rows = f.verify("s1")?;
    assert_eq!(problems(&rows), []);
    let roles: Vec<FileRole> = rows.iter().map(|r| r.role).take(2).collect();
    assert_eq!(roles, [FileRole::Info, FileRole::Meta]);
    let data = data_rows(&rows);
    let listed = f.store.list(&RepoPath::parse("data")?)?;
    assert_eq!(data.len(), listed.len(), "each distinct data file once");
    assert!(data.len() >= 3, "{rows:?}");
    for row in &data {
        let (size, checksum) = (row.size.ok_or("size")?, row.checksum.as_ref());
        assert_eq!(row.expected_size, Some(size));
        assert_eq!(row.expected_checksum.as_ref(), checksum);
        assert!(row.file.ends_with(&format!("-{size}.parquet")), "{row:?}");
    }

    let (flipped, truncated, deleted) = (&data[0].file, &data[1].file, &data[2].file);
    f.damage(flipped, |b| flip_middle_byte(b))?;
    f.damage(truncated, |b| b.truncate(b.len() - 1))?;
    f.store.delete(&RepoPath::parse(deleted)?)?;
    let before = f.contents()?;
    let rows = f.verify("s1")?;
    assert_eq!(f.contents()?, before, "verification changed the repository");
    assert_eq!(
        problems(&rows),
        [
            (flipped.clone(), FileStatus::ChecksumMismatch),
            (truncated.clone(), FileStatus::SizeMismatch),
            (deleted.clone(), FileStatus::Missing),
        ]
    );
    let missing = rows.iter().find(|r| &r.file == deleted).ok_or("row")?;
    assert_eq!((missing.size, missing.checksum.as_ref()), (None, None));

    // A damaged manifest is reported, and nothing it lists is checked.
    f.damage("snapshots/s1/meta.json", |b| flip_middle_byte(b))?;
    let rows = f.verify("s1")?;
    assert_eq!(
        problems(&rows),
        [(
            "snapshots/s1/meta.json".to_owned(),
            FileStatus::ChecksumMismatch
        )]
    );
    assert!(data_rows(&rows).is_empty(), "{rows:?}");

    // A damaged info file vouches for nothing: no META row either.
    let info = rows[0].file.clone();
    f.damage(&info, |b| b.truncate(3))?;
    let rows = f.verify("s1")?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        matches!(&rows[0].status, FileStatus::Corrupted(_)),
        "{rows:?}"
    );
    assert!(rows[0].status.to_string().starts_with("CORRUPTED: "));
    Ok(())
}

#[test]
fn damage_is_reported_file_by_file_in_a_local_repository() -> R {
    damage_is_reported_file_by_file(false)
}

#[test]
fn damage_is_reported_file_by_file_in_a_memory_repository() -> R {
    damage_is_reported_file_by_file(true)
}

#[test]
fn unknown_names_get_the_errors_restore_gives() -> R {
    let f = fixture(true)?;
    f.backup("s1", false)?;
    let timestamp = f.verify("s1")?[0].timestamp.clone();
    let only = f.service.verify_snapshot("r", "s1", Some(&timestamp))?;
    assert_eq!(only, f.verify("s1")?);
    assert_eq!(
        err_text(f.service.verify_snapshot("x", "s1", None)),
        "Repository [x] does not exist"
    );
    assert_eq!(
        err_text(f.service.verify_snapshot("r", "nope", None)),
        "Snapshot nope does not exist in repository"
    );
    for wrong in ["2000-01-01-00-00-00-000", "../meta"] {
        assert_eq!(
            err_text(f.service.verify_snapshot("r", "s1", Some(wrong))),
            format!(
                "Failed to get info of snapshot 's1' because: Snapshot s1 with timestamp \
                 {wrong} does not exist in repository. Maybe specified wrong backup timestamp"
            )
        );
    }
    Ok(())
}

fn verify_existing_repairs_a_shared_file(memory: bool) -> R {
    let f = fixture(memory)?;
    assert!(f.backup("s1", false)? > 0);
    let damaged = data_rows(&f.verify("s1")?)[0].file.clone();
    f.damage(&damaged, |b| flip_middle_byte(b))?;

    // Unchanged data: a plain BACKUP trusts name and size, reuses every file, and the damage stays.
    assert_eq!(f.backup("s2", false)?, 0);
    for label in ["s1", "s2"] {
        assert_eq!(
            problems(&f.verify(label)?),
            [(damaged.clone(), FileStatus::ChecksumMismatch)],
            "{label}"
        );
    }

    // With verify_existing the damaged file is hashed, found wrong and uploaded again.
    assert_eq!(f.backup("s3", true)?, 1);
    for label in ["s1", "s2", "s3"] {
        assert_eq!(problems(&f.verify(label)?), [], "{label}");
    }
    // Nothing left to repair: everything is reused.
    assert_eq!(f.backup("s4", true)?, 0);
    Ok(())
}

#[test]
fn verify_existing_repairs_a_shared_file_in_a_local_repository() -> R {
    verify_existing_repairs_a_shared_file(false)
}

#[test]
fn verify_existing_repairs_a_shared_file_in_a_memory_repository() -> R {
    verify_existing_repairs_a_shared_file(true)
}

#[test]
fn a_backup_without_verify_existing_reuses_files_unchecked() -> R {
    let f = fixture(true)?;
    assert_eq!(f.backup("s", false)?, f.verify("s")?.len() as u64 - 2);
    Ok(())
}
