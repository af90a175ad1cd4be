//! Goal: every fuzz target's seed corpus runs in the normal test suite on stable Rust, so a crash
//! found by a long fuzzing run (and added to the corpus) stays fixed.
//! Method: replay `fuzz/seeds/<target>/*` through the same bodies cargo-fuzz runs
//! (`fuzz/targets/*.rs`), plus inputs generated here from a real engine's log and a real
//! snapshot's manifest, and their truncations and bit flips.
//! Set `TABVAULT_WRITE_FUZZ_SEEDS=1` to (re)write the generated inputs into `fuzz/seeds/`.

#[path = "../fuzz/targets/log_record.rs"]
mod log_record;
#[path = "../fuzz/targets/repo_path.rs"]
mod repo_path;
#[path = "../fuzz/targets/snapshot_meta.rs"]
mod snapshot_meta;
#[path = "../fuzz/targets/sql_parser.rs"]
mod sql_parser;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use tabvault_storage::{
    ColumnDef, ColumnType, Distribution, Engine, KeyModel, PartitionBound, PartitionDef,
    PartitionScheme, TableDef, TableProperties, TableSchema, Value,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("seeds")
        .join(target)
}

fn corpus(target: &str) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let dir = corpus_dir(target);
    let mut inputs = Vec::new();
    if dir.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            inputs.push(std::fs::read(path)?);
        }
    }
    Ok(inputs)
}

fn save_seeds(target: &str, seeds: &[Vec<u8>]) -> TestResult {
    if std::env::var_os("TABVAULT_WRITE_FUZZ_SEEDS").is_none() {
        return Ok(());
    }
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir)?;
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("generated-{i:03}")), seed)?;
    }
    Ok(())
}

/// Truncations and single-bit flips of `input`, a few per position class.
fn mutations(input: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let step = (input.len() / 16).max(1);
    for cut in (0..input.len()).step_by(step) {
        out.push(input[..cut].to_vec());
        let mut flipped = input.to_vec();
        flipped[cut] ^= 0x10;
        out.push(flipped);
    }
    out
}

/// A small engine with a few commits; returns its first log file's records (without the magic).
fn real_log() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    {
        let engine = Engine::open(dir.path())?;
        engine.create_database("db", false)?;
        let schema = TableSchema {
            columns: vec![
                ColumnDef::new("k", ColumnType::BigInt).not_null(),
                ColumnDef::new("v", ColumnType::String),
            ],
            key_model: KeyModel::Primary,
            key_columns: vec!["k".into()],
            partition_scheme: PartitionScheme::Range { column: "k".into() },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            properties: TableProperties::default(),
        };
        let partitions = vec![PartitionDef {
            name: "p".into(),
            bound: PartitionBound::Range {
                lower: None,
                upper: Some(Value::Int(100)),
            },
        }];
        engine.create_table(
            "db",
            &TableDef {
                name: "t".into(),
                schema,
                partitions,
            },
            false,
        )?;
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
            ("v", Arc::new(StringArray::from(vec!["a", "b", "c"])) as _),
        ])?;
        engine.append("db", "t", batch.clone())?;
        engine.delete_keys("db", "t", batch)?;
        engine.truncate("db", "t", None)?;
    }
    let bytes = std::fs::read(
        dir.path()
            .join("meta")
            .join("log-00000000000000000001.tvlog"),
    )?;
    Ok(bytes[8..].to_vec())
}

#[test]
fn log_record_corpus() -> TestResult {
    let log = real_log()?;
    let mut inputs = vec![log.clone()];
    inputs.extend(mutations(&log));
    save_seeds("log_record", &inputs[..1])?;
    inputs.extend(corpus("log_record")?);
    for input in &inputs {
        log_record::run(input);
    }
    Ok(())
}

#[test]
fn sql_parser_corpus() -> TestResult {
    let seeds: Vec<Vec<u8>> = [
        "BACKUP SNAPSHOT example_db.snapshot_label1\nTO example_repo\nPROPERTIES (\"type\" = \"full\");",
        "BACKUP SNAPSHOT example_db.snapshot_label3\nTO example_repo\nON(\n    example_tbl PARTITION (p1, p2),\n    example_tbl2\n);",
        "RESTORE SNAPSHOT example_db.snapshot_label1 FROM example_repo ON (example_tbl AS t2) PROPERTIES (\"backup_timestamp\"=\"2018-05-04-16-45-08\");",
        "CREATE TABLE t (k BIGINT NOT NULL, v VARCHAR(10) DEFAULT 'x') DUPLICATE KEY(k) PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN (\"10\"), PARTITION p2 VALUES LESS THAN MAXVALUE) DISTRIBUTED BY HASH(k) BUCKETS 3 PROPERTIES (\"compression\"=\"lz4\");",
        "SHOW SNAPSHOT ON repo WHERE SNAPSHOT = \"s\" AND TIMESTAMP = \"2024-12-09-10-25-58-842\"; SELECT 1;",
        "CREATE READ ONLY REPOSITORY r WITH BROKER ON LOCATION \"s3a://b/p\" PROPERTIES (\"aws.s3.access_key\"=\"k\");",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    save_seeds("sql_parser", &seeds)?;
    let mut inputs = seeds.clone();
    for seed in &seeds {
        inputs.extend(mutations(seed));
    }
    inputs.extend(corpus("sql_parser")?);
    for input in &inputs {
        sql_parser::run(input);
    }
    Ok(())
}

#[test]
fn snapshot_meta_corpus() -> TestResult {
    let manifest = tabvault_snapshot::SnapshotManifest {
        format_version: 1,
        database: "db".into(),
        tables: vec![],
        views: vec![tabvault_storage::ViewDef {
            name: "v".into(),
            columns: vec![],
            query: "SELECT 1".into(),
        }],
    };
    let info = tabvault_snapshot::SnapshotInfo {
        format_version: 1,
        name: "s".into(),
        database: "db".into(),
        timestamp: "2024-12-09-10-25-58-842".into(),
        backup_time_ms: 1,
        meta_checksum: "ab".repeat(32),
        meta_size_bytes: 1,
        objects: vec![],
        backup_result: "succeed".into(),
    };
    let seeds = vec![
        manifest.encode().expect("encodes"),
        info.encode().expect("encodes"),
    ];
    save_seeds("snapshot_meta", &seeds)?;
    let mut inputs = seeds.clone();
    for seed in &seeds {
        inputs.extend(mutations(seed));
    }
    inputs.extend(corpus("snapshot_meta")?);
    for input in &inputs {
        snapshot_meta::run(input);
    }
    Ok(())
}

#[test]
fn repo_path_corpus() -> TestResult {
    let seeds: Vec<Vec<u8>> = [
        "data/ab/abcd-12.parquet",
        "snapshots/s1/info-2024-12-09-10-25-58-842.json",
        "../x",
        "/abs",
        "a//b",
        "a\\b",
        ".tabvault-tmp/x",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    save_seeds("repo_path", &seeds)?;
    let mut inputs = seeds.clone();
    inputs.extend(corpus("repo_path")?);
    for input in &inputs {
        repo_path::run(input);
    }
    Ok(())
}
