//! The SQLite side of the query compiler: runs the statements [`query`](super::query) builds,
//! binding sea-query's values to sqlx, and shows the plan SQLite picks for them.

use anyhow::anyhow;
use sea_query::{Value as SqlValue, Values};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row as _, Sqlite, SqlitePool};

use super::query::{self, Compiled, Dialect};
use super::sqlite::{map_err, SqliteStore};
use super::{Criteria, ListQuery, StoreError};
use crate::model::TenantId;

/// Binds the values of a compiled statement, in order. Only the value kinds the compiler
/// produces are accepted.
fn bind<'q>(
    mut q: Query<'q, Sqlite, SqliteArguments<'q>>,
    values: Values,
) -> Result<Query<'q, Sqlite, SqliteArguments<'q>>, StoreError> {
    for v in values.0 {
        q = match v {
            SqlValue::Bool(b) => q.bind(b),
            SqlValue::Int(n) => q.bind(n),
            SqlValue::BigInt(n) => q.bind(n),
            SqlValue::BigUnsigned(n) => q.bind(
                n.map(i64::try_from)
                    .transpose()
                    .map_err(|e| StoreError::Other(anyhow!("LIMIT/OFFSET out of range: {e}")))?,
            ),
            SqlValue::String(s) => q.bind(s.map(|s| *s)),
            other => return Err(StoreError::Other(anyhow!("unexpected SQL value {other:?}"))),
        };
    }
    Ok(q)
}

/// The rows of one page, as SQLite returns them.
pub(super) async fn fetch_page(
    pool: &SqlitePool,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<Vec<SqliteRow>, StoreError> {
    let Compiled { sql, values } = query::select(tenant, q, Dialect::Sqlite)?;
    bind(sqlx::query(&sql), values)?
        .fetch_all(pool)
        .await
        .map_err(map_err)
}

/// The number of matching rows.
pub(super) async fn count(
    pool: &SqlitePool,
    tenant: TenantId,
    criteria: &Criteria,
) -> Result<u64, StoreError> {
    let Compiled { sql, values } = query::count(tenant, criteria, Dialect::Sqlite)?;
    let row = bind(sqlx::query(&sql), values)?
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
        let rows = bind(sqlx::query(&plan), values)?
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").map_err(map_err))
            .collect()
    }
}
