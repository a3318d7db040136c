//! The embedded SQLite backend: one file in the data directory, WAL journal, `synchronous=FULL`
//! so that a committed write survives a crash of the process or of the machine.
//!
//! Writes go through a pool of one connection (SQLite has one writer at a time anyway, and a
//! queue in the pool is cheaper than lock retries) fed by the group writer (`writer`); reads use
//! their own pool and run beside it (`query`). Both share the leaf `sql`.

pub mod backup;
mod query;
mod reseal;
mod sql;
mod state;
mod writer;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use anyhow::Context as _;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row as _, SqlitePool};
use uuid::Uuid;

use super::limits::ReadLimits;
use super::{row, Criteria, ListQuery, RenderRows, Rendered, RowWrite, Store, StoreError, Written};
use crate::crypto::Keyring;
use crate::model::layout::{to_row, Layout, Row};
use crate::model::output::Metadata;
use crate::model::{Entity, TenantId};
use crate::store::seal;
use sql::{bind_row, insert_sql, map_err};
use writer::{GroupWriter, WriteOp};

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "provisio.sqlite3";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Rows a reader connection may hand over before the request takes them: a default page.
const READ_ROW_CHANNEL: usize = 128;

/// Largest memory map SQLite accepts in this build (`SQLITE_MAX_MMAP_SIZE`, just under 2 GiB), in
/// MiB; a larger `mmap_size` would be cut down to it without a word.
pub const MAX_MMAP_MIB: u32 = 2047;

/// How the SQLite store uses the database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteTuning {
    /// Connections for reads (writes always use one).
    pub read_connections: u32,
    /// How much of the database file each reader connection reads through a memory map instead
    /// of `pread` calls, in MiB; 0 (the default) maps nothing. Up to [`MAX_MMAP_MIB`]. The
    /// writer never maps.
    pub mmap_mib: u32,
}

impl SqliteTuning {
    /// `read_connections` readers, no memory map.
    pub fn readers(read_connections: u32) -> Self {
        SqliteTuning {
            read_connections,
            mmap_mib: 0,
        }
    }

    /// Refuses a memory map larger than SQLite would take.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.mmap_mib > MAX_MMAP_MIB {
            anyhow::bail!(
                "sqlite_mmap_mib must be 0 to {MAX_MMAP_MIB} MiB (got {})",
                self.mmap_mib
            );
        }
        Ok(())
    }
}

