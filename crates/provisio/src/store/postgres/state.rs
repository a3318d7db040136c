//! Named values the processes share (`service_values`) and the tenants that hold rows of a
//! table, for tasks that visit every tenant.

use sqlx::Row as _;

use super::{map_err, PostgresStore};
use crate::model::layout::Layout;
use crate::model::{TenantId, Timestamp};
use crate::store::StoreError;

impl PostgresStore {
    /// The value stored under `name`.
    pub(super) async fn value(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .retrying(|| {
                sqlx::query("SELECT value FROM service_values WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
            })
            .await?;
        row.map(|r| r.try_get::<String, _>("value"))
            .transpose()
            .map_err(map_err)
    }

    /// Stores `value` under `name`; of several processes storing at once, the last one wins.
    pub(super) async fn set_value(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let now = Timestamp::now().to_string();
        self.retrying(|| {
            sqlx::query(
                "INSERT INTO service_values (name, value, changed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, changed_at = EXCLUDED.changed_at",
            )
            .bind(name)
            .bind(value)
            .bind(&now)
            .execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    /// Up to `limit` tenants with rows in `layout`'s table after `after`, in order (through the
    /// primary key's index, which leads with `tenant_id`).
    pub(super) async fn tenants(
        &self,
        layout: &Layout,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, StoreError> {
        let sql = format!(
            // One index probe per tenant (a loose index scan), not a pass over every row.
            "WITH RECURSIVE t(tenant_id) AS ( \
             SELECT (SELECT tenant_id FROM {0} WHERE tenant_id > $1 ORDER BY tenant_id LIMIT 1) \
             UNION ALL \
             SELECT (SELECT p.tenant_id FROM {0} p WHERE p.tenant_id > t.tenant_id \
             ORDER BY p.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL) \
             SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT $2",
            layout.table
        );
        let after = after.map(|t| t.to_string()).unwrap_or_default();
        let rows = self
            .retrying(|| {
                sqlx::query(&sql)
                    .bind(&after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
            })
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("tenant_id").map_err(map_err)?;
                crate::store::row::tenant_id(&text)
            })
            .collect()
    }
}
