//! Sealing stored rows anew on SQLite: the start-up conversion of rows stored in plain text and
//! key rotation (see [`crate::store::seal`], which writes the statements).

use sqlx::{Row as _, SqlitePool};

use super::sql::map_err;
use crate::crypto::Keyring;
use crate::model::layout::Layout;
use crate::store::query::Dialect;
use crate::store::{row, seal, StoreError};

/// Seals anew up to `limit` rows that need it, in one transaction on the writer's connection
/// (so it queues behind the group writer instead of racing it); returns how many it found.
pub async fn page(
    writer: &SqlitePool,
    keys: &Keyring,
    layout: &Layout,
    all: bool,
    limit: u32,
) -> Result<u64, StoreError> {
    let select = seal::reseal_select(layout, Dialect::Sqlite, all)?;
    let update = seal::reseal_update(layout, Dialect::Sqlite);
    let mut tx = writer.begin().await.map_err(map_err)?;
    let found = sqlx::query(&select)
        .bind(i64::from(keys.current_id()))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
    for r in &found {
        let row = row::read(layout, r).map_err(map_err)?;
        let resealed = seal::reseal_row(keys, layout, row)?;
        seal::bind_reseal(sqlx::query(&update), layout, resealed)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(found.len() as u64)
}

/// The distinct key ids the rows of `layout` are sealed with.
pub async fn key_ids(reader: &SqlitePool, layout: &Layout) -> Result<Vec<Option<i64>>, StoreError> {
    sqlx::query(&seal::key_ids_select(layout))
        .fetch_all(reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|r| r.try_get::<Option<i64>, _>("k").map_err(map_err))
        .collect()
}
