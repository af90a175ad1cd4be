//! DuckDB, the analytical baseline, driven through a small Python script (`duckdb.py`, embedded)
//! that the harness writes to its working directory and runs. Times are measured inside Python
//! around the query only.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::memory::Peak;

const SCRIPT: &str = include_str!("duckdb.py");
const PYTHON: &str = "python3";

/// One query run twice by DuckDB in a new process of its own.
#[derive(Debug)]
pub struct QueryRun {
    /// Seconds of the second run, DuckDB's caches filled by the first (as tabvault's session has
    /// run the query before): the time compared.
    pub warm: f64,
    /// Seconds of the first run, in the new process.
    pub cold: f64,
    /// The answer as text: cells joined by tabs, rows by newlines.
    pub text: String,
    /// Peak resident memory of the process during the first run.
    pub peak: Peak,
}

/// A usable DuckDB.
#[derive(Clone, Debug)]
pub struct DuckDb {
    script: PathBuf,
    /// `duckdb.__version__`.
    pub version: String,
}

impl DuckDb {
    /// Finds DuckDB (`import duckdb`); when missing and `install` is set, tries
    /// `python3 -m pip install --quiet duckdb` once. `Err` carries the reason it is unavailable.
    pub fn detect(work: &Path, install: bool) -> std::result::Result<Self, String> {
        let script = work.join("duckdb_bench.py");
        fs::write(&script, SCRIPT).map_err(|e| format!("writing {}: {e}", script.display()))?;
        let mut duck = Self {
            script,
            version: String::new(),
        };
        match duck.call(["version"]) {
            Ok((_, version)) => duck.version = version,
            Err(first) => {
                if !install {
                    return Err(format!("duckdb not importable: {first}"));
                }
                let pip = Command::new(PYTHON)
                    .args(["-m", "pip", "install", "--quiet", "duckdb"])
                    .output()
                    .map_err(|e| format!("running pip: {e}"))?;
                if !pip.status.success() {
                    return Err(format!(
                        "pip install duckdb failed: {}",
                        String::from_utf8_lossy(&pip.stderr).trim()
                    ));
                }
                duck.version = duck.call(["version"]).map_err(|e| e.to_string())?.1;
            }
        }
        Ok(duck)
    }

    /// Runs one mode of the script; returns (seconds measured in Python, result text).
    pub fn call<I, S>(&self, args: I) -> Result<(f64, String)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = Command::new(PYTHON).arg(&self.script).args(args).output()?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.trim().lines().last().unwrap_or("no message");
            return Err(format!("duckdb script failed: {last}").into());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let (secs, result) = line
            .split_once('\t')
            .ok_or_else(|| format!("unexpected duckdb script output: {line}"))?;
        Ok((secs.trim().parse()?, result.trim().to_owned()))
    }

    /// Full scan of the files listed in `list` (all columns decoded); returns (seconds, rows).
    pub fn full_scan(&self, list: &Path) -> Result<(f64, String)> {
        self.call([OsStr::new("scan"), list.as_os_str()])
    }

    /// `sum(l_extendedprice)` of the rows shipped in `[lo, hi)` (ISO dates).
    pub fn filtered_sum(&self, list: &Path, lo: &str, hi: &str) -> Result<(f64, String)> {
        self.call([
            OsStr::new("filter"),
            list.as_os_str(),
            OsStr::new(lo),
            OsStr::new(hi),
        ])
    }

    /// Runs `sql` (`{t}` standing for the table) over the files listed in `list`, twice in a new
    /// DuckDB process: see [`QueryRun`].
    pub fn query_parquet(&self, list: &Path, sql: &str) -> Result<QueryRun> {
        self.query("query_parquet", list, sql)
    }

    /// Runs `sql` (`{t}` standing for table `lineitem`) in the database file `db`, twice in a new
    /// DuckDB process: see [`QueryRun`].
    pub fn query_native(&self, db: &Path, sql: &str) -> Result<QueryRun> {
        self.query("query_native", db, sql)
    }

    fn query(&self, mode: &str, target: &Path, sql: &str) -> Result<QueryRun> {
        let (warm, out) = self.call([OsStr::new(mode), target.as_os_str(), OsStr::new(sql)])?;
        let mut fields = out.splitn(4, '\t');
        let (Some(cold), Some(resident), Some(growth)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("unexpected duckdb query output: {out}").into());
        };
        let peak = Peak {
            resident: resident.parse()?,
            growth: growth.parse()?,
        };
        let text = fields.next().unwrap_or_default();
        let rows: Vec<String> = text
            .split('\x1e')
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split('\x1f')
                    .map(crate::scenarios::sql::rounded)
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect();
        Ok(QueryRun {
            warm,
            cold: cold.parse()?,
            text: rows.join("\n"),
            peak,
        })
    }

    /// Loads the listed files into table `lineitem` of the database file `db` (untimed setup).
    pub fn load(&self, list: &Path, db: &Path) -> Result<String> {
        Ok(self
            .call([OsStr::new("load"), list.as_os_str(), db.as_os_str()])?
            .1)
    }

    /// `EXPORT DATABASE` of `source` to `export_dir` plus `IMPORT DATABASE` into the new database
    /// file `target`; returns (seconds of both, rows imported).
    pub fn export_import(
        &self,
        source: &Path,
        export_dir: &Path,
        target: &Path,
    ) -> Result<(f64, String)> {
        self.call([
            OsStr::new("export_import"),
            source.as_os_str(),
            export_dir.as_os_str(),
            target.as_os_str(),
        ])
    }
}

/// Writes one path per line, the file list the script reads.
pub fn write_file_list(list: &Path, files: &[PathBuf]) -> Result<()> {
    let mut text = String::new();
    for f in files {
        text.push_str(crate::fsops::utf8(f)?);
        text.push('\n');
    }
    fs::write(list, text).map_err(|e| format!("writing {}: {e}", list.display()))?;
    Ok(())
}
