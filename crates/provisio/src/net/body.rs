//! The body timeout: a request body must arrive whole within the body timeout, counted from when
//! the service first asks for it.
//!
//! tower-http's `RequestBodyTimeout` restarts its timer with every frame, so a client sending a
//! byte every few seconds could hold a connection for days with a 1 MiB body; this wrapper keeps
//! one deadline for the whole body instead. It is a few lines over `tokio::time::Sleep`.

use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

/// The error a body reports when its deadline passed; [`is_body_timeout`] recognises it.
#[derive(Debug)]
pub struct BodyTimedOut(pub Duration);

impl fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} s",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyTimedOut {}

/// Whether `err`, as a handler sees it when reading a body, is (or wraps) [`BodyTimedOut`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// A request body that fails with [`BodyTimedOut`] once `timeout` has passed since it was first
/// polled.
#[derive(Debug)]
pub struct Deadline<B> {
    body: B,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> Deadline<B> {
    /// `body`, to be read within `timeout`.
    pub fn new(body: B, timeout: Duration) -> Self {
        Deadline {
            body,
            timeout,
            sleep: None,
        }
    }
}

impl<B> HttpBody for Deadline<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = &mut *self;
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    /// A body that sends one byte and then nothing, never ending.
    struct OneByteThenSilence(bool);

    impl HttpBody for OneByteThenSilence {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            if std::mem::replace(&mut self.0, true) {
                Poll::Pending
            } else {
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{")))))
            }
        }
    }

    #[tokio::test]
    async fn a_stalled_body_fails_at_the_deadline_and_a_prompt_one_reads() {
        let timeout = Duration::from_millis(200);
        let started = tokio::time::Instant::now();
        let mut body = axum::body::Body::new(Deadline::new(OneByteThenSilence(false), timeout));
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "{");
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(is_body_timeout(&err), "{err}");
        let took = started.elapsed();
        assert!(took >= timeout && took < timeout * 2, "{took:?}");

        let prompt = axum::body::Body::new(Deadline::new(axum::body::Body::from("{}"), timeout));
        assert_eq!(prompt.collect().await.unwrap().to_bytes(), "{}");
    }
}
