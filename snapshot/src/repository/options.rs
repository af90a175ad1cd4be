//! What a repository is configured with besides its location: the S3 connection, the Iceberg
//! view, retention and encryption. Embedders build a [`RepositoryOptions`]; CREATE REPOSITORY's
//! PROPERTIES and `repositories.json` spell the same settings as StarRocks-style keys, which
//! only this module knows: [`RepositoryOptions::from_properties`] reads them and
//! [`RepositoryOptions::location_properties`] writes the ones the registry file keeps.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::cipher::{Algorithm, ENCRYPTION, ENCRYPTION_KEY_FILE};
use super::error::RepositoryError;
use crate::error::{Result, SnapshotError};
use crate::retention::RetentionPolicy;

/// Replacement shown instead of a secret value.
const REDACTED: &str = "******";

const ACCESS_KEY: &str = "aws.s3.access_key";
const SECRET_KEY: &str = "aws.s3.secret_key";
const ENDPOINT: &str = "aws.s3.endpoint";
const REGION: &str = "aws.s3.region";
const USE_INSTANCE_PROFILE: &str = "aws.s3.use_instance_profile";
const S3A_ACCESS_KEY: &str = "fs.s3a.access.key";
const S3A_SECRET_KEY: &str = "fs.s3a.secret.key";
const S3A_ENDPOINT: &str = "fs.s3a.endpoint";
/// Whether BACKUP also writes Apache Iceberg metadata for each table (`true`/`false`).
pub(crate) const ICEBERG: &str = "iceberg";

/// How to reach an S3 or S3-compatible store (StarRocks' `aws.s3.*` properties). Only an
/// `s3://` or `s3a://` location may have any. `Debug` hides the credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// Access key id (`aws.s3.access_key`, alias `fs.s3a.access.key`); given with the secret.
    pub access_key: Option<String>,
    /// Secret access key (`aws.s3.secret_key`, alias `fs.s3a.secret.key`).
    pub secret_key: Option<String>,
    /// Custom endpoint such as MinIO, Ceph or moto (`aws.s3.endpoint`, alias `fs.s3a.endpoint`):
    /// requests are then path-style, and an `http://` endpoint allows plain HTTP.
    pub endpoint: Option<String>,
    /// Signing region (`aws.s3.region`; default `us-east-1`).
    pub region: Option<String>,
    /// Use the instance's credentials (`aws.s3.use_instance_profile`); not with keys.
    pub use_instance_profile: bool,
}

impl S3Options {
    /// The canonical keys of the settings given, for errors and for the registry file.
    pub(crate) fn given_keys(&self) -> Vec<&'static str> {
        [
            (ACCESS_KEY, self.access_key.is_some()),
            (SECRET_KEY, self.secret_key.is_some()),
            (ENDPOINT, self.endpoint.is_some()),
            (REGION, self.region.is_some()),
            (USE_INSTANCE_PROFILE, self.use_instance_profile),
        ]
        .into_iter()
        .filter_map(|(key, given)| given.then_some(key))
        .collect()
    }

    /// Refuses settings that contradict each other: one key without the other, keys with the
    /// instance profile, an endpoint that is not an HTTP(S) URL.
    pub(crate) fn check(&self) -> std::result::Result<(), RepositoryError> {
        let invalid = |msg: String| Err(RepositoryError::InvalidLocation(msg));
        match (&self.access_key, &self.secret_key) {
            (Some(_), None) | (None, Some(_)) => {
                return invalid(format!(
                    "{ACCESS_KEY} and {SECRET_KEY} must be given together"
                ));
            }
            (Some(_), Some(_)) if self.use_instance_profile => {
                return invalid(format!(
                    "give either {USE_INSTANCE_PROFILE}=true or {ACCESS_KEY}/{SECRET_KEY}, not \
                     both"
                ));
            }
            _ => {}
        }
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return invalid(format!(
                "{ENDPOINT} must start with http:// or https://, not {endpoint:?}"
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| REDACTED);
        f.debug_struct("S3Options")
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("use_instance_profile", &self.use_instance_profile)
            .finish()
    }
}

/// Encryption of every object the repository holds (`encryption` and `encryption.key_file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptionOptions {
    /// The cipher.
    pub algorithm: Algorithm,
    /// Absolute path of the file holding the 32-byte master key (read whenever the engine
    /// opens; the key itself is never stored).
    pub key_file: PathBuf,
}

