//! The repository store: where BACKUP puts snapshot files and RESTORE reads them back.
//!
//! [`RepositoryStore`] is the low-level storage of one repository *location*: a flat namespace
//! of named byte objects ([`RepoPath`]) with atomic puts, gets, sizes, recursive listing and
//! deletes. It knows nothing about snapshots; the layout of a repository (info files,
//! manifests, checksums) is built on top of it.
//!
//! # Locations and properties
//!
//! | location | backend | options |
//! |---|---|---|
//! | `/backups/r1`, `rel/dir` | local directory (created if missing) | no S3 options |
//! | `file:///backups/r1` | same (absolute path, no host, no percent-decoding) | no S3 options |
//! | `memory://name[/prefix]` | in-process store (tests) | no S3 options |
//! | `s3://bucket[/prefix]`, `s3a://bucket[/prefix]` | S3 or any S3-compatible store | [`S3Options`] |
//!
//! A store is opened with [`RepositoryOptions`]; [`RepositoryOptions::from_properties`] reads
//! them from StarRocks' CREATE REPOSITORY properties: `aws.s3.access_key`, `aws.s3.secret_key`
//! (given together), `aws.s3.endpoint` (a custom endpoint such as MinIO, Ceph or moto: requests
//! are then path-style, and an `http://` endpoint allows plain HTTP), `aws.s3.region` (default
//! `us-east-1`), and `aws.s3.use_instance_profile` (`true`/`false`; without keys the client uses
//! the instance's credentials either way). The Hadoop-style aliases `fs.s3a.access.key`,
//! `fs.s3a.secret.key` and `fs.s3a.endpoint` are accepted too (not together with the
//! `aws.s3.*` key of the same meaning). Any other key is rejected with
//! [`RepositoryError::UnknownProperty`] naming every offending key, and so are S3 options for a
//! local or memory location.
//! Other schemes (`hdfs://`, `oss://`, ...) give [`RepositoryError::UnsupportedScheme`], naming
//! the scheme and the supported ones. Credentials embedded in the URL (`s3://key:secret@bucket`)
//! are refused without echoing them.
//!
//! `memory://name` stores live in a process-wide registry: every open of the same name in one
//! process sees the same objects, for the life of the process (dropping every store does not
//! clear them, so "drop and re-create the repository" behaves like a real bucket). A
//! process-wide map keeps [`RepositoryStore::open`] a plain function of its arguments; tests and
//! engines that need isolation use distinct names (e.g. include a unique id).
//!
//! # Names
//!
//! A [`RepoPath`] is relative, `/`-separated, with non-empty segments, no `.` or `..`, no
//! backslash, no control character, at most 1024 bytes, and never inside `.tabvault-tmp` (the
//! local temporary directory, below). Every name a caller gives and every name the store lists
//! goes through [`RepoPath::parse`]: an invalid name found in a repository (a key written by
//! another tool, a file named `a\b`, a symbolic link) makes [`RepositoryStore::list`] fail with
//! [`RepositoryError::InvalidName`] rather than be skipped or followed.
//!
//! `list(prefix)` returns the objects strictly below `prefix/`, recursively, sorted bytewise by
//! name, each with its size; an object named exactly `prefix` is not included.
//!
//! # Atomicity, per backend
//!
//! * **Local directory.** A put writes the data to a fresh temporary file in
//!   `<root>/.tabvault-tmp/` (a unique name per process, counter and clock), fsyncs it, creates
//!   missing parent directories (fsyncing each parent that gained an entry), renames the
//!   temporary onto the target and fsyncs the target's directory. `rename(2)` is atomic, so a
//!   reader or a crash sees the old object or the whole new one. Temporaries left by a crash stay
//!   in `.tabvault-tmp/`, which listing ignores and no name can address; they can be deleted
//!   whenever no put is running. Symbolic links below the root are never followed: a name that
//!   is or goes through one is an [`RepositoryError::InvalidName`] error.
//! * **S3.** A small put is one `PUT`; a file bigger than 8 MiB is a multipart upload of 8 MiB
//!   parts, up to 4 in flight. S3 makes an object visible only when a `PUT` completes or a
//!   multipart upload is completed, so puts are atomic without a rename (which S3 does not have:
//!   it would be a full copy). A crash leaves at most an uncompleted multipart upload, invisible
//!   under any name; a bucket lifecycle rule (`AbortIncompleteMultipartUpload`) reclaims it.
//! * **Memory.** Puts replace the object in one step under a lock; uncompleted multipart uploads
//!   are simply dropped.
//!
//! `get_file` always writes its destination atomically: a temporary file next to `dest`
//! (`.<file name>.tabvault-tmp-...`), fsync, rename, fsync of the directory.
//!
//! # Hard links
//!
//! When the repository is a local directory and the other side of a transfer is on the same
//! filesystem (equal `st_dev` of the source file and of the destination directory), `put_file`
//! and `get_file` hard-link instead of copying and report [`TransferMethod::HardLink`]: backup
//! and restore then cost O(files), not O(bytes). If linking fails anyway (e.g. a filesystem
//! without hard links, or the link count limit) they fall back to a copy
//! ([`TransferMethod::Copy`], `std::fs::copy`, which uses `copy_file_range` on Linux). A hard
//! link shares the inode, so this is only sound because tabvault never modifies a data file in
//! place. The source must already be durable (tabvault's rowset files and verified downloads
//! are), so only the new name's directory is fsync'd. Object stores always report
//! [`TransferMethod::Upload`] (for downloads too: "through the object-store API").
//!
//! # Faults (tests)
//!
//! [`RepositoryStore::with_faults`] attaches a deterministic [`FaultPlan`]: each operation takes
//! an ordinal (from 0, shared by clones); listed ordinals fail, and `fail_one_in = n` fails about
//! one in `n` chosen by a hash of seed and ordinal. A failing operation returns
//! [`RepositoryError::Injected`] before touching anything, unless `tear_uploads` is set and it
//! is a put: then it models a crash in the middle of the upload, leaving half the data where the
//! backend keeps data in flight (a temporary file in `.tabvault-tmp/`, an abandoned multipart
//! upload) and never anything under the target name, which keeps its previous content.
//!
//! # Secrets
//!
//! Access and secret key values never appear in `Debug` (written by hand), in error messages or
//! in tracing output: [`S3Options`]' `Debug` shows them as `******`.
//!
//! # Threading
//!
//! The API is synchronous. Object-store backends own a small tokio runtime and wait for it from
//! the calling thread through a channel, so the store can be used from plain threads and from
//! inside another tokio runtime alike; dropping the last clone shuts the runtime down without
//! blocking.

mod cipher;
mod digest;
mod error;
mod faults;
mod local;
mod location;
mod object;
mod options;
mod path;
mod registered;
mod store;

pub use cipher::{Algorithm, ENCRYPTION, ENCRYPTION_KEY_FILE, RepositoryKey};
pub use digest::Digest;
pub use error::RepositoryError;
pub use faults::FaultPlan;
pub use path::RepoPath;
pub use registered::{Repository, SnapshotListing};
pub(crate) use registered::{decode_info, decode_manifest};
pub use store::{RepositoryStore, RetryPolicy, TransferMethod};

pub(crate) use location::{Location, parse as parse_location};
pub use options::{EncryptionOptions, RepositoryOptions, S3Options};
