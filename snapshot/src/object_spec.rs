//! What a BACKUP or RESTORE names in its ON clause, and what its job record keeps of it.

use serde::{Deserialize, Serialize};

/// One object of a job: a table (maybe only some partitions, maybe restored under an alias) or
/// a view. The same value is asked for, checked and persisted in the job record (whose JSON
/// fields are these names: `name`, `partitions`, `alias`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSpec {
    /// Table or view name (in the database for BACKUP, in the snapshot for RESTORE).
    #[serde(rename = "name")]
    pub name: String,
    /// Only these partitions; `None` for all (that the table or the snapshot holds).
    #[serde(rename = "partitions")]
    pub partitions: Option<Vec<String>>,
    /// RESTORE's `AS alias`: the name to restore under (BACKUP refuses one, as StarRocks does).
    #[serde(rename = "alias")]
    pub alias: Option<String>,
}

impl ObjectSpec {
    /// The whole object `name`, under its own name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}
