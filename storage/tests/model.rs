//! Model-based property test of the storage core.
//!
//! Goal: any sequence of DDL (create/drop table, add/drop partition), appends (with NULLs and
//! invalid rows), PRIMARY KEY deletes, truncates, compactions, checkpoints and reopens leaves the
//! engine holding exactly the rows and partition versions that a trivial in-memory model predicts.
//!
//! Method: proptest generates sequences of up to 30 operations over two tables — a DUPLICATE KEY
//! table `d(k BIGINT NOT NULL, v VARCHAR(4), n INT)` and a PRIMARY KEY table
//! `p(k BIGINT NOT NULL, v VARCHAR(4))`, both `PARTITION BY RANGE(k)` with partitions `p<lo>` =
//! `[lo, lo+10)` for lo in 0, 10, ..., 90 and `DISTRIBUTED BY HASH(k) BUCKETS 2`. Each operation is
//! applied to the engine (in a fresh temp dir per case, `checkpoint_every(4)`) and to the model
//! (per table: partitions with version and rows). The model decides whether the operation must
//! fail (row fitting no partition, VARCHAR too long, missing table/partition, delete on DUPLICATE,
//! duplicate create, overlapping partition); the engine must agree, and a failed operation must
//! change nothing. After every step every table's full scan (as sorted rows), its partition names
//! and visible versions, and the table list are compared with the model.
//!
//! Bugs it pins: lost or resurrected rows across compaction/checkpoint/reopen, versions not bumped
//! (or bumped by failed commits), partial commits, PRIMARY KEY merge order mistakes.
//!
//! Runs `PROPTEST_CASES` cases (default 1000, about a minute in a debug build on 2 cores). For a
//! long run: `PROPTEST_CASES=100000 cargo test -p tabvault-storage --test model -- --nocapture`
//! (add `--release` on a machine where release builds are allowed).

mod common;
#[path = "common/model.rs"]
mod workload;

use common::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tabvault_storage::Engine;
use workload::*;

fn open(dir: &std::path::Path) -> R<Engine> {
    open_with(Engine::builder(dir).checkpoint_every(4))
}

fn run(ops: &[Op]) -> R {
    let dir = tempfile::tempdir()?;
    let mut engine = open(dir.path())?;
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let files_before = data_files(dir.path());
        let seq_before = engine.last_seq();
        let expect_ok = apply_model(&mut model, op).is_ok();
        let got = if matches!(op, Op::Reopen) {
            drop(engine);
            engine = open(dir.path())?;
            Ok(())
        } else {
            apply_engine(&engine, op)
        };
        match (expect_ok, &got) {
            (true, Err(e)) => return Err(format!("step {i} {op:?}: engine failed: {e}").into()),
            (false, Ok(())) => {
                return Err(format!("step {i} {op:?}: engine accepted what must fail").into());
            }
            (false, Err(_)) => {
                if engine.last_seq() != seq_before || data_files(dir.path()) != files_before {
                    return Err(format!("step {i} {op:?}: a failed op left a trace").into());
                }
            }
            (true, Ok(())) => {}
        }
        compare(&engine, &model).map_err(|e| format!("after step {i} {op:?}: {e}"))?;
        let problems = engine.catalog().invariant_violations();
        if !problems.is_empty() {
            return Err(format!("after step {i} {op:?}: catalog invariants: {problems:?}").into());
        }
    }
    // Every file under data/ is referenced and intact.
    engine.collect_garbage();
    if data_files(dir.path()) != referenced_files(&engine) {
        return Err("unreferenced files under data/".into());
    }
    let report = engine.verify(true)?;
    if !report.problems.is_empty() {
        return Err(format!("verify: {:?}", report.problems).into());
    }
    Ok(())
}

#[test]
fn engine_matches_the_model() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = proptest::collection::vec(op_strategy(), 1..=30);
    let result = runner.run(&strategy, |ops| {
        run(&ops).map_err(|e| TestCaseError::fail(e.to_string()))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
