//! `provisio profiles import FILE`: creates enrollment profiles from a CSV or JSON-lines file
//! through the server's Graph API, as an administrator moving thousands of profiles needs it.
//!
//! - [`rows`]: the file read into rows (CSV cells typed from the profile's declaration), each
//!   with its key (`displayName` unless `--key` names another member);
//! - [`state`]: the state file that makes an interrupted import resumable;
//! - [`graph`]: the Graph calls — which keys exist, and the writes, twenty to a `$batch` (one
//!   request each where the server has no `$batch`), with `Retry-After` honoured;
//! - [`report`]: progress, the failed rows, the errors file and the summary.
//!
//! The rows go in units of a hundred, `--concurrency` units at a time. A unit first asks the
//! server which of its keys exist (one list request), then, twenty rows to a batch, creates the
//! others (or, with `--update`, changes the
//! existing ones) and records each row's outcome in the state file. Asking right before
//! writing keeps a rerun from creating anything twice, even when the process died between a
//! write and its record. Ctrl-C lets the units in flight finish, then stops. See docs/CLI.md.

pub mod graph;
pub mod report;
pub mod rows;
pub mod state;

use std::future::Future;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use futures_util::stream::{FuturesUnordered, StreamExt};
use reqwest::Method;
use tokio::sync::{mpsc, watch};
use url::Url;

use graph::{Fatal, Graph, Reply, Write, BATCH_SIZE};
use report::{ErrorsFile, Progress, RowFailure, Summary};
use rows::{Format, Row};
use state::{Outcome, State};

/// The rows of a unit: one lookup of their keys (the most values of an `in (...)` list), then
/// five batches of twenty. A lookup costs the server about what a batch of writes does, so
/// fewer, larger lookups matter.
const UNIT_SIZE: usize = 100;

/// The server an import talks to.
#[derive(Clone)]
pub struct Target {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// The server's root URL (the one `/beta` is under).
    pub base: Url,
    /// The bearer token.
    pub token: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.base.as_str())
            .field("token", &"********")
            .finish_non_exhaustive()
    }
}

/// The flags of `provisio profiles import`.
#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    /// The file to import: CSV with a header row of member names (displayName, description,
    /// enrollmentMode, wifiSsid, ...), or JSON lines with one profile object per line.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The file's format [default: from its extension: .csv, or .jsonl/.ndjson/.json].
    #[arg(long = "format", id = "input_format", value_enum)]
    pub format: Option<Format>,
    /// The member that identifies a profile: a row whose key a profile on the server has is
    /// that profile, and is not created again.
    #[arg(long, value_name = "MEMBER", default_value = "displayName")]
    pub key: String,
    /// Change the existing profile of a row's key with the row's members (PATCH), instead of
    /// leaving it as it is.
    #[arg(long)]
    pub update: bool,
    /// How many batches of twenty rows are in flight at once (each from a unit of a hundred rows
    /// whose keys are looked up together).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// The state file that records each row's outcome, for a rerun to continue where the
    /// import stopped [default: FILE.import-state, beside the file].
    #[arg(long, value_name = "STATE")]
    pub state: Option<PathBuf>,
    /// Forget what the state file recorded and look at every row again.
    #[arg(long)]
    pub restart: bool,
    /// Also write the failed rows to this CSV file (row, key, status, code, message).
    #[arg(long, value_name = "CSV")]
    pub errors: Option<PathBuf>,
    /// Send one request per row, even when the server takes $batch.
    #[arg(long)]
    pub no_batch: bool,
}

/// Imports as `args` say, until done or Ctrl-C. Lines for people (failed rows, progress when
/// stderr is no terminal, the summary) go to `out`.
pub async fn run(
    target: &Target,
    args: &ImportArgs,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<Summary> {
    // Listening starts now, not when the loop first waits: Ctrl-C while the file is read
    // stops cleanly too.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let listener = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(());
        }
    });
    let ctrl_c = async {
        // Without a signal handler there is nothing to wait for: never stop.
        if rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = run_until(target, args, out, ctrl_c).await;
    listener.abort();
    summary
}

