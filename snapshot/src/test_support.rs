//! Helpers for the crate's unit tests.

use std::collections::BTreeMap;

/// A properties map from pairs.
pub(crate) fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
