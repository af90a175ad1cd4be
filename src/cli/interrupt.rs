//! Ctrl-C: while the command line waits for a job, it stops the waiting (the job goes on);
//! otherwise it ends the process as usual.

use std::sync::atomic::{AtomicBool, Ordering};

static WAITING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT handler (a thread on a small runtime).
pub fn install() {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return,
    };
    let spawned = std::thread::Builder::new()
        .name("tabvault-ctrl-c".into())
        .spawn(move || {
            runtime.block_on(async {
                while tokio::signal::ctrl_c().await.is_ok() {
                    if WAITING.load(Ordering::SeqCst) {
                        INTERRUPTED.store(true, Ordering::SeqCst);
                    } else {
                        std::process::exit(130);
                    }
                }
            });
        });
    drop(spawned);
}

/// Marks the start (`true`) or end of a wait that Ctrl-C may interrupt.
pub fn set_waiting(waiting: bool) {
    INTERRUPTED.store(false, Ordering::SeqCst);
    WAITING.store(waiting, Ordering::SeqCst);
}

/// Whether Ctrl-C was pressed during the current wait.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
