//! Table locks: a running job (a RESTORE) reserves its target tables; reads, writes and DDL on
//! them fail with an error naming the job until the lock is released.

use std::collections::HashMap;

use parking_lot::Mutex;

use super::Engine;
use crate::catalog::Table;
use crate::error::{Result, StorageError};

/// Locked table ids and who holds each.
#[derive(Debug, Default)]
pub(super) struct LockTable {
    held: Mutex<HashMap<u64, String>>,
}

/// Holds table locks until dropped.
#[derive(Debug)]
#[must_use = "the tables are unlocked when this guard is dropped"]
pub struct TableLocks {
    engine: Engine,
    table_ids: Vec<u64>,
    holder: String,
}

impl TableLocks {
    /// Ids of the locked tables.
    pub fn table_ids(&self) -> &[u64] {
        &self.table_ids
    }

    /// Who holds the locks.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

impl Drop for TableLocks {
    fn drop(&mut self) {
        let mut held = self.engine.inner.locks.held.lock();
        for id in &self.table_ids {
            held.remove(id);
        }
    }
}

impl Engine {
    /// Locks existing tables `tables` of `db` for `holder` (e.g. `RESTORE job 7`). Fails if one is
    /// already locked; locks nothing then.
    pub fn lock_tables(&self, db: &str, tables: &[String], holder: &str) -> Result<TableLocks> {
        let catalog = self.catalog();
        let mut ids = Vec::with_capacity(tables.len());
        for name in tables {
            ids.push(catalog.require_table(db, name)?.id);
        }
        let mut held = self.inner.locks.held.lock();
        if let Some((id, other)) = ids.iter().find_map(|id| held.get(id).map(|h| (id, h))) {
            let name = tables[ids.iter().position(|i| i == id).unwrap_or(0)].clone();
            return Err(StorageError::Locked {
                table: format!("{db}.{name}"),
                holder: other.clone(),
            });
        }
        for id in &ids {
            held.insert(*id, holder.to_owned());
        }
        Ok(TableLocks {
            engine: self.clone(),
            table_ids: ids,
            holder: holder.to_owned(),
        })
    }

    /// Fails when `table` is locked by anyone but `allowed`.
    pub(crate) fn check_unlocked(
        &self,
        db: &str,
        table: &Table,
        allowed: Option<&TableLocks>,
    ) -> Result<()> {
        if allowed.is_some_and(|l| l.table_ids.contains(&table.id)) {
            return Ok(());
        }
        match self.inner.locks.held.lock().get(&table.id) {
            Some(holder) => Err(StorageError::Locked {
                table: format!("{db}.{}", table.name),
                holder: holder.clone(),
            }),
            None => Ok(()),
        }
    }
}
