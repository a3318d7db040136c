//! A small mutation fuzzer for stable Rust (no nightly, no libFuzzer): it mutates corpus inputs
//! (bit flips, splices, grammar-token insertion, range duplication, percent-escapes, random
//! bytes), runs every entry point under `catch_unwind`, and also checks that whatever parses
//! prints back to text that parses to the same value. Inputs reaching a new outcome (a new
//! error template or AST shape) join the in-memory corpus, a poor man's coverage signal.
//!
//! Shared by `examples/fuzz.rs` (long runs) and `tests/fuzz_smoke.rs` (a few seconds).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use odata::{parse_filter, parse_orderby, parse_query, parse_select, Filter, Limits, Schema};

/// How to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to fuzz.
    pub duration: Duration,
    /// Seed files (each file one input); may be absent.
    pub corpus_dir: Option<PathBuf>,
    /// Where a panicking input is written.
    pub crash_dir: PathBuf,
    /// The RNG seed.
    pub seed: u64,
    /// Print progress every this often (`None`: silent).
    pub progress: Option<Duration>,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Report {
    /// Inputs executed.
    pub executions: u64,
    /// Files written for panicking inputs.
    pub crashes: Vec<PathBuf>,
    /// Distinct outcomes seen.
    pub features: usize,
    /// Inputs in the corpus at the end.
    pub corpus: usize,
}

/// Grammar fragments worth inserting.
const TOKENS: &[&str] = &[
    " eq ",
    " ne ",
    " gt ",
    " ge ",
    " lt ",
    " le ",
    " and ",
    " or ",
    "not ",
    " in ",
    "(",
    ")",
    ",",
    "'",
    "''",
    "'a'",
    "''''",
    "null",
    "true",
    "FALSE",
    "EQ",
    "/any(",
    "/any()",
    "/all(t:",
    "t:",
    "t",
    " t eq '0'",
    "startswith(",
    "endswith(",
    "contains(",
    "tolower(",
    "displayName",
    "description",
    "enrollmentMode",
    "wifiSecurityType",
    "roleScopeTagIds",
    "configureWifi",
    "createdDateTime",
    "enrolledDeviceCount",
    "wifiPassword",
    "qrCodeImage",
    "qrCodeImage/type",
    "/type",
    "actor/userPrincipalName",
    "actor/type",
    "actor",
    "resources/any(r:r/resourceId eq 'x')",
    "resources/all(r:",
    "r/displayName",
    "/all(",
    "id",
    "microsoft.graph.androidDeviceOwnerEnrollmentMode'",
    "graph.aospWifiSecurityType'wpa'",
    "'corporateOwnedFullyManaged'",
    "2026-01-02T03:04:05Z",
    "0001-01-01T00:00:00-00:01",
    "9999-12-31T23:59:59.99999999+00:00",
    "2024-02-29T23:59:60Z",
    "2026-01-02",
    "1.5",
    "-0",
    "2147483648",
    "-2147483649",
    "99999999999999999999",
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "$filter=",
    "&$top=",
    "&$skip=",
    "&$select=",
    "&$orderby=",
    "&$count=true",
    "&$search=\"",
    "&$skiptoken=",
    "&$expand=",
    "&$format=",
    "%24",
    "%20",
    "%27",
    "%2B",
    "%25",
    "%",
    "%C3%A9",
    "%FF",
    "+",
    " desc",
    " asc",
    "*",
    "\"",
    "\\",
    "é",
    "😀",
    "\u{FEFF}",
    "\t",
    "$it",
    "[",
    "=",
];

