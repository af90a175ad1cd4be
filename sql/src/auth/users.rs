//! Users, roles and their grants, persisted as `users.json` in the data directory (written with
//! `write_file_durable`, so created 0600 under the private data directory). Passwords are kept as
//! Argon2id hashes plus MySQL's native hash (password.rs) and never printed.
//!
//! Built in: the user `root` (role `root`, no password until one is set) and the roles `root`
//! (every privilege) and `db_admin` (ADMIN: BACKUP, RESTORE, CANCEL, repositories, plus every
//! table privilege). Host parts of `'user'@'host'` are accepted and ignored: a user is its name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::password::{Verifiers, argon2_matches, legacy_blake3_matches, native_matches};
use crate::error::{Result, SqlError};
use crate::parser::NewPassword;

/// The users file's name inside the data directory.
pub const USERS_FILE: &str = "users.json";
/// The built-in superuser and its role.
pub const ROOT: &str = "root";
/// The built-in administrator role.
pub const DB_ADMIN: &str = "db_admin";
/// The `users.json` format this build writes; format 1 (BLAKE3 verifiers, no version field) is
/// still read.
const USERS_FORMAT_VERSION: u32 = 2;

/// What a grant covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// `*.*`.
    #[serde(rename = "Global")]
    Global,
    /// `db.*`.
    #[serde(rename = "Database")]
    Database(String),
    /// `db.t`.
    #[serde(rename = "Table")]
    Table(String, String),
}

impl Scope {
    /// Whether a privilege on this scope applies to `db` (and `table`, when given).
    pub fn covers(&self, db: &str, table: Option<&str>) -> bool {
        match self {
            Self::Global => true,
            Self::Database(d) => d == db,
            Self::Table(d, t) => d == db && table == Some(t.as_str()),
        }
    }

    /// Whether this scope names `db` (and `table`, when given) or something inside it: a grant
    /// on it makes `db` (or `table`) visible.
    pub fn touches(&self, db: &str, table: Option<&str>) -> bool {
        match self {
            Self::Global => true,
            Self::Database(d) => d == db,
            Self::Table(d, t) => d == db && table.is_none_or(|table| table == t),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Global => "*.*".into(),
            Self::Database(d) => format!("{d}.*"),
            Self::Table(d, t) => format!("{d}.{t}"),
        }
    }
}

/// One privilege on one scope; `privilege` is `SELECT`, `INSERT`, `DELETE`, `ALTER`, `DROP` or
/// `ALL`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GrantRecord {
    /// Privilege name, upper case.
    #[serde(rename = "privilege")]
    pub privilege: String,
    /// What it covers.
    #[serde(rename = "scope")]
    pub scope: Scope,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct UserRecord {
    /// Argon2id PHC string of the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    /// Format 1's salt for `password_hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    /// Format 1's BLAKE3 verifier, kept until the password is next set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    /// `SHA1(SHA1(password))` in hex for the MySQL protocol's mysql_native_password (native.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mysql_native_hash: Option<String>,
    roles: BTreeSet<String>,
    grants: BTreeSet<GrantRecord>,
}

impl UserRecord {
    fn has_password(&self) -> bool {
        self.password.is_some() || self.password_hash.is_some() || self.mysql_native_hash.is_some()
    }

    /// Whether `password` is this user's: checked against the strongest verifier kept.
    fn password_matches(&self, password: Option<&str>) -> bool {
        let given = password.unwrap_or("");
        if let Some(phc) = &self.password {
            return argon2_matches(phc, given);
        }
        if let (Some(salt), Some(stored)) = (&self.salt, &self.password_hash) {
            return legacy_blake3_matches(salt, stored, given);
        }
        match &self.mysql_native_hash {
            Some(native) => native_matches(native, given),
            None => given.is_empty(),
        }
    }

    fn set_verifiers(&mut self, verifiers: Verifiers) {
        self.password = verifiers.argon2;
        self.mysql_native_hash = verifiers.native;
        self.salt = None;
        self.password_hash = None;
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct RoleRecord {
    grants: BTreeSet<GrantRecord>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    /// Absent in format 1.
    #[serde(default = "format_one")]
    format_version: u32,
    users: BTreeMap<String, UserRecord>,
    roles: BTreeMap<String, RoleRecord>,
}

/// What one user holds: roles and grants, their own and their roles'.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Roles, built-in or created.
    pub roles: BTreeSet<String>,
    /// Privileges, direct and through roles.
    pub grants: BTreeSet<GrantRecord>,
}

/// The users and roles of one data directory.
#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    file: UsersFile,
}

