//! Moving many files (or fsyncing them) at once: a few threads take files from a shared list; the first failure stops
//! every thread before its next file and is returned.

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// Runs `work` on every item on up to `threads` threads; returns the first error.
pub(crate) fn for_each_parallel<T: Sync, E: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<E>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                while first_error.lock().is_none() {
                    let Some(item) = items.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    if let Err(e) = work(item) {
                        first_error.lock().get_or_insert(e);
                    }
                }
            });
        }
    });
    match first_error.into_inner() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
