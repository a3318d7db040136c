//! Runs the fuzz harness for a few seconds as part of the test suite, and replays the seed
//! corpus and the regression inputs (inputs that once broke the parser) through the oracle.

mod common;
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;
use std::time::Duration;

use common::schema::SCHEMA;

fn dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(name)
}

#[test]
fn seed_corpus_and_regressions_pass_the_oracle() {
    let corpus = harness::load_corpus(&dir("corpus"));
    assert!(corpus.len() >= 50, "seed corpus has {} files", corpus.len());
    for input in corpus
        .iter()
        .chain(harness::load_corpus(&dir("regressions")).iter())
    {
        harness::check_one(&String::from_utf8_lossy(input), &SCHEMA);
    }
}

#[test]
fn five_second_fuzz_run_finds_no_panic() {
    let crash_dir = std::env::temp_dir().join(format!("odata-fuzz-smoke-{}", std::process::id()));
    let config = harness::Config {
        duration: Duration::from_secs(5),
        corpus_dir: Some(dir("corpus")),
        crash_dir,
        seed: 0x5eed,
        progress: None,
    };
    let report = harness::run(&config, &SCHEMA);
    assert!(
        report.executions > 1000,
        "only {} executions",
        report.executions
    );
    assert!(
        report.crashes.is_empty(),
        "panicking inputs saved: {:?}",
        report.crashes
    );
}

#[test]
fn five_second_fuzz_run_on_complex_members_finds_no_panic() {
    let crash_dir =
        std::env::temp_dir().join(format!("odata-fuzz-smoke-audit-{}", std::process::id()));
    let config = harness::Config {
        duration: Duration::from_secs(5),
        corpus_dir: Some(dir("corpus")),
        crash_dir,
        seed: 0xa0d17,
        progress: None,
    };
    let report = harness::run(&config, &common::audit::SCHEMA);
    assert!(
        report.executions > 1000,
        "only {} executions",
        report.executions
    );
    assert!(
        report.crashes.is_empty(),
        "panicking inputs saved: {:?}",
        report.crashes
    );
}
