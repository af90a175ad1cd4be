//! Repository store against a real S3 API: moto's server (`python3 -m moto.server`), started as a
//! child process on a free 127.0.0.1 port for the duration of the test.
//!
//! moto must be installed (`scripts/test.sh` installs it); without it this test fails, on purpose.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use bytes::Bytes;
use tabvault_snapshot::{
    FaultPlan, FileStatus, RepoPath, RepositoryError, RepositoryOptions, RepositoryStore,
    TransferMethod,
};
use tabvault_storage::ScanRequest;

const BUCKET: &str = "tabvault-test";
const ACCESS_KEY: &str = "AKIAMOTOTESTACCESS";
const SECRET_KEY: &str = "moto/secret+value/that/must/never/leak";

/// A running moto server; killed (and reaped) when dropped, also when the test panics.
struct Moto {
    child: Child,
    addr: SocketAddr,
    log: tempfile::NamedTempFile,
}

impl Moto {
    fn start() -> Moto {
        let import = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            import.is_ok_and(|s| s.success()),
            "moto is not installed for python3, so the S3 repository tests cannot run: run \
             scripts/test.sh (it installs moto[server]), or `python3 -m pip install \"moto[server]\"`"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = tempfile::NamedTempFile::new().expect("log file");
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("log handle"))
            .spawn()
            .expect("spawning python3 -m moto.server");
        let mut moto = Moto { child, addr, log };
        moto.wait_until_listening();
        moto
    }

    /// Polls until the server accepts connections (or has died, or a minute has passed).
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(500)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto server exited with {status}:\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "moto server did not listen on {} within 60 s:\n{}",
                self.addr,
                self.log_text()
            );
            // Back off briefly between connection attempts while python starts.
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn log_text(&self) -> String {
        fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One plain (unsigned) HTTP/1.1 request; moto does not check signatures. Returns the status
    /// code and body.
    fn http(&self, method: &str, target: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).expect("connect to moto");
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("send head");
        stream.write_all(body).expect("send body");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Best effort: the process may already have exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn name(s: &str) -> RepoPath {
    RepoPath::parse(s).expect("test names are valid")
}

fn props(moto: &Moto) -> BTreeMap<String, String> {
    [
        ("aws.s3.access_key", ACCESS_KEY.to_string()),
        ("aws.s3.secret_key", SECRET_KEY.to_string()),
        ("aws.s3.endpoint", moto.endpoint()),
        ("aws.s3.region", "us-east-1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The same settings as repository options.
fn options(moto: &Moto) -> RepositoryOptions {
    RepositoryOptions::from_properties(&props(moto)).expect("valid properties")
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET_KEY), "secret key leaked: {text}");
    assert!(!text.contains(ACCESS_KEY), "access key leaked: {text}");
}

#[test]
fn s3_repository_against_moto() {
    let moto = Moto::start();
    let (status, body) = moto.http("PUT", &format!("/{BUCKET}"), b"");
    assert_eq!(status, 200, "creating the bucket: {body}");
    let options = options(&moto);
    let store = RepositoryStore::open(&format!("s3://{BUCKET}/repos/r1"), &options).expect("open");
    assert_no_secret(&format!("{store:?} {options:?}"));

    round_trip(&store);
    files(&store);
    listing(&store, &moto);
    atomicity(&store, &moto);
    invalid_names_in_the_bucket(&store, &moto);
    errors_hide_secrets(&moto);

    // s3a:// is the same store.
    let s3a = RepositoryStore::open(&format!("s3a://{BUCKET}/repos/r1"), &options).expect("s3a");
    assert_eq!(&s3a.get_bytes(&name("meta/info")).expect("get")[..], b"v2");
}

fn round_trip(store: &RepositoryStore) {
    let n = name("meta/info");
    assert_eq!(store.size(&n).expect("size"), None);
    assert!(matches!(store.get_bytes(&n), Err(RepositoryError::NotFound(s)) if s == "meta/info"));
    store.put_bytes(&n, Bytes::from_static(b"v1")).expect("put");
    assert_eq!(&store.get_bytes(&n).expect("get")[..], b"v1");
    store
        .put_bytes(&n, Bytes::from_static(b"v2"))
        .expect("overwrite");
    assert_eq!(store.size(&n).expect("size"), Some(2));
    let gone = name("meta/gone");
    store
        .put_bytes(&gone, Bytes::from_static(b"x"))
        .expect("put");
    store.delete(&gone).expect("delete");
    store.delete(&gone).expect("delete absent");
    assert_eq!(store.size(&gone).expect("size"), None);
}

fn files(store: &RepositoryStore) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let small = scratch.path().join("small");
    fs::write(&small, b"small file").expect("write");
    assert_eq!(
        store
            .put_file(&name("data/small"), &small)
            .expect("put small"),
        TransferMethod::Upload
    );
    // Bigger than one 8 MiB part: a multipart upload with parallel parts.
    let big = scratch.path().join("big");
    let data: Vec<u8> = (0..(17 * 1024 * 1024 + 5))
        .map(|i: u32| (i % 253) as u8)
        .collect();
    fs::write(&big, &data).expect("write");
    let n = name("data/big");
    assert_eq!(
        store.put_file(&n, &big).expect("put big"),
        TransferMethod::Upload
    );
    assert_eq!(store.size(&n).expect("size"), Some(data.len() as u64));
    let dest = scratch.path().join("restored/big");
    assert_eq!(
        store.get_file(&n, &dest).expect("get big"),
        TransferMethod::Upload
    );
    assert!(
        fs::read(&dest).expect("read") == data,
        "downloaded bytes differ"
    );
    let dest_small = scratch.path().join("restored/small");
    store
        .get_file(&name("data/small"), &dest_small)
        .expect("get small");
    assert_eq!(fs::read(&dest_small).expect("read"), b"small file");
}

fn listing(store: &RepositoryStore, moto: &Moto) {
    for n in ["l/b/2", "l/a/1", "l/a/0", "l/ab", "l/a/z/deep"] {
        store
            .put_bytes(&name(n), Bytes::from(n.as_bytes().to_vec()))
            .expect("put");
    }
    let listed: Vec<(String, u64)> = store
        .list(&name("l/a"))
        .expect("list")
        .into_iter()
        .map(|(p, s)| (p.to_string(), s))
        .collect();
    assert_eq!(
        listed,
        [
            ("l/a/0".to_string(), 5),
            ("l/a/1".to_string(), 5),
            ("l/a/z/deep".to_string(), 10)
        ]
    );
    assert!(store.list(&name("nothing/here")).expect("list").is_empty());
    // Objects outside the repository's prefix are not part of it.
    let bucket_root =
        RepositoryStore::open(&format!("s3://{BUCKET}"), &options(moto)).expect("open");
    bucket_root
        .put_bytes(&name("repos/r10/other"), Bytes::from_static(b"o"))
        .expect("put outside");
    let all: Vec<String> = store
        .list_all()
        .expect("list all")
        .into_iter()
        .map(|(p, _)| p.to_string())
        .collect();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    assert!(all.contains(&"meta/info".to_string()) && all.contains(&"data/big".to_string()));
    assert!(!all.iter().any(|n| n.contains("other")), "{all:?}");
    store.delete(&name("l/ab")).expect("delete");
    assert_eq!(store.list(&name("l")).expect("list").len(), 4);
}

fn atomicity(store: &RepositoryStore, moto: &Moto) {
    let n = name("meta/info");
    let torn = store.clone().with_faults(FaultPlan {
        tear_uploads: true,
        fail_ops: vec![0, 1, 2],
        ..FaultPlan::default()
    });
    let err = torn
        .put_bytes(&n, Bytes::from(vec![1u8; 64 * 1024]))
        .expect_err("torn overwrite");
    assert!(matches!(err, RepositoryError::Injected(_)), "{err}");
    assert!(
        torn.put_bytes(&name("meta/new"), Bytes::from(vec![2u8; 1000]))
            .is_err()
    );
    let scratch = tempfile::tempdir().expect("tempdir");
    let src = scratch.path().join("f");
    fs::write(&src, vec![3u8; 10_000]).expect("write");
    assert!(torn.put_file(&name("meta/file"), &src).is_err());
    // Readers still see the old object, and nothing under the new names.
    assert_eq!(&store.get_bytes(&n).expect("get")[..], b"v2");
    assert_eq!(store.size(&name("meta/new")).expect("size"), None);
    assert_eq!(store.size(&name("meta/file")).expect("size"), None);
    let meta: Vec<String> = store
        .list(&name("meta"))
        .expect("list")
        .into_iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(meta, ["meta/info"]);
    // What the crash left: uncompleted multipart uploads, invisible as objects.
    let (status, uploads) = moto.http("GET", &format!("/{BUCKET}?uploads"), b"");
    assert_eq!(status, 200, "{uploads}");
    for key in [
        "repos/r1/meta/info",
        "repos/r1/meta/new",
        "repos/r1/meta/file",
    ] {
        assert!(
            uploads.contains(&format!("<Key>{key}</Key>")),
            "{key} in {uploads}"
        );
    }
    // The next operation is not in the plan.
    torn.put_bytes(&name("meta/new"), Bytes::from_static(b"fine"))
        .expect("put after the tear");
    assert_eq!(
        &store.get_bytes(&name("meta/new")).expect("get")[..],
        b"fine"
    );
}

fn invalid_names_in_the_bucket(store: &RepositoryStore, moto: &Moto) {
    // A key written by another tool that no RepoPath can name: listing must fail, not skip it.
    let (status, body) = moto.http("PUT", &format!("/{BUCKET}/repos/r1/odd/bad%5Cname"), b"x");
    assert_eq!(status, 200, "{body}");
    let listed = store.list(&name("odd"));
    assert!(
        matches!(&listed, Err(RepositoryError::InvalidName { name, .. }) if name == "odd/bad\\name"),
        "{listed:?}"
    );
    // Listing the whole repository meets it too; other prefixes are unaffected.
    assert!(matches!(
        store.list_all(),
        Err(RepositoryError::InvalidName { .. })
    ));
    assert_eq!(store.list(&name("meta")).expect("list").len(), 2);
}

fn errors_hide_secrets(moto: &Moto) {
    let missing = RepositoryStore::open("s3://no-such-bucket/p", &options(moto)).expect("open");
    let err = missing
        .put_bytes(&name("x"), Bytes::from_static(b"x"))
        .expect_err("no bucket");
    assert!(matches!(err, RepositoryError::ObjectStore { .. }), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));
    let err = missing.list_all().expect_err("no bucket");
    assert_no_secret(&format!("{err} {err:?} {missing:?}"));
}

