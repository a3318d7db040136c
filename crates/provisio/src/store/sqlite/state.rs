//! Named values the processes share (`service_values`) and the tenants that hold rows of a
//! table, for tasks that visit every tenant.

use sqlx::{Row as _, SqlitePool};

use super::sql::map_err;
use crate::model::layout::Layout;
use crate::model::{TenantId, Timestamp};
use crate::store::StoreError;

/// The value stored under `name`.
pub(super) async fn value(reader: &SqlitePool, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT value FROM service_values WHERE name = ?")
        .bind(name)
        .fetch_optional(reader)
        .await
        .map_err(map_err)?;
    row.map(|r| r.try_get::<String, _>("value"))
        .transpose()
        .map_err(map_err)
}

/// Stores `value` under `name` (on the writer's connection, as every write).
pub(super) async fn set_value(
    writer: &SqlitePool,
    name: &str,
    value: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO service_values (name, value, changed_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at",
    )
    .bind(name)
    .bind(value)
    .bind(Timestamp::now().to_string())
    .execute(writer)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Up to `limit` tenants with rows in `layout`'s table after `after`, in order. The primary
/// key leads with `tenant_id`, so this walks its index.
pub(super) async fn tenant_ids(
    reader: &SqlitePool,
    layout: &Layout,
    after: Option<TenantId>,
    limit: u32,
) -> Result<Vec<TenantId>, StoreError> {
    let sql = format!(
        // One index probe per tenant (a loose index scan), not a pass over every row.
        "WITH RECURSIVE t(tenant_id) AS ( \
             SELECT (SELECT tenant_id FROM {0} WHERE tenant_id > ? ORDER BY tenant_id LIMIT 1) \
             UNION ALL \
             SELECT (SELECT p.tenant_id FROM {0} p WHERE p.tenant_id > t.tenant_id \
             ORDER BY p.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL) \
             SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT ?",
        layout.table
    );
    let rows = sqlx::query(&sql)
        .bind(after.map(|t| t.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            let text: String = r.try_get("tenant_id").map_err(map_err)?;
            crate::store::row::tenant_id(&text)
        })
        .collect()
}
