//! `tabvault-bench compare [...]`: the side-by-side comparison (see `--help`).

use std::process::ExitCode;

use clap::Parser;
use tabvault_bench::config::{Cli, Command};
use tabvault_bench::scenarios::sql::peak_query;
use tabvault_bench::{Config, run};

fn main() -> ExitCode {
    let args = match Cli::parse().command {
        Command::Compare(args) => args,
        Command::PeakQuery(args) => {
            return match peak_query(&args.data, &args.sql) {
                Ok(peak) => {
                    println!("{}\t{}", peak.resident, peak.growth);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("tabvault-bench peak-query: {e}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    let mut config = Config::from(args);
    config.command_line = std::env::args().collect::<Vec<_>>().join(" ");
    match run(&config) {
        Ok(report) => {
            println!("{}", report.markdown());
            let missed = report.missed();
            eprintln!(
                "report written to {}; {} goal(s) missed{}",
                config.out.display(),
                missed.len(),
                if missed.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        missed
                            .iter()
                            .map(|r| r.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tabvault-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
