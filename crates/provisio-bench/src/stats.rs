//! Latencies: every request's time goes into an HDR histogram (microseconds, 3 significant
//! digits), summarised as throughput and percentiles in milliseconds.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest latency the histogram tracks exactly (longer ones are clamped): one minute.
const MAX_MICROS: u64 = 60_000_000;

/// A latency histogram in microseconds.
pub fn new_histogram() -> Histogram<u64> {
    // Infallible for these constant bounds; a failure would be a programming error.
    Histogram::new_with_bounds(1, MAX_MICROS, 3).unwrap_or_else(|e| panic!("histogram: {e}"))
}

/// Records one latency, clamped into the tracked range.
pub fn record(h: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
    h.saturating_record(micros.clamp(1, MAX_MICROS));
}

/// Throughput and latency of one workload.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Requests completed in the measured window.
    pub requests: u64,
    /// Length of the measured window, in seconds.
    pub seconds: f64,
    /// Requests per second.
    pub rps: f64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 95th percentile, ms (absent from reports written before it was kept).
    #[serde(default)]
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Slowest request, ms.
    pub max_ms: f64,
}

impl Summary {
    /// Summarises `h`, whose requests completed within `window`.
    pub fn of(h: &Histogram<u64>, window: Duration) -> Summary {
        let seconds = window.as_secs_f64();
        let ms = |micros: u64| micros as f64 / 1000.0;
        let empty = h.is_empty();
        let q = |q: f64| {
            if empty {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        Summary {
            requests: h.len(),
            seconds,
            rps: if seconds > 0.0 {
                h.len() as f64 / seconds
            } else {
                0.0
            },
            mean_ms: if empty { 0.0 } else { h.mean() / 1000.0 },
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: if empty { 0.0 } else { ms(h.max()) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = new_histogram();
        // 1 ms .. 100 ms, one request each.
        for ms in 1..=100 {
            record(&mut h, Duration::from_millis(ms));
        }
        let s = Summary::of(&h, Duration::from_secs(2));
        assert_eq!(s.requests, 100);
        assert!((s.rps - 50.0).abs() < 1e-9);
        assert!((s.p50_ms - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p95_ms - 95.0).abs() < 0.1, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 0.1, "{s:?}");
        assert!((s.max_ms - 100.0).abs() < 0.1, "{s:?}");
        assert!((s.mean_ms - 50.5).abs() < 0.1, "{s:?}");
    }

    #[test]
    fn extremes_are_clamped_not_lost() {
        let mut h = new_histogram();
        record(&mut h, Duration::ZERO);
        record(&mut h, Duration::from_secs(3600));
        assert_eq!(h.len(), 2);
        let s = Summary::of(&h, Duration::from_secs(1));
        assert!(s.max_ms >= 59_000.0);
    }

    #[test]
    fn an_empty_run_is_all_zeros() {
        let s = Summary::of(&new_histogram(), Duration::ZERO);
        assert_eq!((s.requests, s.rps, s.p99_ms), (0, 0.0, 0.0));
    }
}
