//! criterion micro-benchmarks: append (small and 64K-row batches), scan (full and filtered),
//! snapshot capture, BLAKE3 checksum of a file, repository put/get (memory:// and a local
//! directory). Run with `cargo bench -p tabvault-bench --bench micro`.
#![allow(
    missing_docs,
    reason = "criterion_group! generates the undocumented `benches` function"
)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tabvault_bench::data::{DB, Generator, TABLE, year_start};
use tabvault_bench::scenarios::setup::{create_engine, data_files};
use tabvault_snapshot::{RepoPath, RepositoryOptions, RepositoryStore, capture};
use tabvault_storage::internal::hash_file;
use tabvault_storage::{CompareOp, Engine, Predicate, ScanRequest, Value};

const BIG_BATCH: usize = 64 * 1024;
const SMALL_BATCH: usize = 100;

/// An engine holding `batches` batches of 64K generated rows.
fn loaded_engine(dir: &std::path::Path, batches: usize) -> Engine {
    let engine = create_engine(dir).expect("engine");
    let mut generator = Generator::new(1);
    for _ in 0..batches {
        let batch = generator.batch(BIG_BATCH, 1992..=1998).expect("rows");
        engine.append(DB, TABLE, batch).expect("append");
    }
    engine
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.sample_size(10);
    for rows in [SMALL_BATCH, BIG_BATCH] {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = create_engine(dir.path()).expect("engine");
        let batch = Generator::new(2).batch(rows, 1992..=1998).expect("rows");
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(format!("{rows}_rows"), |b| {
            b.iter(|| engine.append(DB, TABLE, batch.clone()).expect("append"))
        });
    }
    group.finish();
}

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = loaded_engine(dir.path(), 8);
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Elements(8 * BIG_BATCH as u64));
    group.bench_function("full", |b| {
        b.iter(|| {
            let version = engine.pin_table(DB, TABLE).expect("pin");
            black_box(version.scan(&ScanRequest::all()).expect("scan"))
        })
    });
    let filtered = ScanRequest::all()
        .columns(["l_extendedprice"])
        .filter(Predicate::new(
            "l_shipdate",
            CompareOp::GtEq,
            Value::Date(year_start(1995)),
        ))
        .filter(Predicate::new(
            "l_shipdate",
            CompareOp::Lt,
            Value::Date(year_start(1996)),
        ));
    group.bench_function("filtered_one_year", |b| {
        b.iter(|| {
            let version = engine.pin_table(DB, TABLE).expect("pin");
            black_box(version.scan(&filtered).expect("scan"))
        })
    });
    group.finish();
}

fn snapshot_capture(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = loaded_engine(dir.path(), 4);
    let mut group = c.benchmark_group("capture");
    group.sample_size(20);
    let mut n = 0u64;
    group.bench_function("whole_database", |b| {
        b.iter_batched(
            || {
                n += 1;
                dir.path().join(format!("capture-{n}"))
            },
            |target| {
                capture(&engine, DB, &[], &target, false, &|| false).expect("capture");
                std::fs::remove_dir_all(&target).expect("remove");
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn checksum(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("blob");
    let bytes: Vec<u8> = (0..16u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &bytes).expect("write");
    let mut group = c.benchmark_group("checksum");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("blake3_16MiB_file", |b| {
        b.iter(|| hash_file(&path).expect("hash"))
    });
    group.finish();
}

fn repository(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = loaded_engine(&dir.path().join("engine"), 1);
    let file = data_files(&engine)
        .expect("files")
        .into_iter()
        .next()
        .expect("a file");
    let payload = Bytes::from(std::fs::read(&file).expect("read"));
    let local_repo = dir.path().join("repo");
    let locations = [
        ("memory", "memory://micro-bench".to_owned()),
        ("local_dir", local_repo.to_str().expect("utf-8").to_owned()),
    ];
    let mut group = c.benchmark_group("repository");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    for (label, location) in locations {
        let store = RepositoryStore::open(&location, &RepositoryOptions::default()).expect("open");
        let name = RepoPath::parse("data/object").expect("path");
        group.bench_function(format!("put_bytes_{label}"), |b| {
            b.iter(|| store.put_bytes(&name, payload.clone()).expect("put"))
        });
        group.bench_function(format!("get_bytes_{label}"), |b| {
            b.iter(|| black_box(store.get_bytes(&name).expect("get")))
        });
        group.bench_function(format!("put_file_{label}"), |b| {
            b.iter(|| store.put_file(&name, &file).expect("put file"))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    append,
    scan,
    snapshot_capture,
    checksum,
    repository
);
criterion_main!(benches);
