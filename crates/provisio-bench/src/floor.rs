//! `--enroll-floor N`: what SQLite itself allows an enrollment on this machine, measured beside
//! the service's own `enroll` rate in the same run.
//!
//! The service's enrollment transaction (`provisio::store::devices::Enroll`, the very statements
//! the server's writer runs, its plans made by the service's `enrollment_plan`) runs N times in
//! this process on one thread, straight on SQLite's library through `rusqlite` (the same bundled
//! SQLite the service links), on a database preloaded as the server's is and opened with the
//! server's settings (WAL, `synchronous=FULL`, `secure_delete`), in group commits of
//! [`BATCH`] enrollments each in its own savepoint, with the log copied back by a checkpointer
//! thread after each commit, as the server does. What it leaves out is everything around the
//! database: HTTP, JSON, the token's lookup, and the hand-offs between the service's tasks and
//! its database driver's connection thread. Since SQLite has one writer, the rate it prints is
//! an upper bound for any server on this schema, audit trail and durability on this machine:
//! the server's own writer can only be slower.
//!
//! The same transactions then run through the service's own SQLite store (sqlx, its group
//! writer), [`CONCURRENT`] at a time from this process: the rate the store's writer allows with
//! the service's database driver, still without HTTP.
//!
//! `rusqlite` is used here only, as a measuring instrument: the service itself uses sqlx.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use async_trait::async_trait;
use provisio::model::audit::{Actor, Origin};
use provisio::model::layout::{Cell, CellKind};
use provisio::model::{Profile, ProfileId, Sensitive, Timestamp, Token};
use provisio::service::devices::{enrollment_plan, input};
use provisio::store::devices::{Enroll, Enrolled};
use provisio::store::query::Dialect;
use provisio::store::sqlite::{SqliteStore, DB_FILE};
use provisio::store::tx::{Done, Statement, Transaction, Tx};
use provisio::store::Store;
use rusqlite::types::{Value, ValueRef};
use uuid::Uuid;

use crate::preload::{self, Counts};
use crate::{dataset, devices, procfs};

/// Enrollments per commit: about what the server's writer gathers from 64 connections.
pub const BATCH: usize = 32;

/// Profiles (one token each) the enrollments go to in turn, as `enroll`'s.
const TOKENS: usize = 64;

/// Enrollments in flight at once through the service's store: `enroll`'s connections.
pub const CONCURRENT: usize = 64;

/// What the floor run measured: the transactions straight on SQLite, then through the store.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Floors {
    /// Straight on SQLite's library, one thread.
    pub sqlite: Floor,
    /// Through the service's SQLite store (sqlx, group writer), [`CONCURRENT`] at a time.
    pub store: Floor,
}

/// One measurement.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Floor {
    /// Enrollments run (every one a new device, committed).
    pub enrollments: u64,
    /// Enrollments per commit.
    pub batch: usize,
    /// Wall time of the enrollments.
    pub seconds: f64,
    /// Enrollments per second.
    pub per_second: f64,
    /// CPU time of this process meanwhile (the enrolling threads and the checkpointer).
    pub cpu_seconds: f64,
}

impl Floor {
    /// Microseconds of wall time per enrollment.
    pub fn micros_each(&self) -> f64 {
        self.seconds * 1e6 / self.enrollments.max(1) as f64
    }
}

/// Preloads `profiles` profiles as the server's run does, adds the tokens, and runs `n`
/// enrollments at SQLite's own speed; then again, on a fresh database, through the store.
pub async fn measure(profiles: u64, n: u64) -> anyhow::Result<Floors> {
    let counts = Counts {
        profiles,
        devices: 0,
    };
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    preload::sqlite(dir.path(), counts).await?;
    let tokened = add_tokens(dir.path()).await?;
    let work = plans(&tokened, n)?;
    let path = dir.path().join(DB_FILE);
    let sqlite = tokio::task::spawn_blocking(move || run(&path, work))
        .await
        .context("the floor's thread")??;
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    preload::sqlite(dir.path(), counts).await?;
    let tokened = add_tokens(dir.path()).await?;
    let work = plans(&tokened, n)?;
    let store = through_store(dir.path(), work).await?;
    Ok(Floors { sqlite, store })
}

