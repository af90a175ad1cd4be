//! Helpers shared by the black-box tests of the `tabvault` binary: running it and reading what it
//! printed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `tabvault --data DATA ARGS` in the test's working directory.
pub fn tabvault(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabvault"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("runs tabvault")
}

/// Runs `tabvault ARGS` in working directory `cwd` with a clean logging environment plus `env`.
pub fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabvault"))
        .current_dir(cwd)
        .env_remove("TABVAULT_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("runs tabvault")
}

/// What a run printed on stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a run printed on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// stdout followed by stderr.
pub fn text(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}
