//! The open sessions and what each runs: `SHOW PROCESSLIST` lists them, `KILL QUERY id` cancels a
//! session's running statement and `KILL [CONNECTION] id` also closes its connection. A server
//! registers a connection when it accepts it (before login, as MySQL lists "unauthenticated
//! user"); embedded sessions register when they open. An entry leaves the list when its
//! [`ProcessHandle`] is dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// The user shown for a connection that has not logged in yet.
const UNAUTHENTICATED: &str = "unauthenticated user";

/// A one-way signal: once raised it stays raised, and everyone waiting wakes.
#[derive(Debug, Default)]
pub struct Signal {
    raised: AtomicBool,
    notify: Notify,
}

impl Signal {
    /// Raises the signal.
    pub fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Whether the signal was raised.
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// Returns once the signal is raised.
    pub async fn raised(&self) {
        loop {
            // Registered before the flag is read, so a raise in between still wakes it.
            let notified = self.notify.notified();
            if self.is_raised() {
                return;
            }
            notified.await;
        }
    }
}

/// What a process is doing now.
#[derive(Debug)]
struct Activity {
    user: String,
    database: Option<String>,
    /// The statement running, when one is.
    statement: Option<Running>,
    /// When the current state (a statement, or idling) began.
    since: Instant,
}

#[derive(Debug)]
struct Running {
    text: String,
    cancel: Arc<Signal>,
}

/// One session in the process list.
#[derive(Debug)]
pub(crate) struct Process {
    id: u32,
    host: String,
    connected: SystemTime,
    activity: Mutex<Activity>,
    /// Raised by `KILL [CONNECTION]`: the connection closes.
    killed: Arc<Signal>,
}

/// A snapshot of one process for `SHOW PROCESSLIST`.
#[derive(Clone, Debug)]
pub(crate) struct ProcessRow {
    pub id: u32,
    pub user: String,
    pub host: String,
    pub database: Option<String>,
    pub connected: SystemTime,
    pub seconds: u64,
    pub statement: Option<String>,
}

/// Every open session of one database.
#[derive(Debug, Default)]
pub(crate) struct ProcessList {
    next_id: AtomicU32,
    processes: Mutex<BTreeMap<u32, Arc<Process>>>,
}

impl ProcessList {
    /// Registers a new session from `host`; it stays listed until the handle is dropped.
    pub(crate) fn register(self: &Arc<Self>, host: &str) -> ProcessHandle {
        let mut processes = self.processes.lock();
        let mut id = self.next_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        while id == 0 || processes.contains_key(&id) {
            id = self.next_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        }
        let process = Arc::new(Process {
            id,
            host: host.to_owned(),
            connected: SystemTime::now(),
            activity: Mutex::new(Activity {
                user: UNAUTHENTICATED.to_owned(),
                database: None,
                statement: None,
                since: Instant::now(),
            }),
            killed: Arc::default(),
        });
        processes.insert(id, process.clone());
        ProcessHandle {
            list: self.clone(),
            process,
        }
    }

    /// Every process, by id.
    pub(crate) fn rows(&self) -> Vec<ProcessRow> {
        let processes: Vec<Arc<Process>> = self.processes.lock().values().cloned().collect();
        processes
            .iter()
            .map(|process| {
                let activity = process.activity.lock();
                ProcessRow {
                    id: process.id,
                    user: activity.user.clone(),
                    host: process.host.clone(),
                    database: activity.database.clone(),
                    connected: process.connected,
                    seconds: activity.since.elapsed().as_secs(),
                    statement: activity.statement.as_ref().map(|s| s.text.clone()),
                }
            })
            .collect()
    }

    /// The user of process `id`, if it is listed.
    pub(crate) fn user_of(&self, id: u32) -> Option<String> {
        let process = self.processes.lock().get(&id).cloned()?;
        let user = process.activity.lock().user.clone();
        Some(user)
    }

