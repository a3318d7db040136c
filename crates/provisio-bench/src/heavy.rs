//! `--heavy`: whether heavy lists starve reads by id. 55,000 profiles are preloaded; reads of a
//! random profile by id are measured alone (the baseline), then again while [`ATTACKERS`]
//! clients each send, back to back, a `$filter` of [`CLAUSES`] `contains` conditions (the most
//! a filter may hold) that no profile matches, so every one reads the whole table. The report
//! gives both p95s, their ratio, what became of the heavy lists, and the target.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::client::{Call, Connection};
use crate::load::{self, Errors, LoadConfig};
use crate::report::thousands;
use crate::session::Session;
use crate::stats::{self, Summary};
use crate::workload::{Workload, COLLECTION};
use crate::Args;

/// Profiles preloaded.
pub const PROFILES: u64 = 55_000;
/// Clients sending heavy lists.
pub const ATTACKERS: usize = 20;
/// `contains` conditions in each heavy list's `$filter`.
pub const CLAUSES: usize = 100;
/// The target: the p95 of reads by id while the heavy lists run, in milliseconds.
pub const TARGET_P95_MS: f64 = 50.0;

/// The heavy list: `contains(displayName,'zq00') or ...` over [`CLAUSES`] strings that no
/// preloaded name holds, percent-encoded.
pub fn heavy_list_path() -> String {
    let filter = (0..CLAUSES)
        .map(|i| format!("contains(displayName,'zq{i:02}')"))
        .collect::<Vec<_>>()
        .join(" or ")
        .replace(' ', "%20")
        .replace('\'', "%27");
    format!("{COLLECTION}?$top=100&$filter={filter}")
}

/// What the heavy lists got while reads were measured.
#[derive(Debug)]
struct Attack {
    histogram: Histogram<u64>,
    errors: Errors,
    elapsed: Duration,
}

