//! Goal: encrypted repositories (issue 14): the location holds only ciphertext and names that
//! reveal no content hash, content still deduplicates, BACKUP / RESTORE / VERIFY / reading in
//! place work as on a plain repository, the key is never stored, and a missing or wrong key is a
//! clear error before anything is read or written.
//! Method: real services on temp directories, both ciphers; the repository's files are inspected
//! byte by byte after a backup; keys are swapped between opens. (S3 is covered in s3.rs.)

mod common;

use std::path::{Path, PathBuf};

use common::*;
use tabvault_snapshot::{FileStatus, RestoreRequest, SnapshotService};
use tabvault_storage::ScanRequest;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Writes a key file holding `byte` repeated, as 64 hex digits.
fn key_file(dir: &Path, name: &str, byte: u8) -> R<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", format!("{byte:02x}").repeat(32)))?;
    Ok(path)
}

fn encrypted(algorithm: &str, key: &Path) -> Vec<(String, String)> {
    vec![
        ("encryption".into(), algorithm.into()),
        (
            "encryption.key_file".into(),
            key.to_string_lossy().into_owned(),
        ),
    ]
}

fn create(s: &SnapshotService, repo: &Path, properties: &[(String, String)]) -> R {
    let properties = properties
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    s.create_repository(
        "repo",
        repo.to_str().ok_or("path")?,
        &RepositoryOptions::from_properties(&properties)?,
        false,
        None,
    )?;
    Ok(())
}

#[test]
fn an_encrypted_repository_holds_only_ciphertext_and_restores() -> R {
    for algorithm in ["aes-256-gcm", "chacha20-poly1305"] {
        let data = tempfile::tempdir()?;
        let repo = tempfile::tempdir()?;
        let keys = tempfile::tempdir()?;
        let key = key_file(keys.path(), "k", 0x5a)?;
        let s = service_in(data.path())?;
        populate(s.engine(), "db")?;
        create(&s, repo.path(), &encrypted(algorithm, &key))?;
        let first = backup_database(&s, "db", "repo", "s1")?;
        assert!(first.progress.files_transferred > 0);
        assert!(
            !repo.path().join("iceberg").exists(),
            "no Iceberg view of sealed files"
        );

        // Nothing but the marker is readable: no Parquet magic, no JSON, no manifest checksum
        // in any name.
        let checksums: Vec<String> = s
            .engine()
            .pin_table("db", "t")?
            .tablet_files(&ScanRequest::all())?
            .into_iter()
            .flatten()
            .map(|f| f.meta.checksum)
            .collect();
        for file in files_under(repo.path()) {
            let bytes = std::fs::read(repo.path().join(&file))?;
            if file == "tabvault-repository.json" {
                assert!(String::from_utf8_lossy(&bytes).contains(algorithm));
                continue;
            }
            assert!(bytes.starts_with(b"TVENC001"), "{file} is not sealed");
            assert!(!bytes.windows(4).any(|w| w == b"PAR1"), "{file}");
            assert!(!bytes.windows(8).any(|w| w == b"checksum"), "{file}");
            assert!(
                checksums.iter().all(|c| !file.contains(c.as_str())),
                "{file}"
            );
        }
        // The key itself is kept nowhere: not in the repository, not in repositories.json.
        let hex_key = "5a".repeat(32);
        for dir in [repo.path(), data.path()] {
            for file in files_under(dir) {
                // The engine keeps working meanwhile (job records and temporaries are renamed
                // into place): a file gone since the listing holds nothing.
                let bytes = match std::fs::read(dir.join(&file)) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    read => read?,
                };
                let text = String::from_utf8_lossy(&bytes).into_owned();
                assert!(!text.contains(&hex_key), "{file} holds the key");
            }
        }

        // Unchanged content is not uploaded again: addresses are deterministic under one key.
        assert_eq!(
            backup_database(&s, "db", "repo", "s2")?
                .progress
                .files_transferred,
            0
        );
        let verified = s.verify_snapshot("repo", "s1", None)?;
        assert!(
            verified.iter().all(|r| r.status == FileStatus::Ok),
            "{verified:?}"
        );
        for table in ["t", "pk"] {
            let in_place = s.snapshot_table("repo", "s1", None, table)?;
            let version = in_place.version_for(&ScanRequest::all())?;
            assert_eq!(
                version_rows(&version, &ScanRequest::all())?,
                table_rows(s.engine(), "db", table)?
            );
        }
        let before = table_rows(s.engine(), "db", "t")?;
        s.engine().truncate("db", "t", None)?;
        let restore = s.restore(&RestoreRequest {
            database: "db".into(),
            snapshot: "s1".into(),
            repository: "repo".into(),
            objects: vec![],
            options: tabvault_snapshot::RestoreOptions::at(&first.timestamp),
        })?;
        assert_finished(&restore.wait());
        assert_eq!(table_rows(s.engine(), "db", "t")?, before);
        // Dropping snapshots cleans up the sealed data files like plain ones.
        s.drop_snapshot("repo", "s1")?;
        s.drop_snapshot("repo", "s2")?;
        assert!(files_under(&repo.path().join("data")).is_empty());
    }
    Ok(())
}

