//! Group commit for SQLite: concurrent writes wait in one queue, and a single task runs as many
//! of them as are waiting in one transaction, flushed to disk once. Consecutive inserts, and
//! consecutive updates of distinct rows, share one statement; each write still gets its own
//! answer, as if it had run alone (a write that breaks a constraint fails alone, an update whose
//! version is stale changes nothing), and no answer is sent before the transaction that holds
//! the write has committed. Under load this turns one fsync per request into one fsync per
//! batch; alone, a write costs what it did before.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{Row as _, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot, Notify};

use super::sql::{bind_row, bind_updated, insert_sql, map_err};
use crate::model::layout::{Layout, Row};
use crate::store::tx::{bind_all, SqliteTx, Transaction, Tx as _};
use crate::store::{RowWrite, StoreError, DUPLICATE_ID};

/// Most writes in one transaction.
const MAX_BATCH: usize = 256;

/// Most rows in one multi-row `INSERT` (a profile has 30 values, well under SQLite's 32,766
/// variables).
const MAX_ROWS_PER_INSERT: usize = 64;

/// Most rows in one multi-row `UPDATE`.
const MAX_ROWS_PER_UPDATE: usize = 64;

/// One job of the writer.
#[derive(Debug)]
pub(super) enum WriteOp {
    /// One write of a row of `tenant`.
    Row {
        /// The tenant that owns the row.
        tenant: String,
        /// The write.
        write: RowWrite,
    },
    /// Work that reads and decides in a savepoint of the batch: 1 when it committed, 0 when it
    /// undid its writes (a refusal it recorded).
    Transact(Arc<dyn Transaction>),
    /// Several writes that commit together or not at all (in a savepoint of the batch): 1 when
    /// all were stored, 0 when an update or delete found no row (nothing is stored then).
    Group {
        /// The owning tenant.
        tenant: String,
        /// The writes, in order.
        writes: Vec<RowWrite>,
    },
}

