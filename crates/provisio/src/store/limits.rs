//! What keeps one heavy query from starving the rest (docs/DEPLOYMENT.md, "Heavy queries"):
//!
//! - a **statement time limit** on both databases: PostgreSQL's `statement_timeout`, and on
//!   SQLite a progress handler on the reader connection of each list or count, which stops the
//!   statement once its deadline has passed. A statement cut there is
//!   [`StoreError::TimedOut`], answered 503 with `Retry-After`;
//! - **admission** of lists and counts ([`Admission`]): at most a few of them hold database
//!   connections at once (by default one less than the SQLite readers, half the PostgreSQL
//!   pool), so a read by id or a write always finds a connection. A list that waits longer than
//!   `admission_wait_ms` for its turn is [`StoreError::Busy`], also a 503.
//!
//! The `[queries]` settings are declared here once each, with flag, variable and default.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::StoreError;

/// Query settings (TOML table `[queries]`). A field's doc is its `--help` text.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuerySettings {
    /// Longest a list or count statement may run, in milliseconds, on SQLite and PostgreSQL
    /// (where every statement but migrations is held to it); one cut there is answered 503
    /// [default: 10000].
    #[arg(
        long = "queries-statement-timeout-ms",
        env = "PROVISIO_QUERIES_STATEMENT_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub statement_timeout_ms: u64,
    /// Lists and counts that may run at once in this process; the others wait their turn. 0
    /// means one less than sqlite_read_connections (SQLite) or half of database.pool_size
    /// (PostgreSQL), at least 1 [default: 0].
    #[arg(
        long = "queries-max-concurrent",
        env = "PROVISIO_QUERIES_MAX_CONCURRENT",
        value_name = "N",
        default_value_t = 0
    )]
    pub max_concurrent: u32,
    /// Longest a list or count waits for its turn, in milliseconds, before it is answered 503
    /// [default: 2000].
    #[arg(
        long = "queries-admission-wait-ms",
        env = "PROVISIO_QUERIES_ADMISSION_WAIT_MS",
        value_name = "MS",
        default_value_t = 2_000
    )]
    pub admission_wait_ms: u64,
}

impl Default for QuerySettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

/// Longest statement time limit accepted: one hour.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

impl QuerySettings {
    /// Checks the values.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(1..=MAX_TIMEOUT_MS).contains(&self.statement_timeout_ms) {
            bail!(
                "queries.statement_timeout_ms must be 1 to {MAX_TIMEOUT_MS} (got {})",
                self.statement_timeout_ms
            );
        }
        if self.max_concurrent > 1000 {
            bail!(
                "queries.max_concurrent must be 0 (automatic) to 1000 (got {})",
                self.max_concurrent
            );
        }
        if self.admission_wait_ms > MAX_TIMEOUT_MS {
            bail!(
                "queries.admission_wait_ms must be 0 to {MAX_TIMEOUT_MS} (got {})",
                self.admission_wait_ms
            );
        }
        Ok(())
    }

    /// The limits the stores apply.
    pub fn limits(&self) -> ReadLimits {
        ReadLimits {
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
            max_concurrent: self.max_concurrent,
            admission_wait: Duration::from_millis(self.admission_wait_ms),
        }
    }
}

/// The bounds a store puts on lists and counts (from [`QuerySettings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Longest one statement may run.
    pub statement_timeout: Duration,
    /// Lists and counts running at once; 0 picks it from the connections (see [`Self::slots`]).
    pub max_concurrent: u32,
    /// Longest a list or count waits for its turn.
    pub admission_wait: Duration,
}

impl Default for ReadLimits {
    fn default() -> Self {
        QuerySettings::default().limits()
    }
}

impl ReadLimits {
    /// These limits with `timeout` as the statement time limit.
    pub fn with_statement_timeout(self, timeout: Duration) -> Self {
        ReadLimits {
            statement_timeout: timeout,
            ..self
        }
    }

    /// How many lists and counts may run at once over `connections` connections, when
    /// `max_concurrent` is 0: `connections - reserved`, at least 1.
    pub fn slots(&self, connections: u32, reserved: u32) -> u32 {
        match self.max_concurrent {
            0 => connections.saturating_sub(reserved).max(1),
            n => n,
        }
    }
}

/// Admission of lists and counts: a semaphore with a bounded wait.
#[derive(Clone, Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Admission {
    /// `slots` lists or counts at once; a caller waits at most `wait` for its turn.
    pub fn new(slots: u32, wait: Duration) -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(slots as usize)),
            wait,
        }
    }

    /// Waits for a turn: held until the returned permit is dropped. [`StoreError::Busy`] when
    /// none came within the wait.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, StoreError> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Closed: the store is shutting down.
            Ok(Err(_)) | Err(_) => Err(StoreError::Busy),
        }
    }

    /// Turns free right now (for tests).
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_leave_connections_for_reads_by_id() {
        let auto = ReadLimits::default();
        assert_eq!(auto.slots(4, 1), 3);
        assert_eq!(auto.slots(1, 1), 1, "never none");
        assert_eq!(auto.slots(16, 8), 8);
        let fixed = ReadLimits {
            max_concurrent: 2,
            ..auto
        };
        assert_eq!(fixed.slots(4, 1), 2);
    }

    #[tokio::test]
    async fn a_caller_waits_for_a_turn_at_most_the_wait() {
        let admission = Admission::new(1, Duration::from_millis(30));
        let first = admission.enter().await.expect("a free turn");
        let started = std::time::Instant::now();
        assert!(matches!(admission.enter().await, Err(StoreError::Busy)));
        assert!(started.elapsed() >= Duration::from_millis(30));
        drop(first);
        assert!(admission.enter().await.is_ok());
    }

    #[test]
    fn settings_are_bounded() {
        let ok = QuerySettings::default();
        assert!(ok.validate().is_ok());
        for bad in [
            QuerySettings {
                statement_timeout_ms: 0,
                ..ok.clone()
            },
            QuerySettings {
                max_concurrent: 1001,
                ..ok.clone()
            },
            QuerySettings {
                admission_wait_ms: MAX_TIMEOUT_MS + 1,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
