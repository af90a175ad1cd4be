//! # tabvault-bench
//!
//! Benchmarks for tabvault: criterion micro-benchmarks (`benches/micro.rs`) and the side-by-side
//! comparison harness behind `cargo run --release -p tabvault-bench -- compare --size 1GiB`.
//!
//! The harness generates one seeded lineitem-like data set once, then for every scenario runs
//! tabvault and the baseline a user would pick instead (raw parquet, DuckDB, `cp -r`)
//! *alternately* in the same process, and reports min / median / max and a ratio where > 1 always
//! means tabvault is better. [`run`] is the library entry point; the binary only parses arguments.

pub mod config;
pub mod data;
pub mod duckdb;
pub mod fsops;
pub mod limits;
pub mod machine;
pub mod memory;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenarios;
pub mod size;
pub mod stats;

pub use config::{Config, Scenario};
pub use report::{Goal, Report, Row};
pub use run::run;

/// Any error of the harness (storage, snapshot, I/O, a failed baseline).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Result of the harness.
pub type Result<T> = std::result::Result<T, Error>;
