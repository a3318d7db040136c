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
                bearer_token: session.has_token(),
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
    t.push_str(" server RSS peak MiB |\n|---:|");
    t.push_str(&"---:|".repeat(3 * WORKLOADS.len() + 1));
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
            "| 10,000 | 900 | 3.00 | 0 | 5,000 | 3.00 | 0 | 50 |"
        );
        assert_eq!(lines[3], "| 100,000 | 800 | 3.00 | 0 | — | — | — | 50 |");
    }
}
