//! Stable-Rust fuzzer for the OData parsers (see `fuzz/harness.rs`).
//!
//! ```text
//! cargo run --release -p odata --example fuzz -- --seconds 600 --corpus crates/odata/fuzz/corpus
//!     [--crashes crates/odata/fuzz/crashes] [--seed N]
//! ```
//! Prints progress and the execution count; exits 1 if any input panicked (the input is saved
//! under the crash directory), 2 on bad arguments.

#![forbid(unsafe_code)]

#[path = "../fuzz/harness.rs"]
mod harness;
#[path = "../tests/common/schema.rs"]
mod schema;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    let mut config = harness::Config {
        duration: Duration::from_secs(60),
        corpus_dir: None,
        crash_dir: PathBuf::from("crates/odata/fuzz/crashes"),
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        progress: Some(Duration::from_secs(10)),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let ok = match (flag.as_str(), value) {
            ("--seconds", Some(v)) => v
                .parse()
                .map(|s| config.duration = Duration::from_secs(s))
                .is_ok(),
            ("--corpus", Some(v)) => {
                config.corpus_dir = Some(PathBuf::from(v));
                true
            }
            ("--crashes", Some(v)) => {
                config.crash_dir = PathBuf::from(v);
                true
            }
            ("--seed", Some(v)) => v.parse().map(|s| config.seed = s).is_ok(),
            _ => false,
        };
        if !ok {
            eprintln!(
                "usage: fuzz [--seconds N] [--corpus DIR] [--crashes DIR] [--seed N] (bad: {flag})"
            );
            return ExitCode::from(2);
        }
    }
    println!(
        "fuzzing for {:?} with seed {}",
        config.duration, config.seed
    );
    let report = harness::run(&config, &schema::SCHEMA);
    println!(
        "done: executions {}, panics {}, features {}, corpus {}",
        report.executions,
        report.crashes.len(),
        report.features,
        report.corpus
    );
    if report.crashes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