/// Runs the scenario and prints its report.
pub async fn run(args: &Args, bin: &std::path::Path) -> anyhow::Result<()> {
    let counts = crate::preload::Counts {
        profiles: PROFILES,
        devices: 0,
    };
    let session = Session::start(args, bin, counts).await?;
    let cfg = |concurrency| LoadConfig {
        concurrency,
        ..session.load_config(args)
    };
    eprintln!("== get, alone");
    let alone = load::run(&cfg(args.concurrency), Workload::Get).await?;
    eprintln!("== get, under {ATTACKERS} heavy lists");
    let stop = Arc::new(AtomicBool::new(false));
    let mut attackers = Vec::new();
    for _ in 0..ATTACKERS {
        let conn = Connection::open(session.addr(), session.token()).await?;
        attackers.push(tokio::spawn(attack(conn, stop.clone())));
    }
    // Let the heavy lists fill the readers before the reads start.
    tokio::time::sleep(args.warmup).await;
    let under = load::run(&cfg(args.concurrency), Workload::Get).await?;
    stop.store(true, Ordering::Relaxed);
    let mut attack = Attack {
        histogram: stats::new_histogram(),
        errors: Errors::default(),
        elapsed: Duration::ZERO,
    };
    for a in attackers {
        let one = a.await??;
        attack.histogram.add(&one.histogram)?;
        attack.errors.merge(one.errors);
        attack.elapsed = attack.elapsed.max(one.elapsed);
    }
    session.stop()?;
    print!("{}", report(args, &alone, &under, &attack, session_note()));
    if let Some(path) = &args.json {
        let numbers = serde_json::json!({
            "finished": provisio::model::Timestamp::now().to_string(),
            "backend": crate::backend(args),
            "profiles": PROFILES,
            "attackers": ATTACKERS,
            "clauses": CLAUSES,
            "getConnections": args.concurrency,
            "durationSeconds": args.duration.as_secs_f64(),
            "serverArgs": args.server_arg,
            "getAlone": Summary::of(&alone.histogram, alone.window),
            "getAloneP95Ms": ms(&alone.histogram, 0.95),
            "getUnderAttack": Summary::of(&under.histogram, under.window),
            "getUnderAttackP95Ms": ms(&under.histogram, 0.95),
            "heavyListsOk": attack.histogram.len(),
            "heavyListsP50Ms": ms(&attack.histogram, 0.50),
            "heavyListsRefused": attack.errors,
            "targetMet": ms(&under.histogram, 0.95) < TARGET_P95_MS,
        });
        std::fs::write(path, serde_json::to_string_pretty(&numbers)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn session_note() -> String {
    format!(
        "{} profiles · {ATTACKERS} clients sending a $filter of {CLAUSES} contains conditions",
        thousands(PROFILES)
    )
}

/// One attacker: the heavy list, back to back, until `stop`.
async fn attack(mut conn: Connection, stop: Arc<AtomicBool>) -> anyhow::Result<Attack> {
    let call = Call::get(heavy_list_path());
    let mut out = Attack {
        histogram: stats::new_histogram(),
        errors: Errors::default(),
        elapsed: Duration::ZERO,
    };
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let reply = conn.send(&call).await?;
        if reply.status.is_success() {
            stats::record(&mut out.histogram, t.elapsed());
        } else {
            out.errors.add(
                format!("HTTP {}", reply.status.as_u16()),
                load::describe_error(reply.status.as_u16(), &reply.body),
            );
        }
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

/// The Markdown report.
fn report(
    args: &Args,
    alone: &load::Outcome,
    under: &load::Outcome,
    attack: &Attack,
    note: String,
) -> String {
    let (alone_p95, under_p95) = (ms(&alone.histogram, 0.95), ms(&under.histogram, 0.95));
    let ratio = under_p95 / alone_p95.max(f64::MIN_POSITIVE);
    let answered = attack.histogram.len() + attack.errors.count;
    let mut out = format!(
        "\n{} · {note} · {} connections reading by id · {} s per phase\n\n",
        crate::backend(args),
        args.concurrency,
        args.duration.as_secs_f64()
    );
    out.push_str("| Reads by id | req/s | p50 ms | p95 ms | p99 ms | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|\n");
    for (name, o) in [("alone", alone), ("under attack", under)] {
        let s = Summary::of(&o.histogram, o.window);
        out.push_str(&format!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {} |\n",
            thousands(s.rps.round() as u64),
            s.p50_ms,
            ms(&o.histogram, 0.95),
            s.p99_ms,
            o.errors.count
        ));
    }
    out.push_str(&format!(
        "\nGET p95 under attack / alone: {ratio:.1}×\n\nHeavy lists: {answered} answered in {:.1} s, {} with 200 (p50 {:.0} ms, p95 {:.0} ms), {} refused {:?}\n",
        attack.elapsed.as_secs_f64(),
        attack.histogram.len(),
        ms(&attack.histogram, 0.50),
        ms(&attack.histogram, 0.95),
        attack.errors.count,
        attack.errors.kinds,
    ));
    for sample in &attack.errors.samples {
        out.push_str(&format!("- {sample}\n"));
    }
    let met = under_p95 < TARGET_P95_MS;
    out.push_str(&format!(
        "\nTarget: GET p95 under attack < {TARGET_P95_MS:.0} ms: {} ({under_p95:.2} ms)\n",
        if met { "met" } else { "NOT met" },
    ));
    out
}

/// The `q` quantile of `h` in milliseconds (the histogram holds microseconds); 0 when empty.
fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heavy_filter_holds_the_most_conditions_allowed() {
        let path = heavy_list_path();
        assert_eq!(path.matches("contains(").count(), CLAUSES);
        assert_eq!(path.matches("%20or%20").count(), CLAUSES - 1);
        assert!(!path.contains(' ') && !path.contains('\''), "{path}");
        let filter = path.split("$filter=").nth(1).unwrap_or_default();
        let decoded = filter.replace("%20", " ").replace("%27", "'");
        assert!(decoded.starts_with("contains(displayName,'zq00') or"));
        assert!(decoded.ends_with("contains(displayName,'zq99')"));
    }
}
