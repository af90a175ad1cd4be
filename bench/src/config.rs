//! What to run: sizes, runs, scenarios, directories; parsed from the command line.

use std::path::PathBuf;

use crate::Result;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Small appends while a backup runs vs idle.
    Insert,
    /// SQL queries vs DuckDB on the same Parquet and on its own storage.
    Sql,
    /// Many small INSERTs with the background compactor vs without.
    SmallInserts,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 10] = [
        Scenario::Append,
        Scenario::Scan,
        Scenario::Capture,
        Scenario::Backup,
        Scenario::Restore,
        Scenario::Export,
        Scenario::Repeat,
        Scenario::Insert,
        Scenario::Sql,
        Scenario::SmallInserts,
    ];

    /// The name `--scenarios` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Append => "append",
            Scenario::Scan => "scan",
            Scenario::Capture => "capture",
            Scenario::Backup => "backup",
            Scenario::Repeat => "repeat",
            Scenario::Restore => "restore",
            Scenario::Export => "export",
            Scenario::Insert => "insert",
            Scenario::Sql => "sql",
            Scenario::SmallInserts => "small-inserts",
        }
    }

    /// The scenario called `name`.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.name()).collect();
                format!("unknown scenario {name}; known: {}", names.join(", ")).into()
            })
    }
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

    /// Parses the arguments after `compare`.
    pub fn from_args(args: &[String]) -> Result<Self> {
        let mut config = Self::new();
        let mut size = None;
        let mut runs = None;
        let mut out = None;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |flag: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match arg.as_str() {
                "--size" => size = Some(parse_size(&value("--size")?)?),
                "--runs" => {
                    let text = value("--runs")?;
                    let n: usize = text
                        .parse()
                        .map_err(|_| format!("--runs {text}: not a number"))?;
                    runs = Some(n.max(1));
                }
                "--out" => out = Some(PathBuf::from(value("--out")?)),
                "--quick" => config.quick = true,
                "--scenarios" => {
                    config.scenarios = Vec::new();
                    let list = value("--scenarios")?;
                    let wanted = list
                        .split(',')
                        .map(Scenario::parse)
                        .collect::<Result<Vec<_>>>()?;
                    config.scenarios = Scenario::ALL
                        .into_iter()
                        .filter(|s| wanted.contains(s))
                        .collect();
                }
                "--dir" => config.work_dir = PathBuf::from(value("--dir")?),
                "--other-dir" => config.other_dir = Some(PathBuf::from(value("--other-dir")?)),
                "--no-install" => config.install_duckdb = false,
                "--seed" => {
                    let text = value("--seed")?;
                    config.seed = text
                        .parse()
                        .map_err(|_| format!("--seed {text}: not a number"))?;
                }
                other => return Err(format!("unknown argument {other}\n{}", usage()).into()),
            }
        }
        if config.quick {
            config.size_bytes = QUICK_SIZE;
            config.runs = 1;
            config.out = std::env::temp_dir().join("tabvault-bench-quick.md");
        }
        if let Some(size) = size {
            config.size_bytes = size;
        }
        if let Some(runs) = runs {
            config.runs = runs;
        }
        if let Some(out) = out {
            config.out = out;
        }
        Ok(config)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// The command line help.
pub fn usage() -> String {
    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    format!(
        "usage: tabvault-bench compare [--size 256MiB] [--runs 3] [--out bench/RESULTS.md] [--quick]\n\
         \x20                             [--scenarios {}] [--dir DIR] [--other-dir DIR]\n\
         \x20                             [--no-install] [--seed N]\n\
         --size is the Arrow in-memory size of the generated rows; --quick = 16MiB, 1 run, goals\n\
         not judged, report in the temp directory.",
        names.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_flags_and_quick_defaults() {
        let c = Config::from_args(&args(&["--size", "1GiB", "--runs", "5"])).expect("args");
        assert_eq!((c.size_bytes, c.runs, c.quick), (1 << 30, 5, false));
        let q = Config::from_args(&args(&["--quick"])).expect("args");
        assert_eq!((q.size_bytes, q.runs, q.quick), (QUICK_SIZE, 1, true));
        let s = Config::from_args(&args(&["--scenarios", "scan,append"])).expect("args");
        assert_eq!(s.scenarios, vec![Scenario::Append, Scenario::Scan]);
        assert!(Config::from_args(&args(&["--bogus"])).is_err());
        assert!(Config::from_args(&args(&["--runs"])).is_err());
    }
}
