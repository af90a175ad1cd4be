//! What to run: sizes, runs, scenarios, directories; parsed from the command line.

use std::path::PathBuf;

use crate::size::parse_size;

/// Default `--size`.
pub const DEFAULT_SIZE: u64 = 256 << 20;
/// `--quick` size.
pub const QUICK_SIZE: u64 = 16 << 20;
/// Default `--runs`.
pub const DEFAULT_RUNS: usize = 3;
/// Default `--out`.
pub const DEFAULT_OUT: &str = "bench/RESULTS.md";
/// Default `--seed`.
pub const DEFAULT_SEED: u64 = 0x7ab_0a17;

/// One scenario of the comparison (selectable with `--scenarios`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `Engine::append` vs parquet `ArrowWriter`.
    Append,
    /// Full scan and filtered aggregate vs the raw parquet reader and DuckDB.
    Scan,
    /// Snapshot capture vs `cp -r`.
    Capture,
    /// Full backup (another filesystem and the same one) vs `cp -r`.
    Backup,
    /// Repeat backup after a 1% change vs the full backup.
    Repeat,
    /// Restore with verification vs `cp -r`.
    Restore,
    /// Backup + restore vs DuckDB EXPORT/IMPORT DATABASE.
    Export,
    /// Backup with the repository's Iceberg view vs without it.
    Iceberg,
    /// Small appends while a backup runs vs idle.
    Insert,
    /// SQL queries vs DuckDB on the same Parquet and on its own storage.
    Sql,
    /// Many small INSERTs with the background compactor vs without.
    SmallInserts,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 11] = [
        Scenario::Append,
        Scenario::Scan,
        Scenario::Capture,
        Scenario::Backup,
        Scenario::Restore,
        Scenario::Export,
        Scenario::Iceberg,
        Scenario::Repeat,
        Scenario::Insert,
        Scenario::Sql,
        Scenario::SmallInserts,
    ];
}

/// `tabvault-bench`: benchmarks beside their baselines.
#[derive(Debug, clap::Parser)]
#[command(name = "tabvault-bench")]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `tabvault-bench`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Runs tabvault and its baselines side by side and writes the Markdown report.
    Compare(CompareArgs),
    /// Runs one query on a data directory and prints this process's peak resident bytes during
    /// it and their rise above the resident size before it: how `compare` measures a query's
    /// memory in a process of its own.
    #[command(hide = true)]
    PeakQuery(PeakQueryArgs),
}

/// The arguments of `tabvault-bench peak-query`.
#[derive(Debug, clap::Args)]
pub struct PeakQueryArgs {
    /// The data directory to open.
    #[arg(long)]
    pub data: PathBuf,
    /// The query.
    #[arg(long)]
    pub sql: String,
}

/// The arguments of `tabvault-bench compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Arrow in-memory size of the generated rows (`256MiB`, `1GiB`, bytes); default 256MiB,
    /// 16MiB with --quick.
    #[arg(long, value_parser = parse_size_arg)]
    pub size: Option<u64>,
    /// Alternating runs per scenario; default 3, 1 with --quick.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Where the report goes; default bench/RESULTS.md, the temp directory with --quick.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Smoke mode: 16MiB, 1 run, goals shown but not judged.
    #[arg(long)]
    pub quick: bool,
    /// Scenarios to run (comma-separated); default all.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub scenarios: Option<Vec<Scenario>>,
    /// Parent of the working directories; default the temp directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Directory for the "another filesystem" repository; default /dev/shm when it is on
    /// another device than --dir.
    #[arg(long)]
    pub other_dir: Option<PathBuf>,
    /// Do not `pip install duckdb` when it is missing.
    #[arg(long)]
    pub no_install: bool,
    /// Data set seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

fn parse_size_arg(text: &str) -> std::result::Result<u64, String> {
    parse_size(text).map_err(|e| e.to_string())
}

