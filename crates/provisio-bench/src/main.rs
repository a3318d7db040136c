//! `provisio-bench`: how fast the service is over HTTP, measured side by side with a baseline.
//!
//! It builds nothing: it starts the release `provisio` binary next to it on `127.0.0.1:0` with a
//! fresh data directory whose database was preloaded directly (not over HTTP), then drives each
//! workload from this process at a fixed concurrency and prints a Markdown table (and JSON) of
//! throughput, latency percentiles, errors and the server's memory. `--growth` instead measures
//! create and the filtered list at several table sizes and draws a chart, `--device-growth` the
//! pages of one profile's devices as managed devices grow; `--heavy` measures reads by id alone
//! and under heavy filtered lists; `--import N` times `provisio profiles import` of N profiles;
//! `--enroll-floor N` adds what SQLite itself allows an enrollment, beside `enroll`.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod args;
mod chart;
mod client;
mod dataset;
mod devices;
mod floor;
mod growth;
mod heavy;
mod import;
mod load;
mod preload;
mod procfs;
mod report;
mod server;
mod session;
mod stats;
mod workload;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

pub use args::Args;
use growth::{Grown, GrowthPoint};
use report::{Check, WorkloadResult};
use session::Session;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(path) = &args.replot {
        return replot(args, path);
    }
    let bin = server::locate_binary(args.server_bin.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads as usize)
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    runtime.block_on(async {
        if args.heavy {
            heavy::run(args, &bin).await
        } else if let Some(rows) = args.import {
            import::run(args, &bin, rows).await
        } else if !args.growth.is_empty() {
            growth_chart(args, &bin, Grown::Profiles, &args.growth).await
        } else if !args.device_growth.is_empty() {
            growth_chart(args, &bin, Grown::Devices, &args.device_growth).await
        } else {
            workloads(args, &bin).await
        }
    })
}

/// Everything a run measured, as written to `--json`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RunReport<'a> {
    finished: String,
    backend: &'static str,
    cpus: usize,
    profiles: u64,
    concurrency: u32,
    duration_seconds: f64,
    warmup_seconds: f64,
    bearer_token: bool,
    server_args: &'a [String],
    preload_seconds: Option<f64>,
    results: &'a [WorkloadResult],
    targets: Vec<Check>,
    growth: &'a [GrowthPoint],
    #[serde(skip_serializing_if = "Option::is_none")]
    enroll_floor: Option<floor::Floors>,
}

impl<'a> RunReport<'a> {
    fn new(args: &'a Args, results: &'a [WorkloadResult], growth: &'a [GrowthPoint]) -> Self {
        RunReport {
            finished: provisio::model::Timestamp::now().to_string(),
            backend: backend(args),
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            profiles: args.profiles,
            concurrency: args.concurrency,
            duration_seconds: args.duration.as_secs_f64(),
            warmup_seconds: args.warmup.as_secs_f64(),
            bearer_token: false,
            server_args: &args.server_arg,
            preload_seconds: None,
            results,
            targets: Vec::new(),
            growth,
            enroll_floor: None,
        }
    }

    fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
        Ok(())
    }
}

/// The workload results of an earlier run's `--json`.
fn read_results(path: &Path) -> anyhow::Result<Vec<WorkloadResult>> {
    #[derive(serde::Deserialize)]
    struct Earlier {
        results: Vec<WorkloadResult>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let earlier: Earlier =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(earlier.results)
}

fn backend(args: &Args) -> &'static str {
    if args.postgres {
        "postgres"
    } else {
        "sqlite"
    }
}

