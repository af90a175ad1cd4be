//! Diagnostics on stderr: the `tracing` events of every crate (a failed checkpoint, a poisoned
//! engine, open-time cleanup) go through one subscriber installed at start-up. The level comes
//! from `TABVAULT_LOG`, else `RUST_LOG` (env-filter syntax, e.g. `info` or
//! `tabvault_storage=debug`), else warnings and errors only. Colours only on a terminal.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when neither variable is set (or set to an empty string).
const DEFAULT_FILTER: &str = "warn";

/// Installs the stderr subscriber. Call once, before anything logs.
pub fn install() {
    let filter = match configured_filter() {
        Some((variable, spec)) => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("WARNING: ignoring {variable}={spec:?} ({e}); logging warnings only");
            EnvFilter::new(DEFAULT_FILTER)
        }),
        None => EnvFilter::new(DEFAULT_FILTER),
    };
    // Fails only if a subscriber is already installed, which then keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The first of `TABVAULT_LOG`, `RUST_LOG` that is set and not empty, with its name.
fn configured_filter() -> Option<(&'static str, String)> {
    ["TABVAULT_LOG", "RUST_LOG"].into_iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    })
}
