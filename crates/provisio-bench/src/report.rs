//! The results: one row per workload as a Markdown table, the targets checked against them, and
//! the same numbers as JSON.

use std::fmt::Write as _;

use crate::load::Errors;
use crate::procfs::Memory;
use crate::stats::Summary;
use crate::workload::Workload;

/// Everything measured for one workload.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadResult {
    /// Which workload.
    pub workload: Workload,
    /// Throughput and latency of its successful requests.
    pub summary: Summary,
    /// Its failed requests.
    pub errors: Errors,
    /// Its throughput divided by the baseline's of the same run.
    pub vs_baseline: Option<f64>,
    /// Its throughput divided by `create`'s of the same run.
    #[serde(default)]
    pub vs_create: Option<f64>,
    /// Server CPU over the measured window, in % of one core.
    pub server_cpu_percent: f64,
    /// Load-generator CPU over the measured window, in % of one core.
    pub client_cpu_percent: f64,
    /// The server's memory right after the workload (`VmRSS`, and `VmHWM` since it started).
    pub server_memory: Memory,
    /// The highest `VmRSS` sampled (every 100 ms) during the workload, KiB.
    pub server_rss_peak_sampled_kib: u64,
    /// The machine's 1-minute load average right after the workload. The benchmark's own busy
    /// threads account for roughly 3 to 4 of it; more means other work competed for the cores.
    pub load_average: Option<f64>,
    /// Anything the reader should know (e.g. why page 50 could not be reached).
    pub note: Option<String>,
}

