//! sql: the queries users run, through tabvault's SQL layer (a `Session` over the same engine,
//! planning included, rows collected) against DuckDB on the same Parquet files (`read_parquet`)
//! and on its own storage (the rows loaded into a DuckDB database file). TPC-H Q1 and Q6, a
//! 1.5-million-group GROUP BY, COUNT(DISTINCT), a point lookup by key and `SELECT * … LIMIT 10`.
//! Goals (issue 12): ≥ 1.0× DuckDB on Parquet, ≥ 0.5× DuckDB on its own storage. Every answer is
//! checked equal across the three (as text, fractions to 5 significant digits). Both sides are
//! timed warm, each turn running the query twice and timing the second run: tabvault in its
//! long-lived session, DuckDB in a new process per turn (its first, cold, run is reported in the
//! note).
//!
//! The table is first compacted as the background compactor (on by default) leaves it: the bench
//! engine keeps that compactor off so other scenarios read fixed files, but a user's table would
//! not keep every load's rowset. DuckDB reads the same compacted files. Later scenarios of the
//! same run see the compacted table.

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use tabvault_sql::{Database, Session};
use tabvault_storage::{CompactionPolicy, Engine};

use super::setup::data_files;
use super::{Ctx, DUCKDB_UNAVAILABLE, rotation};
use crate::Result;
use crate::data::{DB, TABLE};
use crate::duckdb::write_file_list;
use crate::fsops::cp_r;
use crate::memory::{Peak, PeakWatch};
use crate::report::{Goal, Row};
use crate::stats::{Samples, Unit, timed};

