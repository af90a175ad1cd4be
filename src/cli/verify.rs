//! `tabvault verify [--repair] [--quick]`: checks a data directory without the SQL layer. Opens it
//! as the engine does (a torn final log record is cut and kept in lost+found), then re-reads every
//! rowset file against its recorded size and BLAKE3, and lists what does not belong. `--repair`
//! opens in repair mode: a log damaged mid-way is cut at the damage and whatever is cut or foreign
//! goes to `lost+found/`; nothing is ever deleted. Exit code 0 only when the directory is clean.

use std::path::Path;
use std::process::ExitCode;

use tabvault::Engine;

/// Arguments of `tabvault verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Cut a damaged metadata log at the damage (losing the records after it) and move foreign
    /// entries out of data/; everything cut or moved is kept under lost+found/.
    #[arg(long = "repair")]
    pub repair: bool,
    /// Check sizes only; skip re-hashing every file.
    #[arg(long = "quick")]
    pub quick: bool,
}

/// Runs the check and prints its report; exit code 1 on any problem.
pub fn run(data: &Path, args: &VerifyArgs) -> ExitCode {
    if !data.is_dir() {
        eprintln!("ERROR: {} is not a directory", data.display());
        return ExitCode::FAILURE;
    }
    let engine = match Engine::builder(data).repair(args.repair).open() {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opened = engine.open_report();
    if opened.log_truncated {
        println!("metadata log: records were cut (kept in lost+found)");
    }
    if opened.gc.files_removed > 0 {
        println!(
            "removed {} leftover files of unfinished writes",
            opened.gc.files_removed
        );
    }
    if let Some(dir) = &opened.lost_found {
        let moved = opened.gc.files_quarantined
            + if args.repair {
                opened.gc.foreign.len()
            } else {
                0
            };
        println!(
            "set aside {moved} entries and any cut log bytes in {}",
            dir.display()
        );
    }
    let report = match engine.verify(!args.quick) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "checked {} rowset files ({} bytes hashed), last commit {}",
        report.files_checked,
        report.bytes_hashed,
        engine.last_seq()
    );
    for problem in &report.problems {
        println!("DAMAGED  {problem}");
    }
    for path in &report.foreign {
        println!(
            "FOREIGN  {} (not written by tabvault; left in place)",
            path.display()
        );
    }
    for path in &report.unreferenced {
        println!("UNUSED   {}", path.display());
    }
    for path in &report.lost_found {
        println!("KEPT     {}", path.display());
    }
    if report.is_clean() {
        println!("OK");
        ExitCode::SUCCESS
    } else {
        println!(
            "NOT CLEAN: {} damaged, {} foreign, {} unused",
            report.problems.len(),
            report.foreign.len(),
            report.unreferenced.len()
        );
        ExitCode::FAILURE
    }
}
