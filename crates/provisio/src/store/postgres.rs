//! The PostgreSQL backend, for several stateless provisio processes on one database. Every
//! invariant lives in SQL (conditional `UPDATE`, keys, transactions); a serialization failure or
//! deadlock (SQLSTATE 40001 / 40P01, as CockroachDB-style engines report contention) is retried
//! with backoff.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row as _;

use super::query::{self, Compiled, Dialect};
use super::row::{self, ProfileRow, COLUMNS};
use super::{Criteria, ListQuery, Store, StoreError};
use crate::model::{Profile, ProfileId, TenantId};

/// How to reach and use the database.
#[derive(Clone, Debug)]
pub struct PgSettings {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Longest a single statement may run.
    pub statement_timeout: Duration,
    /// Connection attempts at start-up before giving up (the database may start after us).
    pub connect_retries: u32,
}

/// Profiles in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// Attempts of one statement before a serialization failure is reported as busy.
const SERIALIZATION_ATTEMPTS: u32 = 8;

impl PostgresStore {
    /// Connects, retrying while the database is not reachable yet. Does not migrate.
    pub async fn connect(settings: &PgSettings) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .url
            .parse()
            .context("database_url is not a valid postgres:// URL")?;
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let options = options.options([("statement_timeout", timeout_ms.as_str())]);
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let pool = PgPoolOptions::new()
                .max_connections(settings.pool_size.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await;
            match pool {
                Ok(pool) => return Ok(PostgresStore { pool }),
                Err(e) if attempt <= settings.connect_retries => {
                    tracing::warn!(attempt, error = %e, "database not reachable yet; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(anyhow::Error::new(e).context("connecting to PostgreSQL")),
            }
        }
    }

    /// Applies pending migrations. With `locking` false no advisory lock is taken (for engines
    /// without advisory locks; run it from one process only).
    pub async fn migrate(&self, locking: bool) -> anyhow::Result<()> {
        let mut migrator = sqlx::migrate!("../../migrations/postgres");
        migrator.set_locking(locking);
        migrator
            .run(&self.pool)
            .await
            .context("migrating the PostgreSQL schema")
    }

    /// The connection pool, for tests and tools.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut => StoreError::Busy,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict("A profile with this id already exists.".into())
        }
        sqlx::Error::Database(db) if is_retryable(db.code().as_deref()) => StoreError::Busy,
        // 57014: statement timeout.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => StoreError::Busy,
        _ => StoreError::Other(anyhow::Error::new(e).context("postgres")),
    }
}

fn is_retryable(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01"))
}

/// Runs `op`, again with backoff while it fails with a serialization failure or deadlock.
async fn retrying<T, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut delay = Duration::from_millis(5);
    for attempt in 1..=SERIALIZATION_ATTEMPTS {
        match op().await {
            Err(sqlx::Error::Database(db))
                if is_retryable(db.code().as_deref()) && attempt < SERIALIZATION_ATTEMPTS =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(500));
            }
            other => return other.map_err(map_err),
        }
    }
    Err(StoreError::Busy)
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn to_profile(r: &PgRow) -> Result<Profile, StoreError> {
    row::read(r)
        .map_err(map_err)?
        .into_profile()
        .map_err(StoreError::Other)
}

#[async_trait]
impl Store for PostgresStore {
    async fn insert(&self, tenant: TenantId, profile: &Profile) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO enrollment_profiles ({}) VALUES ({})",
            COLUMNS.join(", "),
            placeholders(1, COLUMNS.len())
        );
        let mut r = ProfileRow::from_profile(profile);
        r.tenant_id = tenant.to_string();
        retrying(|| {
            let mut r = r.clone();
            let (t, id) = (std::mem::take(&mut r.tenant_id), std::mem::take(&mut r.id));
            row::bind_values(sqlx::query(&sql).bind(t).bind(id), r).execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    async fn get(&self, tenant: TenantId, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        let sql = format!(
            "SELECT {} FROM enrollment_profiles WHERE tenant_id = $1 AND id = $2",
            COLUMNS.join(", ")
        );
        let found = retrying(|| {
            sqlx::query(&sql)
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
        })
        .await?;
        found.as_ref().map(to_profile).transpose()
    }

    async fn update(
        &self,
        tenant: TenantId,
        profile: &Profile,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let n = COLUMNS.len() - 2;
        let sets = COLUMNS[2..]
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE enrollment_profiles SET {sets} WHERE tenant_id = ${} AND id = ${} AND version = ${}",
            n + 1,
            n + 2,
            n + 3
        );
        let r = ProfileRow::from_profile(profile);
        let done = retrying(|| {
            row::bind_values(sqlx::query(&sql), r.clone())
                .bind(tenant.to_string())
                .bind(r.id.clone())
                .bind(expected_version)
                .execute(&self.pool)
        })
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete(&self, tenant: TenantId, id: ProfileId) -> Result<bool, StoreError> {
        let done = retrying(|| {
            sqlx::query("DELETE FROM enrollment_profiles WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(id.to_string())
                .execute(&self.pool)
        })
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list(&self, tenant: TenantId, query: &ListQuery) -> Result<Vec<Profile>, StoreError> {
        let Compiled { sql, values } = query::select(tenant, query, Dialect::Postgres)?;
        let rows = retrying(|| async {
            query::bind(sqlx::query(&sql), values.clone())
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                .fetch_all(&self.pool)
                .await
        })
        .await?;
        rows.iter().map(to_profile).collect()
    }

    async fn count(&self, tenant: TenantId, criteria: &Criteria) -> Result<u64, StoreError> {
        let Compiled { sql, values } = query::count(tenant, criteria, Dialect::Postgres)?;
        let row = retrying(|| async {
            query::bind(sqlx::query(&sql), values.clone())
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                .fetch_one(&self.pool)
                .await
        })
        .await?;
        let n: i64 = row.try_get("n").map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn service_key(
        &self,
        name: &str,
        generate: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        let fresh = generate();
        retrying(|| {
            sqlx::query("INSERT INTO service_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(fresh.clone())
                .execute(&self.pool)
        })
        .await?;
        let row = retrying(|| {
            sqlx::query("SELECT value FROM service_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
        })
        .await?;
        row.try_get::<Vec<u8>, _>("value").map_err(map_err)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A database error with a chosen SQLSTATE, as a driver would report it.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "sqlstate {}", self.0)
        }
    }
    impl std::error::Error for Sqlstate {}
    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "simulated"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    #[tokio::test]
    async fn serialization_failures_are_retried_then_reported_busy() {
        let calls = AtomicU32::new(0);
        let ok = retrying(|| async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(sqlx::Error::Database(Box::new(Sqlstate("40001"))))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(ok.unwrap(), 7);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "three retries, then success"
        );

        let calls = AtomicU32::new(0);
        let busy: Result<(), _> = retrying(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(sqlx::Error::Database(Box::new(Sqlstate("40P01"))))
        })
        .await;
        assert!(matches!(busy, Err(StoreError::Busy)));
        assert_eq!(calls.load(Ordering::SeqCst), SERIALIZATION_ATTEMPTS);

        let calls = AtomicU32::new(0);
        let other: Result<(), _> = retrying(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(sqlx::Error::Database(Box::new(Sqlstate("23505"))))
        })
        .await;
        assert!(other.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "other errors are not retried"
        );
    }
}
