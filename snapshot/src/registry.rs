//! The named repositories an engine knows (CREATE / DROP / SHOW REPOSITORIES), persisted in
//! `repositories.json` in the data directory, and the snapshot-level operations on one repository:
//! listing snapshots, reading info and manifest files (validated), dropping snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tabvault_storage::{validate_name, write_file_durable};

use crate::error::{Result, SnapshotError};
use crate::layout::{self, SnapshotFile};
use crate::manifest::{SnapshotInfo, SnapshotManifest};
use crate::repository::{FaultPlan, RepositoryError, RepositoryStore};

/// File in the engine's data directory listing its repositories (it holds credentials: mode 0600).
pub const REGISTRY_FILE: &str = "repositories.json";

/// What is stored about one repository. `properties` may hold secrets: never print them.
#[derive(Clone, Serialize, Deserialize)]
struct RepositoryRecord {
    id: u64,
    name: String,
    location: String,
    properties: BTreeMap<String, String>,
    read_only: bool,
    broker: Option<String>,
    create_time_ms: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct RegistryFile {
    repositories: Vec<RepositoryRecord>,
}

/// The content of a repository's marker file.
#[derive(Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
    name: String,
    create_time_ms: u64,
}

const MARKER_FORMAT: &str = "tabvault-repository";

/// One registered repository.
pub struct Repository {
    record: RepositoryRecord,
    store: RepositoryStore,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("name", &self.record.name)
            .field("location", &self.record.location)
            .field("read_only", &self.record.read_only)
            .finish_non_exhaustive()
    }
}

/// A snapshot as SHOW SNAPSHOT lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotListing {
    /// Snapshot name.
    pub name: String,
    /// Every info timestamp, oldest first.
    pub timestamps: Vec<String>,
    /// Other files found in the snapshot's directory (e.g. interrupted uploads), never followed.
    pub invalid: Vec<String>,
}

impl Repository {
    /// Repository id (unique within this engine).
    pub fn id(&self) -> u64 {
        self.record.id
    }

    /// Name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Location as the user gave it.
    pub fn location(&self) -> &str {
        &self.record.location
    }

    /// Whether BACKUP is refused.
    pub fn read_only(&self) -> bool {
        self.record.read_only
    }

    /// The `WITH BROKER` name, if one was given (accepted for compatibility, not used).
    pub fn broker(&self) -> Option<&str> {
        self.record.broker.as_deref()
    }

    /// Creation time (of the repository itself when attached), ms since the epoch.
    pub fn create_time_ms(&self) -> u64 {
        self.record.create_time_ms
    }

    /// The byte store underneath.
    pub fn store(&self) -> &RepositoryStore {
        &self.store
    }

    /// Lists complete snapshots (those with at least one info file).
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotListing>> {
        let prefix = crate::repository::RepoPath::parse(layout::SNAPSHOTS_DIR)?;
        let mut by_name: BTreeMap<String, SnapshotListing> = BTreeMap::new();
        let mut invalid: Vec<(String, String)> = Vec::new();
        for (path, _) in self.store.list(&prefix)? {
            match layout::classify(&path) {
                SnapshotFile::Info(name, ts) => {
                    by_name
                        .entry(name.clone())
                        .or_insert_with(|| SnapshotListing {
                            name,
                            timestamps: vec![],
                            invalid: vec![],
                        })
                        .timestamps
                        .push(ts);
                }
                SnapshotFile::Meta(_) => {}
                SnapshotFile::Other(text) => {
                    let name = text
                        .trim_start_matches("snapshots/")
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    invalid.push((name, text));
                }
            }
        }
        for (name, file) in invalid {
            if let Some(listing) = by_name.get_mut(&name) {
                listing.invalid.push(file);
            }
        }
        let mut out: Vec<SnapshotListing> = by_name.into_values().collect();
        for listing in &mut out {
            listing.timestamps.sort();
        }
        Ok(out)
    }

    /// Whether a complete snapshot of this name exists.
    pub fn has_snapshot(&self, name: &str) -> Result<bool> {
        Ok(self.list_snapshots()?.iter().any(|s| s.name == name))
    }