impl UserStore {
    /// Loads `users.json` from `dir`, or starts with only `root` when there is none. A temporary
    /// copy left by a crash during a save (it may hold password hashes) is removed.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(USERS_FILE);
        tabvault_storage::internal::remove_file_if_exists(&tabvault_storage::internal::temp_path(
            &path,
        ))?;
        let mut file: UsersFile = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SqlError::Invalid(format!("corrupted {}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => UsersFile::default(),
            Err(source) => {
                return Err(SqlError::Io {
                    context: format!("reading {}", path.display()),
                    source,
                });
            }
        };
        if file.format_version > USERS_FORMAT_VERSION {
            return Err(SqlError::Invalid(format!(
                "{} has format version {}, newer than this build reads ({USERS_FORMAT_VERSION}); \
                 open it with a newer tabvault",
                path.display(),
                file.format_version
            )));
        }
        file.users.entry(ROOT.into()).or_insert_with(|| UserRecord {
            roles: BTreeSet::from([ROOT.to_owned()]),
            ..UserRecord::default()
        });
        Ok(Self { path, file })
    }

    /// For mysql_native_password (native.rs): `None` for no such user, else whether the user has
    /// a password and its stored native hash.
    pub(crate) fn native_credentials(&self, name: &str) -> Option<(bool, Option<&str>)> {
        let user = self.file.users.get(name)?;
        Some((user.has_password(), user.mysql_native_hash.as_deref()))
    }

    /// Whether `name` is a user.
    pub fn has_user(&self, name: &str) -> bool {
        self.file.users.contains_key(name)
    }

    /// Checks a login: the user exists and the password matches (a user without password accepts
    /// an empty one).
    pub fn authenticate(&self, name: &str, password: Option<&str>) -> Result<()> {
        let user = self
            .file
            .users
            .get(name)
            .ok_or_else(|| SqlError::Login(name.to_owned()))?;
        if user.password_matches(password) {
            Ok(())
        } else {
            Err(SqlError::Login(name.to_owned()))
        }
    }

    /// `CREATE USER`. Returns false when it exists and `if_not_exists`.
    pub fn create_user(
        &mut self,
        name: &str,
        password: Option<&NewPassword>,
        if_not_exists: bool,
    ) -> Result<bool> {
        if self.file.users.contains_key(name) {
            return if if_not_exists {
                Ok(false)
            } else {
                Err(SqlError::Invalid(format!(
                    "Operation CREATE USER failed for '{name}': user already exists"
                )))
            };
        }
        let mut record = UserRecord::default();
        if let Some(password) = password {
            record.set_verifiers(Verifiers::of(password)?);
        }
        self.file.users.insert(name.to_owned(), record);
        self.save()?;
        Ok(true)
    }

    /// `ALTER USER … IDENTIFIED BY` and `SET PASSWORD`: replaces the user's password (an empty
    /// one removes it).
    pub fn set_password(&mut self, name: &str, password: &NewPassword) -> Result<()> {
        let verifiers = Verifiers::of(password)?;
        self.user_mut(name)?.set_verifiers(verifiers);
        self.save()
    }

    /// Whether `name` has a password (false for unknown users).
    pub fn has_password(&self, name: &str) -> bool {
        self.file
            .users
            .get(name)
            .is_some_and(UserRecord::has_password)
    }

    /// `DROP USER`. `root` cannot be dropped.
    pub fn drop_user(&mut self, name: &str, if_exists: bool) -> Result<bool> {
        if name == ROOT {
            return Err(SqlError::Invalid(
                "Operation DROP USER failed for 'root': the root user cannot be dropped".into(),
            ));
        }
        if self.file.users.remove(name).is_none() {
            return if if_exists {
                Ok(false)
            } else {
                Err(SqlError::Invalid(format!(
                    "Operation DROP USER failed for '{name}': user does not exist"
                )))
            };
        }
        self.save()?;
        Ok(true)
    }

    /// `CREATE ROLE`.
    pub fn create_role(&mut self, name: &str, if_not_exists: bool) -> Result<bool> {
        if self.role_exists(name) {
            return if if_not_exists {
                Ok(false)
            } else {
                Err(SqlError::Invalid(format!("Role '{name}' already exists")))
            };
        }
        self.file
            .roles
            .insert(name.to_owned(), RoleRecord::default());
        self.save()?;
        Ok(true)
    }

