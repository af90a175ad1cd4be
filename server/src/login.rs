//! Refused logins as MySQL reports them: opensrv-mysql answers a failed authentication with error
//! 1698, so the connection's output stream, once armed by the failed check, replaces that packet
//! with `1045 (28000) Access denied for user '…'@'…' (using password: YES|NO)`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

/// Shared between a connection's login check and its output: the message of a refused login.
#[derive(Clone, Debug, Default)]
pub(crate) struct LoginFailure(Arc<Mutex<Option<String>>>);

impl LoginFailure {
    /// Records a refused login of `user` from `host`; the next packet written becomes error 1045.
    pub(crate) fn arm(&self, user: &str, host: &str, with_password: bool) {
        let using = if with_password { "YES" } else { "NO" };
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(format!(
            "Access denied for user '{user}'@'{host}' (using password: {using})"
        ));
    }

    fn armed(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// A connection's output: passes bytes through, except the error packet after a refused login.
pub(crate) struct Output<W> {
    inner: W,
    failure: LoginFailure,
    /// Bytes written while armed (the packet being replaced).
    held: Vec<u8>,
    /// The replacement packet and how much of it is written.
    pending: Vec<u8>,
    sent: usize,
}

impl<W> Output<W> {
    pub(crate) fn new(inner: W, failure: LoginFailure) -> Self {
        Self {
            inner,
            failure,
            held: Vec::new(),
            pending: Vec::new(),
            sent: 0,
        }
    }
}

/// An ERR packet: 1045, SQLSTATE 28000, `message`, with sequence number `seq`.
fn access_denied(seq: u8, message: &str) -> Vec<u8> {
    let mut payload = vec![0xff];
    payload.extend_from_slice(&1045u16.to_le_bytes());
    payload.extend_from_slice(b"#28000");
    payload.extend_from_slice(message.as_bytes());
    let len = u32::try_from(payload.len()).unwrap_or(0).to_le_bytes();
    let mut packet = vec![len[0], len[1], len[2], seq];
    packet.extend_from_slice(&payload);
    packet
}

impl<W: AsyncWrite + Unpin> Output<W> {
    /// Writes the replacement packet, if any is pending.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.held.is_empty()
            && let Some(message) = self.failure.take()
        {
            let seq = self.held.get(3).copied().unwrap_or(2);
            self.pending = access_denied(seq, &message);
            self.sent = 0;
            self.held.clear();
        }
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Output<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.failure.armed() {
            this.held.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn an_armed_output_replaces_the_next_packet() {
        let failure = LoginFailure::default();
        let mut out = Output::new(Vec::new(), failure.clone());
        out.write_all(b"\x01\x00\x00\x00A").await.expect("write");
        out.flush().await.expect("flush");
        failure.arm("bob", "127.0.0.1", true);
        out.write_all(b"\x05\x00\x00\x02\xff\xa2\x06#")
            .await
            .expect("write");
        out.write_all(b"whatever").await.expect("write");
        out.flush().await.expect("flush");
        let written = out.inner;
        assert_eq!(&written[..5], b"\x01\x00\x00\x00A");
        let packet = &written[5..];
        assert_eq!(packet[3], 2, "keeps the sequence number");
        assert_eq!(&packet[4..7], &[0xff, 0x15, 0x04]);
        let text = String::from_utf8_lossy(&packet[7..]);
        assert_eq!(
            text,
            "#28000Access denied for user 'bob'@'127.0.0.1' (using password: YES)"
        );
        assert_eq!(usize::from(packet[0]), packet.len() - 4);
    }
}
