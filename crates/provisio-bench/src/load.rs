//! The load generator: `concurrency` workers, each with its own keep-alive connection, sending
//! one workload's requests back to back until the time (or the request budget) runs out.
//! Successful requests' latencies go into the histogram; everything else is an error.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use tokio::sync::Barrier;

use crate::client::Connection;
use crate::stats;
use crate::workload::{Fixture, Worker, Workload};

/// Distinct error messages kept as examples.
const ERROR_SAMPLES: usize = 3;

/// How to drive one workload.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The server (loopback only).
    pub addr: SocketAddr,
    /// The bearer token, when the server takes one.
    pub token: Option<String>,
    /// Connections and workers.
    pub concurrency: u32,
    /// Unmeasured time first.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// At most this many requests in all.
    pub max_requests: u64,
    /// What the requests are made from.
    pub fixture: Fixture,
}

impl LoadConfig {
    /// The bearer token `workload`'s requests carry.
    fn token_for(&self, workload: Workload) -> Option<&str> {
        self.token.as_deref().filter(|_| workload.bearer())
    }
}

/// Requests that failed: a non-2xx status or a transport error.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Errors {
    /// How many, warm-up included.
    pub count: u64,
    /// By kind: `HTTP 400`, `transport`.
    pub kinds: BTreeMap<String, u64>,
    /// The first few distinct messages.
    pub samples: Vec<String>,
}

impl Errors {
    pub fn add(&mut self, kind: String, message: String) {
        self.count += 1;
        *self.kinds.entry(kind).or_default() += 1;
        if self.samples.len() < ERROR_SAMPLES && !self.samples.contains(&message) {
            self.samples.push(message);
        }
    }

    pub fn merge(&mut self, other: Errors) {
        self.count += other.count;
        for (k, n) in other.kinds {
            *self.kinds.entry(k).or_default() += n;
        }
        for m in other.samples {
            if self.samples.len() < ERROR_SAMPLES && !self.samples.contains(&m) {
                self.samples.push(m);
            }
        }
    }
}

/// What one workload run measured.
#[derive(Debug)]
pub struct Outcome {
    /// Latencies of the successful requests of the measured window.
    pub histogram: Histogram<u64>,
    /// From the end of the warm-up to the last measured completion.
    pub window: Duration,
    /// The failures.
    pub errors: Errors,
}

struct WorkerResult {
    histogram: Histogram<u64>,
    errors: Errors,
    last_done: Option<Instant>,
}

/// Runs `workload` as configured.
pub async fn run(cfg: &LoadConfig, workload: Workload) -> anyhow::Result<Outcome> {
    let n = cfg.concurrency as usize;
    let barrier = Arc::new(Barrier::new(n));
    let t0 = Arc::new(OnceLock::<Instant>::new());
    let concurrency = u64::from(cfg.concurrency);
    let budget = match workload.request_cap() {
        // Rounded down, so that the workers together never send more than the cap.
        Some(cap) => (cap.min(cfg.max_requests) / concurrency).max(1),
        None => cfg.max_requests.div_ceil(concurrency),
    };
    let mut tasks = Vec::with_capacity(n);
    for w in 0..n {
        let conn = Connection::open(cfg.addr, cfg.token_for(workload))
            .await
            .context("opening the load connections")?;
        let (cfg, barrier, t0) = (cfg.clone(), barrier.clone(), t0.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let t0 = *t0.get_or_init(Instant::now);
            worker(conn, &cfg, workload, w as u64, t0, budget).await
        }));
    }
    let mut histogram = stats::new_histogram();
    let mut errors = Errors::default();
    let mut last = None::<Instant>;
    for t in tasks {
        let r = t.await.context("a load worker failed")?;
        histogram.add(&r.histogram).context("merging histograms")?;
        errors.merge(r.errors);
        last = last.max(r.last_done);
    }
    let measure_from = t0.get().map(|t| *t + cfg.warmup);
    let window = match (measure_from, last) {
        (Some(from), Some(last)) if last > from => last - from,
        _ => cfg.duration,
    };
    Ok(Outcome {
        histogram,
        window,
        errors,
    })
}

async fn worker(
    mut conn: Connection,
    cfg: &LoadConfig,
    workload: Workload,
    seed: u64,
    t0: Instant,
    budget: u64,
) -> WorkerResult {
    let measure_from = t0 + cfg.warmup;
    let end = measure_from + cfg.duration;
    let mut state = Worker::new(seed);
    let mut out = WorkerResult {
        histogram: stats::new_histogram(),
        errors: Errors::default(),
        last_done: None,
    };
    let mut sent = 0;
    loop {
        let started = Instant::now();
        if started >= end || sent >= budget {
            break;
        }
        sent += 1;
        let call = workload.call(&cfg.fixture, &mut state);
        let result = conn.send(&call).await;
        let done = Instant::now();
        match result {
            Ok(reply) if reply.status.is_success() => {
                if started >= measure_from {
                    stats::record(&mut out.histogram, done - started);
                    out.last_done = Some(done);
                }
            }
            Ok(reply) => {
                let message = describe_error(reply.status.as_u16(), &reply.body);
                out.errors
                    .add(format!("HTTP {}", reply.status.as_u16()), message);
            }
            Err(e) => {
                out.errors.add("transport".into(), format!("{e:#}"));
                match Connection::open(cfg.addr, cfg.token_for(workload)).await {
                    Ok(c) => conn = c,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }
    }
    out
}

/// A failed response in words: the Graph error's code and message (without the request ids
/// and date, so that equal failures read the same), or the start of the body.
pub fn describe_error(status: u16, body: &[u8]) -> String {
    let graph = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let e = v.get("error")?;
            Some(format!(
                "{}: {}",
                e.get("code")?.as_str()?,
                e.get("message")?.as_str()?
            ))
        });
    let text = graph.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    format!("{status} {}", short(&text, 300))
}

/// The first `max` characters of `s`, on one line.
pub fn short(s: &str, max: usize) -> String {
    let one_line: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_counts_and_a_few_distinct_samples() {
        let mut a = Errors::default();
        for i in 0..5 {
            a.add("HTTP 400".into(), format!("400 message {}", i % 2));
        }
        let mut b = Errors::default();
        b.add("transport".into(), "reset".into());
        b.add("transport".into(), "reset".into());
        a.merge(b);
        assert_eq!(a.count, 7);
        assert_eq!(a.kinds["HTTP 400"], 5);
        assert_eq!(a.kinds["transport"], 2);
        assert_eq!(a.samples, ["400 message 0", "400 message 1", "reset"]);
    }

    #[test]
    fn describes_graph_errors_without_their_ids() {
        let body = br#"{"error":{"code":"BadRequest","message":"The query option '$filter' is not supported.","innerError":{"date":"2026-11-23T12:57:31","request-id":"84c1"}}}"#;
        assert_eq!(
            describe_error(400, body),
            "400 BadRequest: The query option '$filter' is not supported."
        );
        assert_eq!(describe_error(502, b"bad gateway"), "502 bad gateway");
    }

    #[test]
    fn shortens_on_a_character_boundary() {
        assert_eq!(short("héllo\nworld", 7), "héllo w…");
        assert_eq!(short("ok", 7), "ok");
    }
}
