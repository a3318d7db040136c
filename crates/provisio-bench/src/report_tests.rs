//! Tests of the table, the ratios and the target checks.

use super::*;

/// A result with these numbers and plausible others.
pub(crate) fn result(workload: Workload, rps: f64, p99_ms: f64, errors: u64) -> WorkloadResult {
    WorkloadResult {
        workload,
        summary: Summary {
            requests: (rps * 10.0) as u64,
            seconds: 10.0,
            rps,
            mean_ms: 1.0,
            p50_ms: 1.0,
            p90_ms: 2.0,
            p95_ms: 2.5,
            p99_ms,
            p999_ms: p99_ms,
            max_ms: 40.0,
        },
        errors: Errors {
            count: errors,
            ..Errors::default()
        },
        vs_baseline: None,
        vs_create: None,
        server_cpu_percent: 120.0,
        client_cpu_percent: 60.0,
        server_memory: Memory {
            rss_kib: 40 * 1024,
            hwm_kib: 50 * 1024,
            anon_kib: 30 * 1024,
        },
        server_rss_peak_sampled_kib: 45 * 1024,
        load_average: Some(1.5),
        note: None,
    }
}

fn sample() -> Vec<WorkloadResult> {
    let mut r = vec![
        result(Workload::Baseline, 20_000.0, 5.0, 0),
        result(Workload::Create, 4_000.0, 30.0, 0),
        result(Workload::Get, 15_000.0, 6.0, 0),
        result(Workload::List, 0.0, 0.0, 1234),
        result(Workload::CreateToken, 2_500.0, 20.0, 0),
        result(Workload::Enroll, 3_200.0, 30.0, 0),
    ];
    fill_ratios(&mut r);
    r
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(1_234_567), "1,234,567");
}

#[test]
fn ratios_come_from_the_same_runs_baseline() {
    let r = sample();
    assert_eq!(r[0].vs_baseline, Some(1.0));
    assert_eq!(r[1].vs_baseline, Some(0.2));
    assert_eq!(r[1].vs_create, Some(1.0));
    assert_eq!(r[5].vs_create, Some(0.8));
    let mut no_base = vec![result(Workload::Get, 10.0, 1.0, 0)];
    fill_ratios(&mut no_base);
    assert_eq!(no_base[0].vs_baseline, None);
}

#[test]
fn the_table_has_a_row_per_workload() {
    let t = markdown_table(&sample());
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2 + 6);
    assert!(
        lines[0].starts_with("| Workload | req/s | vs. baseline | vs. create | p50 ms | p95 ms |")
    );
    assert_eq!(
        lines[2],
        "| baseline | 20,000 | 100% | 500% | 1.00 | 2.50 | 5.00 | 40.0 | 0 | 120% | 60% | 40 (50) |"
    );
    assert!(
        lines[5].starts_with("| list | 0 | 0% | 0% |"),
        "{}",
        lines[5]
    );
    assert!(
        lines[7].starts_with("| enroll | 3,200 | 16% | 80% |"),
        "{}",
        lines[7]
    );
    assert!(lines[5].contains("| 1,234 |"));
}

#[test]
fn targets_are_met_missed_or_not_measured() {
    let checks = check_targets(&sample(), 100_000, "sqlite", None);
    let get = |prefix: &str| {
        checks
            .iter()
            .find(|c| c.target.starts_with(prefix))
            .unwrap_or_else(|| panic!("no check {prefix}"))
    };
    assert!(
        !checks.iter().any(|c| c.target.contains("of baseline")),
        "the ratios to the baseline are retired"
    );
    assert_eq!(get("createToken ≥").met, Some(true));
    assert_eq!(get("create: p99").met, Some(false));
    assert_eq!(get("list: p99").met, Some(false), "errors fail the check");
    assert_eq!(get("get: p99").met, Some(true));
    assert_eq!(get("enroll (many tokens) on SQLite").met, Some(true));
    assert_eq!(
        get("enroll: no errors").met,
        Some(true),
        "enroll has its own p99"
    );
    let on_pg = check_targets(&sample(), 100_000, "postgres", None);
    let enroll = on_pg
        .iter()
        .find(|c| c.target.starts_with("enroll (many"))
        .unwrap();
    assert_eq!(enroll.met, None, "judged on SQLite only");
    let mut slow = sample();
    slow[5].summary.p99_ms = 60.0;
    let slow = check_targets(&slow, 100_000, "sqlite", None);
    let enroll = slow
        .iter()
        .find(|c| c.target.starts_with("enroll (many"))
        .unwrap();
    assert_eq!(enroll.met, Some(false));
    assert_eq!(get("server RSS").met, None, "only judged with 1M profiles");
    assert_eq!(
        check_targets(&sample(), 1_000_000, "sqlite", None)
            .last()
            .unwrap()
            .met,
        Some(true)
    );
    let list = markdown_checks(&checks);
    assert!(list.contains("- createToken ≥ 2,000/s: **met**"), "{list}");
}

#[test]
fn a_run_is_held_against_an_earlier_one() {
    let now = sample();
    let mut earlier = sample();
    for r in &mut earlier {
        // get was 5% faster before (still within 10%), create 20% faster (a regression).
        match r.workload {
            Workload::Get => r.summary.rps *= 1.05,
            Workload::Create => r.summary.rps *= 1.25,
            _ => {}
        }
    }
    let checks = check_targets(&now, 100_000, "sqlite", Some(&earlier));
    let get = |prefix: &str| {
        checks
            .iter()
            .find(|c| c.target.starts_with(prefix))
            .unwrap()
    };
    assert_eq!(get("get within 10%").met, Some(true));
    assert_eq!(get("create within 10%").met, Some(false));
    assert!(
        get("create within").measured.contains("80%"),
        "{}",
        get("create within").measured
    );
    assert_eq!(
        get("list within 10%").met,
        None,
        "list has no rate in either run"
    );
}
