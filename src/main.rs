//! `tabvault`: the command line. Without `-e`/`-f` it opens an interactive shell on the data
//! directory (default `./tabvault-data`); `-e "SQL"` and `-f file.sql` run statements and stop at
//! the first error with exit code 1. After a BACKUP or RESTORE it started, it waits for the job
//! with a progress bar (Ctrl-C stops waiting, not the job) unless `--no-wait`. Diagnostics go to
//! stderr at the level `TABVAULT_LOG` (or `RUST_LOG`) sets, warnings by default.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::logging::install();
    cli::run(cli::Args::parse())
}
