//! Goal: RESTORE installs a rowset's row count and column statistics only when the data file's own
//! Parquet footer agrees with them, so a forged manifest cannot make scans skip rows that match.
//! Method: a populated database backed up to a local repository, then the live tables changed;
//! the snapshot's `meta.json` is edited (one rowset's row count, bounds or NULL count) and re-signed
//! (the info file's `meta_checksum` and `meta_size_bytes` updated), so every check but the footer
//! check passes. RESTORE must end CANCELLED with BAD_FILE naming the data file and what differs,
//! leaving every table's catalog entry and rows exactly as they were and no staging behind. A
//! table schema the files do not match (a column's type, name or nullability) is refused the same
//! way. Widened bounds, which cost pruning but hide nothing, still restore. No sleeps.
//! Pins: before the footer check, each forged manifest (a row count off by one, a minimum raised, a
//! maximum lowered, a NULL count zeroed) restored FINISHED and its statistics were installed as
//! they were, for scans to prune with.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use tabvault_snapshot::{
    BackupRequest, JobRecord, RestoreRequest, RowsetEntry, STAGING_DIR, SnapshotInfo,
    SnapshotManifest, SnapshotService,
};
use tabvault_storage::{ColumnDef, ColumnType, RowsetKind, Value};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

struct Fixture {
    _data: tempfile::TempDir,
    repo_dir: tempfile::TempDir,
    service: SnapshotService,
    timestamp: String,
}

/// `db` populated and backed up as `snap`; afterwards `t` and `pk` change, so that a restore
/// that went through would show.
fn fixture() -> R<Fixture> {
    let data = tempfile::tempdir()?;
    let repo_dir = tempfile::tempdir()?;
    let service = service_in(data.path())?;
    populate(service.engine(), "db")?;
    local_repo(&service, "repo", repo_dir.path())?;
    let end = service
        .backup(&BackupRequest {
            database: "db".into(),
            snapshot: "snap".into(),
            repository: "repo".into(),
            objects: vec![],
            options: Default::default(),
        })?
        .wait();
    assert_finished(&end);
    service
        .engine()
        .append("db", "t", rows([5, 6, 250, 260], "after"))?;
    service.engine().append("db", "pk", rows(0..5, "after"))?;
    Ok(Fixture {
        _data: data,
        repo_dir,
        service,
        timestamp: end.timestamp,
    })
}

impl Fixture {
    fn snapshot_dir(&self) -> PathBuf {
        self.repo_dir.path().join("snapshots/snap")
    }

    fn info_path(&self) -> PathBuf {
        self.snapshot_dir()
            .join(format!("info-{}.json", self.timestamp))
    }

    /// Rewrites `meta.json` with `forge` applied and re-signs it in the info file, so that only a
    /// check against the data files themselves can tell.
    fn forge_manifest(&self, forge: impl FnOnce(&mut SnapshotManifest)) -> R {
        let meta_path = self.snapshot_dir().join("meta.json");
        let mut manifest = SnapshotManifest::decode(&std::fs::read(&meta_path)?)?;
        forge(&mut manifest);
        let bytes = manifest.encode().expect("encodes");
        let mut info = SnapshotInfo::decode(&std::fs::read(self.info_path())?)?;
        info.meta_checksum = blake3::hash(&bytes).to_hex().to_string();
        info.meta_size_bytes = bytes.len() as u64;
        replace(&meta_path, &bytes)?;
        replace(&self.info_path(), &info.encode().expect("encodes"))?;
        Ok(())
    }

    /// [`Self::forge_manifest`] on the first data rowset of `t`; returns its data file (relative
    /// to the repository).
    fn forge(&self, forge: impl FnOnce(&mut RowsetEntry)) -> R<String> {
        let mut file = Err("no data rowset".into());
        self.forge_manifest(|manifest| {
            file = first_data_rowset(manifest).map(|rowset| {
                forge(rowset);
                format!(
                    "data/{}/{}-{}.parquet",
                    &rowset.checksum[..2],
                    rowset.checksum,
                    rowset.size_bytes
                )
            });
        })?;
        file
    }

    /// RESTORE of the whole snapshot into `database`.
    fn restore_into(&self, database: &str) -> R<JobRecord> {
        Ok(self
            .service
            .restore(&RestoreRequest {
                database: database.into(),
                snapshot: "snap".into(),
                repository: "repo".into(),
                objects: vec![],
                options: tabvault_snapshot::RestoreOptions::at(&self.timestamp),
            })?
            .wait())
    }

    /// Every table's whole catalog entry (ids, partitions, versions, files, statistics) and rows.
    fn fingerprint(&self) -> R<String> {
        let engine = self.service.engine();
        let catalog = engine.catalog();
        let db = catalog.database("db").ok_or("no database")?;
        let mut out = String::new();
        for table in ["t", "pk"] {
            let entry = catalog.table(db.id, table).ok_or("no table")?;
            out += &format!("{entry:?}\n{:?}\n", table_rows(engine, "db", table)?);
        }
        Ok(out)
    }