/// The queries: id, what it is, SQL with `{t}` for the table.
const QUERIES: [(&str, &str, &str); 6] = [
    (
        "q1",
        "TPC-H Q1: GROUP BY flags, 8 aggregates",
        "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, \
         sum(l_extendedprice) AS sum_base, sum(l_extendedprice * (1 - l_discount)) AS sum_disc, \
         sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge, \
         avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, \
         avg(l_discount) AS avg_disc, count(*) AS n \
         FROM {t} WHERE l_shipdate <= DATE '1998-09-02' \
         GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus",
    ),
    (
        "q6",
        "TPC-H Q6: range filters, SUM",
        "SELECT sum(l_extendedprice * l_discount) AS revenue FROM {t} \
         WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' \
         AND l_discount >= 0.05 AND l_discount <= 0.07 AND l_quantity < 24",
    ),
    (
        "groupby",
        "GROUP BY l_orderkey ORDER BY sum LIMIT 10",
        "SELECT l_orderkey, sum(l_quantity) AS q FROM {t} GROUP BY l_orderkey \
         ORDER BY q DESC, l_orderkey LIMIT 10",
    ),
    (
        "distinct",
        "COUNT(DISTINCT l_partkey)",
        "SELECT count(DISTINCT l_partkey) AS n FROM {t}",
    ),
    (
        "lookup",
        "point lookup l_orderkey = const",
        "SELECT l_orderkey, l_linenumber, l_quantity FROM {t} WHERE l_orderkey = 123457 \
         ORDER BY l_linenumber",
    ),
    (
        "limit",
        "SELECT * LIMIT 10",
        "SELECT count(*) AS n FROM (SELECT * FROM {t} LIMIT 10) AS s",
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Tabvault,
    Parquet,
    Native,
}

/// Runs the scenario: rows `sql-<query>-parquet` and `sql-<query>-native` per query.
pub fn run(ctx: &Ctx, engine: &Engine) -> Result<Vec<Row>> {
    while engine
        .compact_due(CompactionPolicy::default())?
        .tablets_compacted
        > 0
    {}
    let mut session = Database::with_engine(engine.clone())?.root_session()?;
    let files = data_files(engine)?;
    let list = ctx.fresh(ctx.work, "sql-files").with_extension("txt");
    write_file_list(&list, &files)?;
    let native = ctx.fresh(ctx.work, "sql-duckdb").with_extension("duckdb");
    // A copy for the memory measurement: a query's memory is measured in a process of its own,
    // as DuckDB's is (this process holds the data set and reuses freed pages).
    let copy = ctx.fresh(ctx.work, "sql-memory");
    cp_r(engine.root(), &copy)?;
    let duck = ctx.duckdb.as_ref().ok();
    if let Some(duck) = duck {
        duck.load(&list, &native)?;
    }
    let duck_name = |what: &str| match ctx.duckdb {
        Ok(d) => format!("DuckDB {} {what}", d.version),
        Err(_) => format!("DuckDB {what}"),
    };
    let mut rows = Vec::new();
    for (id, name, sql) in QUERIES {
        let ours = sql.replace("{t}", &format!("{DB}.{TABLE}"));
        let mut on_parquet = Row::new(
            &format!("sql-{id}-parquet"),
            name,
            &duck_name("read_parquet, same files"),
            Unit::Seconds,
            Goal::AtLeast(1.0),
        );
        let mut on_native = Row::new(
            &format!("sql-{id}-native"),
            name,
            &duck_name("on its own storage"),
            Unit::Seconds,
            Goal::AtLeast(0.5),
        );
        let mut answers: Vec<(&str, String)> = Vec::new();
        // The largest peak of each side over the runs.
        let (mut parquet_peak, mut native_peak) = (None, None);
        let mut parquet_cold = Samples::new(Unit::Seconds);
        let mut native_cold = Samples::new(Unit::Seconds);
        for i in 0..ctx.runs() {
            for side in rotation(&[Side::Tabvault, Side::Parquet, Side::Native], i) {
                match side {
                    Side::Tabvault => {
                        // Untimed first, as DuckDB's timed run follows its own first run: the
                        // timed run then finds the CPU's caches as warm as DuckDB's finds them,
                        // not as the other side's process left them.
                        query(&mut session, &ours)?;
                        let (secs, text) = timed(|| query(&mut session, &ours))?;
                        on_parquet.tabvault.push(secs);
                        on_native.tabvault.push(secs);
                        answers.push(("tabvault", text));
                    }
                    Side::Parquet => {
                        let Some(duck) = duck else { continue };
                        let run = duck.query_parquet(&list, sql)?;
                        parquet_peak = parquet_peak.max(Some(run.peak));
                        on_parquet.baseline.push(run.warm);
                        parquet_cold.push(run.cold);
                        answers.push(("DuckDB on Parquet", run.text));
                    }
                    Side::Native => {
                        let Some(duck) = duck else { continue };
                        let run = duck.query_native(&native, sql)?;
                        native_peak = native_peak.max(Some(run.peak));
                        on_native.baseline.push(run.warm);
                        native_cold.push(run.cold);
                        answers.push(("DuckDB native", run.text));
                    }
                }
            }
        }
        // Measured by this program's own binary: run as a library (the smoke test), there is none.
        let ours_peak = peak_in_child(&copy, &ours).map_err(|e| e.to_string());
        let expected = answers.first().map(|a| a.1.clone()).unwrap_or_default();
        if let Some((who, text)) = answers.iter().find(|a| a.1 != expected) {
            return Err(format!("{id}: {who} answered {text:?}, tabvault {expected:?}").into());
        }
        on_parquet.note = format!(
            "answers checked equal; tabvault through Session::execute (planning included); \
             {} files after compaction; peak resident memory (its rise during the query): \
             tabvault {}, DuckDB {}; {}",
            files.len(),
            shown(ours_peak.clone()),
            shown(parquet_peak.ok_or_else(not_run)),
            cold_note(&parquet_cold)
        );
        on_native.note = format!(
            "peak resident memory (its rise during the query): tabvault {}, DuckDB {}; {}",
            shown(ours_peak),
            shown(native_peak.ok_or_else(not_run)),
            cold_note(&native_cold)
        );
        for row in [on_parquet, on_native] {
            rows.push(if duck.is_some() {
                row
            } else {
                row.skipped(DUCKDB_UNAVAILABLE)
            });
        }
    }
    Ok(rows)
}

/// What DuckDB's first run of the query in each new process took (its timed run is the second).
fn cold_note(cold: &Samples) -> String {
    if cold.values.is_empty() {
        return "DuckDB not run".into();
    }
    format!(
        "both sides warm (each timed run follows an untimed run of the same query); \
         DuckDB's first run in a new process: {}",
        cold.summary()
    )
}

/// Runs `sql` on the data directory `data` in a fresh `tabvault-bench peak-query` process and
/// returns its peak resident memory.
fn peak_in_child(data: &Path, sql: &str) -> Result<Peak> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("peak-query")
        .arg("--data")
        .arg(data)
        .arg("--sql")
        .arg(sql)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<u64> = stdout
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?;
    match (output.status.success(), fields.as_slice()) {
        (true, [resident, growth]) => Ok(Peak {
            resident: *resident,
            growth: *growth,
        }),
        _ => Err(format!(
            "peak-query failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into()),
    }
}

/// Opens the data directory `data`, runs `sql` once and returns this process's peak resident
/// memory during the query (what `tabvault-bench peak-query` prints).
pub fn peak_query(data: &Path, sql: &str) -> Result<Peak> {
    let database = Database::open(data)?;
    let mut session = database.root_session()?;
    let watch = PeakWatch::start().ok_or("/proc/self/clear_refs is not available")?;
    query(&mut session, sql)?;
    watch
        .finish()
        .ok_or_else(|| "/proc/self/status has no VmHWM".into())
}

/// Why DuckDB's memory was not measured: DuckDB did not run.
fn not_run() -> String {
    "no DuckDB".to_owned()
}

/// `peak` as the note shows it: the process's peak and its rise during the query, in MiB, or why
/// it is missing.
fn shown(peak: std::result::Result<Peak, String>) -> String {
    peak.map_or_else(
        |why| format!("not measured ({why})"),
        |p| {
            format!(
                "{:.0} MiB ({:.0} MiB)",
                p.resident as f64 / 1048576.0,
                p.growth as f64 / 1048576.0
            )
        },
    )
}

/// Runs `sql` and returns its rows as text, one line per row, cells separated by tabs, numbers
/// with a fraction rounded as [`rounded`] does.
fn query(session: &mut Session, sql: &str) -> Result<String> {
    let results = session.execute(sql)?;
    let mut lines = Vec::new();
    for result in &results {
        for batch in &result.batches {
            lines.extend(batch_lines(batch)?);
        }
    }
    Ok(lines.join("\n"))
}

fn batch_lines(batch: &RecordBatch) -> Result<Vec<String>> {
    let options = FormatOptions::default();
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| rounded(&f.value(row).to_string()))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect())
}

/// A number with a fraction to 5 significant digits (engines sum floating values in different
/// orders); anything else as it is.
pub fn rounded(cell: &str) -> String {
    match cell.parse::<f64>() {
        Ok(value) if cell.contains('.') => format!("{value:.4e}"),
        _ => cell.to_owned(),
    }
}