/// Runs the enrollments through the service's SQLite store, [`CONCURRENT`] at a time.
async fn through_store(dir: &Path, work: Vec<Enroll>) -> anyhow::Result<Floor> {
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir, 1)
            .await
            .context("opening the database")?,
    );
    let enrollments = work.len() as u64;
    let mut shares: Vec<Vec<Enroll>> = (0..CONCURRENT).map(|_| Vec::new()).collect();
    for (i, e) in work.into_iter().enumerate() {
        shares[i % CONCURRENT].push(e);
    }
    let cpu_before = procfs::own_cpu_time();
    let started = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let store = store.clone();
            tokio::spawn(async move {
                for e in share {
                    let done = store.run(e).await?;
                    if !matches!(done.outcome(), Some(Enrolled::Created { .. })) {
                        bail!("an enrollment ended {:?}", done.outcome());
                    }
                }
                Ok::<_, anyhow::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.context("an enrolling task")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_since(cpu_before);
    store.close().await;
    Ok(Floor {
        enrollments,
        batch: 0,
        seconds,
        per_second: enrollments as f64 / seconds.max(1e-9),
        cpu_seconds: cpu,
    })
}

/// CPU time of this process since `before`, in seconds.
fn cpu_since(before: Option<Duration>) -> f64 {
    match (before, procfs::own_cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
        _ => 0.0,
    }
}

/// Stores [`TOKENS`] dedicated-device profiles with a token each, through the service's store.
async fn add_tokens(dir: &Path) -> anyhow::Result<Vec<Profile>> {
    let store = SqliteStore::open(dir, 1)
        .await
        .context("opening the database")?;
    let now = Timestamp::now();
    let expires = now.plus_seconds(3600).context("a token's expiry")?;
    let profiles: Vec<Profile> = (0..TOKENS)
        .map(|k| {
            let mut p = Profile::new(
                dataset::tenant(),
                ProfileId::new_random(),
                format!("Floor {k}"),
                now,
            );
            p.token = Some(Token {
                id: Uuid::new_v4(),
                value: Sensitive::new(format!("FLOORTOKEN{k:010}")),
                created: now,
                expires,
                qr_content: Sensitive::new(String::from("{}")),
                qr_png: vec![0; 1500],
            });
            p
        })
        .collect();
    store
        .insert_many(dataset::tenant(), &profiles)
        .await
        .context("storing the token profiles")?;
    store.close().await;
    Ok(profiles)
}

/// The plans of `n` new devices on the profiles' tokens in turn, made as the service makes them
/// from each request's body.
fn plans(profiles: &[Profile], n: u64) -> anyhow::Result<Vec<Enroll>> {
    let origin = Arc::new(Origin {
        actor: Actor::device(Some("127.0.0.1".into())),
        correlation_id: Uuid::new_v4(),
    });
    (0..n)
        .map(|i| {
            let profile = &profiles[(i % TOKENS as u64) as usize];
            let token = profile
                .token
                .as_ref()
                .context("a profile without its token")?;
            let call = devices::enroll_call(token.value.expose(), &devices::serial(i, 0, i));
            let body: serde_json::Value =
                serde_json::from_slice(call.body.as_deref().unwrap_or_default())?;
            let body = input::enroll_body(&body).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let plan = enrollment_plan(profile, &body, None, None, None, 20_000, origin.clone())
                .context("no plan")?;
            Ok(Enroll::new(plan))
        })
        .collect()
}

/// Opens the database as the server's writer does.
fn open(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.pragma_update(None, "temp_store", "memory")?;
    conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
    conn.pragma_update(None, "secure_delete", "on")?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Runs the enrollments in batches on this thread; a checkpointer thread copies the log back
/// after each commit.
fn run(path: &Path, work: Vec<Enroll>) -> anyhow::Result<Floor> {
    let mut conn = open(path)?;
    let checkpointer = open(path)?;
    let (committed, commits) = mpsc::channel::<()>();
    let copier = std::thread::spawn(move || {
        while commits.recv().is_ok() {
            while commits.try_recv().is_ok() {}
            let _ = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
        }
    });
    let executor = tokio::runtime::Builder::new_current_thread().build()?;
    let cpu_before = procfs::own_cpu_time();
    let started = Instant::now();
    for batch in work.chunks(BATCH) {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for enroll in batch {
            let mut tx = FloorTx {
                conn: &mut conn,
                opened: false,
            };
            let commit = executor.block_on(enroll.run(&mut tx))?;
            let opened = tx.opened;
            if opened {
                conn.execute_batch(match commit {
                    true => "RELEASE write_group",
                    false => "ROLLBACK TO write_group; RELEASE write_group",
                })?;
            }
            if !matches!(enroll.outcome(), Some(Enrolled::Created { .. })) {
                bail!("an enrollment ended {:?}", enroll.outcome());
            }
        }
        conn.execute_batch("COMMIT")?;
        let _ = committed.send(());
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_since(cpu_before);
    drop(committed);
    let _ = copier.join();
    let enrollments = work.len() as u64;
    Ok(Floor {
        enrollments,
        batch: BATCH,
        seconds,
        per_second: enrollments as f64 / seconds.max(1e-9),
        cpu_seconds: cpu,
    })
}

/// The service's [`Tx`] contract over a `rusqlite` connection: the savepoint opens with the first
/// statements, each statement is prepared once and cached.
struct FloorTx<'a> {
    conn: &'a mut rusqlite::Connection,
    opened: bool,
}

fn db_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("sqlite: {e}"))
}

