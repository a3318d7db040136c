//! How create and the filtered list hold up as the table grows: each size gets a fresh
//! database, preloaded, its own server, and one measurement of each workload.

use std::fmt::Write as _;
use std::path::Path;

use crate::report::{thousands, WorkloadResult};
use crate::session::Session;
use crate::workload::Workload;
use crate::Args;

/// The workloads measured at every size.
pub const WORKLOADS: [Workload; 2] = [Workload::Create, Workload::List];

/// One workload measured at one table size.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrowthPoint {
    /// Rows preloaded before the measurement.
    pub rows: u64,
    /// Seconds the preload took.
    pub preload_seconds: f64,
    /// What was measured.
    pub result: WorkloadResult,
}

/// Measures [`WORKLOADS`] at each of `args.growth`'s sizes, smallest first.
pub async fn run(args: &Args, bin: &Path) -> anyhow::Result<Vec<GrowthPoint>> {
    let mut sizes = args.growth.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let mut points = Vec::new();
    for rows in sizes {
        eprintln!("== growth: {} rows", thousands(rows));
        let session = Session::start(args, bin, rows).await?;
        for w in WORKLOADS {
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
            });
        }
        session.stop()?;
    }
    Ok(points)
}

/// The points as a Markdown table: one row per size, req/s and p99 per workload.
pub fn markdown_table(points: &[GrowthPoint]) -> String {
    let mut t = String::from("| Stored profiles |");
    for w in WORKLOADS {
        let _ = write!(t, " {0} req/s | {0} p99 ms | {0} errors |", w.name());
    }
    t.push_str("\n|---:|");
    t.push_str(&"---:|".repeat(3 * WORKLOADS.len()));
    t.push('\n');
    let mut rows: Vec<u64> = points.iter().map(|p| p.rows).collect();
    rows.dedup();
    for n in rows {
        let _ = write!(t, "| {} |", thousands(n));
        for w in WORKLOADS {
            match points
                .iter()
                .find(|p| p.rows == n && p.result.workload == w)
            {
                Some(p) => {
                    let s = &p.result.summary;
                    let _ = write!(
                        t,
                        " {} | {:.2} | {} |",
                        thousands(s.rps.round() as u64),
                        s.p99_ms,
                        thousands(p.result.errors.count)
                    );
                }
                None => t.push_str(" — | — | — |"),
            }
        }
        t.push('\n');
    }
    t
}