/// [`run`], stopping cleanly when `stop` completes instead of at Ctrl-C.
pub async fn run_until(
    target: &Target,
    args: &ImportArgs,
    out: &mut (dyn std::io::Write + Send),
    stop: impl Future<Output = ()>,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let format = match args.format.or_else(|| Format::of(&args.file)) {
        Some(format) => format,
        None => anyhow::bail!(
            "cannot tell the format of {} from its extension: say --format csv or --format jsonl",
            args.file.display()
        ),
    };
    rows::key_member(&args.key)?;
    let input = rows::read(&args.file, format, &args.key)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| state::default_path(&args.file));
    let mut state = State::open(&state_path, args.restart)?;
    let mut errors = args.errors.as_deref().map(ErrorsFile::create).transpose()?;
    let mut summary = Summary {
        rows: input.len(),
        state: state_path,
        ..Summary::default()
    };

    let (pending, earlier): (Vec<Row>, Vec<Row>) = input
        .rows
        .into_iter()
        .partition(|r| state.done(r).is_none());
    summary.earlier = earlier.len();
    let mut progress = Progress::new(
        summary.rows,
        summary.earlier,
        std::io::stderr().is_terminal(),
    );
    let mut refused = Books {
        state: &mut state,
        errors: &mut errors,
        summary: &mut summary,
        progress: &mut progress,
    };
    for rejected in &input.rejected {
        let failure = RowFailure {
            row: rejected.number,
            key: rejected.key.clone(),
            status: None,
            code: rejected.code.to_owned(),
            message: rejected.message.clone(),
        };
        refused.fail(failure, out)?;
    }
    progress.advance(input.rejected.len(), out);

    let graph = Arc::new(Graph::new(target.clone())?);
    let batching = !pending.is_empty() && !args.no_batch && graph.has_batch().await?;
    if !pending.is_empty() && !args.no_batch && !batching {
        progress.say(
            out,
            "the server does not take $batch: sending one request per row",
        );
    }
    let unit = Unit {
        key: args.key.clone(),
        update: args.update,
        batching,
    };
    let (stopping_tx, stopping) = watch::channel(false);
    // Units send each attempt's outcomes as they come, so that a unit held back by
    // throttling does not hold back the record of the rows it has done.
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Vec<(Row, Outcome)>>();
    let mut units = pending.chunks(UNIT_SIZE).map(<[Row]>::to_vec);
    let mut in_flight = FuturesUnordered::new();
    let mut fatal: Option<Fatal> = None;
    let mut stop = std::pin::pin!(stop);
    let mut books = Books {
        state: &mut state,
        errors: &mut errors,
        summary: &mut summary,
        progress: &mut progress,
    };
    loop {
        while !*stopping.borrow() && in_flight.len() < usize::from(args.concurrency) {
            let Some(rows) = units.next() else { break };
            let (graph, unit, stopping) = (graph.clone(), unit.clone(), stopping.clone());
            let done = done_tx.clone();
            in_flight.push(tokio::spawn(async move {
                unit.process(&graph, rows, &stopping, &done).await
            }));
        }
        if in_flight.is_empty() {
            break;
        }
        tokio::select! {
            () = &mut stop, if !*stopping.borrow() => {
                books.summary.interrupted = true;
                let _ = stopping_tx.send(true);
                books.progress.say(out, "stopping: waiting for the batches in flight to finish ...");
            }
            Some(outcomes) = done_rx.recv() => books.take(outcomes, out)?,
            Some(ended) = in_flight.next() => {
                if let Err(e) = ended.context("an import task failed")? {
                    let _ = stopping_tx.send(true);
                    fatal.get_or_insert(e);
                }
            }
        }
    }
    drop(done_tx);
    while let Some(outcomes) = done_rx.recv().await {
        books.take(outcomes, out)?;
    }
    progress.finish();
    state.sync()?;
    summary.elapsed = started.elapsed();
    let complete = !summary.interrupted && fatal.is_none();
    if complete && summary.failed == 0 {
        state.remove()?;
    } else {
        summary.state_kept = true;
    }
    if let Some(fatal) = fatal {
        let _ = writeln!(out, "{summary}");
        anyhow::bail!(
            "{fatal}\nthe import stopped; run the same command again to continue where it \
             stopped (progress is kept in {})",
            summary.state.display()
        );
    }
    writeln!(out, "{summary}")?;
    Ok(summary)
}

/// Where the outcomes of rows go: the state file, the errors file, the counts and the progress.
struct Books<'a> {
    state: &'a mut State,
    errors: &'a mut Option<ErrorsFile>,
    summary: &'a mut Summary,
    progress: &'a mut Progress,
}

impl Books<'_> {
    /// Records outcomes of rows sent to the server.
    fn take(
        &mut self,
        outcomes: Vec<(Row, Outcome)>,
        out: &mut (dyn std::io::Write + Send),
    ) -> anyhow::Result<()> {
        self.state
            .record(outcomes.iter().map(|(row, outcome)| (row, outcome)))?;
        for (row, outcome) in outcomes {
            match outcome {
                Outcome::Created { .. } => self.summary.created += 1,
                Outcome::Updated { .. } => self.summary.updated += 1,
                Outcome::Skipped { .. } => self.summary.skipped += 1,
                Outcome::Failed {
                    status,
                    code,
                    message,
                } => self.fail(
                    RowFailure {
                        row: row.number,
                        key: Some(row.key),
                        status,
                        code,
                        message,
                    },
                    out,
                )?,
            }
            self.progress.advance(1, out);
        }
        Ok(())
    }

    /// Counts a failed row, and tells it on `out` and in the errors file.
    fn fail(
        &mut self,
        failure: RowFailure,
        out: &mut (dyn std::io::Write + Send),
    ) -> anyhow::Result<()> {
        self.summary.failed += 1;
        self.progress.say(out, &failure.to_string());
        if let Some(errors) = self.errors.as_mut() {
            errors.add(&failure)?;
        }
        self.summary.failures.push(failure);
        Ok(())
    }
}

