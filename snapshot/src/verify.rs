//! ADMIN VERIFY SNAPSHOT: re-reads what a snapshot's info files vouch for and reports, file by
//! file, whether the repository still holds it intact.
//!
//! For each info file (one timestamp, or all of the snapshot's): the info file decodes and names
//! the snapshot; `meta.json` has the size and BLAKE3 the info file records and decodes; every data
//! file that manifest references is present with its size and BLAKE3 (each distinct file checked
//! and reported once per run, at the first timestamp naming it). A damaged info file or manifest
//! is reported and what it would list is not checked: nothing trusted names it. Verification only
//! reads (data files are hashed as they stream, never held whole in memory), takes no lease and
//! so never blocks a BACKUP, and repairs nothing.

use std::collections::BTreeSet;
use std::fmt;

use parking_lot::Mutex;

use crate::error::{Result, SnapshotError};
use crate::layout;
use crate::manifest::{SnapshotInfo, SnapshotManifest};
use crate::repository::{Digest, RepoPath, RepositoryError};
use crate::repository::{Repository, decode_info, decode_manifest};

/// What a verified file is to its snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// `snapshots/<name>/info-<timestamp>.json`: vouches for the manifest.
    Info,
    /// `snapshots/<name>/meta.json`: the manifest, listing the data files.
    Meta,
    /// `data/<cc>/<checksum>-<size>.parquet`: a rowset file the manifest references.
    Data,
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "INFO",
            Self::Meta => "META",
            Self::Data => "DATA",
        })
    }
}

/// The verdict on one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Present, with the expected size and checksum, and (info, meta) decodes.
    Ok,
    /// Not in the repository.
    Missing,
    /// Present with another size.
    SizeMismatch,
    /// Present with the expected size but other bytes.
    ChecksumMismatch,
    /// Could not be read (the reason): its state is unknown, not known bad.
    Unreadable(String),
    /// Read, but does not form what the format promises (the reason).
    Corrupted(String),
}

impl FileStatus {
    /// Whether the file is intact.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("OK"),
            Self::Missing => f.write_str("MISSING"),
            Self::SizeMismatch => f.write_str("SIZE_MISMATCH"),
            Self::ChecksumMismatch => f.write_str("CHECKSUM_MISMATCH"),
            Self::Unreadable(why) => write!(f, "UNREADABLE: {why}"),
            Self::Corrupted(why) => write!(f, "CORRUPTED: {why}"),
        }
    }
}

/// One verified file: what was expected of it, what was found, and the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyRow {
    /// The info file's timestamp this file was checked under.
    pub timestamp: String,
    /// The file's repository path.
    pub file: String,
    /// What the file is.
    pub role: FileRole,
    /// The size something trusted records for it (`None` for info files: nothing vouches for
    /// them).
    pub expected_size: Option<u64>,
    /// The size found (`None` when absent or unreadable).
    pub size: Option<u64>,
    /// The BLAKE3 something trusted records for it (`None` for info files).
    pub expected_checksum: Option<String>,
    /// The BLAKE3 found (`None` when absent or unreadable).
    pub checksum: Option<String>,
    /// The verdict.
    pub status: FileStatus,
}

impl VerifyRow {
    fn new(timestamp: &str, file: &RepoPath, role: FileRole) -> Self {
        Self {
            timestamp: timestamp.to_owned(),
            file: file.to_string(),
            role,
            expected_size: None,
            size: None,
            expected_checksum: None,
            checksum: None,
            status: FileStatus::Ok,
        }
    }

    /// Records what was read and judges it against the expectations.
    fn found(&mut self, digest: Digest) {
        self.status = if self.expected_size.is_some_and(|s| s != digest.size) {
            FileStatus::SizeMismatch
        } else if self
            .expected_checksum
            .as_ref()
            .is_some_and(|c| *c != digest.checksum)
        {
            FileStatus::ChecksumMismatch
        } else {
            FileStatus::Ok
        };
        self.size = Some(digest.size);
        self.checksum = Some(digest.checksum);
    }

    /// Records a failed read.
    fn failed(&mut self, error: &RepositoryError) {
        self.status = match error {
            RepositoryError::NotFound(_) => FileStatus::Missing,
            RepositoryError::TooLarge { size, .. } => {
                self.size = Some(*size);
                FileStatus::Corrupted(error.to_string())
            }
            _ => FileStatus::Unreadable(error.to_string()),
        };
    }
}

