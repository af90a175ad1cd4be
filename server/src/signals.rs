//! Waiting for SIGINT or SIGTERM.

use std::io;

/// Returns when the process gets SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn terminated() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
