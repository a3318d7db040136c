//! One benchmark session: a fresh data directory (and PostgreSQL cluster with `--postgres`),
//! the preloaded profiles (and devices), the running server with its token, and the measurement
//! of one workload at a time, with the server's CPU and memory watched alongside.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::client::{Call, Connection};
use crate::load::{self, LoadConfig};
use crate::preload::Counts;
use crate::procfs;
use crate::report::WorkloadResult;
use crate::server::Server;
use crate::stats::Summary;
use crate::workload::{self, Fixture, Workload};
use crate::{dataset, devices, preload, Args};

/// A server with preloaded rows, ready for load.
#[derive(Debug)]
pub struct Session {
    server: Server,
    /// The server's log (its standard error).
    log: PathBuf,
    token: Option<String>,
    counts: Counts,
    /// How long the preload took.
    pub preload_time: Duration,
    // Dropped last: the server stops before its database disappears.
    _pg: Option<pg_tmp::TempPostgres>,
    _dir: tempfile::TempDir,
}

impl Session {
    /// Creates the database, preloads `counts`, starts the server and gets a token.
    pub async fn start(args: &Args, bin: &Path, counts: Counts) -> anyhow::Result<Session> {
        let dir = tempfile::Builder::new()
            .prefix("provisio-bench-")
            .tempdir()
            .context("creating a temporary directory")?;
        let data_dir: PathBuf = dir.path().join("data");
        // With PostgreSQL nothing else creates it, and the development signing key lives there.
        std::fs::create_dir_all(&data_dir).context("creating the data directory")?;
        let (pg, url) = if args.postgres {
            let pg = pg_tmp::TempPostgres::start(pg_tmp::Durability::Durable)
                .map_err(|e| anyhow::anyhow!("starting PostgreSQL: {e}"))?;
            let url = pg
                .create_database("provisio_bench")
                .map_err(|e| anyhow::anyhow!("creating the database: {e}"))?;
            (Some(pg), Some(url))
        } else {
            (None, None)
        };
        eprintln!(
            "preloading {} profiles and {} managed devices…",
            counts.profiles, counts.devices
        );
        let preload_time = match &url {
            Some(url) => preload::postgres(url, &data_dir, counts).await?,
            None => preload::sqlite(&data_dir, counts).await?,
        };
        eprintln!("preloaded in {:.1} s", preload_time.as_secs_f64());
        let log = dir.path().join("server.log");
        let server = Server::start(bin, &data_dir, url.as_deref(), &args.server_arg, &log)?;
        let token = server.issue_token(bin, &data_dir)?;
        eprintln!(
            "server pid {} on {}{}",
            server.pid,
            server.addr,
            if token.is_some() {
                ", with a bearer token"
            } else {
                ""
            }
        );
        Ok(Session {
            server,
            log,
            token,
            counts,
            preload_time,
            _pg: pg,
            _dir: dir,
        })
    }

    /// The load of `args` against this server (no paging path, no enrollment tokens).
    pub fn load_config(&self, args: &Args) -> LoadConfig {
        LoadConfig {
            addr: self.server.addr,
            token: self.token.clone(),
            concurrency: args.concurrency,
            warmup: args.warmup,
            duration: args.duration,
            max_requests: args.max_requests,
            fixture: Fixture {
                profiles: self.counts.profiles,
                ..Fixture::default()
            },
        }
    }