    /// Forges the manifest, runs RESTORE and checks that it was refused for `file` with a status
    /// containing every part of `expected`, and that nothing changed.
    fn assert_refused(&self, forge: impl FnOnce(&mut RowsetEntry), expected: &[&str]) -> R {
        let before = self.fingerprint()?;
        let file = self.forge(forge)?;
        let end = self.restore_into("db")?;
        assert_eq!(end.state, "CANCELLED", "{}", end.status);
        let status = end.status.to_string();
        assert!(status.starts_with("[BAD_FILE, msg: "), "{status}");
        assert!(status.contains(&file), "{status}");
        for part in expected {
            assert!(status.contains(part), "{part:?} not in {status}");
        }
        assert_eq!(self.fingerprint()?, before);
        let staging = self.service.engine().root().join(STAGING_DIR);
        assert!(files_under(&staging).is_empty());
        Ok(())
    }
}

/// The first data rowset of table `t` (partition p1) with at least two rows.
fn first_data_rowset(manifest: &mut SnapshotManifest) -> R<&mut RowsetEntry> {
    let table = manifest
        .tables
        .iter_mut()
        .find(|t| t.name == "t")
        .ok_or("no table t")?;
    table
        .partitions
        .iter_mut()
        .flat_map(|p| &mut p.tablets)
        .flat_map(|t| &mut t.rowsets)
        .find(|r| r.kind == RowsetKind::Data && r.rows >= 2)
        .ok_or_else(|| "no data rowset".into())
}

/// Replaces a repository file by a new one (never in place).
fn replace(path: &Path, bytes: &[u8]) -> R {
    let tmp = path.with_extension("forging");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The recorded statistics of column `name`.
fn stats<'a>(rowset: &'a mut RowsetEntry, name: &str) -> &'a mut tabvault_storage::ColumnStats {
    rowset
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .expect("recorded statistics")
}

fn int(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Int(i)) => *i,
        other => panic!("expected an integer bound, got {other:?}"),
    }
}

#[test]
fn a_row_count_off_by_one_is_refused() -> R {
    let f = fixture()?;
    f.assert_refused(|r| r.rows += 1, &["the manifest records", "rows"])?;
    f.assert_refused(|r| r.rows -= 2, &["the manifest records", "rows"])
}

#[test]
fn a_narrowed_minimum_is_refused() -> R {
    let f = fixture()?;
    f.assert_refused(
        |r| {
            let k = stats(r, "k");
            k.min = Some(Value::Int(int(k.min.as_ref()) + 1));
        },
        &["column k", "minimum", "would hide rows"],
    )
}

#[test]
fn a_narrowed_maximum_is_refused() -> R {
    let f = fixture()?;
    f.assert_refused(
        |r| {
            let k = stats(r, "k");
            k.max = Some(Value::Int(int(k.max.as_ref()) - 1));
        },
        &["column k", "maximum", "would hide rows"],
    )
}

#[test]
fn a_changed_null_count_is_refused() -> R {
    let f = fixture()?;
    // `d` is NULL for every seventh key: a NULL count of 0 would hide them from `d IS NULL`.
    f.assert_refused(
        |r| {
            let d = stats(r, "d");
            assert!(d.null_count > 0, "the rowset holds NULL dates");
            d.null_count = 0;
        },
        &["column d", "NULLs"],
    )
}

#[test]
fn widened_bounds_hide_nothing_and_restore() -> R {
    let f = fixture()?;
    f.forge(|r| {
        let k = stats(r, "k");
        k.min = Some(Value::Int(int(k.min.as_ref()) - 1000));
        k.max = Some(Value::Int(int(k.max.as_ref()) + 1000));
    })?;
    let end = f.restore_into("db")?;
    assert_finished(&end);
    Ok(())
}

#[test]
fn a_schema_the_files_do_not_have_is_refused() -> R {
    // Forged into a database of its own, so no existing table's schema is compared first.
    /// The column changed, the change, and what the refusal says.
    type Forgery = (&'static str, fn(&mut ColumnDef), &'static str);
    let forgeries: [Forgery; 3] = [
        (
            "v",
            |c| c.ty = ColumnType::Int,
            "column v is Utf8 in the file, the table needs Int32",
        ),
        ("v", |c| c.name = "w".into(), "the file has no column w"),
        // `d` is NULL for every seventh key.
        ("d", |c| c.nullable = false, "NOT NULL column d holds"),
    ];
    for (column, forge, expected) in forgeries {
        let f = fixture()?;
        let before = f.fingerprint()?;
        f.forge_manifest(|manifest| {
            let table = manifest.tables.iter_mut().find(|t| t.name == "t");
            let def = table.and_then(|t| t.schema.columns.iter_mut().find(|c| c.name == column));
            forge(def.expect("column of t"));
        })?;
        let end = f.restore_into("fresh")?;
        assert_eq!(end.state, "CANCELLED", "{expected}: {}", end.status);
        let status = end.status.to_string();
        assert!(status.starts_with("[BAD_FILE, msg: "), "{status}");
        assert!(status.contains("of table t "), "{status}");
        assert!(status.contains(expected), "{expected:?} not in {status}");
        assert!(f.service.engine().catalog().database("fresh").is_none());
        assert_eq!(f.fingerprint()?, before);
    }
    Ok(())
}