    /// Reads and validates one info file.
    pub fn read_info(&self, name: &str, timestamp: &str) -> Result<SnapshotInfo> {
        let path = layout::info_file(name, timestamp)?;
        let bytes = match self.store.get_bytes(&path) {
            Ok(bytes) => bytes,
            Err(RepositoryError::NotFound(_)) => {
                return Err(SnapshotError::SnapshotNotFound(format!(
                    "{name} with timestamp {timestamp}"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let info = SnapshotInfo::decode(&bytes)?;
        if info.name != name || info.timestamp != timestamp {
            return Err(SnapshotError::corrupted(
                path.to_string(),
                "info file names another snapshot",
            ));
        }
        Ok(info)
    }

    /// Reads the manifest an info file vouches for, checking its checksum and size.
    pub fn read_manifest(&self, info: &SnapshotInfo) -> Result<SnapshotManifest> {
        let path = layout::meta_file(&info.name)?;
        let bytes = self.store.get_bytes(&path)?;
        let checksum = blake3::hash(&bytes).to_hex().to_string();
        if checksum != info.meta_checksum || bytes.len() as u64 != info.meta_size_bytes {
            return Err(SnapshotError::corrupted(
                path.to_string(),
                "meta does not match the checksum in its info file",
            ));
        }
        let manifest = SnapshotManifest::decode(&bytes)?;
        if manifest.database != info.database {
            return Err(SnapshotError::corrupted(
                path.to_string(),
                "meta and info name different databases",
            ));
        }
        Ok(manifest)
    }

    /// Deletes a snapshot: info files first (it disappears from SHOW SNAPSHOT at once), then meta.
    /// Data files may be shared with other snapshots and are removed by [`Repository::remove_unreferenced_data`].
    pub fn delete_snapshot(&self, name: &str) -> Result<()> {
        let dir = layout::snapshot_dir(name)?;
        let files = self.store.list(&dir)?;
        if !files
            .iter()
            .any(|(p, _)| matches!(layout::classify(p), SnapshotFile::Info(..)))
        {
            return Err(SnapshotError::SnapshotNotFound(name.to_owned()));
        }
        for (path, _) in files
            .iter()
            .filter(|(p, _)| matches!(layout::classify(p), SnapshotFile::Info(..)))
        {
            self.store.delete(path)?;
        }
        for (path, _) in files
            .iter()
            .filter(|(p, _)| !matches!(layout::classify(p), SnapshotFile::Info(..)))
        {
            self.store.delete(path)?;
        }
        Ok(())
    }

    /// Removes data files no complete snapshot references. Only safe while no backup to this
    /// repository runs (its uploaded files are not referenced yet); the service guarantees that.
    pub fn remove_unreferenced_data(&self) -> Result<usize> {
        let mut referenced = std::collections::BTreeSet::new();
        for listing in self.list_snapshots()? {
            for ts in &listing.timestamps {
                let info = self.read_info(&listing.name, ts)?;
                let manifest = self.read_manifest(&info)?;
                for rowset in manifest.rowsets() {
                    referenced.insert(layout::data_file(&rowset.checksum, rowset.size_bytes)?);
                }
            }
        }
        let mut removed = 0;
        for (path, _) in self
            .store
            .list(&crate::repository::RepoPath::parse(layout::DATA_DIR)?)?
        {
            if !referenced.contains(&path) {
                self.store.delete(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Writes bytes to the repository (atomic).
    pub(crate) fn put(&self, path: &crate::repository::RepoPath, bytes: Vec<u8>) -> Result<()> {
        Ok(self.store.put_bytes(path, Bytes::from(bytes))?)
    }
}

/// The set of repositories of one engine.
pub struct Registry {
    file: PathBuf,
    repositories: BTreeMap<String, std::sync::Arc<Repository>>,
    next_id: u64,
    /// Test seam: every store this registry opens injects these faults.
    faults: Option<FaultPlan>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("repositories", &self.repositories.keys())
            .finish()
    }
}

impl Registry {
    /// Loads the registry of the engine in `root`, reconnecting every repository. A repository whose
    /// location cannot be opened now is still listed (so it can be dropped) — see SHOW REPOSITORIES'
    /// ErrMsg. With `faults`, every store opened (now or by a later CREATE REPOSITORY) injects
    /// them (a test seam; see [`FaultPlan`]).
    pub fn load(root: &Path, faults: Option<FaultPlan>) -> Result<(Self, Vec<(String, String)>)> {
        let file = root.join(REGISTRY_FILE);
        let content: RegistryFile = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SnapshotError::corrupted(REGISTRY_FILE, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RegistryFile::default(),
            Err(e) => {
                return Err(tabvault_storage::StorageError::Io {
                    context: format!("reading {}", file.display()),
                    source: e,
                }
                .into());
            }
        };
        let mut registry = Self {
            file,
            repositories: BTreeMap::new(),
            next_id: 1,
            faults,
        };
        let mut errors = Vec::new();
        for record in content.repositories {
            registry.next_id = registry.next_id.max(record.id + 1);
            match RepositoryStore::open(&record.location, &record.properties) {
                Ok(store) => {
                    let store = registry.with_faults(store);
                    registry.repositories.insert(
                        record.name.clone(),
                        std::sync::Arc::new(Repository { record, store }),
                    );
                }
                Err(e) => errors.push((record.name.clone(), e.to_string())),
            }
        }
        Ok((registry, errors))
    }

    /// A repository by name.
    pub fn get(&self, name: &str) -> Result<std::sync::Arc<Repository>> {
        if name.is_empty() {
            return Err(SnapshotError::RepositoryNameEmpty);
        }
        self.repositories
            .get(name)
            .cloned()
            .ok_or_else(|| SnapshotError::RepositoryNotFound(name.to_owned()))
    }

    /// All repositories, by name.
    pub fn all(&self) -> Vec<std::sync::Arc<Repository>> {
        self.repositories.values().cloned().collect()
    }

    /// Creates (or attaches to) a repository at `location` and registers it durably.
    pub fn create(
        &mut self,
        name: &str,
        location: &str,
        properties: &BTreeMap<String, String>,
        read_only: bool,
        broker: Option<&str>,
        now_ms: u64,
    ) -> Result<std::sync::Arc<Repository>> {
        validate_name(name).map_err(|e| SnapshotError::CreateRepository(e.to_string()))?;
        if self.repositories.contains_key(name) {
            return Err(SnapshotError::RepositoryExists(name.to_owned()));
        }
        let store = RepositoryStore::open(location, properties)
            .map_err(|e| SnapshotError::CreateRepository(e.to_string()))?;
        let store = self.with_faults(store);
        let marker_path = layout::marker()?;
        let create_time_ms = match store.get_bytes(&marker_path) {
            Ok(bytes) => {
                let marker: Marker = serde_json::from_slice(&bytes).map_err(|e| {
                    SnapshotError::CreateRepository(format!("invalid repository marker: {e}"))
                })?;
                if marker.format != MARKER_FORMAT || marker.version != 1 {
                    return Err(SnapshotError::CreateRepository(format!(
                        "unsupported repository format {} version {}",
                        marker.format, marker.version
                    )));
                }
                marker.create_time_ms
            }
            Err(RepositoryError::NotFound(_)) if read_only => now_ms,
            Err(RepositoryError::NotFound(_)) => {
                let marker = Marker {
                    format: MARKER_FORMAT.into(),
                    version: 1,
                    name: name.to_owned(),
                    create_time_ms: now_ms,
                };
                let bytes = serde_json::to_vec_pretty(&marker).unwrap_or_default();
                store
                    .put_bytes(&marker_path, Bytes::from(bytes))
                    .map_err(|e| SnapshotError::CreateRepository(e.to_string()))?;
                now_ms
            }
            Err(e) => return Err(SnapshotError::CreateRepository(e.to_string())),
        };
        let record = RepositoryRecord {
            id: self.next_id,
            name: name.to_owned(),
            location: location.to_owned(),
            properties: properties.clone(),
            read_only,
            broker: broker.map(str::to_owned),
            create_time_ms,
        };
        let repository = std::sync::Arc::new(Repository { record, store });
        self.repositories
            .insert(name.to_owned(), repository.clone());
        if let Err(e) = self.save() {
            self.repositories.remove(name);
            return Err(e);
        }
        self.next_id += 1;
        Ok(repository)
    }

    fn with_faults(&self, store: RepositoryStore) -> RepositoryStore {
        match &self.faults {
            Some(plan) => store.with_faults(plan.clone()),
            None => store,
        }
    }

    /// Unregisters a repository (its remote files stay).
    pub fn drop_repository(&mut self, name: &str) -> Result<()> {
        let removed = self
            .repositories
            .remove(name)
            .ok_or_else(|| SnapshotError::RepositoryNotFound(name.to_owned()))?;
        if let Err(e) = self.save() {
            self.repositories.insert(name.to_owned(), removed);
            return Err(e);
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        let content = RegistryFile {
            repositories: self
                .repositories
                .values()
                .map(|r| r.record.clone())
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&content).unwrap_or_default();
        write_file_durable(&self.file, &bytes)?;
        restrict_permissions(&self.file);
        Ok(())
    }
}

/// Makes the registry readable by its owner only: it holds repository credentials.
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(error = %e, "could not restrict permissions of the repository registry");
    }
}