/// The oracle: runs every entry point; panics on a bug (a panic inside, or a round trip
/// that does not reproduce the value). Returns the outcome's features: error templates, and
/// the parent→child node kinds of any parsed filter.
pub fn check_one(input: &str, schema: &Schema) -> Vec<u64> {
    let limits = Limits::DEFAULT;
    let roomy = Limits {
        max_value_len: usize::MAX,
        ..limits
    };
    let mut features = Vec::new();
    let mut feature = |tag: &str, detail: &str| {
        let mut h = DefaultHasher::new();
        (tag, detail).hash(&mut h);
        features.push(h.finish());
    };
    match parse_query(input, schema, &limits) {
        Ok(q) => {
            let printed = q.to_query_string();
            let back = parse_query(&printed, schema, &roomy);
            assert!(
                back.as_ref() == Ok(&q),
                "query round trip: {printed:?} -> {back:?}"
            );
            for part in printed.split('&') {
                feature("query-ok", part.split('=').next().unwrap_or(""));
            }
            if let Some(f) = &q.filter {
                walk(f, "root", &mut feature);
            }
        }
        Err(e) => feature("query-err", &template(&e)),
    }
    match parse_filter(input, schema, &limits) {
        Ok(f) => {
            let printed = f.to_string();
            let back = parse_filter(&printed, schema, &roomy);
            assert!(
                back.as_ref() == Ok(&f),
                "filter round trip: {printed:?} -> {back:?}"
            );
            walk(&f, "root", &mut feature);
        }
        Err(e) => feature("filter-err", &template(&e)),
    }
    match parse_select(input, schema) {
        Ok(s) => assert_eq!(parse_select(&s.to_string(), schema).as_ref(), Ok(&s)),
        Err(e) => feature("select-err", &template(&e)),
    }
    match parse_orderby(input, schema) {
        Ok(o) => assert_eq!(
            parse_orderby(&odata::format_orderby(&o), schema).as_ref(),
            Ok(&o)
        ),
        Err(e) => feature("orderby-err", &template(&e)),
    }
    features
}

/// Records a feature per parent→child edge of the filter, labelled by node kind.
fn walk(f: &Filter, parent: &str, feature: &mut impl FnMut(&str, &str)) {
    let kind = match f {
        Filter::And(_) => "and".to_owned(),
        Filter::Or(_) => "or".to_owned(),
        Filter::Not(_) => "not".to_owned(),
        Filter::Compare { prop, op, .. } => format!("cmp {} {op}", prop.ty().edm_name()),
        Filter::IsNull { negated, .. } => format!("null {negated}"),
        Filter::In { prop, values } => {
            format!("in {} {}", prop.ty().edm_name(), values.len().min(3))
        }
        Filter::StringMatch { func, .. } => format!("fn {func}"),
        Filter::Any { lambda, .. } => format!("any {}", lambda.is_some()),
        Filter::AnyComplex { lambda, .. } => format!("any complex {}", lambda.is_some()),
    };
    feature(parent, &kind);
    match f {
        Filter::And(items) | Filter::Or(items) => {
            for item in items {
                walk(item, &kind, feature);
            }
        }
        Filter::Not(inner) => walk(inner, &kind, feature),
        Filter::AnyComplex {
            lambda: Some(l), ..
        } => walk(&l.predicate, &kind, feature),
        _ => {}
    }
}