/// Verifies snapshot `name` of `repository` (see the module documentation), hashing data files on
/// up to `threads` threads.
pub(crate) fn verify(
    repository: &Repository,
    name: &str,
    timestamp: Option<&str>,
    threads: usize,
) -> Result<Vec<VerifyRow>> {
    let mut rows = Vec::new();
    let mut checked: BTreeSet<RepoPath> = BTreeSet::new();
    for timestamp in timestamps(repository, name, timestamp)? {
        let (info_row, info) = check_info(repository, name, &timestamp)?;
        rows.push(info_row);
        let Some(info) = info else { continue };
        let (meta_row, manifest) = check_meta(repository, &info)?;
        rows.push(meta_row);
        let Some(manifest) = manifest else { continue };
        let mut files: Vec<(RepoPath, u64, String)> = Vec::new();
        for rowset in manifest.rowsets() {
            let path = repository.data_file(&rowset.checksum, rowset.size_bytes)?;
            if checked.insert(path.clone()) {
                files.push((path, rowset.size_bytes, rowset.checksum.clone()));
            }
        }
        files.sort();
        rows.extend(check_data(repository, &timestamp, &files, threads)?);
    }
    Ok(rows)
}

/// The timestamps to verify: `only` if the snapshot has it, else all of them, oldest first.
fn timestamps(repository: &Repository, name: &str, only: Option<&str>) -> Result<Vec<String>> {
    let listing = repository
        .list_snapshots()?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| SnapshotError::SnapshotNotFound(name.to_owned()))?;
    match only {
        None => Ok(listing.timestamps),
        Some(ts) if listing.timestamps.iter().any(|t| t == ts) => Ok(vec![ts.to_owned()]),
        Some(ts) => Err(SnapshotError::SnapshotInfo {
            label: name.to_owned(),
            msg: SnapshotError::SnapshotNotFound(format!("{name} with timestamp {ts}")).to_string(),
        }),
    }
}

/// The info file's row, and the info when it decodes and names the snapshot.
fn check_info(
    repository: &Repository,
    name: &str,
    timestamp: &str,
) -> Result<(VerifyRow, Option<SnapshotInfo>)> {
    let path = layout::info_file(name, timestamp)?;
    let mut row = VerifyRow::new(timestamp, &path, FileRole::Info);
    let bytes = match repository
        .store()
        .get_bytes_at_most(&path, layout::INFO_MAX_BYTES)
    {
        Ok(bytes) => bytes,
        Err(e) => {
            row.failed(&e);
            return Ok((row, None));
        }
    };
    row.found(digest_of(&bytes));
    match decode_info(&path, name, timestamp, &bytes) {
        Ok(info) => Ok((row, Some(info))),
        Err(e) => {
            row.status = FileStatus::Corrupted(detail(e));
            Ok((row, None))
        }
    }
}

/// The manifest's row, judged against what `info` records, and the manifest when it is intact.
fn check_meta(
    repository: &Repository,
    info: &SnapshotInfo,
) -> Result<(VerifyRow, Option<SnapshotManifest>)> {
    let path = layout::meta_file(&info.name)?;
    let mut row = VerifyRow::new(&info.timestamp, &path, FileRole::Meta);
    row.expected_size = Some(info.meta_size_bytes);
    row.expected_checksum = Some(info.meta_checksum.clone());
    let bytes = match repository
        .store()
        .get_bytes_at_most(&path, layout::META_MAX_BYTES)
    {
        Ok(bytes) => bytes,
        Err(e) => {
            row.failed(&e);
            return Ok((row, None));
        }
    };
    row.found(digest_of(&bytes));
    if !row.status.is_ok() {
        return Ok((row, None));
    }
    match decode_manifest(info, &path, &bytes) {
        Ok(manifest) => Ok((row, Some(manifest))),
        Err(e) => {
            row.status = FileStatus::Corrupted(detail(e));
            Ok((row, None))
        }
    }
}

/// The rows of `files` (path, expected size, expected checksum), in their order, each hashed as
/// it streams from the repository.
fn check_data(
    repository: &Repository,
    timestamp: &str,
    files: &[(RepoPath, u64, String)],
    threads: usize,
) -> Result<Vec<VerifyRow>> {
    let rows: Mutex<Vec<Option<VerifyRow>>> = Mutex::new(vec![None; files.len()]);
    let indexed: Vec<(usize, &(RepoPath, u64, String))> = files.iter().enumerate().collect();
    crate::parallel::for_each_parallel(&indexed, threads, |(index, (path, size, checksum))| {
        let mut row = VerifyRow::new(timestamp, path, FileRole::Data);
        row.expected_size = Some(*size);
        row.expected_checksum = Some(checksum.clone());
        match repository.store().digest(path) {
            Ok(Some(digest)) => row.found(digest),
            Ok(None) => row.status = FileStatus::Missing,
            Err(e) => row.failed(&e),
        }
        rows.lock()[*index] = Some(row);
        Ok::<_, SnapshotError>(())
    })?;
    Ok(rows.into_inner().into_iter().flatten().collect())
}

/// The digest of bytes already read (info and meta files, which are decoded whole anyway).
fn digest_of(bytes: &[u8]) -> Digest {
    let mut hasher = blake3::Hasher::new();
    hasher.update(bytes);
    Digest::of(&hasher)
}

/// What is wrong with a file that was read but does not decode.
fn detail(error: SnapshotError) -> String {
    match error {
        SnapshotError::Corrupted { detail, .. } => detail,
        other => other.to_string(),
    }
}
