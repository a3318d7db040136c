//! What one connection is doing, and when it has taken too long.
//!
//! hyper's own `header_read_timeout` starts when HTTP/1.1 begins waiting for a request head,
//! which on a keep-alive connection is right after the previous response: an idle connection
//! would be closed after the head timeout, and HTTP/2 has no such timer at all. So each
//! connection keeps its own record here instead, fed by three observers: the socket wrapper
//! ([`Observed`]) sees bytes come and go, the request guard ([`Activity::begin`]) sees a request
//! reach the service, and the response body wrapper ([`Tracked`]) sees a response finish. The
//! connection's task waits on [`Activity::expired`] beside the connection and closes it when a
//! deadline passes:
//!
//! - before the first request: the head timeout, from acceptance (a connection that sends
//!   nothing, or half a head, or only an HTTP/2 preface);
//! - HTTP/1.1, between requests, once a byte of the next head arrived: the head timeout, from
//!   that byte;
//! - between requests otherwise (an HTTP/2 connection with no open stream, for example): the
//!   idle timeout, from the end of the last response;
//! - while a response is being sent: the idle timeout, from the last byte written (a client that
//!   stops reading);
//! - while a handler runs: none (the body timeout bounds its reading of the body).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::Version;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Why a connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// A request head did not arrive in time.
    Head,
    /// No request came within the idle timeout.
    Idle,
    /// The client did not take the response within the idle timeout.
    Stalled,
}

/// The two timeouts the record is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// For a request head.
    pub head: Duration,
    /// Between requests, and for a stalled response.
    pub idle: Duration,
}

/// The record of one connection.
#[derive(Debug)]
struct State {
    /// Requests whose handler has not answered yet.
    handling: u32,
    /// Responses whose body is not sent yet.
    sending: u32,
    /// Requests that reached the service.
    served: u64,
    /// Whether the requests come over HTTP/2.
    http2: bool,
    /// Acceptance, or the end of the last response.
    quiet_since: Instant,
    /// HTTP/1.1: when the first byte of the next head arrived.
    head_since: Option<Instant>,
    /// When bytes were last written.
    written_at: Instant,
}

impl State {
    fn new(now: Instant) -> Self {
        State {
            handling: 0,
            sending: 0,
            served: 0,
            http2: false,
            quiet_since: now,
            head_since: None,
            written_at: now,
        }
    }

    fn quiet(&self) -> bool {
        self.handling == 0 && self.sending == 0
    }

    /// When the connection is to be closed if nothing changes, and why.
    fn deadline(&self, t: Timeouts) -> Option<(Instant, Expiry)> {
        if self.handling > 0 {
            return None;
        }
        if self.sending > 0 {
            return Some((self.written_at + t.idle, Expiry::Stalled));
        }
        if self.served == 0 {
            return Some((self.quiet_since + t.head, Expiry::Head));
        }
        match self.head_since {
            Some(at) => Some((at + t.head, Expiry::Head)),
            None => Some((self.quiet_since + t.idle, Expiry::Idle)),
        }
    }
}

/// The shared record of one connection and the signal that it changed.
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

