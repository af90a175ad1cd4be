//! Moving many files (or fsyncing them) at once: a few workers of the process's one transfer pool
//! take files from a shared list; the first failure stops every worker before its next file and
//! is returned.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Threads of [`TRANSFER_POOL`]: transfers wait on disks and networks, not the CPU, so the pool is
/// larger than the machine; jobs running at once share it.
const TRANSFER_THREADS: usize = 16;

/// The one pool every snapshot transfer of the process (backup, restore, verify, repository
/// writes) runs on, started on first use and kept for the life of the process.
static TRANSFER_POOL: OnceLock<ThreadPool> = OnceLock::new();

fn transfer_pool() -> Option<&'static ThreadPool> {
    if let Some(pool) = TRANSFER_POOL.get() {
        return Some(pool);
    }
    let built = ThreadPoolBuilder::new()
        .num_threads(TRANSFER_THREADS)
        .thread_name(|i| format!("tabvault-transfer-{i}"))
        .build();
    match built {
        Ok(pool) => {
            // Two first uses at once: one pool wins, the other is dropped here, unused.
            let _ = TRANSFER_POOL.set(pool);
            TRANSFER_POOL.get()
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not start the transfer pool; transferring on this thread");
            None
        }
    }
}

/// Runs `work` on every item, on up to `threads` workers of the transfer pool; returns the first
/// error.
pub(crate) fn for_each_parallel<T: Sync, E: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<E>> = Mutex::new(None);
    let worker = || {
        while first_error.lock().is_none() {
            let Some(item) = items.get(next.fetch_add(1, Ordering::SeqCst)) else {
                break;
            };
            if let Err(e) = work(item) {
                first_error.lock().get_or_insert(e);
            }
        }
    };
    let workers = threads.clamp(1, items.len().max(1));
    match transfer_pool() {
        Some(pool) if workers > 1 => pool.in_place_scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|_| worker());
            }
        }),
        _ => worker(),
    }
    match first_error.into_inner() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn work_runs_on_the_shared_pool_within_the_worker_cap() {
        let items: Vec<usize> = (0..400).collect();
        let names = Mutex::new(BTreeSet::new());
        let (active, most_active, done) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    for_each_parallel(&items, 4, |_| {
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        most_active.fetch_max(now, Ordering::SeqCst);
                        let name = std::thread::current().name().map(str::to_string);
                        names.lock().insert(name);
                        done.fetch_add(1, Ordering::SeqCst);
                        active.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, ()>(())
                    })
                    .expect("no item fails");
                });
            }
        });
        assert_eq!(done.into_inner(), 3 * items.len());
        assert!(most_active.into_inner() <= 3 * 4);
        let names = names.into_inner();
        assert!(names.len() <= TRANSFER_THREADS, "{names:?}");
        assert!(
            names.iter().all(|n| n
                .as_deref()
                .is_some_and(|n| n.starts_with("tabvault-transfer-"))),
            "{names:?}"
        );
    }

    #[test]
    fn the_first_error_is_returned_and_stops_the_rest() {
        let items: Vec<usize> = (0..10_000).collect();
        let started = AtomicUsize::new(0);
        let result = for_each_parallel(&items, 4, |&i| {
            started.fetch_add(1, Ordering::SeqCst);
            if i == 10 { Err(i) } else { Ok(()) }
        });
        assert_eq!(result, Err(10));
        assert!(started.into_inner() < items.len());
    }

    #[test]
    fn one_worker_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        for_each_parallel(&[1, 2, 3], 1, |_| {
            assert_eq!(std::thread::current().id(), caller);
            Ok::<_, ()>(())
        })
        .expect("no item fails");
    }
}