#[test]
fn a_missing_or_wrong_key_is_refused_before_anything_is_read() -> R {
    let data = tempfile::tempdir()?;
    let repo = tempfile::tempdir()?;
    let plain_repo = tempfile::tempdir()?;
    let keys = tempfile::tempdir()?;
    let key = key_file(keys.path(), "right", 1)?;
    let wrong = key_file(keys.path(), "wrong", 2)?;
    {
        let s = service_in(data.path())?;
        populate(s.engine(), "db")?;
        create(&s, repo.path(), &encrypted("aes-256-gcm", &key))?;
        backup_database(&s, "db", "repo", "s1")?;
        local_repo(&s, "plain", plain_repo.path())?;
    }
    let other = tempfile::tempdir()?;
    let s = service_in(other.path())?;
    let attach = |properties: Vec<(String, String)>| {
        let properties = properties.into_iter().collect();
        err_text(
            RepositoryOptions::from_properties(&properties).and_then(|options| {
                s.create_repository(
                    "again",
                    repo.path().to_str().unwrap_or_default(),
                    &options,
                    false,
                    None,
                )
            }),
        )
    };
    let err = attach(encrypted("aes-256-gcm", &wrong));
    assert!(err.contains("wrong key"), "{err}");
    let err = attach(vec![]);
    assert!(err.contains("is encrypted (aes-256-gcm)"), "{err}");
    let err = attach(encrypted("chacha20-poly1305", &key));
    assert!(
        err.contains("encrypted with aes-256-gcm, not chacha20-poly1305"),
        "{err}"
    );
    let err = attach(vec![("encryption".into(), "aes-256-gcm".into())]);
    assert!(err.contains("given together"), "{err}");
    let err = attach(vec![
        ("encryption".into(), "rot13".into()),
        (
            "encryption.key_file".into(),
            key.to_string_lossy().into_owned(),
        ),
    ]);
    assert!(err.contains("Invalid encryption value: rot13"), "{err}");
    let err = attach(vec![
        ("encryption".into(), "aes-256-gcm".into()),
        ("encryption.key_file".into(), "relative/key".into()),
    ]);
    assert!(err.contains("must be an absolute path"), "{err}");
    let mut with_iceberg = encrypted("aes-256-gcm", &key);
    with_iceberg.push(("iceberg".into(), "true".into()));
    let err = attach(with_iceberg);
    assert!(err.contains("has no Iceberg view"), "{err}");
    std::fs::write(keys.path().join("short"), b"too short")?;
    let err = attach(encrypted("aes-256-gcm", &keys.path().join("short")));
    assert!(err.contains("must hold a 32-byte key"), "{err}");
    let err = err_text(s.create_repository(
        "plain_again",
        plain_repo.path().to_str().ok_or("path")?,
        &RepositoryOptions::from_properties(&encrypted("aes-256-gcm", &key).into_iter().collect())?,
        false,
        None,
    ));
    assert!(err.contains("is not encrypted"), "{err}");
    assert!(s.repositories().is_empty());
    s.create_repository(
        "again",
        repo.path().to_str().ok_or("path")?,
        &RepositoryOptions::from_properties(&encrypted("aes-256-gcm", &key).into_iter().collect())?,
        true,
        None,
    )?;
    assert_eq!(s.repository("again")?.list_snapshots()?.len(), 1);
    drop(s);

    // The key file now holds another key: the engine opens, the repository is unavailable.
    std::fs::copy(&wrong, &key)?;
    let s = service_in(data.path())?;
    let err = err_text(s.repository("repo"));
    assert!(
        err.contains("unavailable") && err.contains("wrong key"),
        "{err}"
    );
    Ok(())
}
