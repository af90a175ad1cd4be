//! The named repositories an engine knows (CREATE / DROP / SHOW REPOSITORIES), persisted in
//! `repositories.json` in the data directory, and the snapshot-level operations on one repository:
//! listing snapshots, reading info and manifest files (validated), dropping snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tabvault_storage::internal::write_file_durable;
use tabvault_storage::validate_name;

use crate::error::{Result, SnapshotError};
use crate::layout;
use crate::placement::Place;
use crate::repository::{
    Algorithm, ENCRYPTION, ENCRYPTION_KEY_FILE, EncryptionOptions, FaultPlan, Repository,
    RepositoryError, RepositoryKey, RepositoryOptions, RepositoryStore,
};
use crate::retention::RetentionPolicy;

/// File in the engine's data directory listing its repositories (it holds credentials: mode 0600).
pub const REGISTRY_FILE: &str = "repositories.json";

/// What is stored about one repository. `properties` may hold secrets: never print them.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct RepositoryRecord {
    pub(crate) id: u64,
    pub(crate) name: String,
    /// What the store is opened at and every I/O uses.
    pub(crate) location: String,
    /// The location as CREATE REPOSITORY gave it, when that differs from `location` (a relative
    /// local path the SQL layer resolved): SHOW REPOSITORIES shows it. Absent otherwise, and in
    /// records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) typed_location: Option<String>,
    pub(crate) properties: BTreeMap<String, String>,
    /// The retention policy CREATE REPOSITORY gave, if any (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retention: Option<RetentionPolicy>,
    /// How the repository's key is found, when it is encrypted (never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encryption: Option<EncryptionSpec>,
    pub(crate) read_only: bool,
    pub(crate) broker: Option<String>,
    pub(crate) create_time_ms: u64,
}

/// Format version of the registry file (a file without one is version 1).
pub const REGISTRY_FORMAT_VERSION: u32 = 1;

fn registry_format_version() -> u32 {
    REGISTRY_FORMAT_VERSION
}

#[derive(Serialize, Deserialize)]
struct RegistryFile {
    #[serde(default = "registry_format_version")]
    format_version: u32,
    repositories: Vec<RepositoryRecord>,
}

/// The content of a repository's marker file.
#[derive(Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
    name: String,
    create_time_ms: u64,
    /// Present when every other object is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encryption: Option<MarkerEncryption>,
}

/// What the marker says of an encrypted repository: enough to refuse a wrong key clearly.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct MarkerEncryption {
    /// The cipher's name (`aes-256-gcm`, `chacha20-poly1305`).
    algorithm: String,
    /// The key's check value ([`RepositoryKey::check_value`]), which does not reveal it.
    key_check: String,
}

/// How an encrypted repository's key is found: CREATE REPOSITORY's `encryption` and
/// `encryption.key_file` properties. The key file's path is kept, never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EncryptionSpec {
    algorithm: String,
    key_file: PathBuf,
}

impl From<&EncryptionOptions> for EncryptionSpec {
    fn from(options: &EncryptionOptions) -> Self {
        Self {
            algorithm: options.algorithm.name().to_owned(),
            key_file: options.key_file.clone(),
        }
    }
}

impl EncryptionSpec {
    /// Loads the key.
    fn key(&self) -> std::result::Result<std::sync::Arc<RepositoryKey>, String> {
        let algorithm = Algorithm::named(&self.algorithm)
            .ok_or_else(|| format!("unknown cipher {}", self.algorithm))?;
        RepositoryKey::load(algorithm, &self.key_file)
            .map(std::sync::Arc::new)
            .map_err(|e| e.to_string())
    }
}

const MARKER_FORMAT: &str = "tabvault-repository";

impl RepositoryRecord {
    /// The location as the user gave it (SHOW REPOSITORIES).
    fn shown_location(&self) -> &str {
        self.typed_location.as_deref().unwrap_or(&self.location)
    }

    /// The options the store is opened with: the kept properties (S3 connection, `iceberg`).
    fn store_options(&self) -> Result<RepositoryOptions> {
        RepositoryOptions::from_properties(&self.properties)
    }
}