/// The error's kind, option and the first plain words of its message (lower-case letters
/// only, before any quote, so that user text does not make every error look new).
fn template(e: &odata::QueryError) -> String {
    // Only the text before the first quote: what follows quotes user text, which may itself
    // contain quotes and spaces.
    let shaped = e.message.split('\'').next().unwrap_or("");
    let words: Vec<&str> = shaped
        .split_whitespace()
        .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
        .take(6)
        .collect();
    format!(
        "{:?} {} {}",
        e.kind,
        e.option.len().min(10),
        words.join(" ")
    )
}

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const MAX_INPUT: usize = 4096;

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = input.len();
    let at = rng.below(len + 1);
    match rng.below(10) {
        0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
        1 if len > 0 => input[at.min(len - 1)] = b"'()$%&=+, :/-\"0aZ"[rng.below(17)],
        2 | 3 => {
            let tok = TOKENS[rng.below(TOKENS.len())].as_bytes();
            input.splice(at..at, tok.iter().copied());
        }
        4 if len > 0 => {
            let end = (at + 1 + rng.below(8)).min(len);
            input.drain(at.min(end)..end);
        }
        5 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            let piece: Vec<u8> = input[start..end].to_vec();
            for _ in 0..1 + rng.below(40) {
                input.splice(at..at, piece.iter().copied());
            }
        }
        6 => {
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(other.len() + 1);
            input.truncate(at);
            input.extend_from_slice(&other[cut..]);
        }
        7 => {
            let n = 1 + rng.below(4);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
        8 if len > 0 => {
            let i = at.min(len - 1);
            let escaped = format!("%{:02X}", input[i]);
            input.splice(i..=i, escaped.bytes());
        }
        _ => {
            let wrap = ["(", "not (", "configureWifi and (", "$filter="][rng.below(4)];
            input.splice(0..0, wrap.bytes());
            if !wrap.starts_with('$') {
                input.push(b')');
            }
        }
    }
    input.truncate(MAX_INPUT);
}

/// Reads every file of `dir` as one input.
pub fn load_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if let Ok(bytes) = std::fs::read(&path) {
                out.push(bytes);
            }
        }
    }
    out
}

/// Runs the fuzzer for `config.duration` (stopping at the first panic).
pub fn run(config: &Config, schema: &Schema) -> Report {
    let mut corpus = config
        .corpus_dir
        .as_deref()
        .map(load_corpus)
        .unwrap_or_default();
    if corpus.is_empty() {
        corpus.push(b"displayName eq 'x'".to_vec());
    }
    let mut rng = Rng(config.seed | 1);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut report = Report::default();
    let last_panic: Arc<Mutex<String>> = Arc::default();
    let sink = Arc::clone(&last_panic);
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if let Ok(mut slot) = sink.lock() {
            *slot = info.to_string();
        }
    }));
    let start = Instant::now();
    let mut last_print = start;
    while start.elapsed() < config.duration {
        for _ in 0..256 {
            let mut input = if rng.below(20) == 0 {
                (0..rng.below(64)).map(|_| rng.next() as u8).collect()
            } else {
                corpus[rng.below(corpus.len())].clone()
            };
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut input, &corpus);
            }
            let text = String::from_utf8_lossy(&input).into_owned();
            report.executions += 1;
            match panic::catch_unwind(AssertUnwindSafe(|| check_one(&text, schema))) {
                Ok(features) => {
                    let mut new = false;
                    for f in features {
                        new |= seen.insert(f);
                    }
                    if new && corpus.len() < 20_000 {
                        corpus.push(input);
                    }
                }
                Err(_) => {
                    let message = last_panic.lock().map(|m| m.clone()).unwrap_or_default();
                    report
                        .crashes
                        .push(save_crash(&config.crash_dir, &text, &message));
                    break;
                }
            }
        }
        if !report.crashes.is_empty() {
            break;
        }
        if let Some(every) = config.progress {
            if last_print.elapsed() >= every {
                last_print = Instant::now();
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "{:>6.0}s  executions {:>11}  ({:.0}/s)  features {:>6}  corpus {:>6}",
                    secs,
                    report.executions,
                    report.executions as f64 / secs,
                    seen.len(),
                    corpus.len()
                );
            }
        }
    }
    panic::set_hook(previous_hook);
    report.features = seen.len();
    report.corpus = corpus.len();
    report
}

fn save_crash(dir: &Path, input: &str, message: &str) -> PathBuf {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let path = dir.join(format!("crash-{:016x}.txt", h.finish()));
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(&path, input);
    let _ = std::fs::write(path.with_extension("panic"), message);
    eprintln!(
        "PANIC on input {input:?}\n{message}\nsaved to {}",
        path.display()
    );
    path
}
