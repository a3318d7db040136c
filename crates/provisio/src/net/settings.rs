//! The `[http]` settings: how long a client may take to send a request head and a body, how long
//! an idle keep-alive connection is kept, and how many connections are served at once. Each field
//! is declared once, with its `--http-*` flag, its `PROVISIO_HTTP_*` variable and its default;
//! `crate::config` layers them.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde::Deserialize;

/// File descriptors kept free of connections whatever the database: standard streams, the
/// listener, the runtime's epoll and wake-up descriptors, the signal pipe, the signing-key and
/// JWKS files, and the HTTPS connections of JWKS fetches.
pub const BASE_RESERVED_FDS: u64 = 64;

/// The most connections the derived default allows, however high the open-file limit is: each
/// connection holds buffers, so a limit of a million descriptors is no reason to serve a million
/// clients.
pub const MAX_DERIVED_CONNECTIONS: u64 = 10_000;

/// The fewest connections the service runs with; an open-file limit that leaves fewer after the
/// reserve is refused at start-up.
const MIN_CONNECTIONS: u64 = 16;

/// Connection and request timing limits (TOML table `[http]`). A field's doc is its `--help`
/// text.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Seconds a client has to send a complete request head (request line and headers), counted
    /// from the connection's acceptance for its first request and from the first byte of the
    /// head for later ones; a connection that is too slow is closed [default: 10].
    #[arg(
        long = "http-head-timeout-seconds",
        env = "PROVISIO_HTTP_HEAD_TIMEOUT_SECONDS",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub head_timeout_seconds: u64,
    /// Seconds a client has to send a whole request body, counted from when the service starts
    /// reading it; a slower body is answered 408 [default: 30].
    #[arg(
        long = "http-body-timeout-seconds",
        env = "PROVISIO_HTTP_BODY_TIMEOUT_SECONDS",
        value_name = "SECONDS",
        default_value_t = 30
    )]
    pub body_timeout_seconds: u64,
    /// Seconds a keep-alive connection may wait for its next request, and a response may wait
    /// for a client that does not read it, before the connection is closed [default: 60].
    #[arg(
        long = "http-idle-timeout-seconds",
        env = "PROVISIO_HTTP_IDLE_TIMEOUT_SECONDS",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub idle_timeout_seconds: u64,
    /// Connections served at once; further clients wait in the listen backlog. Must leave room
    /// below the open-file limit for the database and key files [default: the open-file limit
    /// minus that room, at most 10000].
    #[arg(
        long = "http-max-connections",
        env = "PROVISIO_HTTP_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub max_connections: Option<u64>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl HttpLimits {
    /// The head timeout.
    pub fn head_timeout(&self) -> Duration {
        Duration::from_secs(self.head_timeout_seconds)
    }

    /// The body timeout.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_seconds)
    }

    /// The idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds)
    }

    /// Checks the values against each other and the process's open-file limit, keeping
    /// `reserved` descriptors for everything but connections.
    pub fn validate(&self, reserved: u64) -> anyhow::Result<()> {
        for (name, value) in [
            ("head_timeout_seconds", self.head_timeout_seconds),
            ("body_timeout_seconds", self.body_timeout_seconds),
            ("idle_timeout_seconds", self.idle_timeout_seconds),
        ] {
            if !(1..=3600).contains(&value) {
                bail!("http.{name} must be 1 to 3600 (got {value})");
            }
        }
        self.connection_limit(reserved)?;
        Ok(())
    }

    /// How many connections to serve at once: the configured number, or the open-file limit
    /// minus `reserved` (at most [`MAX_DERIVED_CONNECTIONS`]). Fails when the configured number
    /// does not leave `reserved` descriptors free, or the limit leaves too few.
    pub fn connection_limit(&self, reserved: u64) -> anyhow::Result<u64> {
        connection_limit(self.max_connections, open_file_limit(), reserved)
    }
}