impl WriteOp {
    /// The table a single write writes (a group has none).
    fn table(&self) -> Option<&'static str> {
        self.layout().map(|l| l.table)
    }

    fn layout(&self) -> Option<&'static Layout> {
        match self {
            WriteOp::Row { write, .. } => Some(write.layout()),
            WriteOp::Group { .. } | WriteOp::Transact(_) => None,
        }
    }

    /// Whether this is an insert (of one row).
    fn is_insert(&self) -> bool {
        matches!(
            self,
            WriteOp::Row {
                write: RowWrite::Insert { .. },
                ..
            }
        )
    }
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
    /// Starts the writer task on `pool` (of one connection); `committed` is notified after each
    /// commit.
    ///
    /// The writer runs on a thread of its own, in a runtime of its own: a transaction's
    /// statements are each a round trip to the connection's thread, and on the server's
    /// runtime every one of those wake-ups would wait its turn behind the requests being
    /// parsed and answered, while every other write waits for this one.
    pub(super) fn start(pool: SqlitePool, committed: Arc<Notify>) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || runtime.block_on(run(pool, rx, committed)))?;
        Ok(GroupWriter { jobs })
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

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>, committed: Arc<Notify>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::database().batch(batch.len());
        match commit(&pool, &mut batch).await {
            Ok(results) => {
                committed.notify_one();
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                let message = format!("{e:#}");
                for job in batch {
                    let err = match &e {
                        StoreError::Busy => StoreError::Busy,
                        StoreError::Full => StoreError::Full,
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
    let mut i = 0;
    while i < batch.len() {
        // Consecutive inserts, or consecutive updates of distinct rows, go in as one statement.
        let run = multi_row_run(&batch[i..]);
        if run >= 2 {
            let ops: Vec<&WriteOp> = batch[i..i + run].iter().map(|job| &job.op).collect();
            let done = if ops[0].is_insert() {
                insert_many(&mut conn, &ops).await
            } else {
                update_many(&mut conn, &ops).await
            };
            match done {
                Ok(done) => {
                    results.extend(done);
                    i += run;
                    continue;
                }
                // A CHECK failure undoes the whole statement: retry these rows one by one.
                Err(e) if is_constraint_violation(&e) => {}
                Err(e) => return Err(roll_back(&mut conn, e).await),
            }
        }
        for job in &batch[i..i + run.max(1)] {
            match execute(&mut conn, &job.op).await {
                Ok(n) => results.push(Ok(n)),
                Err(e) if is_constraint_violation(&e) => results.push(Err(map_err(e))),
                Err(e) => return Err(roll_back(&mut conn, e).await),
            }
        }
        i += run.max(1);
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        return Err(roll_back(&mut conn, e).await);
    }
    Ok(results)
}

/// Ends the batch's transaction after `e`, which every write of the batch gets.
async fn roll_back(conn: &mut sqlx::pool::PoolConnection<Sqlite>, e: sqlx::Error) -> StoreError {
    let _ = sqlx::query("ROLLBACK").execute(&mut **conn).await;
    map_err(e)
}

/// How many writes from the start of `jobs` can go in one statement: consecutive inserts into
/// one table (up to [`MAX_ROWS_PER_INSERT`]), or consecutive updates of distinct rows of one
/// table (up to [`MAX_ROWS_PER_UPDATE`]; two updates of one row must run in order, each seeing
/// the other's version). Deletes run alone.
fn multi_row_run(jobs: &[Job]) -> usize {
    let Some(first) = jobs.first().map(|job| &job.op) else {
        return 0;
    };
    let table = first.table();
    let same_table = |op: &WriteOp| op.table() == table;
    match first {
        WriteOp::Row {
            write: RowWrite::Insert { .. },
            ..
        } => jobs
            .iter()
            .take(MAX_ROWS_PER_INSERT)
            .take_while(|job| job.op.is_insert() && same_table(&job.op))
            .count(),
        WriteOp::Row {
            write: RowWrite::Update { .. },
            ..
        } => {
            let mut keys = HashSet::new();
            jobs.iter()
                .take(MAX_ROWS_PER_UPDATE)
                .take_while(|job| match &job.op {
                    WriteOp::Row {
                        tenant,
                        write: RowWrite::Update { row, .. },
                    } if same_table(&job.op) => keys.insert((tenant, row.id())),
                    _ => false,
                })
                .count()
        }
        WriteOp::Row { .. } | WriteOp::Group { .. } | WriteOp::Transact(_) => 0,
    }
}

/// Inserts the rows of `ops` (all inserts into one table) with one statement. A row whose key
/// is already taken (stored before, or earlier in `ops`) is skipped by `ON CONFLICT DO NOTHING`
/// and answered with a conflict; `RETURNING` tells which rows went in.
async fn insert_many(
    conn: &mut sqlx::pool::PoolConnection<Sqlite>,
    ops: &[&WriteOp],
) -> Result<Vec<Result<u64, StoreError>>, sqlx::Error> {
    let Some(layout) = ops[0].layout() else {
        return Ok(Vec::new());
    };
    let rows: Vec<&Row> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::Row {
                write: RowWrite::Insert { row, .. },
                ..
            } => Some(row),
            _ => None,
        })
        .collect();
    let sql = format!(
        "{} ON CONFLICT DO NOTHING RETURNING tenant_id, id",
        insert_sql(layout, rows.len())
    );
    let mut q = sqlx::query(&sql);
    for r in &rows {
        q = bind_row(q, layout, (*r).clone(), 0);
    }
    let inserted = returned_keys(q.fetch_all(&mut **conn).await?)?;
    let mut answered = HashSet::new();
    Ok(rows
        .iter()
        .map(|r| {
            let key = (r.tenant().to_owned(), r.id().to_owned());
            // Of two rows with one key in the batch, the first went in.
            if inserted.contains(&key) && answered.insert(key) {
                Ok(1)
            } else {
                Err(StoreError::Conflict(DUPLICATE_ID.into()))
            }
        })
        .collect())
}

/// Runs the updates of `ops` (distinct rows of one table, see [`multi_row_run`]) with one
/// statement: each row is rewritten if it still has the version its writer read, exactly as one
/// `UPDATE` each would; `RETURNING` tells which rows were. The others answer 0 rows changed.
async fn update_many(
    conn: &mut sqlx::pool::PoolConnection<Sqlite>,
    ops: &[&WriteOp],
) -> Result<Vec<Result<u64, StoreError>>, sqlx::Error> {
    let Some(layout) = ops[0].layout() else {
        return Ok(Vec::new());
    };
    // VALUES columns are column1.. : the key, then the updated columns, then the expected
    // version.
    let n = layout.updated.len() + 2;
    let sets = layout
        .updated
        .iter()
        .enumerate()
        .map(|(k, &c)| format!("{} = v.column{}", layout.columns[c].name, k + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let one = format!("({})", vec!["?"; n + 1].join(", "));
    let sql = format!(
        "UPDATE {} AS t SET {sets} FROM (VALUES {}) AS v \
         WHERE t.tenant_id = v.column1 AND t.id = v.column2 AND t.version = v.column{} \
         RETURNING tenant_id, id",
        layout.table,
        vec![one; ops.len()].join(", "),
        n + 1
    );
    let mut q = sqlx::query(&sql);
    let mut keys = Vec::with_capacity(ops.len());
    for op in ops {
        if let WriteOp::Row {
            tenant,
            write:
                RowWrite::Update {
                    row,
                    expected_version,
                    ..
                },
        } = op
        {
            keys.push((tenant.clone(), row.id().to_owned()));
            let id = row.id().to_owned();
            q = bind_updated(q.bind(tenant.clone()).bind(id), layout, row.clone())
                .bind(*expected_version);
        }
    }
    let updated = returned_keys(q.fetch_all(&mut **conn).await?)?;
    Ok(keys
        .into_iter()
        .map(|key| Ok(u64::from(updated.contains(&key))))
        .collect())
}

/// The `(tenant_id, id)` pairs a `RETURNING tenant_id, id` gave back.
fn returned_keys(
    rows: Vec<sqlx::sqlite::SqliteRow>,
) -> Result<HashSet<(String, String)>, sqlx::Error> {
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
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
    let (tenant, writes) = match op {
        WriteOp::Transact(work) => return transact(conn, work.as_ref()).await,
        WriteOp::Row { tenant, write } => {
            let s = write.statement(tenant);
            let done = bind_all(sqlx::query(&s.sql), s.args)
                .execute(&mut **conn)
                .await?;
            return Ok(done.rows_affected());
        }
        WriteOp::Group { tenant, writes } => (tenant, writes),
    };
    // The group's statements go as one script (one call to the connection's thread), in a
    // savepoint it opens; a write that found no row, or an error, undoes them all.
    let statements = writes.iter().map(|w| w.statement(tenant)).collect();
    let done = SqliteTx::new(conn, "write_group").script(statements).await;
    let stored = match done {
        Ok(done) => writes
            .iter()
            .zip(&done)
            .all(|(w, d)| d.changed == 1 || !w.needs_row()),
        Err(e) => {
            // A constraint undoes the failing statement only; the earlier ones go too.
            undo_group(conn).await?;
            return Err(e);
        }
    };
    if !stored {
        undo_group(conn).await?;
        return Ok(0);
    }
    sqlx::query("RELEASE write_group")
        .execute(&mut **conn)
        .await?;
    Ok(1)
}

/// Runs `work` in a savepoint of the batch: 1 when it committed, 0 when it undid its writes.
/// An error undoes them too; a constraint error is the work's alone, any other the batch's. The
/// savepoint opens with the work's first statements, in the same call to the connection's
/// thread ([`SqliteTx`]); work that ran no statement has nothing to release or undo.
async fn transact(
    conn: &mut sqlx::pool::PoolConnection<Sqlite>,
    work: &dyn Transaction,
) -> Result<u64, sqlx::Error> {
    let mut tx = SqliteTx::new(conn, "write_group");
    let ran = work.run(&mut tx).await;
    let opened = tx.opened();
    match ran {
        Ok(true) => {
            if opened {
                sqlx::query("RELEASE write_group")
                    .execute(&mut **conn)
                    .await?;
            }
            Ok(1)
        }
        Ok(false) => {
            if opened {
                undo_group(conn).await?;
            }
            Ok(0)
        }
        Err(e) => {
            if opened {
                undo_group(conn).await?;
            }
            Err(e)
        }
    }
}

/// Undoes the writes of the group since its savepoint; the batch goes on.
async fn undo_group(conn: &mut sqlx::pool::PoolConnection<Sqlite>) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("ROLLBACK TO write_group; RELEASE write_group")
        .execute(&mut **conn)
        .await?;
    Ok(())
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
