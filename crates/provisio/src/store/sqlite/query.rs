//! SQLite reads beyond one row at a time: running the statements the query compiler
//! ([`query`](crate::store::query)) builds over a reader pool, binding sea-query's values to sqlx.
//!
//! Lists and counts run through [`ListReaders`]: they wait for a turn (so that some reader is
//! always left for reads by id, `store::limits`), and their statement is stopped by a progress
//! handler once it has run longer than the time limit. SQLite has no statement timeout of its
//! own; the progress handler is its documented way to interrupt a long statement.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_query::Values;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, Sqlite, SqlitePool};
use tokio::sync::OwnedSemaphorePermit;

use super::sql::map_err;
use crate::crypto::Keyring;
use crate::model::layout::Layout;
use crate::model::output::Metadata;
use crate::model::TenantId;
use crate::store::limits::{Admission, ReadLimits};
use crate::store::query::{self, Compiled, Dialect};
use crate::store::{Criteria, ListQuery, Rendered, StoreError};

/// SQLite virtual-machine instructions between two looks at the clock while a list or count
/// runs: some microseconds of work, so a statement overruns its limit by about that much, and
/// the clock is read rarely enough not to show in the statement's cost.
const PROGRESS_STEPS: i32 = 1000;

/// The `SQLITE_INTERRUPT` result code: the progress handler stopped the statement.
const SQLITE_INTERRUPT: &str = "9";

/// The reader pool as lists and counts use it.
#[derive(Clone, Debug)]
pub struct ListReaders {
    pool: SqlitePool,
    admission: Admission,
    statement_timeout: Duration,
}

/// A list's or count's turn: a reader connection whose statements stop at the deadline.
///
/// [`Turn::finish`] disarms the deadline and gives the connection back to the pool, where a
/// read by id may take it, then ends the turn. A turn dropped before that (the client went away
/// while the statement ran) cannot stop the statement, which the connection's thread goes on
/// stepping; so the deadline stays armed, the connection is closed once the statement is over
/// rather than given back, and the turn ends only then: abandoned lists still count against the
/// admission and still stop at their deadline.
pub(super) struct Turn {
    conn: Option<PoolConnection<Sqlite>>,
    armed: Arc<AtomicBool>,
    turn: Option<OwnedSemaphorePermit>,
}

impl Turn {
    /// The statement is over.
    fn finish(mut self) {
        self.armed.store(false, Ordering::Relaxed);
        drop(self.conn.take());
        drop(self.turn.take());
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let turn = self.turn.take();
        let conn = conn.detach();
        // Closing waits for the running statement; the pool opens a new reader meanwhile.
        tokio::spawn(async move {
            let _ = sqlx::Connection::close(conn).await;
            drop(turn);
        });
    }
}

impl ListReaders {
    /// Lists and counts over `pool` (of `connections` readers) within `limits`: one reader is
    /// kept for reads by id unless `limits` says how many lists run at once.
    pub fn new(pool: SqlitePool, connections: u32, limits: ReadLimits) -> Self {
        ListReaders {
            pool,
            admission: Admission::new(limits.slots(connections, 1), limits.admission_wait),
            statement_timeout: limits.statement_timeout,
        }
    }

    /// Waits for a turn and a reader, and sets the reader's deadline. The progress handler
    /// replaces the one the connection's previous list left (disarmed); a read by id never
    /// sets one, and finds at most a disarmed one, which costs it one load of a flag every
    /// [`PROGRESS_STEPS`] steps (a read by id takes fewer).
    pub(super) async fn turn(&self) -> Result<Turn, StoreError> {
        let turn = self.admission.enter().await?;
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let armed = Arc::new(AtomicBool::new(true));
        let deadline = Instant::now() + self.statement_timeout;
        let flag = armed.clone();
        conn.lock_handle()
            .await
            .map_err(map_err)?
            .set_progress_handler(PROGRESS_STEPS, move || {
                !flag.load(Ordering::Relaxed) || Instant::now() < deadline
            });
        Ok(Turn {
            conn: Some(conn),
            armed,
            turn: Some(turn),
        })
    }

    /// Runs `sql` with `values` in a turn of its own; its rows.
    async fn fetch_all(&self, sql: &str, values: Values) -> Result<Vec<SqliteRow>, StoreError> {
        let statement = query::bind(sqlx::query(sql), values)?;
        let mut turn = self.turn().await?;
        let Some(conn) = turn.conn.as_mut() else {
            return Err(StoreError::Other(anyhow::anyhow!(
                "a turn without a reader"
            )));
        };
        let rows = statement.fetch_all(&mut **conn).await;
        turn.finish();
        rows.map_err(|e| self.map_err(e))
    }

    /// The store's view of an error of a list or count: a statement the progress handler
    /// stopped ran out of time.
    fn map_err(&self, e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some(SQLITE_INTERRUPT) => {
                StoreError::TimedOut(self.statement_timeout)
            }
            _ => map_err(e),
        }
    }

    /// Turns free right now (for tests).
    #[cfg(test)]
    pub fn free_turns(&self) -> usize {
        self.admission.available()
    }
}

/// The rows of one page, as SQLite returns them.
pub async fn fetch_page(
    readers: &ListReaders,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<Vec<SqliteRow>, StoreError> {
    let Compiled { sql, values } = query::select(layout, tenant, q, Dialect::Sqlite)?;
    readers.fetch_all(&sql, values).await
}

/// The rows of one page rendered as JSON by SQLite (sealed members opened with `keys`), with
/// the cursor after each.
pub async fn fetch_rendered(
    readers: &ListReaders,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
    (members, metadata): (&[usize], Metadata),
    keys: &Keyring,
) -> Result<Vec<Rendered>, StoreError> {
    let Compiled { sql, values } = query::select_rendered(layout, tenant, q, members, metadata)?;
    let rows = readers.fetch_all(&sql, values).await?;
    Ok(query::read_rendered(
        layout,
        (tenant, keys),
        (&q.order, members),
        &rows,
    )?)
}

/// The number of matching rows.
pub async fn count(
    readers: &ListReaders,
    layout: &Layout,
    tenant: TenantId,
    criteria: &Criteria,
) -> Result<u64, StoreError> {
    let Compiled { sql, values } = query::count(layout, tenant, criteria, Dialect::Sqlite)?;
    let rows = readers.fetch_all(&sql, values).await?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("COUNT returned no row")))?;
    let n: i64 = row.try_get("n").map_err(map_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The plan SQLite chooses for the page `q` asks for: the `detail` lines of
/// `EXPLAIN QUERY PLAN`.
pub async fn explain(
    pool: &SqlitePool,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<Vec<String>, StoreError> {
    let Compiled { sql, values } = query::select(layout, tenant, q, Dialect::Sqlite)?;
    let plan = format!("EXPLAIN QUERY PLAN {sql}");
    let rows = query::bind(sqlx::query(&plan), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").map_err(map_err))
        .collect()
}
