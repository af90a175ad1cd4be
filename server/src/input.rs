//! A connection's input, guarded: it ends (reads as end of stream) once the server stops, so idle
//! connections close while a running statement still finishes; it fails when the client takes too
//! long (the handshake timeout before login, `wait_timeout` between commands after it); and it
//! fails as soon as a MySQL frame grows past its cap (a few KiB before login, the statement limit
//! after), so a client can never make the server buffer an unbounded frame.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Largest frame accepted before login: the handshake response with its connection attributes
/// fits many times over.
pub(crate) const PRE_AUTH_FRAME_MAX: u64 = 16 << 10;

/// Bytes of a command frame beyond the statement text (the command byte, slack for clients).
const COMMAND_OVERHEAD: u64 = 1 << 10;

/// A MySQL packet of this payload length is continued by the next one.
const PACKET_PAYLOAD_MAX: u64 = 0x00ff_ffff;

/// What a connection's login changes about its input; shared with the protocol handler.
#[derive(Clone, Debug)]
pub(crate) struct InputLimits {
    authenticated: Arc<AtomicBool>,
    wait_timeout_s: Arc<AtomicU64>,
}

impl InputLimits {
    /// Limits for a new connection that waits `wait_timeout` between commands once logged in.
    pub(crate) fn new(wait_timeout: Duration) -> Self {
        Self {
            authenticated: Arc::new(AtomicBool::new(false)),
            wait_timeout_s: Arc::new(AtomicU64::new(wait_timeout.as_secs())),
        }
    }

    /// The client logged in: the handshake deadline no longer applies, and frames may be as large
    /// as a statement.
    pub(crate) fn logged_in(&self) {
        self.authenticated.store(true, Ordering::Release);
    }

    /// Sets the session's `wait_timeout` (seconds between commands before the server closes).
    pub(crate) fn set_wait_timeout(&self, seconds: u64) {
        self.wait_timeout_s.store(seconds, Ordering::Release);
    }

    /// The session's `wait_timeout` in seconds.
    pub(crate) fn wait_timeout_s(&self) -> u64 {
        self.wait_timeout_s.load(Ordering::Acquire)
    }

    fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::Acquire)
    }
}

/// Where the reader is in the MySQL packet stream.
#[derive(Debug, Default)]
struct Framing {
    header: [u8; 4],
    header_len: usize,
    payload_left: u64,
    /// Payload bytes of the frame so far (a frame is packets continued at 16 MiB - 1).
    frame: u64,
}

impl Framing {
    /// Follows `bytes`; fails once a frame exceeds `max` payload bytes.
    fn follow(&mut self, mut bytes: &[u8], max: u64) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let n = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                self.payload_left -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            self.header[self.header_len] = bytes[0];
            self.header_len += 1;
            bytes = &bytes[1..];
            if self.header_len < 4 {
                continue;
            }
            self.header_len = 0;
            let len = u64::from(self.header[0])
                | u64::from(self.header[1]) << 8
                | u64::from(self.header[2]) << 16;
            self.frame += len;
            if self.frame > max {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a frame of more than {max} bytes (max_allowed_packet)"),
                ));
            }
            self.payload_left = len;
            if len < PACKET_PAYLOAD_MAX {
                // This packet ends the frame (once its payload is read).
                self.frame = 0;
            }
        }
        Ok(())
    }
}

/// Reads from `inner` under the server's stop signal, the connection's deadlines and frame caps.
pub(crate) struct Input<R> {
    inner: R,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
    stopped: bool,
    limits: InputLimits,
    handshake_deadline: Pin<Box<Sleep>>,
    idle_deadline: Pin<Box<Sleep>>,
    /// Whether the reader is waiting for a command (the idle deadline runs only then).
    waiting: bool,
    statement_max: u64,
    framing: Framing,
}