/// Everything one comparison run needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Arrow in-memory size of the generated data set.
    pub size_bytes: u64,
    /// Alternating runs per scenario.
    pub runs: usize,
    /// Where the Markdown report goes.
    pub out: PathBuf,
    /// Smoke mode: goals are shown but not judged.
    pub quick: bool,
    /// Scenarios to run, in [`Scenario::ALL`] order.
    pub scenarios: Vec<Scenario>,
    /// Parent of the working directory (the data directories and same-filesystem repositories).
    pub work_dir: PathBuf,
    /// Directory for the "another filesystem" repository; `None` picks `/dev/shm` when it is on
    /// another device than `work_dir`.
    pub other_dir: Option<PathBuf>,
    /// Whether to `pip install duckdb` when it is missing.
    pub install_duckdb: bool,
    /// Data set seed.
    pub seed: u64,
    /// The command line, for the report.
    pub command_line: String,
}

impl Config {
    /// Defaults: 256 MiB, 3 runs, every scenario, temp dir, `bench/RESULTS.md`.
    pub fn new() -> Self {
        Self {
            size_bytes: DEFAULT_SIZE,
            runs: DEFAULT_RUNS,
            out: PathBuf::from(DEFAULT_OUT),
            quick: false,
            scenarios: Scenario::ALL.to_vec(),
            work_dir: std::env::temp_dir(),
            other_dir: None,
            install_duckdb: true,
            seed: DEFAULT_SEED,
            command_line: String::new(),
        }
    }

    /// Whether `scenario` was selected.
    pub fn runs_scenario(&self, scenario: Scenario) -> bool {
        self.scenarios.contains(&scenario)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl From<CompareArgs> for Config {
    fn from(args: CompareArgs) -> Self {
        let defaults = Config::new();
        let (size, runs, out) = if args.quick {
            (
                QUICK_SIZE,
                1,
                std::env::temp_dir().join("tabvault-bench-quick.md"),
            )
        } else {
            (defaults.size_bytes, defaults.runs, defaults.out.clone())
        };
        let scenarios = match args.scenarios {
            Some(wanted) => Scenario::ALL
                .into_iter()
                .filter(|s| wanted.contains(s))
                .collect(),
            None => defaults.scenarios.clone(),
        };
        Config {
            size_bytes: args.size.unwrap_or(size),
            runs: args
                .runs
                .map_or(runs, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            out: args.out.unwrap_or(out),
            quick: args.quick,
            scenarios,
            work_dir: args.dir.unwrap_or(defaults.work_dir),
            other_dir: args.other_dir,
            install_duckdb: !args.no_install,
            seed: args.seed,
            command_line: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(list: &[&str]) -> std::result::Result<Config, clap::Error> {
        let args = ["tabvault-bench", "compare"].iter().chain(list);
        match Cli::try_parse_from(args)?.command {
            Command::Compare(compare) => Ok(compare.into()),
            Command::PeakQuery(_) => panic!("`compare` parsed as `peak-query`"),
        }
    }

    #[test]
    fn parses_flags_and_quick_defaults() -> std::result::Result<(), clap::Error> {
        let c = config(&["--size", "1GiB", "--runs", "5"])?;
        assert_eq!((c.size_bytes, c.runs, c.quick), (1 << 30, 5, false));
        let q = config(&["--quick"])?;
        assert_eq!((q.size_bytes, q.runs, q.quick), (QUICK_SIZE, 1, true));
        let s = config(&["--scenarios", "scan,append,small-inserts"])?;
        assert_eq!(
            s.scenarios,
            vec![Scenario::Append, Scenario::Scan, Scenario::SmallInserts]
        );
        assert!(config(&["--bogus"]).is_err());
        assert!(config(&["--runs"]).is_err());
        assert!(config(&["--runs", "0"]).is_err());
        assert!(config(&["--scenarios", "nope"]).is_err());
        Ok(())
    }
}
