//! The comparison run: directories, data set, DuckDB, every selected scenario, the report.

use std::path::Path;

use tabvault_storage::Engine;
use tabvault_storage::internal::DATA_DIR;

use crate::config::{Config, Scenario};
use crate::data::{BATCH_ROWS, BUCKETS, Dataset, FIRST_YEAR, LAST_YEAR};
use crate::duckdb::DuckDb;
use crate::fsops::{pick_other_dir, tree_size};
use crate::machine::{Machine, load_average, utc_now};
use crate::report::{Report, Row};
use crate::scenarios::setup::{create_engine, data_files, load};
use crate::scenarios::{
    Ctx, append, backup, capture, export, iceberg, insert, repeat, restore, scan, small_inserts,
    sql,
};
use crate::size::format_bytes;
use crate::{Result, limits};

/// Runs the comparison `config` describes, writes the Markdown report to `config.out` and
/// returns the report. Progress goes to stderr.
pub fn run(config: &Config) -> Result<Report> {
    let date_utc = utc_now();
    let load_start = load_average();
    std::fs::create_dir_all(&config.work_dir)
        .map_err(|e| format!("creating {}: {e}", config.work_dir.display()))?;
    let work = tempfile::Builder::new()
        .prefix("tabvault-bench-")
        .tempdir_in(&config.work_dir)?;
    let (other_base, other_is_other_fs) = pick_other_dir(config.other_dir.as_deref(), work.path())?;
    let other = tempfile::Builder::new()
        .prefix("tabvault-bench-other-")
        .tempdir_in(&other_base)?;
    let machine = Machine::detect(work.path(), other.path(), other_is_other_fs);
    eprintln!(
        "generating {} of lineitem rows",
        format_bytes(config.size_bytes)
    );
    let data = Dataset::generate(config.size_bytes, config.seed)?;
    let needs_duckdb = config.runs_scenario(Scenario::Scan)
        || config.runs_scenario(Scenario::Export)
        || config.runs_scenario(Scenario::Sql);
    let duckdb = if needs_duckdb {
        DuckDb::detect(work.path(), config.install_duckdb)
    } else {
        Err("not needed by the selected scenarios".into())
    };
    let ctx = Ctx::new(
        config,
        &data,
        work.path(),
        other.path(),
        other_is_other_fs,
        &duckdb,
    );
    let mut rows = Vec::new();
    let engine = if config.runs_scenario(Scenario::Append) {
        eprintln!("scenario append");
        let (row, engine) = append::run(&ctx)?;
        show(&row);
        rows.push(row);
        engine
    } else {
        let engine = create_engine(&ctx.fresh(work.path(), "engine"))?;
        load(&engine, &data)?;
        engine
    };
    let files = data_files(&engine)?;
    let (file_count, disk_bytes) = tree_size(&engine.root().join(DATA_DIR))?;
    eprintln!("measuring reference rates");
    let references = limits::measure(
        work.path(),
        other.path(),
        ctx.other_label(),
        &files,
        disk_bytes,
    )?;
    for scenario in config.scenarios.iter().filter(|s| **s != Scenario::Append) {
        eprintln!(
            "scenario {}",
            clap::ValueEnum::to_possible_value(scenario)
                .map_or_else(String::new, |v| v.get_name().to_owned())
        );
        for row in run_scenario(&ctx, &engine, *scenario)? {
            show(&row);
            rows.push(row);
        }
    }
    let mut notes = vec![
        "Every read is from a warm page cache; nothing drops caches. `cp -r` does not fsync, tabvault fsyncs every file it writes (on tmpfs fsync costs nothing).".to_owned(),
        "The load average shows other work on the machine during the run: figures are noisy when it is above the core count.".to_owned(),
    ];
    match &duckdb {
        Ok(d) => notes.push(format!(
            "DuckDB {} (python3, PyPI `duckdb`), default threads.",
            d.version
        )),
        Err(reason) if needs_duckdb => notes.push(format!(
            "DuckDB rows not run (duckdb unavailable): {reason}."
        )),
        Err(_) => {}
    }
    let report = Report {
        machine,
        date_utc,
        command_line: config.command_line.clone(),
        revision: crate::machine::revision(),
        load_start,
        load_end: load_average(),
        dataset: format!(
            "{} rows, {} Arrow in memory (Σ Arrow buffer bytes), {} batches of ≤ {BATCH_ROWS} rows, seed {}; `{}.{}` RANGE(l_shipdate) {} yearly partitions {FIRST_YEAR}–{LAST_YEAR} × HASH(l_orderkey) {BUCKETS} buckets, {} → {file_count} files, {} on disk",
            data.rows,
            format_bytes(data.arrow_bytes),
            data.batches.len(),
            data.seed,
            crate::data::DB,
            crate::data::TABLE,
            LAST_YEAR - FIRST_YEAR + 1,
            tabvault_storage::Compression::default().name(),
            format_bytes(disk_bytes),
        ),
        runs: ctx.runs(),
        judged: !config.quick,
        rows,
        references,
        notes,
    };
    write_report(&config.out, &report.markdown())?;
    drop(engine);
    Ok(report)
}

fn run_scenario(ctx: &Ctx, engine: &Engine, scenario: Scenario) -> Result<Vec<Row>> {
    Ok(match scenario {
        Scenario::Append => Vec::new(),
        Scenario::Scan => scan::run(ctx, engine)?,
        Scenario::Capture => vec![capture::run(ctx, engine)?],
        Scenario::Backup => backup::run(ctx, engine)?,
        Scenario::Restore => restore::run(ctx, engine)?,
        Scenario::Export => export::run(ctx, engine)?,
        Scenario::Iceberg => iceberg::run(ctx, engine)?,
        Scenario::Repeat => repeat::run(ctx, engine)?,
        Scenario::Insert => vec![insert::run(ctx, engine)?],
        Scenario::Sql => sql::run(ctx, engine)?,
        Scenario::SmallInserts => small_inserts::run(ctx)?,
    })
}

fn show(row: &Row) {
    let ratio = row.ratio().map_or("—".into(), |r| format!("{r:.2}×"));
    eprintln!(
        "  {:<24} tabvault {:<34} {:<40} {:<34} ratio {ratio}",
        row.id,
        row.tabvault.summary(),
        row.baseline_name,
        row.baseline.summary()
    );
}

fn write_report(out: &Path, markdown: &str) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(out, markdown).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(())
}