/// How a unit of rows is written.
#[derive(Clone, Debug)]
struct Unit {
    key: String,
    update: bool,
    batching: bool,
}

impl Unit {
    /// Writes up to a hundred rows: looks up their keys, creates the new ones (or changes the
    /// existing ones), and sends again what the server asked to wait for. When stopping, rows
    /// still waiting are left undecided (a rerun sends them).
    async fn process(
        &self,
        graph: &Graph,
        mut pending: Vec<Row>,
        stopping: &watch::Receiver<bool>,
        done: &mpsc::UnboundedSender<Vec<(Row, Outcome)>>,
    ) -> Result<(), Fatal> {
        let mut attempt = 0;
        while !pending.is_empty() {
            let mut decided = Vec::with_capacity(pending.len());
            let keys: Vec<&str> = pending.iter().map(|r| r.key.as_str()).collect();
            let existing = graph.lookup(&self.key, &keys).await?;
            let mut writes = Vec::new();
            let mut sent = Vec::new();
            for row in pending.drain(..) {
                let ids = existing.get(&row.key).map_or(&[][..], Vec::as_slice);
                let id = match (ids, self.update) {
                    ([], _) => None,
                    ([id, ..], false) => {
                        decided.push((row, Outcome::Skipped { id: id.clone() }));
                        continue;
                    }
                    ([id], true) => Some(id.clone()),
                    (ids, true) => {
                        let outcome = Outcome::Failed {
                            status: None,
                            code: "AmbiguousKey".into(),
                            message: format!(
                                "{} profiles on the server have this {}; --update changes a \
                                 profile only when its key is one profile's",
                                ids.len(),
                                self.key
                            ),
                        };
                        decided.push((row, outcome));
                        continue;
                    }
                };
                writes.push(Write {
                    method: if id.is_some() {
                        Method::PATCH
                    } else {
                        Method::POST
                    },
                    id,
                    body: row.body.clone(),
                });
                sent.push(row);
            }
            let mut wait = None;
            let mut named_no_wait = false;
            let mut sent = sent.into_iter();
            for batch in writes.chunks(BATCH_SIZE) {
                let replies = self.send(graph, batch).await?;
                // The batch first: `zip` would take a row too many from `sent` at its end.
                for ((write, row), reply) in batch.iter().zip(sent.by_ref()).zip(replies) {
                    let outcome = match reply {
                        Reply::Done(body) => match &write.id {
                            Some(id) => Outcome::Updated { id: id.clone() },
                            None => Outcome::Created {
                                id: body["id"].as_str().unwrap_or_default().to_owned(),
                            },
                        },
                        Reply::Refused {
                            status,
                            code,
                            message,
                        } => Outcome::Failed {
                            status: Some(status),
                            code,
                            message,
                        },
                        Reply::Again(after) => {
                            match after {
                                Some(after) => wait = wait.max(Some(after)),
                                None => named_no_wait = true,
                            }
                            pending.push(row);
                            continue;
                        }
                    };
                    decided.push((row, outcome));
                }
                // Recorded batch by batch. The receiver lives until every unit has ended.
                let _ = done.send(std::mem::take(&mut decided));
            }
            if !decided.is_empty() {
                let _ = done.send(decided);
            }
            if pending.is_empty() || *stopping.borrow() {
                break;
            }
            if named_no_wait {
                attempt += 1;
                if attempt >= 8 {
                    return Err(Fatal(
                        "the server did not answer the writes after 8 attempts".into(),
                    ));
                }
            }
            let wait = wait.unwrap_or_else(|| graph::backoff(attempt));
            graph.gate.shut_for(wait);
            let mut stopped = stopping.clone();
            tokio::select! {
                () = tokio::time::sleep(graph.gate.remaining()) => {}
                _ = stopped.wait_for(|s| *s) => break,
            }
        }
        Ok(())
    }

    /// The replies to `writes`, in their order: one `$batch`, or one request each.
    async fn send(&self, graph: &Graph, writes: &[Write]) -> Result<Vec<Reply>, Fatal> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        if self.batching {
            if let Some(replies) = graph.batch(writes).await? {
                return Ok(replies);
            }
        }
        let mut replies = Vec::with_capacity(writes.len());
        for write in writes {
            replies.push(graph.single(write).await?);
        }
        Ok(replies)
    }
}
