//! `--import N`: `provisio profiles import` of N profiles from a CSV file into an empty server,
//! through `$batch` (the default), then the same file again (every key found, nothing created),
//! then N other profiles with one request per row (`--no-batch`), each timed. The importer is
//! the product's own code (`provisio::client::import`), run in this process against the release
//! server.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use provisio::client::import::report::Summary;
use provisio::client::import::{run_until, ImportArgs, Target};

use crate::preload::Counts;
use crate::procfs;
use crate::report::thousands;
use crate::session::Session;
use crate::Args;

/// A CSV file of `n` profiles named `{prefix} {i}`, with the members an administrator sets.
pub fn csv(n: u64, prefix: &str) -> String {
    let mut text = String::from(
        "displayName,description,enrollmentMode,wifiSsid,wifiSecurityType,wifiPassword,roleScopeTagIds\n",
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "{prefix} {i:06},\"Store {i}, back office\",corporateOwnedDedicatedDevice,store-{i},wpa,password-{i},0;{}",
            i % 50
        );
    }
    text
}

/// Runs the three imports and prints their table.
pub async fn run(args: &Args, bin: &Path, rows: u64) -> anyhow::Result<()> {
    let counts = Counts {
        profiles: 0,
        devices: 0,
    };
    let session = Session::start(args, bin, counts).await?;
    let token = session
        .token()
        .context("the server issued no development token")?
        .to_owned();
    let target = Target {
        http: reqwest::Client::new(),
        base: format!("http://{}/", session.addr()).parse()?,
        token,
    };
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let batched = dir.path().join("batched.csv");
    let plain = dir.path().join("plain.csv");
    std::fs::write(&batched, csv(rows, "Batched"))?;
    std::fs::write(&plain, csv(rows, "Plain"))?;
    let load_before = procfs::load_average();

    let mut results = Vec::new();
    for (name, file, no_batch) in [
        ("$batch, empty server", &batched, false),
        ("$batch, the same file again", &batched, false),
        ("one request per row", &plain, true),
    ] {
        eprintln!("== import: {name}");
        let import = ImportArgs {
            file: file.clone(),
            format: None,
            key: "displayName".into(),
            update: false,
            concurrency: 4,
            state: None,
            restart: true,
            errors: None,
            no_batch,
        };
        let mut out = Vec::new();
        let summary = run_until(&target, &import, &mut out, std::future::pending()).await;
        let summary = summary.with_context(|| String::from_utf8_lossy(&out).into_owned())?;
        anyhow::ensure!(
            summary.failed == 0,
            "{} rows failed:\n{}",
            summary.failed,
            String::from_utf8_lossy(&out)
        );
        results.push((name, summary));
    }
    let load_after = procfs::load_average();
    println!("{}", table(&results));
    let load = |l: Option<f64>| l.map_or("?".to_owned(), |l| format!("{l:.2}"));
    println!(
        "load average (1 min) before {}, after {}; {} CPUs; concurrency 4",
        load(load_before),
        load(load_after),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    session.stop()
}

/// The Markdown table of the runs.
fn table(results: &[(&str, Summary)]) -> String {
    let mut out = String::from(
        "| import | rows | created | skipped | failed | time | rows/s |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, s) in results {
        let seconds = s.elapsed.max(Duration::from_millis(1)).as_secs_f64();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {seconds:.1} s | {} |",
            thousands(s.rows as u64),
            thousands(s.created as u64),
            thousands(s.skipped as u64),
            s.failed,
            thousands((s.handled() as f64 / seconds) as u64),
        );
    }
    out
}
