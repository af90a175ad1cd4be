//! Who may log in as `root` when the server starts: an operator-supplied password (from a file or
//! the `TABVAULT_ROOT_PASSWORD` environment variable) is set before the port opens, and a
//! passwordless root is refused on any non-loopback address unless explicitly allowed.

use std::net::SocketAddr;
use std::path::Path;

use tabvault_sql::Database;

use crate::server::ServerError;

/// The environment variable `tabvault serve` reads root's password from.
pub const ROOT_PASSWORD_ENV: &str = "TABVAULT_ROOT_PASSWORD";

/// Root's password policy at start-up. Its `Debug` never shows the password.
#[derive(Clone, Default)]
pub struct RootAccess {
    /// Set root's password to this before listening (`None`: keep the stored one).
    pub password: Option<String>,
    /// Serve a non-loopback address even while root has no password.
    pub allow_passwordless: bool,
}

impl std::fmt::Debug for RootAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootAccess")
            .field("password", &self.password.as_ref().map(|_| "<secret>"))
            .field("allow_passwordless", &self.allow_passwordless)
            .finish()
    }
}

impl RootAccess {
    /// Reads root's password from `file` (one line; the trailing newline is dropped), or else
    /// from [`ROOT_PASSWORD_ENV`] when it is set and not empty.
    pub fn from_sources(
        file: Option<&Path>,
        allow_passwordless: bool,
    ) -> Result<Self, ServerError> {
        let password = match file {
            Some(path) => Some(read_password_file(path)?),
            None => std::env::var(ROOT_PASSWORD_ENV)
                .ok()
                .filter(|p| !p.is_empty()),
        };
        Ok(Self {
            password,
            allow_passwordless,
        })
    }

    /// Sets root's password when one was given, then checks that `listen` is safe for the
    /// resulting root.
    pub fn apply(&self, database: &Database, listen: SocketAddr) -> Result<(), ServerError> {
        if let Some(password) = &self.password {
            database.set_password(tabvault_sql::auth::ROOT, password)?;
        }
        if listen.ip().is_loopback() || database.has_password(tabvault_sql::auth::ROOT) {
            return Ok(());
        }
        if self.allow_passwordless {
            tracing::warn!(
                %listen,
                "root has no password and the server listens beyond loopback: anyone who can \
                 reach it can log in as root"
            );
            return Ok(());
        }
        Err(ServerError::PasswordlessRoot { listen })
    }
}

fn read_password_file(path: &Path) -> Result<String, ServerError> {
    let text = std::fs::read_to_string(path).map_err(|source| ServerError::Io {
        context: format!("reading the root password file {}", path.display()),
        source,
    })?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() || password.contains('\n') {
        return Err(ServerError::RootPasswordFile {
            path: path.to_path_buf(),
        });
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = Database::open(dir.path().join("data")).expect("open");
        (dir, database)
    }

    #[test]
    fn passwordless_root_stays_on_loopback_unless_allowed() {
        let (_dir, database) = database();
        let outside: SocketAddr = "0.0.0.0:9030".parse().expect("addr");
        let inside: SocketAddr = "127.0.0.1:9030".parse().expect("addr");
        let default = RootAccess::default();
        default.apply(&database, inside).expect("loopback is fine");
        let err = default.apply(&database, outside).expect_err("refused");
        assert!(err.to_string().contains("--root-password-file"), "{err}");
        RootAccess {
            allow_passwordless: true,
            ..RootAccess::default()
        }
        .apply(&database, outside)
        .expect("allowed");
        RootAccess {
            password: Some("s3cret".into()),
            ..RootAccess::default()
        }
        .apply(&database, outside)
        .expect("root has a password now");
        assert!(database.session("root", Some("s3cret")).is_ok());
        assert!(database.root_session().is_err());
        default
            .apply(&database, outside)
            .expect("the stored password counts");
    }

    #[test]
    fn password_files_give_one_line_and_are_never_shown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").expect("write");
        let access = RootAccess::from_sources(Some(&file), false).expect("read");
        assert_eq!(access.password.as_deref(), Some("s3cret"));
        assert!(!format!("{access:?}").contains("s3cret"));
        for bad in ["", "\n", "two\nlines\n"] {
            std::fs::write(&file, bad).expect("write");
            let err = RootAccess::from_sources(Some(&file), false).expect_err("bad file");
            assert!(!err.to_string().contains("lines"), "{err}");
        }
        let missing = RootAccess::from_sources(Some(&dir.path().join("none")), false);
        assert!(missing.is_err());
    }
}
