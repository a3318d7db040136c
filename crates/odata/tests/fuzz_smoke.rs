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

/// Reads every file of a committed input directory, failing the test when the directory is
/// missing or holds no file: a renamed or emptied directory must not turn the replay into a
/// test that passes without running anything.
fn committed_inputs(name: &str) -> Vec<Vec<u8>> {
    let path = dir(name);
    assert!(
        path.is_dir(),
        "{} is missing; it is committed with the crate",
        path.display()
    );
    let inputs = harness::load_corpus(&path);
    assert!(!inputs.is_empty(), "{} holds no input", path.display());
    inputs
}

#[test]
fn seed_corpus_passes_the_oracle() {
    let corpus = committed_inputs("corpus");
    assert!(corpus.len() >= 50, "seed corpus has {} files", corpus.len());
    for input in &corpus {
        harness::check_one(&String::from_utf8_lossy(input), &SCHEMA);
    }
}

/// `fuzz/regressions/`: inputs kept because they once broke the parser or sit on one of its
/// edges (nesting at and over the limit, values over the length limit, broken and double
/// percent-escapes, odd Unicode, invalid UTF-8, Int32 and date-time bounds).
#[test]
fn regressions_pass_the_oracle() {
    let inputs = committed_inputs("regressions");
    let mut replayed = 0;
    for input in &inputs {
        harness::check_one(&String::from_utf8_lossy(input), &SCHEMA);
        replayed += 1;
    }
    assert!(replayed >= 1, "no regression input was replayed");
}

/// Fuzzes for five seconds from the committed corpus against `schema`: many executions, and no
/// input that panics (those would be saved in a temporary directory named after `name`).
fn five_second_run(name: &str, seed: u64, schema: &odata::Schema) {
    let crash_dir =
        std::env::temp_dir().join(format!("odata-fuzz-smoke-{name}-{}", std::process::id()));
    let config = harness::Config {
        duration: Duration::from_secs(5),
        corpus_dir: Some(dir("corpus")),
        crash_dir,
        seed,
        progress: None,
    };
    let report = harness::run(&config, schema);
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
fn five_second_fuzz_run_finds_no_panic() {
    five_second_run("profile", 0x5eed, &SCHEMA);
}

#[test]
fn five_second_fuzz_run_on_complex_members_finds_no_panic() {
    five_second_run("audit", 0xa0d17, &common::audit::SCHEMA);
}
