//! A connection's input that ends (reads as end of stream) once the server stops, so idle
//! connections close while a running statement still finishes and sends its result.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::watch;

/// Reads from `inner` until the server's stop signal.
pub(crate) struct Input<R> {
    inner: R,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
    stopped: bool,
}

impl<R> Input<R> {
    /// `stopping` turns true when the server stops (a dropped sender counts as stopped).
    pub(crate) fn new(inner: R, mut stopping: watch::Receiver<bool>) -> Self {
        Self {
            inner,
            stop: Box::pin(async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            }),
            stopped: false,
        }
    }
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
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn reads_end_once_stopped() {
        let (tx, rx) = watch::channel(false);
        let mut input = Input::new(&b"abc"[..], rx);
        let mut byte = [0u8; 1];
        assert_eq!(input.read(&mut byte).await.expect("read"), 1);
        tx.send(true).expect("send");
        assert_eq!(input.read(&mut byte).await.expect("read"), 0);
        assert_eq!(input.read(&mut byte).await.expect("read"), 0);
    }
}
