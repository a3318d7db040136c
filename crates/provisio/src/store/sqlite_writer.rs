//! Group commit for SQLite: concurrent writes wait in one queue, and a single task runs as many
//! of them as are waiting in one transaction, flushed to disk once. Each write still gets its own
//! answer (one statement per write: a write that breaks a constraint fails alone), and no answer is sent
//! before the transaction that holds the write has committed. Under load this turns one fsync per
//! request into one fsync per batch; alone, a write costs what it did before.

use sqlx::{Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::row::{self, ProfileRow, COLUMNS};
use super::sqlite::map_err;
use super::StoreError;

/// Most writes in one transaction.
const MAX_BATCH: usize = 256;

/// One write, as column values.
#[derive(Debug)]
pub(super) enum WriteOp {
    /// Insert a new row.
    Insert(ProfileRow),
    /// Rewrite a row if its version is still `expected_version`.
    Update {
        /// The new values (the key comes from it).
        row: ProfileRow,
        /// The tenant that must own the row.
        tenant: String,
        /// The version the caller read.
        expected_version: i64,
    },
    /// Delete a row.
    Delete {
        /// The owning tenant.
        tenant: String,
        /// The profile id.
        id: String,
    },
}

struct Job {
    op: WriteOp,
    reply: oneshot::Sender<Result<u64, StoreError>>,
}

/// The queue in front of the writer connection.
#[derive(Debug, Clone)]
pub(super) struct GroupWriter {
    jobs: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer task on `pool` (of one connection).
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx));
        GroupWriter { jobs }
    }

    /// Runs `op` in the next batch; the number of rows it changed, once committed.
    pub(super) async fn write(&self, op: WriteOp) -> Result<u64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { op, reply })
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the SQLite writer has stopped")))?;
        answer
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the SQLite writer dropped a write")))?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&pool, &mut batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                let message = format!("{e:#}");
                for job in batch {
                    let err = match &e {
                        StoreError::Busy => StoreError::Busy,
                        _ => StoreError::Other(anyhow::anyhow!("{message}")),
                    };
                    let _ = job.reply.send(Err(err));
                }
            }
        }
    }
}

/// Runs the batch in one transaction. Each write is one statement, and SQLite undoes a statement
/// that breaks a constraint by itself while keeping the transaction and the earlier statements:
/// such a write gets its own error and the others go on. Any other error (disk full, I/O) may
/// have ended the transaction, so the whole batch is rolled back and every write gets the error.
async fn commit(
    pool: &SqlitePool,
    batch: &mut [Job],
) -> Result<Vec<Result<u64, StoreError>>, StoreError> {
    let mut conn = pool.acquire().await.map_err(map_err)?;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch.iter_mut() {
        match execute(&mut conn, &job.op).await {
            Ok(n) => results.push(Ok(n)),
            Err(e) if is_constraint_violation(&e) => results.push(Err(map_err(e))),
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                return Err(map_err(e));
            }
        }
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(map_err(e));
    }
    Ok(results)
}

/// `SQLITE_CONSTRAINT` or one of its extended codes (`19 | n << 8`): the failing statement was
/// undone, the transaction goes on.
fn is_constraint_violation(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 19)
}

async fn execute(
    conn: &mut sqlx::pool::PoolConnection<Sqlite>,
    op: &WriteOp,
) -> Result<u64, sqlx::Error> {
    let done = match op {
        WriteOp::Insert(r) => {
            let sql = super::sqlite::insert_sql();
            let mut r = r.clone();
            let (t, id) = (std::mem::take(&mut r.tenant_id), std::mem::take(&mut r.id));
            row::bind_values(sqlx::query(&sql).bind(t).bind(id), r)
                .execute(&mut **conn)
                .await?
        }
        WriteOp::Update {
            row: r,
            tenant,
            expected_version,
        } => {
            let sets = COLUMNS[2..]
                .iter()
                .map(|c| format!("{c} = ?"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("UPDATE enrollment_profiles SET {sets} WHERE tenant_id = ? AND id = ? AND version = ?");
            let id = r.id.clone();
            row::bind_values(sqlx::query(&sql), r.clone())
                .bind(tenant.clone())
                .bind(id)
                .bind(*expected_version)
                .execute(&mut **conn)
                .await?
        }
        WriteOp::Delete { tenant, id } => {
            sqlx::query("DELETE FROM enrollment_profiles WHERE tenant_id = ? AND id = ?")
                .bind(tenant.clone())
                .bind(id.clone())
                .execute(&mut **conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}
