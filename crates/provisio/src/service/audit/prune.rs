//! Retention: events older than the configured number of days are deleted in the background,
//! tenant by tenant, a bounded batch per transaction so that the writer is never held for long.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::model::audit::AUDIT_EVENTS;
use crate::model::{TenantId, Timestamp};
use crate::store::tx::{int, text, Transaction, Tx};
use crate::store::{Store, StoreError};

/// Events one transaction deletes at most.
const BATCH: i64 = 1_000;
/// Tenants read at a time.
const TENANTS: u32 = 100;
/// How often the pruning runs.
const EVERY: Duration = Duration::from_secs(3_600);

/// Deletes up to [`BATCH`] of a tenant's events older than a cutoff.
#[derive(Debug)]
struct PruneBatch {
    tenant: TenantId,
    cutoff: Timestamp,
    deleted: Mutex<u64>,
}

#[async_trait]
impl Transaction for PruneBatch {
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error> {
        let table = AUDIT_EVENTS.table;
        let sql = format!(
            "DELETE FROM {table} WHERE tenant_id = ? AND id IN (SELECT id FROM {table} \
             WHERE tenant_id = ? AND activity_at < ? ORDER BY activity_at LIMIT ?)"
        );
        let tenant = self.tenant.to_string();
        let n = tx
            .execute(
                &sql,
                vec![
                    text(tenant.clone()),
                    text(tenant),
                    text(self.cutoff.to_string()),
                    int(BATCH),
                ],
            )
            .await?;
        *self
            .deleted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = n;
        Ok(true)
    }
}

/// Deletes every event that happened before `cutoff`, in every tenant; returns how many.
pub async fn prune(store: &Arc<dyn Store>, cutoff: Timestamp) -> Result<u64, StoreError> {
    let layout = AUDIT_EVENTS.layout();
    let mut total = 0;
    let mut after = None;
    loop {
        let tenants = store.tenant_ids(layout, after, TENANTS).await?;
        let Some(last) = tenants.last().copied() else {
            return Ok(total);
        };
        for tenant in tenants {
            loop {
                let batch = store
                    .run(PruneBatch {
                        tenant,
                        cutoff,
                        deleted: Mutex::new(0),
                    })
                    .await?;
                let n = *batch
                    .deleted
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                total += n;
                if n < BATCH.unsigned_abs() {
                    break;
                }
            }
        }
        after = Some(last);
    }
}

/// Prunes events older than `retention` now and every hour after, for as long as the process
/// runs. A failure is logged and tried again at the next turn.
pub fn spawn(store: Arc<dyn Store>, retention: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            let seconds = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
            let cutoff = Timestamp::now()
                .plus_seconds(-seconds)
                .unwrap_or(Timestamp::MIN);
            match prune(&store, cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, before = %cutoff, "pruned old audit events"),
                Err(e) => {
                    tracing::warn!(error = %e, "pruning old audit events failed; retrying later")
                }
            }
        }
    })
}
