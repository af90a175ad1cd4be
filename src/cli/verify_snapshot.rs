//! `tabvault verify-snapshot --repository R --snapshot S [--timestamp T]`: ADMIN VERIFY SNAPSHOT
//! from the command line, without a SQL session. Prints one row per file of the snapshot (its
//! info files, manifest and data files) and exits 1 when any is not intact. Only reads the
//! repository; the data directory is opened as the engine opens it (and must already exist).

use std::path::Path;
use std::process::ExitCode;

use tabvault::sql::{Database, verify_result};

/// Arguments of `tabvault verify-snapshot`.
#[derive(Debug, clap::Args)]
pub struct VerifySnapshotArgs {
    /// The repository, by the name CREATE REPOSITORY gave it.
    #[arg(long = "repository", value_name = "NAME")]
    pub repository: String,
    /// The snapshot label.
    #[arg(long = "snapshot", value_name = "LABEL")]
    pub snapshot: String,
    /// Only this backup timestamp (as SHOW SNAPSHOT lists it); default: every one.
    #[arg(long = "timestamp", value_name = "T")]
    pub timestamp: Option<String>,
}

/// Verifies the snapshot and prints its rows; exit code 1 on any file not OK or any error.
pub fn run(data: &Path, args: &VerifySnapshotArgs) -> ExitCode {
    if !data.is_dir() {
        eprintln!("ERROR: {} is not a directory", data.display());
        return ExitCode::FAILURE;
    }
    let verified = Database::open(data).and_then(|db| {
        let rows = db.snapshots().verify_snapshot(
            &args.repository,
            &args.snapshot,
            args.timestamp.as_deref(),
        )?;
        Ok((verify_result(&rows)?, rows))
    });
    let (result, rows) = match verified {
        Ok(verified) => verified,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", super::render::table(&result));
    let bad = rows.iter().filter(|r| !r.status.is_ok()).count();
    if bad == 0 {
        println!("OK: {} files verified", rows.len());
        ExitCode::SUCCESS
    } else {
        println!(
            "NOT OK: {bad} of {} files damaged or unreadable",
            rows.len()
        );
        ExitCode::FAILURE
    }
}