/// Where a new repository lives.
#[derive(Clone, Debug)]
pub(crate) struct NewLocation<'a> {
    /// What the store is opened at and every I/O uses.
    pub resolved: &'a str,
    /// What CREATE REPOSITORY said; SHOW REPOSITORIES shows it.
    pub typed: &'a str,
}

/// A registered repository whose location could not be opened (or may not be used) when the
/// engine opened. It stays registered — its record is saved back unchanged — so that SHOW
/// REPOSITORIES can say why and DROP REPOSITORY can remove it; BACKUP and RESTORE refuse it.
#[derive(Clone)]
struct Unavailable {
    record: RepositoryRecord,
    reason: String,
    since_ms: u64,
}

/// One row of SHOW REPOSITORIES, for a usable or an unavailable repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryRow {
    /// Id, in creation order.
    pub id: u64,
    /// Repository name.
    pub name: String,
    /// When CREATE REPOSITORY ran, ms since the epoch.
    pub create_time_ms: u64,
    /// Whether it was created READ ONLY.
    pub read_only: bool,
    /// The location as CREATE REPOSITORY gave it (never the resolved path).
    pub location: String,
    /// The broker named at creation, if any.
    pub broker: Option<String>,
    /// Why the repository is unavailable and since when (ms), `None` when it is usable.
    pub error: Option<(u64, String)>,
}

/// The set of repositories of one engine.
pub struct Registry {
    file: PathBuf,
    /// The engine's data directory, canonical: no repository may overlap it.
    data_dir: PathBuf,
    repositories: BTreeMap<String, std::sync::Arc<Repository>>,
    unavailable: BTreeMap<String, Unavailable>,
    next_id: u64,
    /// Test seam: every store this registry opens injects these faults.
    faults: Option<FaultPlan>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("repositories", &self.repositories.keys())
            .field("unavailable", &self.unavailable.keys())
            .finish()
    }
}

impl Registry {
    /// Loads the registry of the engine in `root`, reconnecting every repository. A repository
    /// whose location cannot be opened now (missing directory, unreachable store, a location
    /// overlapping the data directory) stays registered as unavailable, with its reason (SHOW
    /// REPOSITORIES' ErrMsg). With `faults`, every store opened (now or by a later CREATE
    /// REPOSITORY) injects them (a test seam; see [`FaultPlan`]).
    pub fn load(root: &Path, faults: Option<FaultPlan>, now_ms: u64) -> Result<Self> {
        let file = root.join(REGISTRY_FILE);
        // A save cut short leaves its temp file, which holds credentials: never needed again.
        tabvault_storage::internal::remove_file_if_exists(&tabvault_storage::internal::temp_path(
            &file,
        ))?;
        let content = read_registry_file(&file)?;
        let data_dir = crate::placement::canonicalize_lenient(root).map_err(|e| {
            tabvault_storage::StorageError::Io {
                context: format!("resolving {}", root.display()),
                source: e,
            }
        })?;
        let mut registry = Self {
            file,
            data_dir,
            repositories: BTreeMap::new(),
            unavailable: BTreeMap::new(),
            next_id: 1,
            faults,
        };
        for record in content.repositories {
            registry.next_id = registry.next_id.max(record.id + 1);
            match registry.reopen(&record) {
                Ok(store) => {
                    registry.repositories.insert(
                        record.name.clone(),
                        std::sync::Arc::new(Repository { record, store }),
                    );
                }
                Err(reason) => {
                    tracing::warn!(repository = %record.name, %reason, "repository unavailable");
                    registry.unavailable.insert(
                        record.name.clone(),
                        Unavailable {
                            record,
                            reason,
                            since_ms: now_ms,
                        },
                    );
                }
            }
        }
        Ok(registry)
    }

    /// Opens a registered repository's store, or says why it may not be used. A local directory
    /// must still exist: an unmounted disk is reported, not silently replaced by an empty one.
    fn reopen(&self, record: &RepositoryRecord) -> std::result::Result<RepositoryStore, String> {
        let options = record.store_options().map_err(|e| match e {
            SnapshotError::CreateRepository(reason) => reason,
            other => other.to_string(),
        })?;
        let place = Place::of(&record.location, &options.s3).map_err(|e| e.to_string())?;
        if let Some(conflict) = place.data_dir_conflict(&self.data_dir) {
            return Err(conflict);
        }
        if let Place::Local(path) = &place
            && !path.is_dir()
        {
            return Err(format!("directory {} does not exist", path.display()));
        }
        let store = if record.read_only {
            RepositoryStore::open_read_only(&record.location, &options)
        } else {
            RepositoryStore::open(&record.location, &options)
        };
        let store = self.with_faults(store.map_err(|e| e.to_string())?);
        let Some(spec) = &record.encryption else {
            return Ok(store);
        };
        let key = spec.key()?;
        check_marker_key(&store, Some(&key))?;
        Ok(store.with_key(key))
    }

