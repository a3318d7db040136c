//! The transactions that read and decide (`Store::transact`) and the one read across tenants
//! (`Store::rows_by_key`), on PostgreSQL.

use std::time::Duration;

use super::{is_retryable, map_err, query, read_row, Dialect, PostgresStore};
use crate::model::layout::{Layout, Row};
use crate::store::StoreError;

/// Attempts of a [`Transaction`](crate::store::tx::Transaction) (a serialization failure,
/// deadlock or unique-key race with a concurrent one runs it again) before it is reported busy.
const TRANSACTION_ATTEMPTS: u32 = 16;

impl PostgresStore {
    /// Runs `work` in a transaction, again from the start after a serialization failure,
    /// deadlock or unique-key race with a concurrent one.
    pub(super) async fn run_transaction(
        &self,
        work: std::sync::Arc<dyn crate::store::tx::Transaction>,
    ) -> Result<(), StoreError> {
        let mut delay = Duration::from_millis(2);
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let attempt_result = async {
                let mut tx = self.pool.begin().await?;
                let commit = work.run(&mut crate::store::tx::PgTx(&mut tx)).await?;
                match commit {
                    true => tx.commit().await?,
                    false => tx.rollback().await?,
                }
                Ok::<_, sqlx::Error>(())
            }
            .await;
            match attempt_result {
                Ok(()) => return Ok(()),
                Err(sqlx::Error::Database(db))
                    if (is_retryable(db.code().as_deref()) || db.is_unique_violation())
                        && attempt < TRANSACTION_ATTEMPTS =>
                {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
                Err(e) => return Err(self.with_limit(map_err(e))),
            }
        }
        Err(StoreError::Busy)
    }

    /// The opened rows, in any tenant, whose `column` holds one of `values`.
    pub(super) async fn rows_with_key(
        &self,
        layout: &'static Layout,
        column: &'static str,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = query::by_key(layout, column, values.len(), limit, Dialect::Postgres);
        let found = self
            .retrying(|| {
                let mut q = sqlx::query(&sql);
                for v in values {
                    q = q.bind(v.clone());
                }
                q.fetch_all(&self.pool)
            })
            .await?;
        found
            .iter()
            .map(|r| read_row(&self.keys, layout, r))
            .collect()
    }
}
