//! The PostgreSQL backend, for several stateless provisio processes on one database. Every
//! invariant lives in SQL (conditional `UPDATE`, keys, transactions); a serialization failure or
//! deadlock (SQLSTATE 40001 / 40P01, as CockroachDB-style engines report contention) is retried
//! with backoff.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row as _;

use uuid::Uuid;

use super::limits::{Admission, ReadLimits};
use super::query::{self, Compiled, Dialect};
use super::row;
use super::seal;
use super::tx::{bind_all, numbered};
use super::{Criteria, ListQuery, RowWrite, Store, StoreError, Written, DUPLICATE_ID};
use crate::crypto::Keyring;
use crate::model::layout::{Layout, Row};
use crate::model::TenantId;

mod state;
mod transact;

/// How to reach and use the database.
#[derive(Clone, Debug)]
pub struct PgSettings {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// The statement time limit (every statement but migrations) and the admission of lists
    /// and counts.
    pub limits: ReadLimits,
    /// Connection attempts at start-up before giving up (the database may start after us).
    pub connect_retries: u32,
}

/// Entity sets in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Lists and counts running at once: half the pool, so reads by id and writes find a
    /// connection (`store::limits`).
    lists: Admission,
    /// The `statement_timeout` every connection has.
    statement_timeout: Duration,
    keys: Arc<Keyring>,
}

/// Attempts of one statement before a serialization failure is reported as busy.
const SERIALIZATION_ATTEMPTS: u32 = 8;

impl PostgresStore {
    /// Connects, retrying while the database is not reachable yet; rows are sealed with `keys`
    /// (every process on one database needs the same ones). Does not migrate.
    pub async fn connect(settings: &PgSettings, keys: Arc<Keyring>) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .url
            .parse()
            .context("database_url is not a valid postgres:// URL")?;
        let limits = settings.limits;
        let timeout_ms = limits.statement_timeout.as_millis().to_string();
        let options = options.options([("statement_timeout", timeout_ms.as_str())]);
        let pool_size = settings.pool_size.max(1);
        let lists = Admission::new(
            limits.slots(pool_size, pool_size / 2),
            limits.admission_wait,
        );
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let pool = PgPoolOptions::new()
                .max_connections(pool_size)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await;
            match pool {
                Ok(pool) => {
                    return Ok(PostgresStore {
                        pool,
                        lists,
                        statement_timeout: limits.statement_timeout,
                        keys,
                    })
                }
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
    /// without advisory locks; run it from one process only). They run on a connection of their
    /// own without the statement time limit (building an index on a large table may take
    /// longer), which is closed afterwards.
    pub async fn migrate(&self, locking: bool) -> anyhow::Result<()> {
        let mut migrator = sqlx::migrate!("../../migrations/postgres");
        migrator.set_locking(locking);
        let mut conn = self
            .pool
            .acquire()
            .await
            .context("connecting for the migrations")?
            .detach();
        let migrated = async {
            sqlx::query("SET statement_timeout = 0")
                .execute(&mut conn)
                .await?;
            migrator.run_direct(&mut conn).await?;
            anyhow::Ok(())
        }
        .await
        .context("migrating the PostgreSQL schema");
        let _ = sqlx::Connection::close(conn).await;
        migrated
    }

    /// `e`, with the time limit named when a statement ran out of time.
    fn with_limit(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::TimedOut(_) => StoreError::TimedOut(self.statement_timeout),
            other => other,
        }
    }

    /// [`retrying`], with the time limit named when a statement ran out of time: every
    /// statement of the store runs through this, so none reports a limit of 0 ms.
    async fn retrying<T, E, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        E: Into<Failed>,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        retrying(op).await.map_err(|e| self.with_limit(e))
    }

    /// Runs a statement the query compiler built, with its values bound, again while it fails with a
    /// serialization failure. A value the compiler should not have written is the service's error,
    /// not the database's.
    async fn run_compiled(&self, compiled: Compiled) -> Result<Vec<PgRow>, StoreError> {
        let Compiled { sql, values } = compiled;
        self.retrying(|| async {
            let q = query::bind(sqlx::query(&sql), values.clone()).map_err(Failed::Service)?;
            q.fetch_all(&self.pool).await.map_err(Failed::Database)
        })
        .await
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
            StoreError::Conflict(DUPLICATE_ID.into())
        }
        sqlx::Error::Database(db) if is_retryable(db.code().as_deref()) => StoreError::Busy,
        // 53100: disk_full.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("53100") => StoreError::Full,
        // 57014: statement timeout (the store names its limit: `with_limit`).
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            StoreError::TimedOut(Duration::ZERO)
        }
        _ => StoreError::Other(anyhow::Error::new(e).context("postgres")),
    }
}

fn is_retryable(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01"))
}

/// Why one attempt of a statement failed: the database, or the service before it reached the
/// database (a value the query compiler wrote that cannot be bound), which is never retried.
#[derive(Debug)]
enum Failed {
    Database(sqlx::Error),
    Service(anyhow::Error),
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        Failed::Database(e)
    }
}

/// Runs `op`, again with backoff while it fails with a serialization failure or deadlock.
async fn retrying<T, E, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    E: Into<Failed>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(5);
    for attempt in 1..=SERIALIZATION_ATTEMPTS {
        match op().await.map_err(Into::into) {
            Err(Failed::Database(sqlx::Error::Database(db)))
                if is_retryable(db.code().as_deref()) && attempt < SERIALIZATION_ATTEMPTS =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(500));
            }
            Ok(v) => return Ok(v),
            Err(Failed::Database(e)) => return Err(map_err(e)),
            Err(Failed::Service(e)) => return Err(StoreError::Other(e)),
        }
    }
    Err(StoreError::Busy)
}

