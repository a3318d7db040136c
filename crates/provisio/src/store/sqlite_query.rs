//! SQLite work beyond one row at a time: running the statements the query compiler
//! ([`query`](super::query)) builds, binding sea-query's values to sqlx, and showing the plan
//! SQLite picks for them; and loading a batch of profiles in one transaction (tests,
//! benchmarks, imports).

use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, SqlitePool};

use super::query::{self, Compiled, Dialect};
use super::row::ProfileRow;
use super::sqlite::{bind_row, insert_sql, map_err, SqliteStore};
use super::{Criteria, ListQuery, Rendered, StoreError};
use crate::model::{Member, Profile, TenantId};

/// The rows of one page, as SQLite returns them.
pub(super) async fn fetch_page(
    pool: &SqlitePool,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<Vec<SqliteRow>, StoreError> {
    let Compiled { sql, values } = query::select(tenant, q, Dialect::Sqlite)?;
    query::bind(sqlx::query(&sql), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)
}

/// The rows of one page rendered as JSON by SQLite, with the cursor after each.
pub(super) async fn fetch_rendered(
    pool: &SqlitePool,
    tenant: TenantId,
    q: &ListQuery,
    members: &[Member],
) -> Result<Vec<Rendered>, StoreError> {
    let Compiled { sql, values } = query::select_rendered(tenant, q, members)?;
    let rows = query::bind(sqlx::query(&sql), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)?;
    Ok(query::read_rendered(&q.order, &rows)?)
}

/// The number of matching rows.
pub(super) async fn count(
    pool: &SqlitePool,
    tenant: TenantId,
    criteria: &Criteria,
) -> Result<u64, StoreError> {
    let Compiled { sql, values } = query::count(tenant, criteria, Dialect::Sqlite)?;
    let row = query::bind(sqlx::query(&sql), values)?
        .fetch_one(pool)
        .await
        .map_err(map_err)?;
    let n: i64 = row.try_get("n").map_err(map_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl SqliteStore {
    /// The plan SQLite chooses for the page `q` asks for: the `detail` lines of
    /// `EXPLAIN QUERY PLAN`, such as `SEARCH enrollment_profiles USING INDEX ...`. For tests and
    /// benchmarks that check that queries use an index.
    pub async fn explain_list(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Vec<String>, StoreError> {
        let Compiled { sql, values } = query::select(tenant, q, Dialect::Sqlite)?;
        let plan = format!("EXPLAIN QUERY PLAN {sql}");
        let rows = query::bind(sqlx::query(&plan), values)?
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").map_err(map_err))
            .collect()
    }
}

/// SQLite's default page cache size (negative: KiB), restored after a bulk load.
const DEFAULT_CACHE_SIZE: i64 = -2000;

impl SqliteStore {
    /// Inserts all `profiles` (each of `tenant`) in one transaction: all or none are stored.
    /// Rows go in 500 to a statement; much faster than one
    /// [`Store::insert`](super::Store::insert) each, which commits and flushes every row.
    pub async fn insert_many(
        &self,
        tenant: TenantId,
        profiles: &[Profile],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(map_err)?;
        // Inserting into six B-trees at random places thrashes the default 2 MiB page cache; a
        // larger one for the duration of the load makes it several times faster.
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for chunk in profiles.chunks(ROWS_PER_STATEMENT) {
            let sql = insert_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for p in chunk {
                let mut row = ProfileRow::from_profile(p);
                row.tenant_id = tenant.to_string();
                q = bind_row(q, row);
            }
            q.execute(&mut *tx).await.map_err(map_err)?;
        }
        let done = tx.commit().await.map_err(map_err);
        let restore = sqlx::query(&format!("PRAGMA cache_size = {DEFAULT_CACHE_SIZE}"))
            .execute(&self.writer)
            .await
            .map_err(map_err);
        done.and(restore.map(|_| ()))
    }
}

/// Rows per multi-row `INSERT` (SQLite allows 32,766 bound values per statement).
const ROWS_PER_STATEMENT: usize = 500;