impl Activity {
    /// A record for a connection accepted now.
    pub fn new() -> Arc<Self> {
        Arc::new(Activity {
            state: Mutex::new(State::new(Instant::now())),
            changed: Notify::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The record holds counters only; one left by a panicking holder is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Completes when a deadline of the record passes, saying which.
    pub async fn expired(&self, timeouts: Timeouts) -> Expiry {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let deadline = self.state().deadline(timeouts);
            match deadline {
                None => changed.await,
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
            }
        }
    }

    /// Records a request that reached the service; the guard records its answer.
    pub fn begin(self: &Arc<Self>, version: Version) -> Handling {
        let mut s = self.state();
        s.handling += 1;
        s.served += 1;
        s.http2 |= version == Version::HTTP_2;
        s.head_since = None;
        drop(s);
        self.changed.notify_one();
        Handling {
            activity: Some(self.clone()),
        }
    }

    fn read_some(&self) {
        let mut s = self.state();
        if s.served > 0 && !s.http2 && s.quiet() && s.head_since.is_none() {
            s.head_since = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.state().written_at = Instant::now();
    }

    fn finish_handling(&self, then_sending: bool) {
        let mut s = self.state();
        s.handling -= 1;
        if then_sending {
            s.sending += 1;
            s.written_at = Instant::now();
        } else if s.quiet() {
            s.quiet_since = Instant::now();
        }
        drop(s);
        self.changed.notify_one();
    }

    fn finish_sending(&self) {
        let mut s = self.state();
        s.sending -= 1;
        if s.quiet() {
            s.quiet_since = Instant::now();
            s.head_since = None;
        }
        drop(s);
        self.changed.notify_one();
    }
}

/// A request being handled; dropped unanswered (a reset HTTP/2 stream) it still counts as done.
#[derive(Debug)]
pub struct Handling {
    activity: Option<Arc<Activity>>,
}

impl Handling {
    /// The handler's answer, with a body that records when it was sent.
    pub fn answered(mut self, res: Response) -> Response<Tracked> {
        let activity = self.activity.take();
        if let Some(a) = &activity {
            a.finish_handling(true);
        }
        res.map(|body| Tracked { body, activity })
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        if let Some(a) = self.activity.take() {
            a.finish_handling(false);
        }
    }
}

/// A response body that records in its connection's [`Activity`] when it is done (sent or
/// dropped).
#[derive(Debug)]
pub struct Tracked {
    body: Body,
    activity: Option<Arc<Activity>>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(a) = self.activity.take() {
            a.finish_sending();
        }
    }
}

/// A socket whose reads and writes are recorded in its connection's [`Activity`].
#[derive(Debug)]
pub struct Observed<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Observed<S> {
    /// Observes `inner` for `activity`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Observed { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Observed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Observed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        head: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[test]
    fn a_new_connection_has_the_head_timeout_from_acceptance() {
        let start = Instant::now();
        let s = State::new(start);
        assert_eq!(
            s.deadline(T),
            Some((start + T.head, Expiry::Head)),
            "silent or half a head: the same deadline"
        );
    }

    #[test]
    fn keep_alive_waits_the_idle_timeout_then_the_head_timeout_from_the_first_byte() {
        let start = Instant::now();
        let mut s = State::new(start);
        s.served = 1;
        let done = start + Duration::from_secs(1);
        s.quiet_since = done;
        assert_eq!(s.deadline(T), Some((done + T.idle, Expiry::Idle)));
        let byte = done + Duration::from_secs(50);
        s.head_since = Some(byte);
        assert_eq!(s.deadline(T), Some((byte + T.head, Expiry::Head)));
        // HTTP/2 frames never start a head: `read_some` leaves `head_since` alone there.
        s.head_since = None;
        s.http2 = true;
        assert_eq!(s.deadline(T), Some((done + T.idle, Expiry::Idle)));
    }

    #[test]
    fn a_running_handler_has_no_deadline_and_a_stalled_response_the_idle_one() {
        let start = Instant::now();
        let mut s = State::new(start);
        s.served = 1;
        s.handling = 1;
        assert_eq!(s.deadline(T), None);
        s.handling = 0;
        s.sending = 1;
        let wrote = start + Duration::from_secs(5);
        s.written_at = wrote;
        assert_eq!(s.deadline(T), Some((wrote + T.idle, Expiry::Stalled)));
    }

    /// Waits for `a` to expire and checks it did so `after` from `from` (real time, so with a
    /// little slack for the scheduler).
    async fn expires(a: &Activity, t: Timeouts, want: Expiry, from: Instant, after: Duration) {
        assert_eq!(a.expired(t).await, want);
        let took = from.elapsed();
        assert!(
            took >= after && took < after + Duration::from_millis(150),
            "{want:?} after {took:?}, not {after:?}"
        );
    }

    #[tokio::test]
    async fn the_guards_move_the_record_along() {
        let t = Timeouts {
            head: Duration::from_millis(200),
            idle: Duration::from_millis(400),
        };
        let accepted = Instant::now();
        let a = Activity::new();
        expires(&a, t, Expiry::Head, accepted, t.head).await;

        let handling = a.begin(Version::HTTP_11);
        a.read_some();
        assert_eq!(a.state().head_since, None, "body bytes start no head");
        let res = handling.answered(Response::new(Body::empty()));
        assert_eq!(a.state().sending, 1);
        let sent = Instant::now();
        drop(res);
        expires(&a, t, Expiry::Idle, sent, t.idle).await;

        let byte = Instant::now();
        a.read_some();
        expires(&a, t, Expiry::Head, byte, t.head).await;

        drop(a.begin(Version::HTTP_2));
        let s = a.state();
        assert_eq!((s.handling, s.sending, s.served, s.http2), (0, 0, 2, true));
    }
}