/// Entity sets in an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    group: GroupWriter,
    writer: SqlitePool,
    reader: SqlitePool,
    lists: query::ListReaders,
    checkpointer: SqlitePool,
    checkpoints: tokio::task::AbortHandle,
    keys: Arc<Keyring>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` with `read_connections` readers and
    /// no memory map, and brings its schema up to date.
    pub async fn open(data_dir: &Path, read_connections: u32) -> anyhow::Result<Self> {
        Self::open_tuned(data_dir, SqliteTuning::readers(read_connections)).await
    }

    /// Opens (creating if needed) the database in `data_dir` with the default limits on lists
    /// and counts, and brings its schema up to date.
    pub async fn open_tuned(data_dir: &Path, tuning: SqliteTuning) -> anyhow::Result<Self> {
        Self::open_limited(data_dir, tuning, ReadLimits::default()).await
    }

    /// Opens (creating if needed) the database in `data_dir` with `limits` on lists and counts,
    /// sealing with the keys of the data directory's key file (created when missing).
    pub async fn open_limited(
        data_dir: &Path,
        tuning: SqliteTuning,
        limits: ReadLimits,
    ) -> anyhow::Result<Self> {
        crate::private::secure_data_dir(data_dir)?;
        let keys = crate::crypto::SealingSettings::default().load(data_dir)?;
        Self::open_keyed(data_dir, tuning, limits, Arc::new(keys)).await
    }

    /// Opens (creating if needed) the database in `data_dir` with `limits` on lists and counts
    /// (`store::limits`), brings its schema up to date, checks `keys` against it and seals the
    /// rows still in plain text.
    pub async fn open_keyed(
        data_dir: &Path,
        tuning: SqliteTuning,
        limits: ReadLimits,
        keys: Arc<Keyring>,
    ) -> anyhow::Result<Self> {
        tuning.check()?;
        let SqliteTuning {
            read_connections,
            mmap_mib,
        } = tuning;
        crate::private::secure_data_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        // SQLite creates the -wal and -shm files with the mode of the database file.
        crate::private::touch_private(&path)?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .context("sqlite options")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("temp_store", "memory");
        // No liveness check when a connection is taken from a pool: an SQLite connection is a
        // file handle in this process and cannot drop, and the check is a round trip to the
        // connection's thread that doubled the cost of a read by id.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            // Most of the log is copied back in the background (`checkpoint_in_background`); the
            // writer still checkpoints what is left when the log passes this many pages, because
            // only a checkpoint with no write running can let the log start over from its
            // beginning (without it the log grew without bound in a benchmark; docs/BENCHMARKS.md).
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
                    // Freed content is overwritten with zeros, so the plain text of a database
                    // from before sealing (and values sealed under a retired key) does not stay
                    // behind in free space once they are sealed anew.
                    .pragma("secure_delete", "on"),
            )
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        MIGRATOR
            .run(&writer)
            .await
            .with_context(|| format!("migrating {}", path.display()))?;
        let checkpointer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening {} for checkpoints", path.display()))?;
        let committed = Arc::new(Notify::new());
        let checkpoints = tokio::spawn(checkpoint_in_background(
            checkpointer.clone(),
            committed.clone(),
        ))
        .abort_handle();
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(read_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // A page of rows crosses from the connection's thread in one go instead of waiting
            // for the request to take the first 50 (the default channel size).
            .connect_with(
                options
                    .read_only(true)
                    .row_buffer_size(READ_ROW_CHANNEL)
                    // Pages of the database file (not of the log) are then read from the map,
                    // without a system call and a copy each.
                    .pragma("mmap_size", (u64::from(mmap_mib) << 20).to_string()),
            )
            .await
            .with_context(|| format!("opening {} for reading", path.display()))?;
        let group = GroupWriter::start(writer.clone(), committed)
            .context("starting the SQLite writer's thread")?;
        let lists = query::ListReaders::new(reader.clone(), read_connections.max(1), limits);
        let store = SqliteStore {
            group,
            writer,
            reader,
            lists,
            checkpointer,
            checkpoints,
            keys,
        };
        let dyn_store: &dyn Store = &store;
        dyn_store
            .prepare_sealing(crate::model::PROFILES.layout())
            .await?;
        Ok(store)
    }
}

/// Log size (4 KiB pages) past which a commit checkpoints what is left itself (SQLite's default).
const WRITER_CHECKPOINT_PAGES: &str = "1000";

/// Copies committed pages from the write-ahead log into the database file, on a connection of its
/// own, after the group writer's commits (`committed`; commits made while a checkpoint runs are
/// covered by the next one), and never while nothing is written. The checkpoint SQLite runs
/// inside the commit that crosses 1,000 log pages then finds little left to copy, and the log
/// stays small. A passive checkpoint runs beside the writer and the readers without blocking
/// either. It measured faster for every write workload than a checkpoint on a timer or a pause
/// between checkpoints (docs/BENCHMARKS.md, "What changed since 2026-11-23").
async fn checkpoint_in_background(pool: SqlitePool, committed: Arc<Notify>) {
    loop {
        committed.notified().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
    }
}

fn read_row(keys: &Keyring, layout: &Layout, r: &SqliteRow) -> Result<Row, StoreError> {
    let mut row = row::read(layout, r).map_err(map_err)?;
    seal::open_row(keys, layout, &mut row)?;
    Ok(row)
}

impl SqliteStore {
    /// The writer's pool, for tests that drive the database directly.
    #[cfg(test)]
    fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// The plan SQLite chooses for the page `q` asks for: the `detail` lines of
    /// `EXPLAIN QUERY PLAN`, such as `SEARCH enrollment_profiles USING INDEX ...`. For tests and
    /// benchmarks that check that queries use an index.
    pub async fn explain_list<E: Entity>(
        &self,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Vec<String>, StoreError> {
        query::explain(&self.reader, E::set().layout(), tenant, q).await
    }

    /// Inserts all `entities` (each of `tenant`) in one transaction: all or none are stored.
    /// Rows go in 500 to a statement; much faster than one insert each, which commits and
    /// flushes every row. The page cache is enlarged for the load and restored after it,
    /// whether it succeeded or not.
    pub async fn insert_many<E: Entity>(
        &self,
        tenant: TenantId,
        entities: &[E],
    ) -> Result<(), StoreError> {
        let layout = E::set().layout();
        let mut conn = self.writer.acquire().await.map_err(map_err)?;
        // Inserting into several B-trees at random places thrashes the default 2 MiB page cache;
        // a larger one for the duration of the load makes it several times faster.
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        let loaded = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            for chunk in entities.chunks(ROWS_PER_STATEMENT) {
                let sql = insert_sql(layout, chunk.len());
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    debug_assert_eq!(e.tenant(), tenant);
                    let mut row = to_row(e);
                    seal::seal_row(&self.keys, layout, &mut row);
                    q = bind_row(q, layout, row, 0);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await
        }
        .await
        .map_err(map_err);
        let restore = sqlx::query(&format!("PRAGMA cache_size = {DEFAULT_CACHE_SIZE}"))
            .execute(&mut *conn)
            .await
            .map_err(map_err);
        loaded.and(restore.map(|_| ()))
    }

    /// The writer's page cache size (negative: KiB), for the test of [`SqliteStore::insert_many`].
    #[cfg(test)]
    async fn writer_cache_size(&self) -> i64 {
        sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&self.writer)
            .await
            .unwrap_or_default()
    }
}

/// SQLite's default page cache size (negative: KiB), restored after a bulk load.
const DEFAULT_CACHE_SIZE: i64 = -2000;

/// Rows per multi-row `INSERT` (SQLite allows 32,766 bound values per statement).
const ROWS_PER_STATEMENT: usize = 500;

#[async_trait]
impl Store for SqliteStore {
    async fn write(&self, tenant: TenantId, writes: Vec<RowWrite>) -> Result<Written, StoreError> {
        let tenant = tenant.to_string();
        let writes = seal::seal_writes(&self.keys, writes);
        let done = match <[RowWrite; 1]>::try_from(writes) {
            // One write alone joins the group writer's multi-row statements.
            Ok([write]) => {
                let needs_row = write.needs_row();
                let changed = self.group.write(WriteOp::Row { tenant, write }).await?;
                !needs_row || changed == 1
            }
            Err(writes) => self.group.write(WriteOp::Group { tenant, writes }).await? == 1,
        };
        Ok(if done { Written::Done } else { Written::Stale })
    }

    async fn transact(
        &self,
        work: std::sync::Arc<dyn crate::store::tx::Transaction>,
    ) -> Result<(), StoreError> {
        self.group.write(WriteOp::Transact(work)).await?;
        Ok(())
    }

    async fn rows_by_key(
        &self,
        layout: &'static Layout,
        column: &'static str,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = crate::store::query::by_key(
            layout,
            column,
            values.len(),
            limit,
            crate::store::query::Dialect::Sqlite,
        );
        let mut q = sqlx::query(&sql);
        for v in values {
            q = q.bind(v.clone());
        }
        let rows = q.fetch_all(&self.reader).await.map_err(map_err)?;
        rows.iter()
            .map(|r| read_row(&self.keys, layout, r))
            .collect()
    }

    async fn get_row(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<Row>, StoreError> {
        let sql = crate::store::query::by_id(layout, crate::store::query::Dialect::Sqlite);
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        row.as_ref()
            .map(|r| read_row(&self.keys, layout, r))
            .transpose()
    }

    async fn list_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        q: &ListQuery,
    ) -> Result<Vec<Row>, StoreError> {
        let rows = query::fetch_page(&self.lists, layout, tenant, q).await?;
        rows.iter()
            .map(|r| read_row(&self.keys, layout, r))
            .collect()
    }

    async fn render_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        q: &ListQuery,
        shape: (&[usize], Metadata),
        _render: RenderRows,
    ) -> Result<Vec<Rendered>, StoreError> {
        query::fetch_rendered(&self.lists, layout, tenant, q, shape, &self.keys).await
    }

    async fn count_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        criteria: &Criteria,
    ) -> Result<u64, StoreError> {
        query::count(&self.lists, layout, tenant, criteria).await
    }

    async fn service_key(
        &self,
        name: &str,
        generate: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO service_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(generate())
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        let row = sqlx::query("SELECT value FROM service_keys WHERE name = ?")
            .bind(name)
            .fetch_one(&self.writer)
            .await
            .map_err(map_err)?;
        row.try_get::<Vec<u8>, _>("value").map_err(map_err)
    }

    async fn service_value(&self, name: &str) -> Result<Option<String>, StoreError> {
        state::value(&self.reader, name).await
    }

    async fn set_service_value(&self, name: &str, value: &str) -> Result<(), StoreError> {
        state::set_value(&self.writer, name, value).await
    }

    async fn tenant_ids(
        &self,
        layout: &'static Layout,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, StoreError> {
        state::tenant_ids(&self.reader, layout, after, limit).await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO readiness_probe (id, probed_at, filler) VALUES (1, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, filler = excluded.filler",
        )
        .bind(crate::model::Timestamp::now().to_string())
        .bind(super::probe_filler())
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    fn keyring(&self) -> &Keyring {
        &self.keys
    }

    async fn reseal_rows(
        &self,
        layout: &'static Layout,
        all: bool,
        limit: u32,
    ) -> Result<u64, StoreError> {
        reseal::page(&self.writer, &self.keys, layout, all, limit).await
    }

    async fn sealed_key_ids(
        &self,
        layout: &'static Layout,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        reseal::key_ids(&self.reader, layout).await
    }

    async fn close(&self) {
        self.checkpoints.abort();
        self.checkpointer.close().await;
        self.reader.close().await;
        // Fold the write-ahead log into the database file so the file alone is complete.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::warn!(error = %e, "final WAL checkpoint failed");
        }
        self.writer.close().await;
    }
}

/// A profile with a token whose image is `png`, for tests of writes that make the file grow.
#[cfg(test)]
fn profile_with_image(tenant: TenantId, name: String, png: Vec<u8>) -> crate::model::Profile {
    use crate::model::{Profile, ProfileId, Sensitive, Timestamp, Token};
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    let mut p = Profile::new(tenant, ProfileId::new_random(), name, now);
    p.token = Some(Token {
        id: Uuid::nil(),
        value: Sensitive::new(String::from("ABCDEFGHIJKLMNOPQRST")),
        created: now,
        expires: now,
        qr_content: Sensitive::new(String::from("{}")),
        qr_png: png,
    });
    p
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