/// Everything CREATE REPOSITORY configures besides the location.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryOptions {
    /// The S3 connection (empty for other locations).
    pub s3: S3Options,
    /// Whether BACKUP also writes an Iceberg view of each table; `None` means yes, except for
    /// an encrypted repository (other engines could not read its sealed files).
    pub iceberg: Option<bool>,
    /// Which snapshots survive each BACKUP (a tabvault extension); `None` keeps all.
    pub retention: Option<RetentionPolicy>,
    /// Encryption of every object; `None` stores them as they are.
    pub encryption: Option<EncryptionOptions>,
}

impl RepositoryOptions {
    /// Reads StarRocks-style properties: the S3 keys (and their `fs.s3a.*` aliases, not with
    /// the key of the same meaning), `iceberg`, `retention.keep_last`, `retention.keep_within`,
    /// `encryption` and `encryption.key_file`. An unknown key or a bad value is refused with a
    /// message naming it, never echoing a credential.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<Self> {
        let refuse = |e: RepositoryError| SnapshotError::CreateRepository(e.to_string());
        let mut rest = properties.clone();
        let retention = RetentionPolicy::take_from(&mut rest)?;
        let encryption = take_encryption(&mut rest)?;
        let iceberg =
            take_bool(&mut rest, ICEBERG, RepositoryError::InvalidProperty).map_err(refuse)?;
        let mut take_aliased = |key: &str, alias: &str| match (rest.remove(key), rest.remove(alias))
        {
            (Some(_), Some(_)) => Err(RepositoryError::InvalidLocation(format!(
                "properties {key} and {alias} mean the same; give only one"
            ))),
            (value, None) | (None, value) => Ok(value),
        };
        let access_key = take_aliased(ACCESS_KEY, S3A_ACCESS_KEY).map_err(refuse)?;
        let secret_key = take_aliased(SECRET_KEY, S3A_SECRET_KEY).map_err(refuse)?;
        let endpoint = take_aliased(ENDPOINT, S3A_ENDPOINT).map_err(refuse)?;
        let s3 = S3Options {
            access_key,
            secret_key,
            endpoint,
            region: rest.remove(REGION),
            use_instance_profile: take_bool(
                &mut rest,
                USE_INSTANCE_PROFILE,
                RepositoryError::InvalidLocation,
            )
            .map_err(refuse)?
            .unwrap_or(false),
        };
        if !rest.is_empty() {
            return Err(refuse(RepositoryError::UnknownProperty(quoted(
                rest.keys().map(String::as_str),
            ))));
        }
        let options = Self {
            s3,
            iceberg,
            retention,
            encryption,
        };
        options.check()?;
        Ok(options)
    }

    /// Refuses options that contradict each other or cannot work: an Iceberg view asked of an
    /// encrypted repository, a relative key file. (The S3 options are checked with the location
    /// they are for.)
    pub(crate) fn check(&self) -> Result<()> {
        let refuse = |msg: String| Err(SnapshotError::CreateRepository(msg));
        if let Some(encryption) = &self.encryption {
            if self.iceberg == Some(true) {
                return refuse(format!(
                    "an encrypted repository has no Iceberg view (other engines cannot read its \
                     sealed files): drop \"{ICEBERG}\" = \"true\" or the encryption"
                ));
            }
            if !encryption.key_file.is_absolute() {
                return refuse(format!(
                    "{ENCRYPTION_KEY_FILE} must be an absolute path: {}",
                    encryption.key_file.display()
                ));
            }
        }
        Ok(())
    }

    /// Whether BACKUP writes the Iceberg view, unless the repository turns out encrypted.
    pub(crate) fn iceberg_enabled(&self) -> bool {
        self.iceberg.unwrap_or(true)
    }

    /// The settings `repositories.json` keeps as properties: the S3 connection and `iceberg`
    /// (retention and encryption have fields of their own there).
    pub(crate) fn location_properties(&self) -> BTreeMap<String, String> {
        let s3 = &self.s3;
        [
            (ACCESS_KEY, s3.access_key.clone()),
            (SECRET_KEY, s3.secret_key.clone()),
            (ENDPOINT, s3.endpoint.clone()),
            (REGION, s3.region.clone()),
            (
                USE_INSTANCE_PROFILE,
                s3.use_instance_profile.then(|| "true".to_owned()),
            ),
            (ICEBERG, self.iceberg.map(|on| on.to_string())),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key.to_owned(), v)))
        .collect()
    }
}