impl<R> Input<R> {
    /// Reads end once `stop` completes (the server stops, the connection is killed); the client
    /// has `handshake_timeout` to log in and frames after login carry at most `statement_max`
    /// bytes of statement.
    pub(crate) fn new(
        inner: R,
        stop: impl Future<Output = ()> + Send + 'static,
        limits: InputLimits,
        handshake_timeout: Duration,
        statement_max: usize,
    ) -> Self {
        Self {
            inner,
            stop: Box::pin(stop),
            stopped: false,
            limits,
            handshake_deadline: Box::pin(tokio::time::sleep(handshake_timeout)),
            idle_deadline: Box::pin(tokio::time::sleep(Duration::ZERO)),
            waiting: false,
            statement_max: (statement_max as u64).saturating_add(COMMAND_OVERHEAD),
            framing: Framing::default(),
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl<R: AsyncRead + Unpin> AsyncRead for Input<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.stopped && this.stop.as_mut().poll(cx).is_ready() {
            this.stopped = true;
        }
        if this.stopped {
            return Poll::Ready(Ok(()));
        }
        let authenticated = this.limits.is_authenticated();
        if !authenticated {
            if this.handshake_deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(timed_out("the client did not log in in time")));
            }
        } else {
            if !this.waiting {
                this.waiting = true;
                let wait = Duration::from_secs(this.limits.wait_timeout_s());
                this.idle_deadline.as_mut().reset(Instant::now() + wait);
            }
            if this.idle_deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(timed_out("idle longer than wait_timeout")));
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let read = &buf.filled()[before..];
            if !read.is_empty() {
                this.waiting = false;
                let max = if authenticated {
                    this.statement_max
                } else {
                    PRE_AUTH_FRAME_MAX
                };
                this.framing.follow(read, max)?;
            }
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;
    use tokio::sync::watch;

    use super::*;

    /// Completes once `stopping` turns true.
    async fn stop(mut stopping: watch::Receiver<bool>) {
        let _ = stopping.wait_for(|stop| *stop).await;
    }

    fn input(bytes: &'static [u8], stopping: watch::Receiver<bool>) -> Input<&'static [u8]> {
        let limits = InputLimits::new(Duration::from_secs(60));
        Input::new(
            bytes,
            stop(stopping),
            limits,
            Duration::from_secs(60),
            1 << 20,
        )
    }

    #[tokio::test]
    async fn reads_end_once_stopped() {
        let (tx, rx) = watch::channel(false);
        let mut input = input(b"abcd", rx);
        let mut byte = [0u8; 1];
        assert_eq!(input.read(&mut byte).await.expect("read"), 1);
        tx.send(true).expect("send");
        assert_eq!(input.read(&mut byte).await.expect("read"), 0);
        assert_eq!(input.read(&mut byte).await.expect("read"), 0);
    }

    #[test]
    fn frames_are_capped_while_they_are_read() {
        let mut framing = Framing::default();
        // Two small packets, each its own frame.
        framing
            .follow(b"\x03\x00\x00\x00abc\x02\x00\x00\x01de", 8)
            .expect("small frames");
        // A packet announcing more than the cap fails at its header, before its payload.
        let err = framing
            .follow(b"\x09\x00", 8)
            .and_then(|()| framing.follow(b"\x00\x00", 8))
            .expect_err("too large");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // Continued packets add up.
        let mut framing = Framing::default();
        let max_packet = [0xff, 0xff, 0xff, 0];
        framing
            .follow(&max_packet, 20_000_000)
            .expect("first packet header");
        framing.payload_left = 0;
        let err = framing
            .follow(&[0xff, 0xff, 0xff, 1], 20_000_000)
            .expect_err("two full packets exceed 20 MB");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_logs_in_times_out() {
        let (_tx, rx) = watch::channel(false);
        let (client, server) = tokio::io::duplex(64);
        let limits = InputLimits::new(Duration::from_secs(60));
        let mut input = Input::new(server, stop(rx), limits, Duration::from_secs(10), 1 << 20);
        let mut byte = [0u8; 1];
        let err = input.read(&mut byte).await.expect_err("deadline");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }

    #[tokio::test(start_paused = true)]
    async fn a_logged_in_client_idle_past_wait_timeout_is_closed() {
        let (_tx, rx) = watch::channel(false);
        let (client, server) = tokio::io::duplex(64);
        let limits = InputLimits::new(Duration::from_secs(60));
        limits.logged_in();
        limits.set_wait_timeout(5);
        let mut input = Input::new(server, stop(rx), limits, Duration::from_secs(1), 1 << 20);
        let mut byte = [0u8; 1];
        let err = input.read(&mut byte).await.expect_err("idle");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }
}
