//! Parsing a repository location and its StarRocks-style properties into a [`Location`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::error::RepositoryError;
use super::path::RepoPath;

/// Replacement shown instead of a secret property value.
pub(crate) const REDACTED: &str = "******";

const ACCESS_KEY: &str = "aws.s3.access_key";
const SECRET_KEY: &str = "aws.s3.secret_key";
const ENDPOINT: &str = "aws.s3.endpoint";
const REGION: &str = "aws.s3.region";
const USE_INSTANCE_PROFILE: &str = "aws.s3.use_instance_profile";
const S3A_ACCESS_KEY: &str = "fs.s3a.access.key";
const S3A_SECRET_KEY: &str = "fs.s3a.secret.key";
const S3A_ENDPOINT: &str = "fs.s3a.endpoint";
/// Whether BACKUP also writes Apache Iceberg metadata for each table (`true`/`false`, default
/// `true`); accepted by every kind of location.
pub(crate) const ICEBERG: &str = "iceberg";

/// Property keys an S3 location accepts.
const S3_KEYS: [&str; 8] = [
    ACCESS_KEY,
    SECRET_KEY,
    ENDPOINT,
    REGION,
    USE_INSTANCE_PROFILE,
    S3A_ACCESS_KEY,
    S3A_SECRET_KEY,
    S3A_ENDPOINT,
];

/// Property keys whose values are credentials and must never be shown.
const SECRET_KEYS: [&str; 4] = [ACCESS_KEY, SECRET_KEY, S3A_ACCESS_KEY, S3A_SECRET_KEY];

/// Region used when `aws.s3.region` is not given (S3-compatible stores mostly ignore it).
const DEFAULT_REGION: &str = "us-east-1";

/// Where a repository lives, parsed and validated.
#[derive(Debug)]
pub(crate) enum Location {
    /// A directory of the local filesystem.
    Local(PathBuf),
    /// An in-process store shared by every open of the same `name`, objects under `prefix`.
    Memory {
        /// Registry key: the part of `memory://name/prefix` before the first `/`.
        name: String,
        /// Optional key prefix inside that store.
        prefix: Option<RepoPath>,
    },
    /// An S3 or S3-compatible bucket.
    S3(S3Config),
}

/// Everything needed to build an S3 client. `Debug` is written by hand to hide the credentials.
pub(crate) struct S3Config {
    /// Bucket name.
    pub(crate) bucket: String,
    /// Optional key prefix inside the bucket.
    pub(crate) prefix: Option<RepoPath>,
    /// Access key id, if given.
    pub(crate) access_key: Option<String>,
    /// Secret access key, if given.
    pub(crate) secret_key: Option<String>,
    /// Custom endpoint (MinIO, moto, Ceph, ...): path-style requests; `http://` allows HTTP.
    pub(crate) endpoint: Option<String>,
    /// Signing region.
    pub(crate) region: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| REDACTED);
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish()
    }
}

