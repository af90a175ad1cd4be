//! The prepared statements of one connection, by id. A connection holds at most
//! [`MAX_PREPARED`] at a time, so a client cannot grow the server's memory by preparing without
//! closing; ids are never 0 and never reused while their statement is held.

use std::collections::HashMap;
use std::sync::Arc;

use tabvault_sql::Prepared;

/// Most statements one connection may hold prepared (MySQL's `max_prepared_stmt_count` is
/// server-wide; this cap is per connection).
pub(crate) const MAX_PREPARED: usize = 1024;

/// A connection's prepared statements.
#[derive(Default)]
pub(crate) struct Statements {
    last_id: u32,
    held: HashMap<u32, Arc<Prepared>>,
}

impl Statements {
    /// Holds `prepared` under a new id; `None` when the connection already holds
    /// [`MAX_PREPARED`].
    pub(crate) fn add(&mut self, prepared: Prepared) -> Option<u32> {
        if self.held.len() >= MAX_PREPARED {
            return None;
        }
        loop {
            self.last_id = self.last_id.wrapping_add(1);
            if self.last_id != 0 && !self.held.contains_key(&self.last_id) {
                break;
            }
        }
        self.held.insert(self.last_id, Arc::new(prepared));
        Some(self.last_id)
    }

    /// The statement held under `id`.
    pub(crate) fn get(&self, id: u32) -> Option<Arc<Prepared>> {
        self.held.get(&id).cloned()
    }

    /// Forgets the statement held under `id`, if any.
    pub(crate) fn remove(&mut self, id: u32) {
        self.held.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select() -> Prepared {
        Prepared::new("SELECT ?").expect("prepares")
    }

    #[test]
    fn ids_are_fresh_and_the_count_is_capped() {
        let mut statements = Statements::default();
        let ids: Vec<u32> = (0..MAX_PREPARED)
            .map(|_| statements.add(select()).expect("room"))
            .collect();
        assert_eq!(ids[0], 1);
        assert!(statements.add(select()).is_none());
        statements.remove(ids[0]);
        assert!(statements.get(ids[0]).is_none());
        let id = statements.add(select()).expect("room again");
        assert!(!ids[1..].contains(&id));
        assert_eq!(statements.get(id).map(|p| p.param_count()), Some(1));
    }
}