/// The connection limit for a configured number (`None`: derive it), an open-file limit
/// (`None`: unlimited) and the descriptors to keep free.
fn connection_limit(
    configured: Option<u64>,
    open_files: Option<u64>,
    reserved: u64,
) -> anyhow::Result<u64> {
    let available = open_files.map(|n| n.saturating_sub(reserved));
    let limit = match (configured, available) {
        (Some(n), Some(available)) if n > available => bail!(
            "http.max_connections is {n}, but the open-file limit of {} leaves only {available} \
             descriptors after {reserved} for the database, key files and outgoing requests; \
             lower it or raise the limit (ulimit -n, LimitNOFILE=)",
            open_files.unwrap_or_default()
        ),
        (Some(n), _) => n,
        (None, Some(available)) => available.min(MAX_DERIVED_CONNECTIONS),
        (None, None) => MAX_DERIVED_CONNECTIONS,
    };
    if limit < MIN_CONNECTIONS {
        bail!(
            "the connection limit would be {limit}: at least {MIN_CONNECTIONS} are needed \
             (the open-file limit is {}, {reserved} of it kept for the database, key files and \
             outgoing requests); raise the limit (ulimit -n, LimitNOFILE=)",
            open_files.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
        );
    }
    Ok(limit)
}

/// The descriptors to keep free of connections: [`BASE_RESERVED_FDS`] plus the database's, which
/// are the PostgreSQL pool's connections, or for SQLite three files (database, WAL, shared
/// memory) for each reader, the writer and the checkpointer.
pub fn reserved_fds(postgres_pool: Option<u32>, sqlite_readers: u32) -> u64 {
    let database = match postgres_pool {
        Some(pool) => u64::from(pool),
        None => (u64::from(sqlite_readers) + 2) * 3,
    };
    BASE_RESERVED_FDS + database
}

/// The process's soft limit on open files; `None` when unlimited or unknown.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_limit_keeps_the_reserve_and_is_capped() {
        let reserved = reserved_fds(None, 4);
        assert_eq!(reserved, 64 + 18);
        assert_eq!(connection_limit(None, Some(1024), reserved).unwrap(), 942);
        assert_eq!(
            connection_limit(None, Some(1 << 20), reserved).unwrap(),
            MAX_DERIVED_CONNECTIONS
        );
        assert_eq!(
            connection_limit(None, None, reserved).unwrap(),
            MAX_DERIVED_CONNECTIONS
        );
        assert_eq!(reserved_fds(Some(16), 4), 80);
    }

    #[test]
    fn a_configured_limit_must_leave_the_reserve() {
        assert_eq!(connection_limit(Some(900), Some(1024), 82).unwrap(), 900);
        assert_eq!(connection_limit(Some(942), Some(1024), 82).unwrap(), 942);
        let err = connection_limit(Some(943), Some(1024), 82).unwrap_err();
        assert!(
            err.to_string().contains("leaves only 942 descriptors"),
            "{err}"
        );
        assert_eq!(
            connection_limit(Some(50_000), None, 82).unwrap(),
            50_000,
            "no open-file limit, nothing to check against"
        );
        let err = connection_limit(None, Some(90), 82).unwrap_err();
        assert!(err.to_string().contains("at least 16"), "{err}");
        assert!(connection_limit(Some(0), Some(1024), 82).is_err());
    }

    #[test]
    fn timeouts_are_bounded() {
        let limits = HttpLimits {
            head_timeout_seconds: 0,
            ..HttpLimits::default()
        };
        let err = limits.validate(82).unwrap_err();
        assert!(
            err.to_string().contains("http.head_timeout_seconds"),
            "{err}"
        );
        assert_eq!(
            HttpLimits::default().head_timeout(),
            Duration::from_secs(10)
        );
        assert_eq!(
            HttpLimits::default().body_timeout(),
            Duration::from_secs(30)
        );
        assert_eq!(
            HttpLimits::default().idle_timeout(),
            Duration::from_secs(60)
        );
    }
}
