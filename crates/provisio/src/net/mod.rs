//! Serving HTTP connections: the accept loop, the connection limit, the per-connection timeouts
//! and the graceful shutdown.
//!
//! Each accepted connection takes a permit of a semaphore with [`HttpLimits::connection_limit`]
//! permits; at the limit the loop stops accepting, so further clients wait in the kernel's listen
//! backlog instead of costing a file descriptor. A connection is served by hyper-util's automatic
//! builder (HTTP/1.1, and HTTP/2 with prior knowledge), with the peer's address in each request's
//! extensions as [`ConnectInfo`], and watched by its [`activity::Activity`], which closes it when
//! a head is too slow, it idles too long or its client stops reading (see that module for why
//! hyper's own head timer is not used). Request bodies get the body timeout ([`body`]).
//!
//! On shutdown the loop stops accepting, every connection is asked to finish (an idle one closes
//! at once, HTTP/2 gets a GOAWAY), and the grace period is waited for before the rest are
//! dropped.

pub mod activity;
pub mod body;
pub mod settings;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower_service::Service as _;

use activity::{Activity, Expiry, Observed, Timeouts};
pub use settings::{reserved_fds, HttpLimits};

/// Most header fields hyper parses in an HTTP/1.1 head; more are refused with a bare 431. Well
/// above the service's own limit (`api::head_limits::MAX_HEADERS`), which answers with the
/// envelope.
pub const LIBRARY_MAX_HEADERS: usize = 1024;
/// Largest HTTP/1.1 head hyper buffers; a larger one is refused with a bare 431. Room for the
/// service's limits on the target and the header fields (32 KiB each), which answer with the
/// envelope, and for hyper's own fixed limit on a target (65,534 bytes, a bare 414).
pub const LIBRARY_MAX_HEAD_BYTES: usize = 128 * 1024;
/// Largest HTTP/2 header list (as HTTP/2 counts it, 32 bytes more per field) before the library
/// answers a bare 431.
pub const LIBRARY_MAX_HEADER_LIST_BYTES: u32 = 128 * 1024;

/// Connections the kernel completes and queues while the service is at its connection limit
/// (capped by `net.core.somaxconn`); the standard library's 128 would turn clients away with
/// dropped SYNs (and retries seconds later) as soon as the limit is reached.
pub const LISTEN_BACKLOG: u32 = 1024;

/// A listener on `addr` with a backlog of [`LISTEN_BACKLOG`].
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// What every connection task shares.
struct Shared {
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    timeouts: Timeouts,
    body_timeout: Duration,
}

/// What the connections are told to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Serve,
    /// Finish the requests in flight, take no more.
    Drain,
    /// Close now.
    Abort,
}

/// Serves `app` on `listener` with `limits` (at most `connections` at once) until `shutdown`
/// completes, then gives the connections `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    connections: u64,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let permits = u32::try_from(connections).unwrap_or(u32::MAX);
    let shared = Arc::new(Shared {
        app,
        builder: builder(),
        timeouts: Timeouts {
            head: limits.head_timeout(),
            idle: limits.idle_timeout(),
        },
        body_timeout: limits.body_timeout(),
    });
    let slots = Arc::new(Semaphore::new(permits as usize));
    let (stop_tx, stop_rx) = watch::channel(Stop::Serve);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let task = connection(stream, peer, shared.clone(), permit, stop_rx.clone());
                tokio::spawn(task);
            }
            Err(e) => accept_failed(&e).await,
        }
    }
    drop(listener);
    tracing::info!(
        grace_seconds = grace.as_secs(),
        "shutting down; waiting for in-flight requests"
    );
    let _ = stop_tx.send(Stop::Drain);
    let all_closed = slots.acquire_many(permits);
    if tokio::time::timeout(grace, all_closed).await.is_err() {
        tracing::warn!("in-flight requests did not finish within the grace period");
        let _ = stop_tx.send(Stop::Abort);
        let _ = tokio::time::timeout(Duration::from_secs(1), slots.acquire_many(permits)).await;
    }
}

/// The connection builder with the library's limits.
fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_headers(LIBRARY_MAX_HEADERS)
        .max_buf_size(LIBRARY_MAX_HEAD_BYTES)
        // The connection's activity times heads; hyper's timer would also cut idle keep-alive
        // connections after the head timeout.
        .header_read_timeout(None);
    builder
        .http2()
        .max_header_list_size(LIBRARY_MAX_HEADER_LIST_BYTES);
    builder
}

/// After a failed accept: a client that gave up is nothing; running out of descriptors or memory
/// is logged and waited out briefly, so the loop neither spins nor ends.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted => {
            tracing::debug!(error = %e, "a connection was gone before it was accepted");
        }
        _ => {
            tracing::warn!(error = %e, "accepting a connection failed; retrying in 100 ms");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Serves one connection until it ends, a deadline of its activity passes, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
    mut stop: watch::Receiver<Stop>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = TokioIo::new(Observed::new(stream, activity.clone()));
    let service = {
        let (activity, app, body_timeout) =
            (activity.clone(), shared.app.clone(), shared.body_timeout);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let handling = activity.begin(req.version());
            let mut app = app.clone();
            async move {
                let (mut parts, incoming) = req.into_parts();
                parts.extensions.insert(ConnectInfo(peer));
                let body = Body::new(body::Deadline::new(incoming, body_timeout));
                let res = match app.call(Request::from_parts(parts, body)).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(handling.answered(res))
            }
        })
    };
    let conn = shared.builder.serve_connection(io, service);
    tokio::pin!(conn);
    // Asked to finish (idle, or the server stopping), the connection gets no more deadlines from
    // its activity; one that went idle and does not finish within the head timeout is dropped.
    let mut finishing = false;
    let mut give_up_at: Option<tokio::time::Instant> = None;
    loop {
        let give_up = async {
            match give_up_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            why = activity.expired(shared.timeouts), if !finishing => {
                if why != Expiry::Idle {
                    tracing::debug!(%peer, reason = ?why, "closing a slow connection");
                    return;
                }
                conn.as_mut().graceful_shutdown();
                finishing = true;
                give_up_at = Some(tokio::time::Instant::now() + shared.timeouts.head);
            }
            () = give_up => return,
            changed = stop.changed() => {
                let now = *stop.borrow_and_update();
                if changed.is_err() || now == Stop::Abort {
                    return;
                }
                if !finishing {
                    conn.as_mut().graceful_shutdown();
                    finishing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn running_out_of_descriptors_waits_and_a_vanished_client_does_not() {
        // EMFILE, as accept(2) reports it at the open-file limit.
        let emfile = std::io::Error::from_raw_os_error(24);
        let started = tokio::time::Instant::now();
        accept_failed(&emfile).await;
        assert!(started.elapsed() >= Duration::from_millis(100));
        let aborted = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
        let started = tokio::time::Instant::now();
        accept_failed(&aborted).await;
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