    /// `DROP ROLE`. Built-in roles cannot be dropped; users lose the role.
    pub fn drop_role(&mut self, name: &str, if_exists: bool) -> Result<bool> {
        if name == ROOT || name == DB_ADMIN {
            return Err(SqlError::Invalid(format!(
                "Role '{name}' is built in and cannot be dropped"
            )));
        }
        if self.file.roles.remove(name).is_none() {
            return if if_exists {
                Ok(false)
            } else {
                Err(SqlError::Invalid(format!("Role '{name}' does not exist")))
            };
        }
        for user in self.file.users.values_mut() {
            user.roles.remove(name);
        }
        self.save()?;
        Ok(true)
    }

    /// Gives (`grant`) or takes (`!grant`) roles to a user.
    pub fn set_roles(&mut self, user: &str, roles: &[String], grant: bool) -> Result<()> {
        if let Some(missing) = roles.iter().find(|r| !self.role_exists(r)) {
            return Err(SqlError::Invalid(format!(
                "Role '{missing}' does not exist"
            )));
        }
        if !grant && user == ROOT && roles.iter().any(|r| r == ROOT) {
            return Err(SqlError::Invalid(
                "the root user keeps the root role".into(),
            ));
        }
        let record = self.user_mut(user)?;
        for role in roles {
            if grant {
                record.roles.insert(role.clone());
            } else {
                record.roles.remove(role);
            }
        }
        self.save()
    }

    /// Gives or takes privileges, to a user or (with `role`) to a role.
    pub fn set_grants(
        &mut self,
        grantee: Grantee<'_>,
        grants: &[GrantRecord],
        grant: bool,
    ) -> Result<()> {
        let set = match grantee {
            Grantee::User(user) => &mut self.user_mut(user)?.grants,
            Grantee::Role(role) if role == ROOT || role == DB_ADMIN => {
                return Err(SqlError::Invalid(format!(
                    "Role '{role}' is built in; its privileges cannot change"
                )));
            }
            Grantee::Role(role) => {
                &mut self
                    .file
                    .roles
                    .get_mut(role)
                    .ok_or_else(|| SqlError::Invalid(format!("Role '{role}' does not exist")))?
                    .grants
            }
        };
        for g in grants {
            if grant {
                set.insert(g.clone());
            } else {
                set.remove(g);
            }
        }
        self.save()
    }

    /// A user's roles and effective grants.
    pub fn grants_of(&self, user: &str) -> Grants {
        let Some(record) = self.file.users.get(user) else {
            return Grants::default();
        };
        let mut grants = record.grants.clone();
        for role in &record.roles {
            if let Some(r) = self.file.roles.get(role) {
                grants.extend(r.grants.iter().cloned());
            }
        }
        Grants {
            roles: record.roles.clone(),
            grants,
        }
    }

    /// `SHOW GRANTS` lines of a user (never its password).
    pub fn grant_lines(&self, user: &str) -> Result<Vec<String>> {
        let record = self
            .file
            .users
            .get(user)
            .ok_or_else(|| SqlError::Invalid(format!("User '{user}' does not exist")))?;
        let who = format!("'{user}'@'%'");
        let mut lines: Vec<String> = record
            .roles
            .iter()
            .map(|r| format!("GRANT {r} TO {who}"))
            .collect();
        lines.extend(
            record
                .grants
                .iter()
                .map(|g| format!("GRANT {} ON {} TO {who}", g.privilege, g.scope.text())),
        );
        Ok(lines)
    }

    fn role_exists(&self, name: &str) -> bool {
        name == ROOT || name == DB_ADMIN || self.file.roles.contains_key(name)
    }

    fn user_mut(&mut self, name: &str) -> Result<&mut UserRecord> {
        self.file
            .users
            .get_mut(name)
            .ok_or_else(|| SqlError::Invalid(format!("User '{name}' does not exist")))
    }

    fn save(&mut self) -> Result<()> {
        self.file.format_version = USERS_FORMAT_VERSION;
        let bytes = serde_json::to_vec_pretty(&self.file)
            .map_err(|e| SqlError::Invalid(format!("cannot encode users: {e}")))?;
        tabvault_storage::internal::write_file_durable(&self.path, &bytes)?;
        Ok(())
    }
}

