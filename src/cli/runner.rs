//! Running statements for the command line: print each result, wait for the jobs BACKUP and
//! RESTORE start, print errors as `ERROR: …` on stderr.

use std::time::Instant;

use tabvault::sql::{Session, parse_statements};

use super::render::render;
use super::wait::{Waited, wait};

/// Runs statements in one session.
pub struct Runner<'a> {
    session: &'a mut Session,
    wait_for_jobs: bool,
}

impl<'a> Runner<'a> {
    /// A runner over `session`; `wait_for_jobs` waits for started jobs.
    pub fn new(session: &'a mut Session, wait_for_jobs: bool) -> Self {
        Self {
            session,
            wait_for_jobs,
        }
    }

    /// The session's current database, for the prompt.
    pub fn current_database(&self) -> Option<&str> {
        self.session.current_database()
    }

    /// Runs every statement of `text`, stopping at the first error (already printed).
    pub fn run_script(&mut self, text: &str) -> Result<(), ()> {
        let statements = parse_statements(text).map_err(|e| eprintln!("ERROR: {e}"))?;
        for statement in &statements {
            let started = Instant::now();
            let result = self
                .session
                .execute_statement(statement)
                .map_err(|e| eprintln!("ERROR: {e}"))?;
            println!("{}", render(&result, started.elapsed()));
            if let (true, Some(job)) = (self.wait_for_jobs, &result.job) {
                match wait(job) {
                    Waited::Interrupted => {
                        println!(
                            "Stopped waiting; job {} goes on (SHOW BACKUP / SHOW RESTORE)",
                            job.id()
                        );
                    }
                    Waited::Done(record)
                        if record.state == tabvault_snapshot::JobState::Finished =>
                    {
                        println!(
                            "Job {} FINISHED ({:.2} sec)",
                            record.id,
                            started.elapsed().as_secs_f64()
                        );
                    }
                    Waited::Done(record) => {
                        eprintln!(
                            "ERROR: job {} of {} ended {}: {}",
                            record.id, record.label, record.state, record.status
                        );
                        return Err(());
                    }
                }
            }
        }
        Ok(())
    }
}
