//! Rewrites the Iceberg view (see `crate::iceberg`) of every complete snapshot of a repository,
//! for snapshots backed up before the export existed or with it off, and after the repository
//! moved (the metadata embeds absolute URIs). Data files are never touched: each run's Iceberg
//! directory is rewritten from its manifest, and files the export wrote there that the new plan
//! does not name (a position delete file whose content named the old URIs) are removed
//! afterwards. Files the export does not write are left alone.

use std::collections::BTreeSet;

use crate::error::{Result, SnapshotError};
use crate::iceberg::{self, IcebergPlan};
use crate::layout;
use crate::manifest::{RowsetEntry, SnapshotInfo};
use crate::repository::{RepoPath, Repository};

/// What [`crate::SnapshotService::refresh_iceberg`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IcebergRefresh {
    /// Backup runs (snapshot name and timestamp) whose Iceberg view was written.
    pub runs: usize,
    /// Iceberg tables written over all those runs.
    pub tables: usize,
    /// What was left out and why: tables that cannot be expressed, and runs whose manifest a
    /// later backup of the same name replaced (only the newest run of a name keeps one).
    pub left_out: Vec<String>,
}

/// Rewrites the Iceberg view of every complete run in `repository`, writing up to `threads`
/// files at a time.
pub(crate) fn refresh_iceberg(repository: &Repository, threads: usize) -> Result<IcebergRefresh> {
    if repository.read_only() {
        return Err(SnapshotError::RepositoryReadOnly(
            repository.name().to_owned(),
        ));
    }
    if repository.store().is_encrypted() {
        return Err(SnapshotError::IcebergOfEncrypted(
            repository.name().to_owned(),
        ));
    }
    let mut report = IcebergRefresh::default();
    for listing in repository.list_snapshots()? {
        for timestamp in &listing.timestamps {
            let info = repository.read_info(&listing.name, timestamp)?;
            refresh_run(repository, &info, threads, &mut report)?;
        }
    }
    Ok(report)
}

/// Rewrites one run's Iceberg directory, or reports it left out when the snapshot's manifest is
/// no longer the one this run's info file vouches for.
fn refresh_run(
    repository: &Repository,
    info: &SnapshotInfo,
    threads: usize,
    report: &mut IcebergRefresh,
) -> Result<()> {
    let manifest = match repository.read_manifest(info) {
        Ok(manifest) => manifest,
        Err(SnapshotError::Corrupted { .. }) => {
            report.left_out.push(format!(
                "{} at {}: its manifest was replaced by a later backup of that name",
                info.name, info.timestamp
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let store = repository.store();
    let read_keys = |rowset: &RowsetEntry, keys: &[String]| {
        let path =
            layout::data_file(&rowset.checksum, rowset.size_bytes).map_err(|e| e.to_string())?;
        let bytes = store.get_bytes(&path).map_err(|e| e.to_string())?;
        iceberg::read_parquet_keys(bytes, path.as_str(), keys)
    };
    let run = iceberg::Run {
        label: &info.name,
        timestamp: &info.timestamp,
        time_ms: info.backup_time_ms,
    };
    let plan: IcebergPlan = iceberg::plan_snapshot(store, &manifest, run, &read_keys)?;
    report.runs += 1;
    report.tables += manifest.tables.len().saturating_sub(plan.skipped.len());
    report
        .left_out
        .extend(plan.skipped.iter().map(ToString::to_string));
    let warehouse = layout::iceberg_warehouse(&info.name, &info.timestamp)?;
    let before = store.list(&warehouse)?;
    let groups = plan.upload_groups();
    store.put_groups(&groups, threads, &|attempt| {
        attempt().map_err(SnapshotError::from)
    })?;
    let written: BTreeSet<&RepoPath> = groups.iter().flatten().map(|(path, _)| path).collect();
    let unnamed = before
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| !written.contains(path))
        .collect();
    let (stale, _foreign) = iceberg::split_export_files(store, unnamed);
    for path in stale {
        store.delete(&path)?;
    }
    Ok(())
}