/// Keys as an error lists them: quoted, comma-separated.
pub(crate) fn quoted<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    keys.map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes a `true`/`false` property (any case) out of `properties`; anything else is refused.
fn take_bool(
    properties: &mut BTreeMap<String, String>,
    key: &str,
    error: fn(String) -> RepositoryError,
) -> std::result::Result<Option<bool>, RepositoryError> {
    match properties.remove(key) {
        None => Ok(None),
        Some(v) if v.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(error(format!(
            "{key} must be \"true\" or \"false\", not {v:?}"
        ))),
    }
}

/// Takes `encryption` and `encryption.key_file` out of `properties`: both or neither, and a
/// cipher tabvault has.
fn take_encryption(properties: &mut BTreeMap<String, String>) -> Result<Option<EncryptionOptions>> {
    let refuse = |msg: String| Err(SnapshotError::CreateRepository(msg));
    match (
        properties.remove(ENCRYPTION),
        properties.remove(ENCRYPTION_KEY_FILE),
    ) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => refuse(format!(
            "{ENCRYPTION} and {ENCRYPTION_KEY_FILE} are given together"
        )),
        (Some(algorithm), Some(key_file)) => match Algorithm::named(&algorithm) {
            Some(algorithm) => Ok(Some(EncryptionOptions {
                algorithm,
                key_file: PathBuf::from(key_file),
            })),
            None => refuse(format!(
                "Invalid {ENCRYPTION} value: {algorithm}; supported: aes-256-gcm, \
                 chacha20-poly1305"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::props;

    #[test]
    fn properties_round_trip_through_the_registry_keys() {
        let given = props(&[
            ("fs.s3a.access.key", "AK"),
            ("aws.s3.secret_key", "SK"),
            ("aws.s3.endpoint", "http://127.0.0.1:9000"),
            ("aws.s3.region", "eu-west-1"),
            ("iceberg", "FALSE"),
            ("retention.keep_last", "3"),
        ]);
        let options = RepositoryOptions::from_properties(&given).expect("valid");
        assert_eq!(options.s3.access_key.as_deref(), Some("AK"));
        assert_eq!(options.iceberg, Some(false));
        assert_eq!(options.retention.and_then(|r| r.keep_last), Some(3));
        let kept = options.location_properties();
        assert_eq!(
            kept.get("aws.s3.access_key").map(String::as_str),
            Some("AK")
        );
        assert!(!kept.contains_key("retention.keep_last"));
        let again = RepositoryOptions::from_properties(&kept).expect("valid");
        assert_eq!(again.s3, options.s3);
        assert_eq!(again.iceberg, options.iceberg);
    }

    #[test]
    fn unknown_keys_aliases_and_bad_values_are_refused_without_echoing_secrets() {
        let err = |pairs: &[(&str, &str)]| {
            RepositoryOptions::from_properties(&props(pairs))
                .expect_err("refused")
                .to_string()
        };
        let unknown = err(&[("aws.s3.bogus", "x"), ("zzz", "y")]);
        assert!(unknown.contains("\"aws.s3.bogus\", \"zzz\""), "{unknown}");
        let both = err(&[
            ("aws.s3.access_key", "SECRET1"),
            ("fs.s3a.access.key", "SECRET2"),
        ]);
        assert!(
            both.contains("mean the same") && !both.contains("SECRET"),
            "{both}"
        );
        assert!(err(&[("iceberg", "maybe")]).contains("\"true\" or \"false\""));
        assert!(err(&[("encryption", "rot13"), ("encryption.key_file", "/k")]).contains("rot13"));
        assert!(
            err(&[("encryption", "aes-256-gcm"), ("encryption.key_file", "k")])
                .contains("absolute")
        );
        assert!(
            err(&[
                ("encryption", "aes-256-gcm"),
                ("encryption.key_file", "/k"),
                ("iceberg", "true")
            ])
            .contains("no Iceberg view")
        );
    }

    #[test]
    fn debug_hides_credentials() {
        let options = S3Options {
            access_key: Some("AKIDSECRET".into()),
            secret_key: Some("SKSECRET".into()),
            ..S3Options::default()
        };
        let shown = format!("{options:?}");
        assert!(
            !shown.contains("SECRET") && shown.contains(REDACTED),
            "{shown}"
        );
    }
}