/// A copy of `properties` with every credential value replaced by `******`.
pub(crate) fn redact(properties: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    properties
        .iter()
        .map(|(k, v)| {
            let shown = if SECRET_KEYS.contains(&k.as_str()) {
                REDACTED.to_string()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Parses `location` and checks `properties` against what that kind of location accepts.
pub(crate) fn parse(
    location: &str,
    properties: &BTreeMap<String, String>,
) -> Result<Location, RepositoryError> {
    if location.trim().is_empty() {
        return Err(RepositoryError::InvalidLocation(
            "the location is empty".to_string(),
        ));
    }
    iceberg_enabled(properties)?;
    let common = |k: &str| k == ICEBERG;
    let Some((scheme, rest)) = split_scheme(location) else {
        reject_properties(properties, common)?;
        return Ok(Location::Local(PathBuf::from(location)));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "file" => {
            reject_properties(properties, common)?;
            if !rest.starts_with('/') {
                return Err(RepositoryError::InvalidLocation(
                    "a file:// location needs an absolute path and no host, as in file:///backups/r1"
                        .to_string(),
                ));
            }
            Ok(Location::Local(PathBuf::from(rest)))
        }
        "memory" => {
            reject_properties(properties, common)?;
            let (name, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if name.is_empty() {
                return Err(RepositoryError::InvalidLocation(
                    "a memory:// location needs a name, as in memory://tests".to_string(),
                ));
            }
            Ok(Location::Memory {
                name: name.to_string(),
                prefix: parse_prefix(prefix)?,
            })
        }
        "s3" | "s3a" => parse_s3(scheme, rest, properties).map(Location::S3),
        _ => Err(RepositoryError::UnsupportedScheme {
            scheme: scheme.to_string(),
        }),
    }
}

/// The `iceberg` property: absent means enabled (every new repository exports Iceberg metadata
/// unless told otherwise); anything but `true`/`false` (any case) is refused.
pub(crate) fn iceberg_enabled(
    properties: &BTreeMap<String, String>,
) -> Result<bool, RepositoryError> {
    match properties.get(ICEBERG) {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(RepositoryError::InvalidProperty(format!(
            "{ICEBERG} must be \"true\" or \"false\", not {v:?}"
        ))),
    }
}

/// The absolute URI other engines reach the repository's root at: `file:///abs/path` for a local
/// directory, `s3://bucket[/prefix]` for S3 (also for an `s3a://` location: every Iceberg reader
/// accepts `s3://`), `memory://name[/prefix]` for in-process stores. `None` when a local path
/// holds characters a URI would need escaped (readers disagree on unescaping them), or is not
/// UTF-8.
pub(crate) fn base_uri(location: &Location) -> Option<String> {
    let with_prefix = |base: String, prefix: &Option<RepoPath>| match prefix {
        Some(p) => format!("{base}/{p}"),
        None => base,
    };
    match location {
        Location::Local(root) => {
            let absolute = std::path::absolute(root).ok()?;
            let text = absolute.to_str()?.trim_end_matches('/');
            let plain = text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-~+=,@".contains(c));
            plain.then(|| format!("file://{text}"))
        }
        Location::Memory { name, prefix } => with_prefix(format!("memory://{name}"), prefix).into(),
        Location::S3(config) => {
            with_prefix(format!("s3://{}", config.bucket), &config.prefix).into()
        }
    }
}

/// `Some((scheme, rest))` when `location` starts with `scheme://` (RFC 3986 scheme characters).
fn split_scheme(location: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = location.split_once("://")?;
    let mut chars = scheme.chars();
    let starts_alpha = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let valid = starts_alpha && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some((scheme, rest))
}

/// Errors with every key that `accepted` refuses, sorted (property maps are sorted already).
fn reject_properties(
    properties: &BTreeMap<String, String>,
    accepted: impl Fn(&str) -> bool,
) -> Result<(), RepositoryError> {
    let unknown: Vec<String> = properties
        .keys()
        .filter(|k| !accepted(k))
        .map(|k| format!("\"{k}\""))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(RepositoryError::UnknownProperty(unknown.join(", ")))
    }
}

/// The key prefix after the bucket (or memory name); empty means none.
fn parse_prefix(prefix: &str) -> Result<Option<RepoPath>, RepositoryError> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return Ok(None);
    }
    RepoPath::parse(prefix).map(Some).map_err(|e| match e {
        RepositoryError::InvalidName { reason, .. } => RepositoryError::InvalidLocation(format!(
            "the prefix after the bucket is not a valid name: {reason}"
        )),
        other => other,
    })
}

fn parse_s3(
    scheme: &str,
    rest: &str,
    properties: &BTreeMap<String, String>,
) -> Result<S3Config, RepositoryError> {
    reject_properties(properties, |k| S3_KEYS.contains(&k) || k == ICEBERG)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.contains('@') {
        // Do not echo the location: the part before '@' may be a credential.
        return Err(RepositoryError::InvalidLocation(format!(
            "credentials inside a {scheme}:// location are not supported; use the \
             aws.s3.access_key and aws.s3.secret_key properties"
        )));
    }
    if bucket.is_empty() {
        return Err(RepositoryError::InvalidLocation(format!(
            "a {scheme}:// location needs a bucket, as in {scheme}://bucket/prefix"
        )));
    }
    if !bucket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(RepositoryError::InvalidLocation(format!(
            "bucket name {bucket:?} may only contain letters, digits, '-', '.' and '_'"
        )));
    }
    let get = |key: &str, alias: &str| -> Result<Option<String>, RepositoryError> {
        match (properties.get(key), properties.get(alias)) {
            (Some(_), Some(_)) => Err(RepositoryError::InvalidLocation(format!(
                "properties {key} and {alias} mean the same; give only one"
            ))),
            (Some(v), None) | (None, Some(v)) => Ok(Some(v.clone())),
            (None, None) => Ok(None),
        }
    };
    let access_key = get(ACCESS_KEY, S3A_ACCESS_KEY)?;
    let secret_key = get(SECRET_KEY, S3A_SECRET_KEY)?;
    let endpoint = get(ENDPOINT, S3A_ENDPOINT)?;
    let use_instance_profile = match properties.get(USE_INSTANCE_PROFILE) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(RepositoryError::InvalidLocation(format!(
                "{USE_INSTANCE_PROFILE} must be \"true\" or \"false\", not {v:?}"
            )));
        }
    };
    match (&access_key, &secret_key) {
        (Some(_), None) | (None, Some(_)) => {
            return Err(RepositoryError::InvalidLocation(format!(
                "{ACCESS_KEY} and {SECRET_KEY} must be given together"
            )));
        }
        (Some(_), Some(_)) if use_instance_profile => {
            return Err(RepositoryError::InvalidLocation(format!(
                "give either {USE_INSTANCE_PROFILE}=true or {ACCESS_KEY}/{SECRET_KEY}, not both"
            )));
        }
        _ => {}
    }
    if let Some(endpoint) = &endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return Err(RepositoryError::InvalidLocation(format!(
            "{ENDPOINT} must start with http:// or https://, not {endpoint:?}"
        )));
    }
    Ok(S3Config {
        bucket: bucket.to_string(),
        prefix: parse_prefix(prefix)?,
        access_key,
        secret_key,
        endpoint,
        region: properties
            .get(REGION)
            .cloned()
            .unwrap_or_else(|| DEFAULT_REGION.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn locations() {
        let none = BTreeMap::new();
        assert!(matches!(parse("/b/r1", &none), Ok(Location::Local(p)) if p == Path::new("/b/r1")));
        assert!(
            matches!(parse("rel/dir", &none), Ok(Location::Local(p)) if p == Path::new("rel/dir"))
        );
        assert!(
            matches!(parse("file:///b/r1", &none), Ok(Location::Local(p)) if p == Path::new("/b/r1"))
        );
        assert!(matches!(
            parse("file://host/x", &none),
            Err(RepositoryError::InvalidLocation(_))
        ));
        assert!(matches!(
            parse("memory://t1/a/b/", &none),
            Ok(Location::Memory { name, prefix: Some(p) }) if name == "t1" && p.as_str() == "a/b"
        ));
        assert!(matches!(
            parse("memory://", &none),
            Err(RepositoryError::InvalidLocation(_))
        ));
        let s3 = parse("s3a://bkt/x/y", &props(&[(REGION, "eu-west-1")]));
        assert!(matches!(
            s3,
            Ok(Location::S3(c)) if c.bucket == "bkt" && c.region == "eu-west-1"
                && c.prefix.as_ref().map(RepoPath::as_str) == Some("x/y")
        ));
        assert!(matches!(
            parse("S3://bkt", &none),
            Ok(Location::S3(c)) if c.prefix.is_none() && c.region == DEFAULT_REGION
        ));
        for bad in [
            "s3://",
            "s3:///x",
            "s3://b/../x",
            "s3://b/a//c",
            "s3://bad bucket/x",
        ] {
            assert!(
                matches!(parse(bad, &none), Err(RepositoryError::InvalidLocation(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse("hdfs://nn:8020/x", &none),
            Err(RepositoryError::UnsupportedScheme { scheme }) if scheme == "hdfs"
        ));
        assert!(matches!(
            parse("", &none),
            Err(RepositoryError::InvalidLocation(_))
        ));
    }

    #[test]
    fn iceberg_property_is_accepted_everywhere_and_checked() {
        for location in ["/tmp/x", "file:///tmp/x", "memory://m", "s3://b/p"] {
            assert!(
                parse(location, &props(&[(ICEBERG, "false")])).is_ok(),
                "{location}"
            );
            assert!(
                matches!(
                    parse(location, &props(&[(ICEBERG, "maybe")])),
                    Err(RepositoryError::InvalidProperty(_))
                ),
                "{location}"
            );
        }
        assert_eq!(iceberg_enabled(&BTreeMap::new()).ok(), Some(true));
        assert_eq!(
            iceberg_enabled(&props(&[(ICEBERG, "FALSE")])).ok(),
            Some(false)
        );
    }

    #[test]
    fn base_uris() -> Result<(), RepositoryError> {
        let none = BTreeMap::new();
        assert_eq!(
            base_uri(&parse("/b/r1/", &none)?).as_deref(),
            Some("file:///b/r1")
        );
        assert_eq!(base_uri(&parse("/b/with space", &none)?), None);
        assert_eq!(
            base_uri(&parse("s3a://bkt/x/y", &none)?).as_deref(),
            Some("s3://bkt/x/y")
        );
        assert_eq!(
            base_uri(&parse("s3://bkt", &none)?).as_deref(),
            Some("s3://bkt")
        );
        assert_eq!(
            base_uri(&parse("memory://m/p", &none)?).as_deref(),
            Some("memory://m/p")
        );
        Ok(())
    }

    #[test]
    fn credentials_in_the_location_are_refused_without_echo() {
        let err = parse("s3://AKID:SECRETVALUE@bucket/x", &BTreeMap::new())
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("credentials"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
    }

    #[test]
    fn property_checks() {
        let unknown = parse("/tmp/x", &props(&[("zeta", "1"), ("alpha", "2")]));
        assert!(matches!(
            unknown,
            Err(RepositoryError::UnknownProperty(names)) if names == "\"alpha\", \"zeta\""
        ));
        let s3_unknown = parse("s3://b", &props(&[(REGION, "r"), ("aws.s3.bogus", "1")]));
        assert!(
            matches!(s3_unknown, Err(RepositoryError::UnknownProperty(n)) if n == "\"aws.s3.bogus\"")
        );
        let half = parse("s3://b", &props(&[(ACCESS_KEY, "AK")]));
        assert!(matches!(half, Err(RepositoryError::InvalidLocation(_))));
        let both = parse(
            "s3://b",
            &props(&[(ENDPOINT, "http://x"), (S3A_ENDPOINT, "http://y")]),
        );
        assert!(matches!(both, Err(RepositoryError::InvalidLocation(_))));
        let bad_endpoint = parse("s3://b", &props(&[(ENDPOINT, "localhost:9000")]));
        assert!(matches!(
            bad_endpoint,
            Err(RepositoryError::InvalidLocation(_))
        ));
        let alias = parse(
            "s3a://b",
            &props(&[
                (S3A_ACCESS_KEY, "AK"),
                (S3A_SECRET_KEY, "SK"),
                (S3A_ENDPOINT, "https://e"),
            ]),
        );
        assert!(matches!(
            alias,
            Ok(Location::S3(c)) if c.access_key.as_deref() == Some("AK")
                && c.secret_key.as_deref() == Some("SK")
                && c.endpoint.as_deref() == Some("https://e")
        ));
    }

    #[test]
    fn debug_and_redaction_hide_secrets() {
        let p = props(&[
            (ACCESS_KEY, "AKID123"),
            (SECRET_KEY, "S3CR3T"),
            (REGION, "r1"),
        ]);
        let shown = redact(&p);
        assert_eq!(shown.get(ACCESS_KEY).map(String::as_str), Some(REDACTED));
        assert_eq!(shown.get(SECRET_KEY).map(String::as_str), Some(REDACTED));
        assert_eq!(shown.get(REGION).map(String::as_str), Some("r1"));
        let debug = format!("{:?}", parse("s3://b/p", &p));
        assert!(
            !debug.contains("AKID123") && !debug.contains("S3CR3T"),
            "{debug}"
        );
        assert!(debug.contains("r1"), "{debug}");
    }
}
