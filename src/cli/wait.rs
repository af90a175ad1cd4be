//! Waiting for a BACKUP/RESTORE job with a progress bar of files and bytes.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tabvault::snapshot::{Job, JobRecord};

use super::interrupt;

/// How the wait ended.
pub enum Waited {
    /// The job is FINISHED or CANCELLED.
    Done(Box<JobRecord>),
    /// Ctrl-C: the job goes on.
    Interrupted,
}

/// Blocks until the job ends or Ctrl-C, drawing progress (on stderr, when it is a terminal).
pub fn wait(job: &Arc<Job>) -> Waited {
    let (sender, receiver) = mpsc::channel();
    let waiter = job.clone();
    let spawned = std::thread::Builder::new()
        .name("tabvault-wait".into())
        .spawn(move || {
            let _ = sender.send(waiter.wait());
        });
    if spawned.is_err() {
        return Waited::Done(Box::new(job.wait()));
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} job {prefix} [{bar:30}] {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(job.id().to_string());
    interrupt::set_waiting(true);
    let outcome = loop {
        match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(record) => break Waited::Done(Box::new(record)),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Waited::Done(Box::new(job.record()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if interrupt::interrupted() {
            break Waited::Interrupted;
        }
        let progress = job.progress().snapshot();
        bar.set_length(progress.bytes_total);
        bar.set_position(progress.bytes_done);
        bar.set_message(format!(
            "{}/{} files, {}",
            progress.files_done,
            progress.files_total,
            job.record().state
        ));
    };
    interrupt::set_waiting(false);
    bar.finish_and_clear();
    outcome
}
