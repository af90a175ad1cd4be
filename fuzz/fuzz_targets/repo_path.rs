//! cargo-fuzz entry point; the body lives in ../targets/repo_path.rs so the test suite can replay the
//! seed corpus on stable Rust.
#![no_main]

#[path = "../targets/repo_path.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