/// Runs one write on `conn` (the pool, or a transaction); the number of rows it changed.
async fn execute_write<'c, X>(conn: X, tenant: TenantId, w: &RowWrite) -> Result<u64, sqlx::Error>
where
    X: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let s = w.statement(&tenant.to_string());
    let sql = numbered(&s.sql);
    let done = bind_all(sqlx::query(&sql), s.args).execute(conn).await?;
    Ok(done.rows_affected())
}

fn read_row(keys: &Keyring, layout: &Layout, r: &PgRow) -> Result<Row, StoreError> {
    let mut row = row::read(layout, r).map_err(map_err)?;
    seal::open_row(keys, layout, &mut row)?;
    Ok(row)
}

/// Seals anew up to `limit` rows that need it, in one transaction (see `Store::reseal_rows`).
async fn reseal_page(
    pool: &PgPool,
    keys: &Keyring,
    layout: &Layout,
    all: bool,
    limit: u32,
) -> Result<u64, Failed> {
    let select = seal::reseal_select(layout, Dialect::Postgres, all).map_err(Failed::Service)?;
    let update = seal::reseal_update(layout, Dialect::Postgres);
    let mut tx = pool.begin().await?;
    let found = sqlx::query(&select)
        .bind(i64::from(keys.current_id()))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
    for r in &found {
        let row = row::read(layout, r)?;
        let resealed = seal::reseal_row(keys, layout, row).map_err(Failed::Service)?;
        seal::bind_reseal(sqlx::query(&update), layout, resealed)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(found.len() as u64)
}

#[async_trait]
impl Store for PostgresStore {
    async fn write(&self, tenant: TenantId, writes: Vec<RowWrite>) -> Result<Written, StoreError> {
        let writes = seal::seal_writes(&self.keys, writes);
        if let [write] = writes.as_slice() {
            // One write alone needs no transaction of its own.
            let n = self
                .retrying(|| execute_write(&self.pool, tenant, write))
                .await?;
            return Ok(if n == 1 || !write.needs_row() {
                Written::Done
            } else {
                Written::Stale
            });
        }
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            for w in &writes {
                let n = execute_write(&mut *tx, tenant, w).await?;
                if n == 0 && w.needs_row() {
                    tx.rollback().await?;
                    return Ok(Written::Stale);
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Written::Done)
        })
        .await
    }

    async fn transact(
        &self,
        work: std::sync::Arc<dyn crate::store::tx::Transaction>,
    ) -> Result<(), StoreError> {
        self.run_transaction(work).await
    }

    async fn rows_by_key(
        &self,
        layout: &'static Layout,
        column: &'static str,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        self.rows_with_key(layout, column, values, limit).await
    }

    async fn get_row(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<Row>, StoreError> {
        let sql = query::by_id(layout, Dialect::Postgres);
        let found = self
            .retrying(|| {
                sqlx::query(&sql)
                    .bind(tenant.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
            })
            .await?;
        found
            .as_ref()
            .map(|r| read_row(&self.keys, layout, r))
            .transpose()
    }

    async fn list_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Vec<Row>, StoreError> {
        let compiled = query::select(layout, tenant, q, Dialect::Postgres)?;
        let _turn = self.lists.enter().await?;
        let rows = self.run_compiled(compiled).await?;
        rows.iter()
            .map(|r| read_row(&self.keys, layout, r))
            .collect()
    }

    async fn count_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        criteria: &Criteria,
    ) -> Result<u64, StoreError> {
        let compiled = query::count(layout, tenant, criteria, Dialect::Postgres)?;
        let _turn = self.lists.enter().await?;
        let rows = self.run_compiled(compiled).await?;
        let n: i64 = match rows.first() {
            Some(row) => row.try_get("n").map_err(map_err)?,
            None => return Err(StoreError::Other(anyhow::anyhow!("COUNT returned no row"))),
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn service_key(
        &self,
        name: &str,
        generate: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        let fresh = generate();
        self.retrying(|| {
            sqlx::query("INSERT INTO service_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(fresh.clone())
                .execute(&self.pool)
        })
        .await?;
        let row = self
            .retrying(|| {
                sqlx::query("SELECT value FROM service_keys WHERE name = $1")
                    .bind(name)
                    .fetch_one(&self.pool)
            })
            .await?;
        row.try_get::<Vec<u8>, _>("value").map_err(map_err)
    }

    async fn service_value(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.value(name).await
    }

    async fn set_service_value(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.set_value(name, value).await
    }

    async fn tenant_ids(
        &self,
        layout: &'static Layout,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, StoreError> {
        self.tenants(layout, after, limit).await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        let filler = super::probe_filler();
        self.retrying(|| {
            sqlx::query(PROBE_SQL)
                .bind(crate::model::Timestamp::now().to_string())
                .bind(filler.clone())
                .execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    fn keyring(&self) -> &Keyring {
        &self.keys
    }

    async fn reseal_rows(
        &self,
        layout: &'static Layout,
        all: bool,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.retrying(|| reseal_page(&self.pool, &self.keys, layout, all, limit))
            .await
    }

    async fn sealed_key_ids(
        &self,
        layout: &'static Layout,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let sql = seal::key_ids_select(layout);
        let rows = self
            .retrying(|| sqlx::query(&sql).fetch_all(&self.pool))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<Option<i64>, _>("k").map_err(map_err))
            .collect()
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// The write of [`Store::probe_write`]: one row, overwritten each time.
const PROBE_SQL: &str = "INSERT INTO readiness_probe (id, probed_at, filler) VALUES (1, $1, $2) \
     ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, filler = excluded.filler";

#[cfg(test)]
mod tests;
