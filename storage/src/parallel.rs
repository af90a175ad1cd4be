//! Running independent jobs (tablet reads, rowset writes, tablet merges) on the process's one
//! rayon pool, keeping results in input order and stopping at the first error.

use rayon::prelude::*;

use crate::error::Result;

/// Applies `job` to every item, on the rayon pool unless `threads` is 1 (then one after another
/// on this thread); results come back in item order. After one job fails, no new job starts and
/// an error is returned.
pub(crate) fn parallel_map<T, R, F>(items: Vec<T>, threads: usize, job: F) -> Result<Vec<R>>
where
    T: Send,
    R: Send,
    F: Fn(T) -> Result<R> + Sync + Send,
{
    if threads <= 1 || items.len() <= 1 {
        return items.into_iter().map(job).collect();
    }
    items.into_par_iter().map(job).collect()
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
