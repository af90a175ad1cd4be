//! [`RepositoryError`]: everything a repository operation can fail with.

/// Why a repository operation failed.
///
/// Messages name the location, property keys and object names involved, never a property value
/// that could be a secret (`aws.s3.access_key`, `aws.s3.secret_key` and their `fs.s3a.*` aliases).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepositoryError {
    /// An encrypted repository's key is missing, unreadable or wrong, or an object does not open
    /// with it.
    #[error("repository encryption: {0}")]
    Encryption(String),
    /// The location string cannot be used (empty, malformed URL, missing bucket, ...).
    #[error("invalid repository location: {0}")]
    InvalidLocation(String),
    /// The location's scheme is not one tabvault can store to.
    #[error(
        "unsupported repository location scheme \"{scheme}://\"; supported locations are a local \
         path, file:///path, s3://bucket/prefix, s3a://bucket/prefix and memory://name"
    )]
    UnsupportedScheme {
        /// The scheme as written, without `://`.
        scheme: String,
    },
    /// One or more property keys this kind of location does not understand (comma-separated).
    #[error(
        "unknown repository property {0}; every location accepts iceberg, retention.keep_last, \
         retention.keep_within, encryption and encryption.key_file; s3:// and s3a:// locations \
         also accept aws.s3.access_key, aws.s3.secret_key, aws.s3.endpoint, aws.s3.region, \
         aws.s3.use_instance_profile, fs.s3a.access.key, fs.s3a.secret.key and fs.s3a.endpoint"
    )]
    UnknownProperty(String),
    /// A known property with a value it cannot take (the message names key and allowed values).
    #[error("invalid repository property: {0}")]
    InvalidProperty(String),
    /// A name that is not a valid [`RepoPath`](super::RepoPath), given by a caller or found in
    /// the repository (listing never silently skips or follows such an entry).
    #[error("invalid repository object name {name:?}: {reason}")]
    InvalidName {
        /// The offending name, as given or found.
        name: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// The named object does not exist.
    #[error("object not found in repository: {0}")]
    NotFound(String),
    /// A local filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and to which path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An object store (S3, in-memory) operation failed.
    #[error("{context}: {source}")]
    ObjectStore {
        /// What was being done, and to which object.
        context: String,
        /// The underlying error.
        source: object_store::Error,
    },
    /// A write (put or delete) to a store opened read-only; nothing was changed.
    #[error("repository location {0} is opened read-only; nothing may be written to it")]
    ReadOnly(String),
    /// An object is larger than what it may be (a forged or foreign file): refused unread.
    #[error("repository object {name} is {size} bytes, more than the {max} it may have")]
    TooLarge {
        /// The object.
        name: String,
        /// Its size.
        size: u64,
        /// The most it may have.
        max: u64,
    },
    /// A failure injected by a [`FaultPlan`](super::FaultPlan) (tests only).
    #[error("injected fault: {0}")]
    Injected(String),
}

/// Attaches a lazily built context to `std::io` results.
pub(crate) trait IoContext<T> {
    /// Wraps the error as [`RepositoryError::Io`] with `context()`.
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T, RepositoryError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T, RepositoryError> {
        self.map_err(|source| RepositoryError::Io {
            context: context(),
            source,
        })
    }
}
