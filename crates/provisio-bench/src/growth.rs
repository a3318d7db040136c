//! How the service holds up as a table grows: create and the filtered list as profiles grow
//! (`--growth`), or page 1 and page 50 of one profile's devices as managed devices grow
//! (`--device-growth`). Each size gets a fresh database, preloaded, its own server, and one
//! measurement of each workload.

use std::fmt::Write as _;
use std::path::Path;

use crate::dataset::DEVICE_PROFILES;
use crate::preload::Counts;
use crate::report::{thousands, Check, WorkloadResult};
use crate::session::Session;
use crate::workload::Workload;
use crate::Args;

/// The table a growth run grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Grown {
    /// Profiles: create and the filtered list are measured.
    #[default]
    Profiles,
    /// Managed devices (of [`DEVICE_PROFILES`] profiles): pages 1 and 50 of one profile's
    /// devices are measured.
    Devices,
}

impl Grown {
    /// The workloads measured at every size.
    pub fn workloads(self) -> &'static [Workload] {
        match self {
            Grown::Profiles => &[Workload::Create, Workload::List],
            Grown::Devices => &[Workload::DevicesPage1, Workload::DevicesPage50],
        }
    }

    /// What is preloaded for a size of `rows`.
    pub fn counts(self, rows: u64) -> Counts {
        match self {
            Grown::Profiles => Counts {
                profiles: rows,
                devices: 0,
            },
            Grown::Devices => Counts {
                profiles: DEVICE_PROFILES,
                devices: rows,
            },
        }
    }

    /// What the rows are, in words.
    pub fn rows_name(self) -> &'static str {
        match self {
            Grown::Profiles => "stored profiles",
            Grown::Devices => "stored managed devices",
        }
    }
}

/// One workload measured at one table size.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrowthPoint {
    /// Rows preloaded before the measurement.
    pub rows: u64,
    /// Seconds the preload took.
    pub preload_seconds: f64,
    /// What was measured.
    pub result: WorkloadResult,
    /// Whether the requests carried a bearer token.
    #[serde(default)]
    pub bearer_token: bool,
    /// Which table grew.
    #[serde(default)]
    pub grown: Grown,
}

/// Measures `grown`'s workloads at each of `sizes`, smallest first.
pub async fn run(
    args: &Args,
    bin: &Path,
    grown: Grown,
    sizes: &[u64],
) -> anyhow::Result<Vec<GrowthPoint>> {
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let mut points = Vec::new();
    for rows in sizes {
        eprintln!("== growth: {} {}", thousands(rows), grown.rows_name());
        let session = Session::start(args, bin, grown.counts(rows)).await?;
        for &w in grown.workloads() {
            let result = session.measure(args, w).await?;
            eprintln!(
                "{}: {:.0} req/s, p99 {:.2} ms, {} errors",
                w.name(),
                result.summary.rps,
                result.summary.p99_ms,
                result.errors.count
            );
            points.push(GrowthPoint {
                rows,
                preload_seconds: session.preload_time.as_secs_f64(),
                result,
                bearer_token: session.has_token(),
                grown,
            });
        }
        session.stop()?;
    }
    Ok(points)
}

/// The workloads of `points`, in the order they were measured.
pub fn workloads_of(points: &[GrowthPoint]) -> Vec<Workload> {
    let mut seen = Vec::new();
    for p in points {
        if !seen.contains(&p.result.workload) {
            seen.push(p.result.workload);
        }
    }
    seen
}

/// The points as a Markdown table: one row per size, req/s, p50 and p99 per workload.
pub fn markdown_table(points: &[GrowthPoint]) -> String {
    let grown = points.first().map(|p| p.grown).unwrap_or_default();
    let workloads = workloads_of(points);
    let name = grown.rows_name();
    let mut t = format!("| {}{} |", name[..1].to_uppercase(), &name[1..]);
    for w in &workloads {
        let _ = write!(
            t,
            " {0} req/s | {0} p50 ms | {0} p99 ms | {0} errors |",
            w.name()
        );
    }
    t.push_str(" server RSS peak MiB |\n|---:|");
    t.push_str(&"---:|".repeat(4 * workloads.len() + 1));
    t.push('\n');
    let mut rows: Vec<u64> = points.iter().map(|p| p.rows).collect();
    rows.dedup();
    for n in rows {
        let _ = write!(t, "| {} |", thousands(n));
        for w in &workloads {
            match points
                .iter()
                .find(|p| p.rows == n && p.result.workload == *w)
            {
                Some(p) => {
                    let s = &p.result.summary;
                    let _ = write!(
                        t,
                        " {} | {:.2} | {:.2} | {} |",
                        thousands(s.rps.round() as u64),
                        s.p50_ms,
                        s.p99_ms,
                        thousands(p.result.errors.count)
                    );
                }
                None => t.push_str(" — | — | — | — |"),
            }
        }
        let peak = points
            .iter()
            .filter(|p| p.rows == n)
            .map(|p| p.result.server_memory.hwm_kib)
            .max()
            .unwrap_or(0);
        let _ = writeln!(t, " {:.0} |", peak as f64 / 1024.0);
    }
    t
}

/// The latency target of a page of one profile's devices, in milliseconds (the median, as the
/// list benchmark of profiles judges its queries).
pub const DEVICE_PAGE_MS: f64 = 10.0;

/// The device growth run's targets: every page's median under [`DEVICE_PAGE_MS`], no errors.
pub fn device_checks(points: &[GrowthPoint]) -> Vec<Check> {
    points
        .iter()
        .map(|p| {
            let s = &p.result.summary;
            Check {
                target: format!(
                    "{} with {} managed devices: median < {DEVICE_PAGE_MS:.0} ms, no errors",
                    p.result.workload.name(),
                    thousands(p.rows)
                ),
                met: Some(
                    s.requests > 0 && p.result.errors.count == 0 && s.p50_ms < DEVICE_PAGE_MS,
                ),
                measured: format!(
                    "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} errors",
                    s.p50_ms,
                    s.p95_ms,
                    s.p99_ms,
                    thousands(p.result.errors.count)
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::result;

    #[test]
    fn one_row_per_size_with_both_workloads() {
        let point = |rows, w, rps| GrowthPoint {
            rows,
            preload_seconds: 1.0,
            result: result(w, rps, 3.0, 0),
            bearer_token: true,
            grown: Grown::Profiles,
        };
        let t = markdown_table(&[
            point(10_000, Workload::Create, 900.0),
            point(10_000, Workload::List, 5000.0),
            point(100_000, Workload::Create, 800.0),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].matches('|').count(), lines[0].matches('|').count());
        assert_eq!(
            lines[2],
            "| 10,000 | 900 | 1.00 | 3.00 | 0 | 5,000 | 1.00 | 3.00 | 0 | 50 |"
        );
        assert_eq!(
            lines[3],
            "| 100,000 | 800 | 1.00 | 3.00 | 0 | — | — | — | — | 50 |"
        );
        assert!(lines[0].starts_with("| Stored profiles | create req/s | create p50 ms |"));
    }
}