    /// Where the server listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    /// The bearer token requests carry, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Whether requests carry a bearer token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Runs one workload and measures it.
    pub async fn measure(&self, args: &Args, w: Workload) -> anyhow::Result<WorkloadResult> {
        let (fixture, note) = self.prepare(args, w).await?;
        if let Some(n) = &note {
            eprintln!("note: {n}");
        }
        let cfg = LoadConfig {
            fixture,
            ..self.load_config(args)
        };
        let pid = self.server.pid;
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let sampler = tokio::spawn(async move {
            let mut peak = 0;
            loop {
                peak = peak.max(procfs::memory(pid).map_or(0, |m| m.rss_kib));
                tokio::select! {
                    _ = &mut stop_rx => return peak,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        });
        // CPU is read around the whole run (warm-up included) and scaled to its length.
        let wall = std::time::Instant::now();
        let (server_cpu, client_cpu) = (procfs::cpu_time(pid), procfs::own_cpu_time());
        let outcome = load::run(&cfg, w).await?;
        let elapsed = wall.elapsed().as_secs_f64();
        let percent = |before: Option<Duration>, after: Option<Duration>| match (before, after) {
            (Some(b), Some(a)) => (a.saturating_sub(b)).as_secs_f64() / elapsed * 100.0,
            _ => 0.0,
        };
        let server_cpu_percent = percent(server_cpu, procfs::cpu_time(pid));
        let client_cpu_percent = percent(client_cpu, procfs::own_cpu_time());
        let _ = stop_tx.send(());
        let peak = sampler.await.unwrap_or(0);
        let memory = procfs::memory(pid).context("the server has exited")?;
        let summary = Summary::of(&outcome.histogram, outcome.window);
        if outcome.errors.count > 0 {
            eprintln!(
                "{}: {} errors {:?}, e.g. {}",
                w.name(),
                outcome.errors.count,
                outcome.errors.kinds,
                outcome.errors.samples.join(" | ")
            );
            // The answers say only "internal error"; the server's log says why.
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            for line in crate::server::error_lines(&text, 5) {
                eprintln!("  server log: {line}");
            }
        }
        Ok(WorkloadResult {
            workload: w,
            summary,
            errors: outcome.errors,
            vs_baseline: None,
            vs_create: None,
            server_cpu_percent,
            client_cpu_percent,
            server_memory: memory,
            server_rss_peak_sampled_kib: peak.max(memory.rss_kib),
            load_average: procfs::load_average(),
            note,
        })
    }

    /// What `w`'s requests are made from (the page it requests, the tokens devices present),
    /// and a note for the reader when it could not be prepared as intended.
    async fn prepare(&self, args: &Args, w: Workload) -> anyhow::Result<(Fixture, Option<String>)> {
        let mut note = None;
        if w.needs_profiles() && self.counts.profiles == 0 {
            note = Some(format!(
                "{} needs preloaded profiles (--profiles)",
                w.name()
            ));
        }
        let mut fixture = Fixture {
            profiles: self.counts.profiles,
            run: rand::random(),
            ..Fixture::default()
        };
        let mut conn = Connection::open(self.server.addr, self.token.as_deref()).await?;
        let first = match w {
            Workload::Page50 => Some(workload::ordered_list_path()),
            Workload::DevicesPage1 | Workload::DevicesPage50 => {
                Some(devices::listed_profile_path())
            }
            _ => None,
        };
        if let Some(first) = first {
            let target = if w == Workload::DevicesPage1 {
                1
            } else {
                workload::PAGE
            };
            fixture.page = Arc::from(match workload::find_page(&mut conn, first, target).await {
                Ok(path) => path,
                Err((path, e)) => {
                    note = Some(format!("could not reach page {target}: {e:#}"));
                    path
                }
            });
        }
        if w == Workload::List {
            note = self.check_filtered_list().await?.or(note);
        }
        if w.is_enrollment() {
            let (n, name) = match w {
                Workload::EnrollOneToken => (1, "Bench one token"),
                _ => (args.concurrency, "Bench enroll"),
            };
            match devices::issue_tokens(&mut conn, n, name).await {
                Ok(tokens) => fixture.tokens = Arc::from(tokens),
                Err(e) => note = Some(format!("no enrollment tokens: {e:#}")),
            }
        }
        Ok((fixture, note))
    }

    /// Asks for the filtered list once: a successful answer must hold exactly the expected
    /// matches, or the workload would measure the wrong thing. Returns a note when it does not.
    async fn check_filtered_list(&self) -> anyhow::Result<Option<String>> {
        let mut conn = Connection::open(self.server.addr, self.token.as_deref()).await?;
        let reply = conn
            .send(&Call::get(workload::filtered_list_path()))
            .await?;
        if !reply.status.is_success() {
            return Ok(None); // counted and shown as errors by the run itself
        }
        let v: serde_json::Value = serde_json::from_slice(&reply.body)?;
        let got = v["value"].as_array().map_or(0, Vec::len) as u64;
        let want = dataset::common_count(self.counts.profiles).min(100);
        Ok((got != want).then(|| {
            format!("the filtered list returned {got} profiles where {want} were expected")
        }))
    }

    /// Stops the server (gracefully) and removes everything the session created.
    pub fn stop(self) -> anyhow::Result<()> {
        self.server.stop()
    }
}
