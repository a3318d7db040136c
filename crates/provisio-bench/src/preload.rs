//! Loads the preloaded profiles straight into the database, not over HTTP: one transaction of
//! multi-row `INSERT`s of the rows the profile set's declaration maps them to, in its column
//! order, so the rows are exactly what the service itself would have written (on SQLite sealed
//! with the data directory's key; on PostgreSQL in plain text, which the service seals at its
//! first start, as it does for a database from before sealing).

use std::path::Path;
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use provisio::crypto::{Keyring, SealingSettings};
use provisio::model::layout::{to_row, Layout};
use provisio::model::{Entity as _, Profile, Timestamp};
use provisio::store::limits::ReadLimits;
use provisio::store::postgres::{PgSettings, PostgresStore};
use provisio::store::row::bind_row;
use provisio::store::seal::seal_row;
use provisio::store::sqlite::{SqliteStore, DB_FILE};
use provisio::store::Store;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Database, Executor as _, IntoArguments};

use crate::dataset;

/// Rows per `INSERT` statement (34 parameters each: 17,000 per statement, within both limits).
pub const BATCH: u64 = 500;

/// The profiles' layout.
fn layout() -> &'static Layout {
    Profile::set().layout()
}

/// The `INSERT` statement for `rows` rows; `placeholder(k)` writes the k-th (0-based) parameter.
pub fn insert_sql(rows: u64, placeholder: impl Fn(usize) -> String) -> String {
    let width = layout().columns.len();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        layout().table,
        layout().column_names().join(", ")
    );
    for r in 0..rows as usize {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(r * width + c));
        }
        sql.push(')');
    }
    sql
}

/// Runs the batched inserts of profiles `0..n` on `conn`, inside the caller's transaction.
async fn insert_all<DB>(
    conn: &mut DB::Connection,
    n: u64,
    placeholder: fn(usize) -> String,
    keys: Option<&Keyring>,
) -> anyhow::Result<()>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let now = Timestamp::now();
    let full = insert_sql(BATCH, placeholder);
    let mut start = 0;
    while start < n {
        let rows = BATCH.min(n - start);
        let partial;
        let sql = if rows == BATCH {
            &full
        } else {
            partial = insert_sql(rows, placeholder);
            &partial
        };
        let mut q = sqlx::query::<DB>(sql);
        for i in start..start + rows {
            let mut row = to_row(&dataset::profile(i, n, now));
            if let Some(keys) = keys {
                seal_row(keys, layout(), &mut row);
            }
            q = bind_row(q, layout(), row, 0);
        }
        conn.execute(q)
            .await
            .with_context(|| format!("inserting profiles {start}..{}", start + rows))?;
        start += rows;
    }
    Ok(())
}

/// Creates the SQLite database in `data_dir` (migrated by the service's own code) and loads `n`
/// profiles into it. Returns the time the load took.
pub async fn sqlite(data_dir: &Path, n: u64) -> anyhow::Result<Duration> {
    let store = SqliteStore::open(data_dir, 1)
        .await
        .context("creating the database")?;
    store.close().await;
    let keys = SealingSettings::default().load(data_dir)?;
    let started = Instant::now();
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(data_dir.join(DB_FILE))
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", "-262144");
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .context("opening the database for the bulk load")?;
    let mut tx = conn.begin().await?;
    insert_all::<sqlx::Sqlite>(&mut tx, n, |_| "?".to_owned(), Some(&keys)).await?;
    tx.commit().await.context("committing the bulk load")?;
    // No ANALYZE: the service never runs it, so its planner sees what it would in production.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    Ok(started.elapsed())
}

/// Migrates the PostgreSQL database at `url` with the service's migrations and loads `n`
/// profiles into it. Returns the time the load took.
pub async fn postgres(url: &str, n: u64) -> anyhow::Result<Duration> {
    let store = PostgresStore::connect(
        &PgSettings {
            url: url.to_owned(),
            pool_size: 1,
            limits: ReadLimits::default().with_statement_timeout(Duration::from_secs(600)),
            connect_retries: 3,
        },
        std::sync::Arc::new(Keyring::ephemeral()),
    )
    .await?;
    store.migrate(true).await?;
    let started = Instant::now();
    let mut tx = store.pool().begin().await?;
    insert_all::<sqlx::Postgres>(&mut tx, n, |k| format!("${}", k + 1), None).await?;
    tx.commit().await.context("committing the bulk load")?;
    // What autovacuum would do soon after a load this size in production.
    sqlx::query("ANALYZE enrollment_profiles")
        .execute(store.pool())
        .await?;
    store.close().await;
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_one_placeholder_per_value() {
        let sql = insert_sql(2, |k| format!("${}", k + 1));
        assert!(sql.starts_with("INSERT INTO enrollment_profiles (tenant_id, id, version"));
        assert_eq!(sql.matches('$').count(), 2 * layout().columns.len());
        let n = 2 * layout().columns.len();
        assert!(sql.ends_with(&format!("${}, ${n})", n - 1)), "{sql}");
        assert_eq!(sql.matches("), (").count(), 1);
    }

    #[tokio::test]
    async fn loads_rows_the_service_can_read() {
        let dir = tempfile::tempdir().unwrap();
        sqlite(dir.path(), 1234).await.unwrap();
        let sqlite = SqliteStore::open(dir.path(), 1).await.unwrap();
        let store: &dyn Store = &sqlite;
        let p = store
            .get(dataset::tenant(), dataset::profile_id(1233))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.display_name, dataset::display_name(1233));
        store.close().await;
    }
}