/// Who a privilege grant goes to.
#[derive(Clone, Copy, Debug)]
pub enum Grantee<'a> {
    /// A user by name.
    User(&'a str),
    /// A role by name.
    Role(&'a str),
}

fn format_one() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_salted_hashes_and_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = UserStore::open(dir.path()).expect("open");
        store
            .authenticate(ROOT, None)
            .expect("root has no password");
        assert!(
            store
                .create_user("alice", Some(&NewPassword::Plain("s3cret".into())), false)
                .expect("create")
        );
        store
            .create_user("bob", Some(&NewPassword::Plain("s3cret".into())), false)
            .expect("create");
        let text = std::fs::read_to_string(dir.path().join(USERS_FILE)).expect("file");
        assert!(!text.contains("s3cret"), "password stored in clear");
        let reopened = UserStore::open(dir.path()).expect("reopen");
        reopened
            .authenticate("alice", Some("s3cret"))
            .expect("good password");
        assert!(reopened.authenticate("alice", Some("wrong")).is_err());
        assert!(reopened.authenticate("alice", None).is_err());
        let a = &reopened.file.users["alice"];
        let b = &reopened.file.users["bob"];
        assert_ne!(a.password, b.password, "two users' hashes share a salt");
        assert!(text.contains("\"format_version\": 2"), "{text}");
    }

    #[test]
    fn a_password_can_be_set_changed_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = UserStore::open(dir.path()).expect("open");
        store
            .set_password(ROOT, &NewPassword::Plain("first".into()))
            .expect("set");
        assert!(store.has_password(ROOT));
        assert!(store.authenticate(ROOT, None).is_err());
        store.authenticate(ROOT, Some("first")).expect("first");
        store
            .set_password(ROOT, &NewPassword::Plain("second".into()))
            .expect("change");
        let reopened = UserStore::open(dir.path()).expect("reopen");
        assert!(reopened.authenticate(ROOT, Some("first")).is_err());
        reopened.authenticate(ROOT, Some("second")).expect("second");
        let mut store = reopened;
        store
            .set_password(ROOT, &NewPassword::Plain(String::new()))
            .expect("remove");
        store.authenticate(ROOT, None).expect("no password again");
        assert!(
            store
                .set_password("nobody", &NewPassword::Plain("x".into()))
                .is_err()
        );
    }

    #[test]
    fn format_one_files_still_log_in_and_newer_formats_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let salt = "00112233445566778899aabbccddeeff";
        let verifier = {
            let mut hasher = blake3::Hasher::new();
            hasher.update(salt.as_bytes());
            hasher.update(&[0]);
            hasher.update(b"old");
            hasher.finalize().to_hex().to_string()
        };
        let v1 = format!(
            r#"{{"users": {{"carol": {{"salt": "{salt}", "password_hash": "{verifier}",
               "roles": [], "grants": []}}}}, "roles": {{}}}}"#
        );
        std::fs::write(dir.path().join(USERS_FILE), v1).expect("write");
        std::fs::write(dir.path().join("users.json.tmp"), "half a save").expect("write");
        let store = UserStore::open(dir.path()).expect("open v1");
        assert!(
            !dir.path().join("users.json.tmp").exists(),
            "leftover temp kept"
        );
        store
            .authenticate("carol", Some("old"))
            .expect("v1 password");
        assert!(store.authenticate("carol", Some("new")).is_err());
        assert!(store.authenticate("carol", None).is_err());
        std::fs::write(
            dir.path().join(USERS_FILE),
            r#"{"format_version": 3, "users": {}, "roles": {}}"#,
        )
        .expect("write");
        let err = UserStore::open(dir.path()).expect_err("newer format");
        assert!(err.to_string().contains("format version 3"), "{err}");
    }

    #[test]
    fn roles_and_grants_combine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = UserStore::open(dir.path()).expect("open");
        store.create_user("u", None, false).expect("create");
        store.create_role("readers", false).expect("role");
        let select = GrantRecord {
            privilege: "SELECT".into(),
            scope: Scope::Database("db".into()),
        };
        store
            .set_grants(
                Grantee::Role("readers"),
                std::slice::from_ref(&select),
                true,
            )
            .expect("grant");
        store
            .set_roles("u", &["readers".into()], true)
            .expect("role");
        assert!(store.grants_of("u").grants.contains(&select));
        store.drop_role("readers", false).expect("drop");
        assert!(store.grants_of("u").grants.is_empty());
        assert!(store.drop_user(ROOT, false).is_err());
    }
}
