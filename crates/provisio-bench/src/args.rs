//! The command line of `provisio-bench`, and the small parsers behind its values (durations such
//! as `10s`, size lists such as `10000,100000`, workload lists).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::workload::Workload;

/// Drives the release `provisio` binary with HTTP load at a fixed concurrency and reports
/// throughput, latency percentiles, errors and the server's memory, workload by workload.
#[derive(Parser, Debug, Clone)]
#[command(name = "provisio-bench", version, about)]
pub struct Args {
    /// Profiles preloaded straight into the database before the server starts.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub profiles: u64,
    /// Keep-alive connections, each driven by one worker that sends requests back to back.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Measured time per workload, e.g. 10s, 500ms, 1m.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Unmeasured time per workload before the measurement starts.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Workloads to run, in order (comma-separated).
    #[arg(long, value_delimiter = ',',
          default_value = "baseline,create,get,list,page50,patch,createToken,enroll,enrollOneToken",
          value_parser = parse_workload)]
    pub workloads: Vec<Workload>,
    /// Store the data in a throw-away PostgreSQL cluster instead of SQLite.
    #[arg(long)]
    pub postgres: bool,
    /// Write every number of the run as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Instead of the workload table: run create and the filtered list at each of these stored
    /// row counts (comma-separated, each in a fresh database) and chart the result.
    #[arg(long, value_delimiter = ',', value_parser = parse_count, value_name = "N,N,...")]
    pub growth: Vec<u64>,
    /// Instead of the workload table: preload 1,000 profiles and, at each of these sizes
    /// (comma-separated, each in a fresh database, at least 10,000), that many managed devices,
    /// 10,000 of them of one profile; measure page 1 and page 50 of that profile's devices
    /// (`$filter=enrollmentProfileId eq ...`) and chart the result.
    #[arg(long, value_delimiter = ',', value_parser = parse_device_count, value_name = "N,N,...",
          conflicts_with_all = ["growth", "compare"])]
    pub device_growth: Vec<u64>,
    /// Instead of the workload table: preload 55,000 profiles and measure reads by id
    /// (`--concurrency` connections) alone, then while 20 clients send lists whose `$filter`
    /// holds 100 `contains` conditions; prints both p95s and the target.
    #[arg(long, conflicts_with_all = ["growth", "device_growth", "replot", "compare"])]
    pub heavy: bool,
    /// Instead of the workload table: import this many profiles from a CSV file into an empty
    /// server with `provisio profiles import` ($batch, then the same file again, then one
    /// request per row) and time each.
    #[arg(long, value_parser = parse_count, value_name = "N",
          conflicts_with_all = ["growth", "device_growth", "heavy", "replot", "compare"])]
    pub import: Option<u64>,
    /// Before the workloads: run the service's enrollment transaction this many times straight
    /// on SQLite's library on one thread (no HTTP, no driver hand-offs), on a database preloaded
    /// as the server's, and print that rate beside `enroll`'s: the most one SQLite writer allows
    /// an enrollment on this machine.
    #[arg(long, value_parser = parse_count, value_name = "N",
          conflicts_with_all = ["growth", "device_growth", "heavy", "replot", "import", "postgres"])]
    pub enroll_floor: Option<u64>,
    /// Where the growth chart (PNG) goes.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "docs/benchmarks/growth.png"
    )]
    pub chart: PathBuf,
    /// Measure nothing: redraw the growth chart (`--chart`) from the JSON of an earlier
    /// `--growth` run.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["growth", "device_growth", "postgres", "json"])]
    pub replot: Option<PathBuf>,
    /// Upper bound of requests per workload, whatever the duration.
    #[arg(long, default_value_t = 20_000_000)]
    pub max_requests: u64,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub client_threads: u32,
    /// The provisio binary; by default `provisio` next to this program (target/release).
    #[arg(long, value_name = "FILE")]
    pub server_bin: Option<PathBuf>,
    /// The JSON (`--json`) of an earlier run to hold this one against: the `get`, `create` and
    /// `list` rates must stay within 10% of it (run both back to back, on one machine).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["growth", "replot"])]
    pub compare: Option<PathBuf>,
    /// One more argument for `provisio serve` (repeat for several), e.g.
    /// `--server-arg=--sqlite-mmap-mib=1024`.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub server_arg: Vec<String>,
}

