//! `tabvault-bench compare [...]`: the side-by-side comparison (see `--help`).

use std::process::ExitCode;

use tabvault_bench::config::usage;
use tabvault_bench::{Config, run};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("compare") => {}
        Some("--help" | "-h" | "help") => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{}", usage());
            return ExitCode::from(2);
        }
    }
    let mut config = match Config::from_args(&args[2..]) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    config.command_line = args.join(" ");
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
