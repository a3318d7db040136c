//! Readiness: whether this process can take writes now. A full disk refuses writes while reads
//! go on working, so liveness (`/healthz`, the process answers) and readiness (`/readyz`, writes
//! would succeed) are two questions.
//!
//! Readiness is learnt by writing: [`Store::probe_write`] commits a row larger than any entity's,
//! as an entity write would. A probe runs at most once per [`PROBE_INTERVAL`] however often
//! `/readyz` is asked (it costs a flush to disk), and at once when a write has failed for lack of
//! space since the last probe, so that a failing write turns the answer to not ready without
//! delay. Nothing needs a restart: the first probe that fits after space is freed turns it back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::error::ApiError;
use crate::store::{Store, StoreError};

/// How long a probe's answer stands.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// Seconds a client is told to wait before it tries a write again on a full disk.
pub const FULL_RETRY_AFTER_SECONDS: u32 = 10;

/// The readiness of one process over its store; clones share the state.
#[derive(Debug, Clone)]
pub struct Readiness {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    /// A write failed for lack of space after the last probe.
    write_found_full: AtomicBool,
    /// When the last probe ran and what it found (`None`: ready).
    last: Mutex<Option<(Instant, Option<NotReady>)>>,
}

/// Why writes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The disk or the database's space is full.
    StorageFull,
    /// The database refuses or cannot take the write for another reason (unreachable, busy).
    Database,
}

impl Readiness {
    /// Readiness over `store`, not probed yet.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Readiness {
            inner: Arc::new(Inner {
                store,
                write_found_full: AtomicBool::new(false),
                last: Mutex::new(None),
            }),
        }
    }

    /// Notes the outcome of a write: one that failed for lack of space makes the next check
    /// probe at once.
    pub fn saw(&self, outcome: &Result<impl Sized, StoreError>) {
        if matches!(outcome, Err(StoreError::Full)) {
            self.inner.write_found_full.store(true, Ordering::Release);
        }
    }

    /// Whether writes work now: `Ok` when ready, else why not. Probes when the last answer is
    /// older than [`PROBE_INTERVAL`] or a write has failed for lack of space since; concurrent
    /// callers wait for one probe and share its answer.
    pub async fn check(&self) -> Result<(), NotReady> {
        let mut last = self.inner.last.lock().await;
        let fresh = last
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < PROBE_INTERVAL);
        let full_since = self.inner.write_found_full.swap(false, Ordering::AcqRel);
        if let (true, false, Some((_, found))) = (fresh, full_since, last.as_ref()) {
            return found.map_or(Ok(()), Err);
        }
        let found = match self.inner.store.probe_write().await {
            Ok(()) => None,
            Err(StoreError::Full) => Some(NotReady::StorageFull),
            Err(e) => {
                tracing::warn!(error = %e, "the readiness probe could not write");
                Some(NotReady::Database)
            }
        };
        *last = Some((Instant::now(), found));
        found.map_or(Ok(()), Err)
    }
}

impl From<NotReady> for ApiError {
    fn from(reason: NotReady) -> Self {
        let message = match reason {
            NotReady::StorageFull => {
                "Not ready: the storage is full, so writes are refused until space is freed; reads still work."
            }
            NotReady::Database => "Not ready: the database does not take writes now.",
        };
        ApiError::Unavailable {
            message: message.into(),
            retry_after: FULL_RETRY_AFTER_SECONDS,
        }
    }
}
