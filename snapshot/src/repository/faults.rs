//! [`FaultPlan`]: deterministic fault injection for tests of code built on the repository store.

use std::sync::atomic::{AtomicU64, Ordering};

/// Deterministic fault injection for tests: fail a chosen share of operations and tear uploads.
///
/// Every public operation of a [`RepositoryStore`](super::RepositoryStore) returned by
/// [`with_faults`](super::RepositoryStore::with_faults) (and of its clones) takes the next
/// operation ordinal, starting at 0. An operation fails with
/// [`RepositoryError::Injected`](super::RepositoryError::Injected) when its ordinal is listed in
/// `fail_ops`, or when `fail_one_in` is `n > 0` and a hash of `(seed, ordinal)` is divisible by
/// `n` (so about one operation in `n` fails, the same ones on every run with the same seed).
///
/// A failing operation normally fails before touching anything. With `tear_uploads`, a failing
/// `put_bytes` / `put_file` instead models a crash in the middle of the upload: part of the data
/// is written where the backend would keep it while uploading (a temporary file of a local
/// repository, an uncompleted multipart upload of an object store) and is left behind, exactly as
/// a killed process would leave it, and the operation fails. Nothing ever becomes visible under
/// the target name, which is what tests of put atomicity check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Seed of the hash that picks failing operations for `fail_one_in`.
    pub seed: u64,
    /// Fail about one operation in this many; 0 = never.
    pub fail_one_in: u32,
    /// Failing uploads leave a torn temporary behind instead of failing cleanly.
    pub tear_uploads: bool,
    /// Fail exactly the operations with these ordinals (0 = first operation).
    pub fail_ops: Vec<u64>,
}

/// What the store must do for one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Run normally.
    None,
    /// Fail before doing anything.
    Fail(u64),
    /// Write part of the data to the backend's temporary place, then fail.
    Tear(u64),
}

/// A [`FaultPlan`] plus the shared operation counter.
#[derive(Debug)]
pub(crate) struct FaultState {
    plan: FaultPlan,
    next_op: AtomicU64,
}

impl FaultState {
    /// Starts counting operations at 0.
    pub(crate) fn new(plan: FaultPlan) -> Self {
        FaultState {
            plan,
            next_op: AtomicU64::new(0),
        }
    }

    /// Takes the next ordinal and decides its fate; `is_upload` allows tearing.
    pub(crate) fn next(&self, is_upload: bool) -> Fault {
        let op = self.next_op.fetch_add(1, Ordering::Relaxed);
        let chosen = self.plan.fail_ops.contains(&op)
            || (self.plan.fail_one_in > 0
                && splitmix64(self.plan.seed ^ op.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .is_multiple_of(u64::from(self.plan.fail_one_in)));
        match (chosen, is_upload && self.plan.tear_uploads) {
            (false, _) => Fault::None,
            (true, false) => Fault::Fail(op),
            (true, true) => Fault::Tear(op),
        }
    }
}

/// A well-mixed 64-bit hash (SplitMix64's finaliser).
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_ops_are_exact_and_tearing_only_hits_uploads() {
        let state = FaultState::new(FaultPlan {
            fail_ops: vec![1, 3],
            tear_uploads: true,
            ..FaultPlan::default()
        });
        let fates: Vec<Fault> = [true, true, false, false]
            .into_iter()
            .map(|upload| state.next(upload))
            .collect();
        assert_eq!(
            fates,
            [Fault::None, Fault::Tear(1), Fault::None, Fault::Fail(3)]
        );
    }

    #[test]
    fn fail_one_in_is_deterministic_and_roughly_proportional() {
        let plan = FaultPlan {
            seed: 7,
            fail_one_in: 4,
            ..FaultPlan::default()
        };
        let run = |plan: &FaultPlan| {
            let state = FaultState::new(plan.clone());
            (0..4000)
                .map(|_| state.next(false) != Fault::None)
                .collect::<Vec<bool>>()
        };
        let first = run(&plan);
        assert_eq!(first, run(&plan));
        let failures = first.iter().filter(|f| **f).count();
        assert!((800..1200).contains(&failures), "{failures}");
        let never = FaultState::new(FaultPlan::default());
        assert!((0..100).all(|_| never.next(true) == Fault::None));
    }
}
