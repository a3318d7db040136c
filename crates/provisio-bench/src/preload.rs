//! Loads the preloaded profiles (and managed devices) straight into the database, not over
//! HTTP: one transaction of multi-row `INSERT`s of the rows each entity set's declaration maps
//! them to, in its column order, so the rows are exactly what the service itself would have
//! written, sealed with the data directory's key. The profiles' `enrolledDeviceCount` is then
//! set from the devices loaded.

use std::path::Path;
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use provisio::crypto::{Keyring, SealingSettings};
use provisio::model::device::ManagedDevice;
use provisio::model::layout::Row;
use provisio::model::layout::{to_row, Layout};
use provisio::model::{Entity, Profile, Timestamp};
use provisio::store::limits::ReadLimits;
use provisio::store::postgres::{PgSettings, PostgresStore};
use provisio::store::row::bind_row;
use provisio::store::seal::seal_row;
use provisio::store::sqlite::{SqliteStore, DB_FILE};
use provisio::store::Store;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Database, Executor as _, IntoArguments};

use crate::dataset;

/// Rows per `INSERT` statement (a profile has 34 parameters, a device 43: at most 21,500 per
/// statement, within both databases' limits).
pub const BATCH: u64 = 500;

/// What to load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Profiles ([`dataset::profile`]).
    pub profiles: u64,
    /// Managed devices ([`dataset::device`]), of the first profiles.
    pub devices: u64,
}

/// Sets each profile's count of enrolled devices from the current records loaded.
const COUNT_DEVICES: &str = "UPDATE enrollment_profiles SET enrolled_device_count = \
    (SELECT count(*) FROM managed_devices d WHERE d.tenant_id = enrollment_profiles.tenant_id \
    AND d.enrollment_profile_id = enrollment_profiles.id AND NOT d.superseded)";

/// The `INSERT` statement of `layout` for `rows` rows; `placeholder(k)` writes the k-th
/// (0-based) parameter.
pub fn insert_sql(layout: &Layout, rows: u64, placeholder: impl Fn(usize) -> String) -> String {
    let width = layout.columns.len();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        layout.table,
        layout.column_names().join(", ")
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

/// Runs the batched inserts of the profiles and devices of `counts` on `conn`, inside the
/// caller's transaction, then counts each profile's devices.
async fn insert_all<DB>(
    conn: &mut DB::Connection,
    counts: Counts,
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
    let n = counts.profiles;
    insert_rows::<DB, Profile>(
        conn,
        n,
        |i| to_row(&dataset::profile(i, n, now)),
        placeholder,
        keys,
    )
    .await?;
    if counts.devices > 0 {
        let n = counts.devices;
        insert_rows::<DB, ManagedDevice>(
            conn,
            n,
            |i| to_row(&dataset::device(i, n, now)),
            placeholder,
            keys,
        )
        .await?;
        conn.execute(COUNT_DEVICES)
            .await
            .context("counting each profile's devices")?;
    }
    Ok(())
}

/// Runs the batched inserts of rows `0..n` of `E`'s table, each made by `row_of`.
async fn insert_rows<DB, E: Entity>(
    conn: &mut DB::Connection,
    n: u64,
    row_of: impl Fn(u64) -> Row,
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
    let layout = E::set().layout();
    let full = insert_sql(layout, BATCH, placeholder);
    let mut start = 0;
    while start < n {
        let rows = BATCH.min(n - start);
        let partial;
        let sql = if rows == BATCH {
            &full
        } else {
            partial = insert_sql(layout, rows, placeholder);
            &partial
        };
        let mut q = sqlx::query::<DB>(sql);
        for i in start..start + rows {
            let mut row = row_of(i);
            if let Some(keys) = keys {
                seal_row(keys, layout, &mut row);
            }
            q = bind_row(q, layout, row, 0);
        }
        conn.execute(q)
            .await
            .with_context(|| format!("inserting {} {start}..{}", layout.table, start + rows))?;
        start += rows;
    }
    Ok(())
}

/// Creates the SQLite database in `data_dir` (migrated by the service's own code) and loads
/// `counts` into it. Returns the time the load took.
pub async fn sqlite(data_dir: &Path, counts: Counts) -> anyhow::Result<Duration> {
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
    insert_all::<sqlx::Sqlite>(&mut tx, counts, |_| "?".to_owned(), Some(&keys)).await?;
    tx.commit().await.context("committing the bulk load")?;
    // No ANALYZE: the service never runs it, so its planner sees what it would in production.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    Ok(started.elapsed())
}

/// Migrates the PostgreSQL database at `url` with the service's migrations and loads `counts`
/// into it, sealed with the key of `data_dir` (which the server is then started with). Returns
/// the time the load took.
pub async fn postgres(url: &str, data_dir: &Path, counts: Counts) -> anyhow::Result<Duration> {
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
    // The sealed columns are BYTEA: a plain text value would not even be stored.
    let keys = SealingSettings::default().load(data_dir)?;
    insert_all::<sqlx::Postgres>(&mut tx, counts, |k| format!("${}", k + 1), Some(&keys)).await?;
    tx.commit().await.context("committing the bulk load")?;
    // What autovacuum would do soon after a load this size in production.
    for table in ["enrollment_profiles", "managed_devices"] {
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(store.pool())
            .await?;
    }
    store.close().await;
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use provisio::model::device::DeviceId;

    #[test]
    fn statements_have_one_placeholder_per_value() {
        let layout = Profile::set().layout();
        let sql = insert_sql(layout, 2, |k| format!("${}", k + 1));
        assert!(sql.starts_with("INSERT INTO enrollment_profiles (tenant_id, id, version"));
        assert_eq!(sql.matches('$').count(), 2 * layout.columns.len());
        let n = 2 * layout.columns.len();
        assert!(sql.ends_with(&format!("${}, ${n})", n - 1)), "{sql}");
        assert_eq!(sql.matches("), (").count(), 1);
    }

    #[tokio::test]
    async fn loads_rows_the_service_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let devices = dataset::LISTED_DEVICES + 2 * (dataset::DEVICE_PROFILES - 1) + 1;
        let counts = Counts {
            profiles: 1234,
            devices,
        };
        sqlite(dir.path(), counts).await.unwrap();
        let sqlite = SqliteStore::open(dir.path(), 1).await.unwrap();
        let store: &dyn Store = &sqlite;
        let p = store
            .get(dataset::tenant(), dataset::profile_id(1233))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.display_name, dataset::display_name(1233));
        let count = |i| async move {
            let p = store.get(dataset::tenant(), dataset::profile_id(i)).await;
            p.unwrap().unwrap().enrolled_device_count
        };
        assert_eq!(count(0).await, dataset::LISTED_DEVICES as i32);
        assert_eq!(
            (count(1).await, count(2).await, count(1000).await),
            (3, 2, 0)
        );
        let id = DeviceId(dataset::device(5, devices, Timestamp::now()).id);
        let d = store.get(dataset::tenant(), id).await.unwrap();
        assert_eq!(d.unwrap().serial_number.as_deref(), Some("SN000000005"));
        store.close().await;
    }
}