    /// A repository by name (an unavailable one is an error giving its reason).
    pub fn get(&self, name: &str) -> Result<std::sync::Arc<Repository>> {
        if name.is_empty() {
            return Err(SnapshotError::RepositoryNameEmpty);
        }
        if let Some(unavailable) = self.unavailable.get(name) {
            return Err(SnapshotError::RepositoryUnavailable {
                name: name.to_owned(),
                reason: unavailable.reason.clone(),
            });
        }
        self.repositories
            .get(name)
            .cloned()
            .ok_or_else(|| SnapshotError::RepositoryNotFound(name.to_owned()))
    }

    /// All usable repositories, by name.
    pub fn all(&self) -> Vec<std::sync::Arc<Repository>> {
        self.repositories.values().cloned().collect()
    }

    /// Every registered repository, usable or not, by name (SHOW REPOSITORIES).
    pub(crate) fn rows(&self) -> Vec<RepositoryRow> {
        let row = |record: &RepositoryRecord, error: Option<(u64, String)>| RepositoryRow {
            id: record.id,
            name: record.name.clone(),
            create_time_ms: record.create_time_ms,
            read_only: record.read_only,
            location: record.shown_location().to_owned(),
            broker: record.broker.clone(),
            error,
        };
        let mut rows: Vec<RepositoryRow> = self
            .repositories
            .values()
            .map(|r| row(&r.record, None))
            .chain(
                self.unavailable
                    .values()
                    .map(|u| row(&u.record, Some((u.since_ms, u.reason.clone())))),
            )
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }

    /// Creates (or attaches to) a repository at `location.resolved` and registers it durably,
    /// keeping `location.typed` to show. Refused: an empty location; a location that is, contains
    /// or lies inside the data directory or another registered repository; a non-empty location
    /// without a repository marker. A READ ONLY repository is attached without writing anything.
    pub(crate) fn create(
        &mut self,
        name: &str,
        new_location: NewLocation<'_>,
        options: &RepositoryOptions,
        read_only: bool,
        broker: Option<&str>,
        now_ms: u64,
    ) -> Result<std::sync::Arc<Repository>> {
        validate_name(name).map_err(|e| SnapshotError::CreateRepository(e.to_string()))?;
        let location = new_location.resolved;
        if self.repositories.contains_key(name) || self.unavailable.contains_key(name) {
            return Err(SnapshotError::RepositoryExists(name.to_owned()));
        }
        if location.trim().is_empty() {
            return Err(SnapshotError::LocationEmpty);
        }
        let refuse = |msg: String| SnapshotError::CreateRepository(msg);
        options.check()?;
        let place = Place::of(location, &options.s3).map_err(|e| refuse(e.to_string()))?;
        self.check_place(&place).map_err(refuse)?;
        // The store itself stores objects as they are; the key is applied below.
        let store_options = RepositoryOptions {
            encryption: None,
            ..options.clone()
        };
        let store = if read_only {
            RepositoryStore::open_read_only(location, &store_options)
        } else {
            if let Place::Local(path) = &place {
                check_local_vacancy(path).map_err(refuse)?;
            }
            RepositoryStore::open(location, &store_options)
        }
        .map_err(|e| refuse(e.to_string()))?;
        let store = self.with_faults(store);
        let encryption = options.encryption.as_ref().map(EncryptionSpec::from);
        let key = match &encryption {
            Some(spec) => Some(spec.key().map_err(refuse)?),
            None => None,
        };
        let create_time_ms =
            attach(&store, name, location, read_only, now_ms, key.as_deref()).map_err(refuse)?;
        let store = match key {
            Some(key) => store.with_key(key),
            None => store,
        };
        let record = RepositoryRecord {
            id: self.next_id,
            name: name.to_owned(),
            location: location.to_owned(),
            typed_location: (new_location.typed != location).then(|| new_location.typed.to_owned()),
            properties: options.location_properties(),
            retention: options.retention,
            encryption,
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

    /// Refuses a place overlapping the data directory or another registered repository.
    fn check_place(&self, place: &Place) -> std::result::Result<(), String> {
        if let Some(conflict) = place.data_dir_conflict(&self.data_dir) {
            return Err(conflict);
        }
        let records = self
            .repositories
            .values()
            .map(|r| &r.record)
            .chain(self.unavailable.values().map(|u| &u.record));
        for record in records {
            let Ok(options) = record.store_options() else {
                continue;
            };
            let Ok(other) = Place::of(&record.location, &options.s3) else {
                continue;
            };
            if place.overlaps(&other) {
                return Err(format!(
                    "the location is, contains or lies inside the location {} of repository {}; \
                     each repository needs a location of its own",
                    record.location, record.name
                ));
            }
        }
        Ok(())
    }

    fn with_faults(&self, store: RepositoryStore) -> RepositoryStore {
        match &self.faults {
            Some(plan) => store.with_faults(plan.clone()),
            None => store,
        }
    }

    /// Unregisters a repository, usable or not (its remote files stay).
    pub fn drop_repository(&mut self, name: &str) -> Result<()> {
        if let Some(removed) = self.unavailable.remove(name) {
            if let Err(e) = self.save() {
                self.unavailable.insert(name.to_owned(), removed);
                return Err(e);
            }
            return Ok(());
        }
        let removed = self
            .repositories
            .remove(name)
            .ok_or_else(|| SnapshotError::NoRepositoryToDrop(name.to_owned()))?;
        if let Err(e) = self.save() {
            self.repositories.insert(name.to_owned(), removed);
            return Err(e);
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        let mut repositories: Vec<RepositoryRecord> = self
            .repositories
            .values()
            .map(|r| r.record.clone())
            .chain(self.unavailable.values().map(|u| u.record.clone()))
            .collect();
        repositories.sort_by(|a, b| a.name.cmp(&b.name));
        let content = RegistryFile {
            format_version: REGISTRY_FORMAT_VERSION,
            repositories,
        };
        let bytes = crate::error::json_bytes(&content, "repositories.json")?;
        write_file_durable(&self.file, &bytes)?;
        Ok(())
    }
}

/// Reads the registry file (absent: empty), refusing a newer format.
fn read_registry_file(file: &Path) -> Result<RegistryFile> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RegistryFile {
                format_version: REGISTRY_FORMAT_VERSION,
                repositories: vec![],
            });
        }
        Err(e) => {
            return Err(tabvault_storage::StorageError::Io {
                context: format!("reading {}", file.display()),
                source: e,
            }
            .into());
        }
    };
    let shown = file.display().to_string();
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| SnapshotError::corrupted(&shown, e))?;
    SnapshotError::refuse_newer_format(&shown, &value, REGISTRY_FORMAT_VERSION)?;
    serde_json::from_value(value).map_err(|e| SnapshotError::corrupted(shown, e))
}

/// Refuses a local directory that has entries but no repository marker: it holds someone else's
/// files, which repository cleanup must never be in a position to touch. Missing is fine.
fn check_local_vacancy(path: &Path) -> std::result::Result<(), String> {
    let mut entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    if entries.next().is_none() || path.join(layout::MARKER).is_file() {
        return Ok(());
    }
    Err(not_empty(&path.display().to_string()))
}

fn not_empty(location: &str) -> String {
    format!(
        "location {location} is not empty and holds no tabvault repository; give an empty or new \
         location, or one that already holds a repository"
    )
}

