//! Parsing a repository location (and its S3 options) into a [`Location`].

use std::path::PathBuf;

use super::error::RepositoryError;
use super::options::{S3Options, quoted};
use super::path::RepoPath;

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

/// Everything needed to build an S3 client (`Debug` hides the credentials, as [`S3Options`]').
#[derive(Debug)]
pub(crate) struct S3Config {
    /// Bucket name.
    pub(crate) bucket: String,
    /// Optional key prefix inside the bucket.
    pub(crate) prefix: Option<RepoPath>,
    /// Credentials, endpoint and region, checked.
    pub(crate) options: S3Options,
}

impl S3Config {
    /// The signing region: the one given, or `us-east-1`.
    pub(crate) fn region(&self) -> &str {
        self.options.region.as_deref().unwrap_or(DEFAULT_REGION)
    }
}

/// Parses `location`; only an S3 location may have S3 options.
pub(crate) fn parse(location: &str, s3: &S3Options) -> Result<Location, RepositoryError> {
    if location.trim().is_empty() {
        return Err(RepositoryError::InvalidLocation(
            "the location is empty".to_string(),
        ));
    }
    let Some((scheme, rest)) = split_scheme(location) else {
        no_s3_options(s3)?;
        return Ok(Location::Local(PathBuf::from(location)));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "file" => {
            no_s3_options(s3)?;
            if !rest.starts_with('/') {
                return Err(RepositoryError::InvalidLocation(
                    "a file:// location needs an absolute path and no host, as in file:///backups/r1"
                        .to_string(),
                ));
            }
            Ok(Location::Local(PathBuf::from(rest)))
        }
        "memory" => {
            no_s3_options(s3)?;
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
        "s3" | "s3a" => parse_s3(scheme, rest, s3).map(Location::S3),
        _ => Err(RepositoryError::UnsupportedScheme {
            scheme: scheme.to_string(),
        }),
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

/// Refuses S3 options for a location that is not S3, naming them.
fn no_s3_options(s3: &S3Options) -> Result<(), RepositoryError> {
    let given = s3.given_keys();
    if given.is_empty() {
        Ok(())
    } else {
        Err(RepositoryError::UnknownProperty(quoted(given.into_iter())))
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

fn parse_s3(scheme: &str, rest: &str, s3: &S3Options) -> Result<S3Config, RepositoryError> {
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
    s3.check()?;
    Ok(S3Config {
        bucket: bucket.to_string(),
        prefix: parse_prefix(prefix)?,
        options: s3.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn locations() {
        let none = S3Options::default();
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
        let region = S3Options {
            region: Some("eu-west-1".into()),
            ..S3Options::default()
        };
        assert!(matches!(
            parse("s3a://bkt/x/y", &region),
            Ok(Location::S3(c)) if c.bucket == "bkt" && c.region() == "eu-west-1"
                && c.prefix.as_ref().map(RepoPath::as_str) == Some("x/y")
        ));
        assert!(matches!(
            parse("S3://bkt", &none),
            Ok(Location::S3(c)) if c.prefix.is_none() && c.region() == DEFAULT_REGION
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
    fn base_uris() -> Result<(), RepositoryError> {
        let none = S3Options::default();
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
        let err = parse("s3://AKID:SECRETVALUE@bucket/x", &S3Options::default())
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("credentials"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
    }

    #[test]
    fn s3_options_are_checked_and_only_s3_locations_take_them() {
        let keys = S3Options {
            access_key: Some("AKID123".into()),
            secret_key: Some("S3CR3T".into()),
            region: Some("r1".into()),
            ..S3Options::default()
        };
        for location in ["/tmp/x", "file:///tmp/x", "memory://m"] {
            assert!(
                matches!(
                    parse(location, &keys),
                    Err(RepositoryError::UnknownProperty(names))
                        if names == "\"aws.s3.access_key\", \"aws.s3.secret_key\", \"aws.s3.region\""
                ),
                "{location}"
            );
        }
        let half = S3Options {
            secret_key: None,
            ..keys.clone()
        };
        assert!(matches!(
            parse("s3://b", &half),
            Err(RepositoryError::InvalidLocation(_))
        ));
        let bad_endpoint = S3Options {
            endpoint: Some("localhost:9000".into()),
            ..S3Options::default()
        };
        assert!(matches!(
            parse("s3://b", &bad_endpoint),
            Err(RepositoryError::InvalidLocation(_))
        ));
        let debug = format!("{:?}", parse("s3://b/p", &keys));
        assert!(
            !debug.contains("AKID123") && !debug.contains("S3CR3T"),
            "{debug}"
        );
        assert!(debug.contains("r1"), "{debug}");
    }
}
