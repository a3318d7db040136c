//! The `[database]` settings: SQLite in the data directory by default, or PostgreSQL when a
//! `postgres://` URL is given (several provisio processes may then share the database). Each
//! field is declared once, with its `--database-*` flag, its `PROVISIO_DATABASE_*` variable and
//! its default; `crate::config` layers them.

use anyhow::bail;
use clap::{ArgAction, Args};
use serde::Deserialize;
use std::fmt;

use super::limits::ReadLimits;
use super::postgres::PgSettings;

/// Database settings (TOML table `[database]`). A field's doc is its `--help` text.
#[derive(Clone, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. postgres://provisio:secret@db:5432/provisio [default: SQLite in the
    /// data directory].
    #[arg(
        long = "database-url",
        env = "PROVISIO_DATABASE_URL",
        value_name = "URL"
    )]
    pub url: Option<String>,
    /// PostgreSQL: connections per process [default: 16].
    #[arg(
        long = "database-pool-size",
        env = "PROVISIO_DATABASE_POOL_SIZE",
        value_name = "N",
        default_value_t = 16
    )]
    pub pool_size: u32,
    /// PostgreSQL: connection attempts at start-up [default: 10].
    #[arg(
        long = "database-connect-retries",
        env = "PROVISIO_DATABASE_CONNECT_RETRIES",
        value_name = "N",
        default_value_t = 10
    )]
    pub connect_retries: u32,
    /// Apply pending migrations at start-up [default: true].
    #[arg(
        long = "database-migrate-on-start",
        env = "PROVISIO_DATABASE_MIGRATE_ON_START",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "true"
    )]
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_deref().map(redact))
            .field("pool_size", &self.pool_size)
            .field("connect_retries", &self.connect_retries)
            .field("migrate_on_start", &self.migrate_on_start)
            .finish()
    }
}

/// The URL without its password.
pub fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        rest.split_once('@')
            .map(|(cred, host)| (scheme, cred, host))
    }) {
        Some((scheme, cred, host)) => {
            let user = cred.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        None => url.to_owned(),
    }
}

impl DatabaseSettings {
    /// Checks the values.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!(
                    "database.url must be a postgres:// URL (got '{}'); leave it unset for SQLite",
                    redact(url)
                );
            }
        }
        if self.pool_size == 0 || self.pool_size > 1000 {
            bail!(
                "database.pool_size must be 1 to 1000 (got {})",
                self.pool_size
            );
        }
        Ok(())
    }

    /// The PostgreSQL settings, when a URL is configured, with `limits` on its reads.
    pub fn postgres(&self, limits: ReadLimits) -> Option<PgSettings> {
        self.url.as_ref().map(|url| PgSettings {
            url: url.clone(),
            pool_size: self.pool_size,
            limits,
            connect_retries: self.connect_retries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let s = DatabaseSettings {
            url: Some("postgres://app:s3cret@db:5432/p".into()),
            ..DatabaseSettings::default()
        };
        let d = format!("{s:?}");
        assert!(!d.contains("s3cret"), "{d}");
        assert!(d.contains("app:<redacted>@db:5432/p"), "{d}");
        assert!(DatabaseSettings {
            url: Some("mysql://x".into()),
            ..DatabaseSettings::default()
        }
        .validate()
        .is_err());
    }
}