/// Checks the repository marker at the location, writing one (unless read-only) when the location
/// is empty; returns the repository's creation time. A non-empty location without a marker is
/// refused.
fn attach(
    store: &RepositoryStore,
    name: &str,
    location: &str,
    read_only: bool,
    now_ms: u64,
    key: Option<&RepositoryKey>,
) -> std::result::Result<u64, String> {
    let marker_path = layout::marker().map_err(|e| e.to_string())?;
    match store.get_bytes(&marker_path) {
        Ok(bytes) => Ok(checked_marker(&bytes, key)?.create_time_ms),
        Err(RepositoryError::NotFound(_)) => {
            if !store.list_all().map_err(|e| e.to_string())?.is_empty() {
                return Err(not_empty(location));
            }
            if read_only {
                return Ok(now_ms);
            }
            let marker = Marker {
                format: MARKER_FORMAT.into(),
                version: 1,
                name: name.to_owned(),
                create_time_ms: now_ms,
                encryption: key.map(|key| MarkerEncryption {
                    algorithm: key.algorithm().name().to_owned(),
                    key_check: key.check_value().to_owned(),
                }),
            };
            let bytes = crate::error::json_bytes(&marker, "the repository marker")
                .map_err(|e| e.to_string())?;
            store
                .put_bytes(&marker_path, Bytes::from(bytes))
                .map_err(|e| e.to_string())?;
            Ok(now_ms)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Decodes a marker and checks that `key` is the one it was made with: none for a repository
/// that is not encrypted, the right cipher and key for one that is.
fn checked_marker(
    bytes: &[u8],
    key: Option<&RepositoryKey>,
) -> std::result::Result<Marker, String> {
    let marker: Marker =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid repository marker: {e}"))?;
    if marker.format != MARKER_FORMAT || marker.version != 1 {
        return Err(format!(
            "unsupported repository format {} version {}",
            marker.format, marker.version
        ));
    }
    match (&marker.encryption, key) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err("the repository is not encrypted; attach it without the \
                        encryption properties"
                .to_owned());
        }
        (Some(e), None) => {
            return Err(format!(
                "the repository is encrypted ({}); give its key with the {ENCRYPTION} and \
                 {ENCRYPTION_KEY_FILE} properties",
                e.algorithm
            ));
        }
        (Some(e), Some(key)) if e.algorithm != key.algorithm().name() => {
            return Err(format!(
                "the repository is encrypted with {}, not {}",
                e.algorithm,
                key.algorithm().name()
            ));
        }
        (Some(e), Some(key)) if e.key_check != key.check_value() => {
            return Err("wrong key: the key file does not hold this repository's key".to_owned());
        }
        (Some(_), Some(_)) => {}
    }
    Ok(marker)
}

/// Checks an opened repository's marker against `key` (see [`checked_marker`]).
fn check_marker_key(
    store: &RepositoryStore,
    key: Option<&RepositoryKey>,
) -> std::result::Result<(), String> {
    let marker_path = layout::marker().map_err(|e| e.to_string())?;
    let bytes = store.get_bytes(&marker_path).map_err(|e| e.to_string())?;
    checked_marker(&bytes, key).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(registry: &Registry) -> Vec<(String, String)> {
        registry
            .rows()
            .into_iter()
            .map(|r| (r.name, r.location))
            .collect()
    }

    #[test]
    fn typed_locations_are_shown_kept_and_optional()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        let old_repo = dir.path().join("old");
        std::fs::create_dir(&old_repo)?;
        let old_location = old_repo.to_string_lossy().into_owned();
        // A file written before `typed_location` existed: the location is shown.
        let old = format!(
            r#"{{"repositories": [{{"id": 1, "name": "old", "location": {old_location:?},
               "properties": {{}}, "read_only": false, "broker": null, "create_time_ms": 5}}]}}"#
        );
        std::fs::write(data.join(REGISTRY_FILE), old)?;
        let mut registry = Registry::load(&data, None, 7)?;
        assert_eq!(shown(&registry), [("old".into(), old_location)]);
        registry.drop_repository("old")?;

        let resolved = dir.path().join("repo").to_string_lossy().into_owned();
        let typed = NewLocation {
            resolved: &resolved,
            typed: "repo",
        };
        let options = RepositoryOptions::default();
        let created = registry.create("r", typed, &options, false, None, 7)?;
        assert_eq!(
            created.location(),
            resolved,
            "I/O uses the resolved location"
        );
        assert!(dir.path().join("repo").join(layout::MARKER).is_file());
        assert_eq!(shown(&registry), [("r".into(), "repo".into())]);
        let reloaded = Registry::load(&data, None, 8)?;
        assert_eq!(shown(&reloaded), [("r".into(), "repo".into())]);
        assert_eq!(reloaded.get("r")?.location(), resolved);
        Ok(())
    }
}