fn value(cell: Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(n) => Value::Integer(n),
        Cell::Bool(b) => Value::Integer(i64::from(b)),
        Cell::Text(s) => Value::Text(s),
        Cell::Blob(b) => Value::Blob(b),
    }
}

fn cell(v: ValueRef<'_>, kind: CellKind) -> Cell {
    match (v, kind) {
        (ValueRef::Null, _) => Cell::Null,
        (ValueRef::Integer(n), CellKind::Bool) => Cell::Bool(n != 0),
        (ValueRef::Integer(n), _) => Cell::Int(n),
        (ValueRef::Real(f), _) => Cell::Text(f.to_string()),
        (ValueRef::Text(t), _) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        (ValueRef::Blob(b), _) => Cell::Blob(b.to_vec()),
    }
}

#[async_trait]
impl Tx for FloorTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn script(&mut self, statements: Vec<Statement>) -> Result<Vec<Done>, sqlx::Error> {
        if !self.opened {
            self.conn
                .execute_batch("SAVEPOINT write_group")
                .map_err(db_error)?;
            self.opened = true;
        }
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            let mut stmt = self.conn.prepare_cached(&s.sql).map_err(db_error)?;
            let values: Vec<Value> = s.args.into_iter().map(|(_, c)| value(c)).collect();
            let params = rusqlite::params_from_iter(values);
            let mut done = Done::default();
            if s.kinds.is_empty() {
                done.changed = stmt.execute(params).map_err(db_error)? as u64;
            } else {
                let mut rows = stmt.query(params).map_err(db_error)?;
                while let Some(row) = rows.next().map_err(db_error)? {
                    let mut cells = Vec::with_capacity(s.kinds.len());
                    for (i, kind) in s.kinds.iter().enumerate() {
                        cells.push(cell(row.get_ref(i).map_err(db_error)?, *kind));
                    }
                    done.rows.push(cells);
                }
            }
            out.push(done);
        }
        Ok(out)
    }
}