    /// Cancels process `id`'s running statement and, unless `query_only`, closes its
    /// connection. False when no such process is listed.
    pub(crate) fn kill(&self, id: u32, query_only: bool) -> bool {
        let Some(process) = self.processes.lock().get(&id).cloned() else {
            return false;
        };
        if !query_only {
            process.killed.raise();
        }
        if let Some(running) = &process.activity.lock().statement {
            running.cancel.raise();
        }
        true
    }
}

/// A session's entry in the process list; removed when dropped.
#[derive(Debug)]
pub struct ProcessHandle {
    list: Arc<ProcessList>,
    process: Arc<Process>,
}

impl ProcessHandle {
    /// The process (connection) id: what `CONNECTION_ID()` returns and `KILL` takes.
    pub fn id(&self) -> u32 {
        self.process.id
    }

    /// Raised when `KILL [CONNECTION]` names this process: its connection should close.
    pub fn killed(&self) -> Arc<Signal> {
        self.process.killed.clone()
    }

    /// Cancels the statement running now, if any (its client went away).
    pub fn cancel_statement(&self) {
        if let Some(running) = &self.process.activity.lock().statement {
            running.cancel.raise();
        }
    }

    /// The session logged in as `user`.
    pub(crate) fn set_user(&self, user: &str) {
        user.clone_into(&mut self.process.activity.lock().user);
    }

    /// The session's current database changed.
    pub(crate) fn set_database(&self, database: Option<&str>) {
        self.process.activity.lock().database = database.map(str::to_owned);
    }

    /// A statement starts: it is listed with `text` until [`ProcessHandle::finish`], and the
    /// returned signal is raised when it is killed (or was, by a `KILL` of the connection).
    pub(crate) fn start(&self, text: String) -> Arc<Signal> {
        let cancel = Arc::new(Signal::default());
        let mut activity = self.process.activity.lock();
        activity.statement = Some(Running {
            text,
            cancel: cancel.clone(),
        });
        activity.since = Instant::now();
        // Checked once the statement is listed: a KILL raises `killed` before it looks for the
        // running statement, so one of the two sees the other.
        if self.process.killed.is_raised() {
            cancel.raise();
        }
        cancel
    }

    /// The statement that [`ProcessHandle::start`] gave `cancel` ended (a later one is left
    /// listed).
    pub(crate) fn finish(&self, cancel: &Arc<Signal>) {
        let mut activity = self.process.activity.lock();
        if activity
            .statement
            .as_ref()
            .is_some_and(|running| Arc::ptr_eq(&running.cancel, cancel))
        {
            activity.statement = None;
            activity.since = Instant::now();
        }
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        self.list.processes.lock().remove(&self.process.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_are_listed_while_open_and_killed_by_id() {
        let list = Arc::new(ProcessList::default());
        let a = list.register("10.0.0.1:5000");
        let b = list.register("10.0.0.2:5000");
        assert_ne!(a.id(), b.id());
        a.set_user("bob");
        let cancel = a.start("SELECT 1".into());
        let rows = list.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].user, "bob");
        assert_eq!(rows[0].statement.as_deref(), Some("SELECT 1"));
        assert_eq!(rows[1].user, UNAUTHENTICATED);

        assert!(list.kill(a.id(), true));
        assert!(cancel.is_raised());
        assert!(
            !a.killed().is_raised(),
            "KILL QUERY leaves the connection open"
        );
        a.finish(&cancel);
        assert_eq!(list.rows()[0].statement, None);
        assert!(
            !a.start("SELECT 2".into()).is_raised(),
            "a new statement runs"
        );

        assert!(list.kill(b.id(), false));
        assert!(b.killed().is_raised());
        assert!(
            b.start("SELECT 3".into()).is_raised(),
            "a killed connection runs nothing"
        );

        let gone = a.id();
        drop(a);
        assert!(!list.kill(gone, false));
        assert_eq!(list.rows().len(), 1);
    }

    #[tokio::test]
    async fn a_raised_signal_wakes_its_waiters() {
        let signal = Arc::new(Signal::default());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.raised().await }
        });
        signal.raise();
        waiter.await.expect("woken");
        signal.raised().await;
    }
}
