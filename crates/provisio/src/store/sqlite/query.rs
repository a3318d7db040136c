//! SQLite reads beyond one row at a time: running the statements the query compiler
//! ([`query`](crate::store::query)) builds over a reader pool, binding sea-query's values to sqlx.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, SqlitePool};

use super::sql::map_err;
use crate::crypto::Keyring;
use crate::model::layout::Layout;
use crate::model::TenantId;
use crate::store::query::{self, Compiled, Dialect};
use crate::store::{Criteria, ListQuery, Rendered, StoreError};

/// The rows of one page, as SQLite returns them.
pub async fn fetch_page(
    pool: &SqlitePool,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<Vec<SqliteRow>, StoreError> {
    let Compiled { sql, values } = query::select(layout, tenant, q, Dialect::Sqlite)?;
    query::bind(sqlx::query(&sql), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)
}

/// The rows of one page rendered as JSON by SQLite (sealed members opened with `keys`), with
/// the cursor after each.
pub async fn fetch_rendered(
    pool: &SqlitePool,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
    members: &[usize],
    keys: &Keyring,
) -> Result<Vec<Rendered>, StoreError> {
    let Compiled { sql, values } = query::select_rendered(layout, tenant, q, members)?;
    let rows = query::bind(sqlx::query(&sql), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)?;
    Ok(query::read_rendered(
        layout,
        (tenant, keys),
        (&q.order, members),
        &rows,
    )?)
}

/// The number of matching rows.
pub async fn count(
    pool: &SqlitePool,
    layout: &Layout,
    tenant: TenantId,
    criteria: &Criteria,
) -> Result<u64, StoreError> {
    let Compiled { sql, values } = query::count(layout, tenant, criteria, Dialect::Sqlite)?;
    let row = query::bind(sqlx::query(&sql), values)?
        .fetch_one(pool)
        .await
        .map_err(map_err)?;
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
