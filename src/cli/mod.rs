//! The command line's pieces: arguments, logging, running statements, rendering results, waiting
//! for jobs and the interactive shell.

mod interrupt;
pub mod logging;
mod render;
mod runner;
mod serve;
mod shell;
mod verify;
mod verify_snapshot;
mod wait;

use std::path::PathBuf;
use std::process::ExitCode;

use tabvault::sql::Database;
use tabvault::sql::query::{COLUMN_CACHE_DEFAULT_BYTES, ImportPolicy};

/// Command-line arguments.
#[derive(Debug, clap::Parser)]
#[command(
    name = "tabvault",
    version,
    about = "tabvault SQL shell (StarRocks dialect)"
)]
pub struct Args {
    /// Data directory (created if missing).
    #[arg(
        long = "data",
        value_name = "DIR",
        default_value = "tabvault-data",
        global = true
    )]
    pub data: PathBuf,
    /// User to run as.
    #[arg(long = "user", short = 'u', value_name = "U", default_value = "root")]
    pub user: String,
    /// The user's password.
    #[arg(long = "password", short = 'p', value_name = "P")]
    pub password: Option<String>,
    /// Run these statements and exit.
    #[arg(short = 'e', value_name = "SQL", conflicts_with = "file")]
    pub execute: Option<String>,
    /// Run the statements of this file and exit.
    #[arg(short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Do not wait for BACKUP/RESTORE jobs to finish.
    #[arg(long = "no-wait")]
    pub no_wait: bool,
    /// A directory `FILES()` may read below (repeatable). Without one, root's shell may read
    /// below the working directory, and `serve` and other users none.
    #[arg(long = "import-root", value_name = "DIR", global = true)]
    pub import_roots: Vec<PathBuf>,
    /// Bytes one statement may read through `FILES()`.
    #[arg(long = "import-max-bytes", value_name = "BYTES", global = true,
          default_value_t = ImportPolicy::DEFAULT_MAX_BYTES)]
    pub import_max_bytes: u64,
    /// Bytes of decoded columns kept between queries, so that repeated scans skip decoding
    /// Parquet pages; 0 turns the cache off.
    #[arg(long = "column-cache-bytes", value_name = "BYTES", global = true,
          default_value_t = COLUMN_CACHE_DEFAULT_BYTES)]
    pub column_cache_bytes: usize,
    /// A subcommand (`serve`, `verify`, `verify-snapshot`) instead of the shell.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands of `tabvault`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the data directory over the MySQL protocol (connect with `mysql -h 127.0.0.1 -P 9030
    /// -u root`). root has no password by default; a non-loopback address needs one
    /// (`--root-password-file`) or `--allow-passwordless-root`.
    Serve(serve::ServeArgs),
    /// Check the data directory: every table file against its recorded size and checksum, and
    /// anything that does not belong. `--repair` cuts a damaged log and sets aside what is cut.
    Verify(verify::VerifyArgs),
    /// Check a snapshot in a repository (ADMIN VERIFY SNAPSHOT): its info files, manifest and
    /// every data file against their recorded sizes and BLAKE3 checksums. Read-only; exit code
    /// 1 when any file is not OK.
    VerifySnapshot(verify_snapshot::VerifySnapshotArgs),
}

/// Where the shell's `FILES()` may read: the `--import-root`s given, or else, for root only, the
/// working directory (where a script's data files usually are).
fn shell_import_policy(args: &Args) -> tabvault::sql::Result<ImportPolicy> {
    let roots = if args.import_roots.is_empty() && args.user == tabvault::sql::auth::ROOT {
        vec![PathBuf::from(".")]
    } else {
        args.import_roots.clone()
    };
    ImportPolicy::new(&roots, args.import_max_bytes)
}

/// Runs the command line; the exit code is 1 after any error.
pub fn run(args: Args) -> ExitCode {
    match &args.command {
        Some(Command::Serve(serve)) => {
            return match ImportPolicy::new(&args.import_roots, args.import_max_bytes) {
                Ok(import) => serve::run(&args.data, serve, import, args.column_cache_bytes),
                Err(e) => {
                    eprintln!("ERROR: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Verify(verify)) => return verify::run(&args.data, verify),
        Some(Command::VerifySnapshot(verify)) => return verify_snapshot::run(&args.data, verify),
        None => {}
    }
    let session = Database::open(&args.data).and_then(|db| {
        db.set_import_policy(shell_import_policy(&args)?);
        db.column_cache().set_budget(args.column_cache_bytes);
        db.session(&args.user, args.password.as_deref())
    });
    let mut session = match session {
        Ok(session) => session,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    interrupt::install();
    let mut runner = runner::Runner::new(&mut session, !args.no_wait);
    let script = match (&args.execute, &args.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("ERROR: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        (None, None) => None,
    };
    match script {
        Some(text) => match runner.run_script(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(()) => ExitCode::FAILURE,
        },
        None => shell::interactive(&mut runner, &args.data),
    }
}
