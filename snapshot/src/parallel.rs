//! Moving many files (or fsyncing them) at once on the process's one transfer pool: a job's files
//! are moved by short tasks of the pool (a few files each), at most the job's own number of them
//! queued or running; the first failure stops the job from starting more and is returned.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Condvar, Mutex};
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Threads of [`TRANSFER_POOL`]: transfers wait on disks and networks, not the CPU, so the pool is
/// larger than the machine; jobs running at once share it.
const TRANSFER_THREADS: usize = 16;

/// The one pool every snapshot transfer of the process (backup, restore, verify, repository
/// writes) runs on, started on first use and kept for the life of the process; `None` if it
/// could not be started (then transfers run on their callers' threads).
static TRANSFER_POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();

fn transfer_pool() -> Option<&'static ThreadPool> {
    TRANSFER_POOL
        .get_or_init(|| {
            let built = ThreadPoolBuilder::new()
                .num_threads(TRANSFER_THREADS)
                .thread_name(|i| format!("tabvault-transfer-{i}"))
                .build();
            built
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "could not start the transfer pool; transferring on the callers' threads");
                })
                .ok()
        })
        .as_ref()
}

/// A job's tasks in flight (queued or running) and its first failure.
struct Progress<E> {
    in_flight: usize,
    first_error: Option<E>,
    /// A file's work panicked: start no more tasks (the panic is raised again once the rest end).
    panicked: bool,
}

impl<E> Progress<E> {
    /// Whether the job must start no more files.
    fn stopped(&self) -> bool {
        self.first_error.is_some() || self.panicked
    }
}

/// One task's place among a job's tasks in flight, given back when the task ends, by unwinding
/// too (so the job's thread, waiting for a free place, is never left waiting).
struct InFlight<'a, E> {
    progress: &'a Mutex<Progress<E>>,
    freed: &'a Condvar,
}

impl<E> Drop for InFlight<'_, E> {
    fn drop(&mut self) {
        let mut progress = self.progress.lock();
        progress.in_flight -= 1;
        progress.panicked |= std::thread::panicking();
        self.freed.notify_one();
    }
}

/// Files one task of the pool moves before it ends and the job hands the pool a new one: few
/// enough that a job waiting for a pool thread gets one soon, enough that the job's own thread
/// (which hands out the tasks) wakes once per several files, not for each.
const FILES_PER_TASK: usize = 4;

/// Runs `work` on every item, up to `threads` tasks of the transfer pool at a time, each taking
/// up to [`FILES_PER_TASK`] items from a shared list; returns the first error. Tasks are handed
/// to the pool from the calling thread as earlier ones end, so a pool thread is held for a few
/// files, never for a job's whole list: jobs running at once take turns in the pool's queue,
/// and none waits for another to end.
pub(crate) fn for_each_parallel<T: Sync, E: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    run_in_tasks(items, threads, work, || {})
}

/// [`for_each_parallel`], calling `queued` each time a task has been handed to the pool (the
/// seam a test uses to know the pool's queue holds a job's tasks).
fn run_in_tasks<T: Sync, E: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> Result<(), E> + Sync,
    queued: impl Fn(),
) -> Result<(), E> {
    let threads = threads.clamp(1, items.len().max(1));
    let pool = match transfer_pool() {
        Some(pool) if threads > 1 => pool,
        _ => return items.iter().try_for_each(work),
    };
    let next = AtomicUsize::new(0);
    let progress = Mutex::new(Progress {
        in_flight: 0,
        first_error: None,
        panicked: false,
    });
    let freed = Condvar::new();
    let (work, next) = (&work, &next);
    pool.in_place_scope(|scope| {
        loop {
            let mut state = progress.lock();
            while state.in_flight == threads && !state.stopped() {
                freed.wait(&mut state);
            }
            if state.stopped() || next.load(Ordering::SeqCst) >= items.len() {
                break;
            }
            state.in_flight += 1;
            drop(state);
            let place = InFlight {
                progress: &progress,
                freed: &freed,
            };
            scope.spawn(move |_| {
                for _ in 0..FILES_PER_TASK {
                    if place.progress.lock().stopped() {
                        break;
                    }
                    let Some(item) = items.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    if let Err(e) = work(item) {
                        place.progress.lock().first_error.get_or_insert(e);
                        break;
                    }
                }
                drop(place);
            });
            queued();
        }
    });
    match progress.into_inner().first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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

    /// A job whose files all wait does not hold up a later job until it ends: the later job's
    /// files run as soon as some of the long job's tasks end. Each file of the long job waits
    /// for a token this thread hands over one at a time, from when the short job's first task
    /// is queued until the short job has ended; each file of the short job notes how many of
    /// the long job's files had ended when it ran.
    #[test]
    fn a_short_job_is_not_held_up_until_a_long_one_ends() {
        let long: Vec<usize> = (0..200).collect();
        let (tokens, token) = crossbeam::channel::bounded::<()>(0);
        let (queued, short_queued) = crossbeam::channel::unbounded::<()>();
        let (ended, short_ended) = crossbeam::channel::bounded::<()>(1);
        let long_done = AtomicUsize::new(0);
        let long_done_before_short = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for_each_parallel(&long, TRANSFER_THREADS, |_| {
                    let _ = token.recv();
                    long_done.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(())
                })
            });
            scope.spawn(|| {
                let short_file = |_: &usize| {
                    let done = long_done.load(Ordering::SeqCst);
                    long_done_before_short.fetch_max(done, Ordering::SeqCst);
                    Ok::<_, ()>(())
                };
                let queued = || {
                    let _ = queued.send(());
                };
                run_in_tasks(&[1, 2, 3, 4, 5], 2, short_file, queued).expect("no item fails");
                let _ = ended.send(());
            });
            short_queued.recv().expect("a task of the short job queued");
            loop {
                crossbeam::channel::select! {
                    send(tokens, ()) -> sent => sent.expect("the long job takes tokens"),
                    recv(short_ended) -> _ => break,
                }
            }
            drop(tokens);
        });
        let done = long_done_before_short.into_inner();
        assert!(
            done < 100,
            "{done} of the long job's 200 files ended before the short job's last"
        );
    }

    #[test]
    fn a_panicking_item_is_raised_again_after_the_others_end() {
        let items: Vec<usize> = (0..50).collect();
        let ended = AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for_each_parallel(&items, 4, |&i| {
                assert_ne!(i, 3, "item 3 panics");
                ended.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(())
            })
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
        assert!(ended.into_inner() < items.len());
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