/// Parses `10s`, `250ms`, `2m`, `1.5s` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a duration; write e.g. 10s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        other => return Err(format!("unknown unit '{other}' in '{s}'; use ms, s or m")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!(
            "'{s}' is out of range; use more than 0 and at most 1 hour"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses a row count such as `100000`, `100_000`, `100k` or `1M`.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let (digits, factor) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
        _ => (t.as_str(), 1),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a row count; write e.g. 10000, 100k or 1M"))?;
    n.checked_mul(factor)
        .filter(|n| *n <= 100_000_000)
        .ok_or_else(|| format!("'{s}' is too large (at most 100M rows)"))
}

/// Parses a count of managed devices: as [`parse_count`], and at least the devices of the
/// listed profile, so that its page 50 exists.
pub fn parse_device_count(s: &str) -> Result<u64, String> {
    let n = parse_count(s)?;
    if n < crate::dataset::LISTED_DEVICES {
        return Err(format!(
            "'{s}' is too small: the listed profile alone holds {} devices",
            crate::dataset::LISTED_DEVICES
        ));
    }
    Ok(n)
}

/// Parses a workload name.
pub fn parse_workload(s: &str) -> Result<Workload, String> {
    Workload::from_name(s.trim()).ok_or_else(|| {
        let names: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
        format!("unknown workload '{s}'; choose from {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_usual_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["", "s", "0s", "-1s", "10h", "2 hours", "5000s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_with_suffixes() {
        assert_eq!(parse_count("10000"), Ok(10_000));
        assert_eq!(parse_count("100_000"), Ok(100_000));
        assert_eq!(parse_count("100k"), Ok(100_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        for bad in ["", "k", "ten", "1e6", "1000M"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_whole_command_line() {
        let a = Args::try_parse_from([
            "provisio-bench",
            "--profiles",
            "5000",
            "--duration",
            "2s",
            "--workloads",
            "baseline,get,createToken",
            "--growth",
            "10k,100k",
            "--json",
            "out.json",
        ])
        .unwrap();
        assert_eq!(a.profiles, 5000);
        assert_eq!(a.concurrency, 64);
        assert_eq!(a.duration, Duration::from_secs(2));
        assert_eq!(
            a.workloads,
            [Workload::Baseline, Workload::Get, Workload::CreateToken]
        );
        assert_eq!(a.growth, [10_000, 100_000]);
        assert_eq!(a.json, Some(PathBuf::from("out.json")));
        assert!(!a.postgres);

        let replot =
            Args::try_parse_from(["provisio-bench", "--replot", "g.json", "--chart", "g.png"])
                .unwrap();
        assert_eq!(replot.replot, Some(PathBuf::from("g.json")));
        assert!(
            Args::try_parse_from(["provisio-bench", "--replot", "g.json", "--growth", "1k"])
                .is_err()
        );

        let defaults = Args::try_parse_from(["provisio-bench"]).unwrap();
        assert_eq!(defaults.workloads, Workload::defaults());
        assert!(defaults.growth.is_empty() && defaults.device_growth.is_empty());

        let devices =
            Args::try_parse_from(["provisio-bench", "--device-growth", "10k,1M"]).unwrap();
        assert_eq!(devices.device_growth, [10_000, 1_000_000]);

        for bad in [
            &["provisio-bench", "--workloads", "baseline,nope"][..],
            &["provisio-bench", "--concurrency", "0"],
            &["provisio-bench", "--duration", "forever"],
            &["provisio-bench", "--device-growth", "5000"],
            &[
                "provisio-bench",
                "--device-growth",
                "10k",
                "--growth",
                "10k",
            ],
        ] {
            assert!(Args::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