async fn workloads(args: &Args, bin: &Path) -> anyhow::Result<()> {
    let counts = preload::Counts {
        profiles: args.profiles,
        devices: 0,
    };
    let floor = match args.enroll_floor {
        Some(n) => {
            eprintln!("== enroll floor ({n} enrollments straight on SQLite)");
            Some(floor::measure(args.profiles, n).await?)
        }
        None => None,
    };
    let session = Session::start(args, bin, counts).await?;
    let mut results = Vec::new();
    for w in &args.workloads {
        eprintln!("== {}", w.name());
        results.push(session.measure(args, *w).await?);
    }
    let (token, preload) = (session.has_token(), session.preload_time);
    session.stop()?;
    report::fill_ratios(&mut results);
    let earlier = match &args.compare {
        Some(path) => Some(read_results(path)?),
        None => None,
    };
    let checks = report::check_targets(&results, args.profiles, backend(args), earlier.as_deref());
    println!(
        "\n{} · {} profiles · {} connections · {} s per workload\n",
        backend(args),
        report::thousands(args.profiles),
        args.concurrency,
        args.duration.as_secs_f64()
    );
    print!("{}", report::markdown_table(&results));
    let loads: Vec<f64> = results.iter().filter_map(|r| r.load_average).collect();
    if let (Some(lo), Some(hi)) = (
        loads.iter().copied().reduce(f64::min),
        loads.iter().copied().reduce(f64::max),
    ) {
        println!(
            "\nMachine load (1-minute average, {} CPUs) after each workload: {lo:.1} to {hi:.1}.",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    if let Some(f) = &floor {
        print_floor(f, &results);
    }
    println!("\nTargets:\n\n{}", report::markdown_checks(&checks));
    for r in &results {
        if let Some(note) = &r.note {
            println!("- note, {}: {note}", r.workload.name());
        }
        for sample in &r.errors.samples {
            println!("- error, {}: {sample}", r.workload.name());
        }
    }
    if let Some(path) = &args.json {
        let mut out = RunReport::new(args, &results, &[]);
        out.bearer_token = token;
        out.preload_seconds = Some(preload.as_secs_f64());
        out.targets = checks;
        out.enroll_floor = floor;
        out.write(path)?;
    }
    Ok(())
}

/// The floors' lines, and `enroll` as a share of them.
fn print_floor(f: &floor::Floors, results: &[WorkloadResult]) {
    let (a, b) = (&f.sqlite, &f.store);
    println!(
        "\nEnrollment without HTTP, the service's own transaction, {} new devices each:\n\n\
         | Path | enrollments/s | µs each (wall) | CPU µs each |\n|---|---:|---:|---:|",
        report::thousands(a.enrollments)
    );
    let row = |name: &str, x: &floor::Floor| {
        println!(
            "| {name} | {} | {:.0} | {:.0} |",
            report::thousands(x.per_second.round() as u64),
            x.micros_each(),
            x.cpu_seconds * 1e6 / x.enrollments.max(1) as f64
        );
    };
    row(
        &format!("straight on SQLite, one thread, {} per commit", a.batch),
        a,
    );
    row(
        &format!(
            "through the service's store (sqlx, group writer), {} at once",
            floor::CONCURRENT
        ),
        b,
    );
    for r in results
        .iter()
        .filter(|r| r.workload == workload::Workload::Enroll)
    {
        let cpu_each = r.server_cpu_percent / 100.0 / r.summary.rps.max(1e-9) * 1e6;
        row_server(r.summary.rps, cpu_each);
        println!(
            "\nThe server's `enroll` is {:.0}% of SQLite's own rate and {:.0}% of the store's.",
            100.0 * r.summary.rps / a.per_second.max(1e-9),
            100.0 * r.summary.rps / b.per_second.max(1e-9)
        );
    }
}

/// The server's line of the floors' table: its rate and its CPU per enrollment.
fn row_server(rps: f64, cpu_each: f64) {
    println!(
        "| the server over HTTP (`enroll`) | {} | {:.0} | {:.0} |",
        report::thousands(rps.round() as u64),
        1e6 / rps.max(1e-9),
        cpu_each
    );
}

async fn growth_chart(args: &Args, bin: &Path, grown: Grown, sizes: &[u64]) -> anyhow::Result<()> {
    let points = growth::run(args, bin, grown, sizes).await?;
    println!(
        "\n{} · {} connections · {} s per workload\n",
        backend(args),
        args.concurrency,
        args.duration.as_secs_f64()
    );
    print!("{}", growth::markdown_table(&points));
    if grown == Grown::Devices {
        println!(
            "\nTargets:\n\n{}",
            report::markdown_checks(&growth::device_checks(&points))
        );
    }
    chart::draw(
        &points,
        &chart_title(args.postgres, args.concurrency, grown),
        &args.chart,
    )?;
    eprintln!("wrote {}", args.chart.display());
    if let Some(path) = &args.json {
        let mut out = RunReport::new(args, &[], &points);
        out.bearer_token = !points.is_empty() && points.iter().all(|p| p.bearer_token);
        out.write(path)?;
    }
    Ok(())
}

fn chart_title(postgres: bool, concurrency: u32, grown: Grown) -> String {
    let what = match grown {
        Grown::Profiles => "create and filtered list",
        Grown::Devices => "pages 1 and 50 of one profile's devices",
    };
    format!(
        "provisio on {}: {what} vs. {} ({concurrency} connections)",
        if postgres { "PostgreSQL" } else { "SQLite" },
        grown.rows_name(),
    )
}

/// The parts of a saved report that a chart needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedGrowth {
    backend: String,
    concurrency: u32,
    growth: Vec<GrowthPoint>,
}

fn replot(args: &Args, path: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let saved: SavedGrowth = serde_json::from_str(&text)
        .with_context(|| format!("{} is not the JSON of a --growth run", path.display()))?;
    let grown = saved.growth.first().map(|p| p.grown).unwrap_or_default();
    let title = chart_title(saved.backend == "postgres", saved.concurrency, grown);
    chart::draw(&saved.growth, &title, &args.chart)?;
    print!("{}", growth::markdown_table(&saved.growth));
    eprintln!("wrote {}", args.chart.display());
    Ok(())
}
