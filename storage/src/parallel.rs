//! Running independent jobs (tablet reads, rowset writes) on a few scoped threads, keeping results
//! in input order and stopping at the first error.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::Result;

/// Applies `job` to every item on up to `threads` threads; results come back in item order. After
/// one job fails, no new job starts and the first error is returned.
pub(crate) fn parallel_map<T, R, F>(items: Vec<T>, threads: usize, job: F) -> Result<Vec<R>>
where
    T: Send,
    R: Send,
    F: Fn(T) -> Result<R> + Sync,
{
    let count = items.len();
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        return items.into_iter().map(job).collect();
    }
    let queue: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let results: Vec<Mutex<Option<Result<R>>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some(item) = queue[index].lock().take() else {
                        continue;
                    };
                    let result = job(item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    *results[index].lock() = Some(result);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(count);
    for slot in results {
        match slot.into_inner() {
            Some(result) => out.push(result?),
            None => continue,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StorageError;

    #[test]
    fn keeps_order_and_reports_errors() {
        let out = parallel_map((0..100).collect(), 4, |i: u32| Ok(i * 2)).expect("ok");
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let err = parallel_map((0..100).collect(), 4, |i: u32| {
            if i == 37 {
                Err(StorageError::Unsupported("boom".into()))
            } else {
                Ok(i)
            }
        });
        assert!(err.is_err());
    }
}