/// BACKUP to and RESTORE from an `s3://` repository on moto: the job finishes, SHOW SNAPSHOT
/// lists the snapshot, the data comes back row for row, and a second backup uploads nothing.
#[test]
fn backup_and_restore_through_s3() -> Result<(), Box<dyn std::error::Error>> {
    let moto = Moto::start();
    let (status, body) = moto.http("PUT", &format!("/{BUCKET}"), b"");
    assert_eq!(status, 200, "creating the bucket: {body}");
    let data = tempfile::tempdir()?;
    let service = common::service_in(data.path())?;
    let engine = service.engine().clone();
    common::populate(&engine, "db")?;
    let location = format!("s3://{BUCKET}/backups");
    service.create_repository("s3repo", &location, &options(&moto), false, None)?;
    let request = |snapshot: &str| tabvault_snapshot::BackupRequest {
        database: "db".into(),
        snapshot: snapshot.into(),
        repository: "s3repo".into(),
        objects: vec![],
        options: Default::default(),
    };
    let first = service.backup(&request("s3snap"))?.wait();
    common::assert_finished(&first);
    assert!(first.progress.files_transferred > 0);
    let listing = service.repository("s3repo")?.list_snapshots()?;
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].name, "s3snap");
    assert_eq!(listing[0].timestamps, vec![first.timestamp.clone()]);
    assert_no_secret(&format!("{:?}", service.repository_rows()));
    // The Iceberg view goes through the same store, addressed by s3:// URIs.
    let table_dir = format!("iceberg/s3snap/{}/db/t", first.timestamp);
    let metadata = service
        .repository("s3repo")?
        .store()
        .get_bytes(&name(&format!("{table_dir}/metadata/v1.metadata.json")))?;
    let metadata: serde_json::Value = serde_json::from_slice(&metadata)?;
    assert_eq!(
        metadata["location"],
        format!("s3://{BUCKET}/backups/{table_dir}")
    );

    let second = service.backup(&request("s3snap2"))?.wait();
    common::assert_finished(&second);
    assert_eq!(
        second.progress.files_transferred, 0,
        "unchanged data is not uploaded again"
    );

    // VERIFY and a read in place go through the same S3 API: every file checks out, and the
    // snapshot's tables read (fetched and checked) exactly like the unchanged live ones.
    let verified = service.verify_snapshot("s3repo", "s3snap", None)?;
    assert!(verified.len() > 2, "{verified:?}");
    assert!(
        verified.iter().all(|r| r.status == FileStatus::Ok),
        "{verified:?}"
    );
    for table in ["t", "pk"] {
        let in_place = service.snapshot_table("s3repo", "s3snap", None, table)?;
        let version = in_place.version_for(&ScanRequest::all())?;
        assert_eq!(
            common::version_rows(&version, &ScanRequest::all())?,
            common::table_rows(&engine, "db", table)?,
            "{table}"
        );
    }

    let before = common::table_rows(&engine, "db", "t")?;
    engine.truncate("db", "t", None)?;
    let restore = service.restore(&tabvault_snapshot::RestoreRequest {
        database: "db".into(),
        snapshot: "s3snap".into(),
        repository: "s3repo".into(),
        objects: vec![],
        options: tabvault_snapshot::RestoreOptions::at(&first.timestamp),
    })?;
    common::assert_finished(&restore.wait());
    assert_eq!(common::table_rows(&engine, "db", "t")?, before);

    // The same through an encrypted repository in the same bucket: only sealed objects are
    // uploaded, and VERIFY, a read in place and RESTORE open them.
    let keys = tempfile::tempdir()?;
    let key = keys.path().join("key");
    fs::write(&key, [7u8; 32])?;
    let mut encrypted = props(&moto);
    encrypted.insert("encryption".into(), "chacha20-poly1305".into());
    encrypted.insert(
        "encryption.key_file".into(),
        key.to_string_lossy().into_owned(),
    );
    let sealed_location = format!("s3://{BUCKET}/sealed");
    let encrypted = RepositoryOptions::from_properties(&encrypted)?;
    service.create_repository("sealed", &sealed_location, &encrypted, false, None)?;
    let sealed = service
        .backup(&tabvault_snapshot::BackupRequest {
            repository: "sealed".into(),
            ..request("sealed1")
        })?
        .wait();
    common::assert_finished(&sealed);
    let raw = RepositoryStore::open(&sealed_location, &options(&moto))?;
    let objects = raw.list_all()?;
    assert!(objects.len() > 3, "{objects:?}");
    for (object, _) in &objects {
        let bytes = raw.get_bytes(object)?;
        if object.as_str() != "tabvault-repository.json" {
            assert!(bytes.starts_with(b"TVENC001"), "{object} is not sealed");
        }
    }
    let verified = service.verify_snapshot("sealed", "sealed1", None)?;
    assert!(
        verified.iter().all(|r| r.status == FileStatus::Ok),
        "{verified:?}"
    );
    let in_place = service.snapshot_table("sealed", "sealed1", None, "pk")?;
    assert_eq!(
        common::version_rows(
            &in_place.version_for(&ScanRequest::all())?,
            &ScanRequest::all()
        )?,
        common::table_rows(&engine, "db", "pk")?
    );
    engine.truncate("db", "t", None)?;
    let restore = service.restore(&tabvault_snapshot::RestoreRequest {
        database: "db".into(),
        snapshot: "sealed1".into(),
        repository: "sealed".into(),
        objects: vec![],
        options: tabvault_snapshot::RestoreOptions::at(&sealed.timestamp),
    })?;
    common::assert_finished(&restore.wait());
    assert_eq!(common::table_rows(&engine, "db", "t")?, before);
    Ok(())
}