/// Sets every result's `vs_baseline` and `vs_create` from the throughput of the baseline and of
/// `create` in the same list.
pub fn fill_ratios(results: &mut [WorkloadResult]) {
    let rate = |w: Workload| {
        results
            .iter()
            .find(|r| r.workload == w)
            .map(|r| r.summary.rps)
            .filter(|rps| *rps > 0.0)
    };
    let (base, create) = (rate(Workload::Baseline), rate(Workload::Create));
    for r in results {
        r.vs_baseline = base.map(|b| r.summary.rps / b);
        r.vs_create = create.map(|c| r.summary.rps / c);
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// The results as a Markdown table.
pub fn markdown_table(results: &[WorkloadResult]) -> String {
    let mut t = String::from(
        "| Workload | req/s | vs. baseline | vs. create | p50 ms | p95 ms | p99 ms | max ms | errors | server CPU | client CPU | server RSS MiB (peak) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let percent =
        |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{:.0}%", v * 100.0));
    for r in results {
        let s = &r.summary;
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {:.0}% | {:.0}% | {} ({}) |",
            r.workload.name(),
            thousands(s.rps.round() as u64),
            percent(r.vs_baseline),
            percent(r.vs_create),
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.max_ms,
            thousands(r.errors.count),
            r.server_cpu_percent,
            r.client_cpu_percent,
            mib(r.server_memory.rss_kib),
            mib(r.server_memory.hwm_kib),
        );
    }
    t
}

/// A target with whether this run met it (`None`: the run has no number for it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// The target, in words.
    pub target: String,
    /// Met, missed, or not measured.
    pub met: Option<bool>,
    /// The measured value, in words.
    pub measured: String,
}

/// The workloads a change must not slow by more than [`MAX_SLOWDOWN`] against an earlier run.
pub const COMPARED: [Workload; 3] = [Workload::Get, Workload::Create, Workload::List];

/// The largest slowdown against an earlier run that still meets the target.
pub const MAX_SLOWDOWN: f64 = 0.10;

/// The target of enrollments spread over many tokens, on SQLite: this many per second…
pub const ENROLL_RATE: f64 = 3_000.0;

/// …with a p99 under this many milliseconds, and no errors.
pub const ENROLL_P99_MS: f64 = 50.0;

/// The current HTTP targets of docs/BENCHMARKS.md, checked against `results` (run with
/// `profiles` on `backend`), and, given the results of an earlier run, that [`COMPARED`] stay
/// within [`MAX_SLOWDOWN`] of it. (The retired ratios to the baseline are reported in the
/// table, not judged: SQLite on two cores cannot reach them, see "What bounds each missed
/// target".)
pub fn check_targets(
    results: &[WorkloadResult],
    profiles: u64,
    backend: &str,
    earlier: Option<&[WorkloadResult]>,
) -> Vec<Check> {
    let find = |w: Workload| results.iter().find(|r| r.workload == w);
    let mut checks = Vec::new();
    if let Some(earlier) = earlier {
        for w in COMPARED {
            let now = find(w).map(|r| r.summary.rps);
            let before = earlier
                .iter()
                .find(|r| r.workload == w)
                .map(|r| r.summary.rps)
                .filter(|rps| *rps > 0.0);
            let ratio = now.zip(before).map(|(n, b)| n / b);
            checks.push(Check {
                target: format!(
                    "{} within {:.0}% of the earlier run",
                    w.name(),
                    MAX_SLOWDOWN * 100.0
                ),
                met: ratio.map(|r| r >= 1.0 - MAX_SLOWDOWN),
                measured: match (now, before, ratio) {
                    (Some(n), Some(b), Some(r)) => format!(
                        "{}/s against {}/s, {:.0}%",
                        thousands(n.round() as u64),
                        thousands(b.round() as u64),
                        r * 100.0
                    ),
                    _ => "not measured in both runs".into(),
                },
            });
        }
    }
    let token = find(Workload::CreateToken).map(|r| r.summary.rps);
    checks.push(Check {
        target: "createToken ≥ 2,000/s".into(),
        met: token.map(|v| v >= 2000.0),
        measured: token.map_or("not measured".into(), |v| {
            format!("{}/s", thousands(v.round() as u64))
        }),
    });
    let enroll = find(Workload::Enroll);
    checks.push(Check {
        target: format!(
            "enroll (many tokens) on SQLite ≥ {}/s with p99 < {ENROLL_P99_MS:.0} ms and 0 errors",
            thousands(ENROLL_RATE as u64)
        ),
        met: enroll.filter(|_| backend == "sqlite").map(|r| {
            r.summary.rps >= ENROLL_RATE && r.summary.p99_ms < ENROLL_P99_MS && r.errors.count == 0
        }),
        measured: enroll.map_or("not measured".into(), |r| {
            format!(
                "{}/s, p99 {:.2} ms, {} errors on {backend}",
                thousands(r.summary.rps.round() as u64),
                r.summary.p99_ms,
                thousands(r.errors.count)
            )
        }),
    });
    for r in results {
        let ok = r.errors.count == 0 && r.summary.requests > 0;
        // Enrollments have their own latency target (above); for them only errors count here.
        let (target, met) = match r.workload.is_enrollment() {
            true => ("no errors", ok),
            false => ("p99 < 25 ms, no errors", ok && r.summary.p99_ms < 25.0),
        };
        checks.push(Check {
            target: format!("{}: {target}", r.workload.name()),
            met: Some(met),
            measured: format!(
                "p99 {:.2} ms, {} errors",
                r.summary.p99_ms,
                thousands(r.errors.count)
            ),
        });
    }
    let peak = results.iter().map(|r| r.server_memory.hwm_kib).max();
    checks.push(Check {
        target: "server RSS < 150 MB with 1M profiles".into(),
        met: peak
            .filter(|_| profiles >= 1_000_000)
            .map(|p| p * 1024 < 150_000_000),
        measured: peak.map_or("not measured".into(), |p| {
            format!("peak {} MiB with {} profiles", mib(p), thousands(profiles))
        }),
    });
    checks
}

/// The checks as a Markdown list.
pub fn markdown_checks(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let mark = match c.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured here",
        };
        let _ = writeln!(out, "- {}: **{mark}** ({})", c.target, c.measured);
    }
    out
}

#[cfg(test)]
#[path = "report_tests.rs"]
pub(crate) mod tests;
