//! How rows travel: one request each on a server without `$batch`, and throttled writes sent
//! again after `Retry-After`.

use std::sync::atomic::Ordering;

use super::{args, by_name, csv_of, import, proxy, target};
use crate::common::{TestServer, COLLECTION};

#[tokio::test]
async fn a_server_without_batch_gets_one_request_per_row() {
    let s = TestServer::start().await;
    let (base, seen) = proxy(&s.base, false).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.csv");
    std::fs::write(&file, csv_of(30, "Plain")).unwrap();

    let (summary, out) = import(&target(&s, &base), &args(&file)).await;
    assert_eq!((summary.created, summary.failed), (30, 0), "{out}");
    assert!(out.contains("does not take $batch"), "{out}");
    assert_eq!(seen.count("POST /beta/$batch"), 1, "only the probe");
    assert_eq!(seen.count(&format!("POST {COLLECTION}")), 30);
    assert_eq!(by_name(&s).await.len(), 30);
}

#[tokio::test]
async fn batches_go_through_batch_and_throttled_rows_wait_for_retry_after() {
    // Ten writes a second, forty rows: most first attempts are answered 429.
    let s = TestServer::start_with(|s| {
        s.throttle.app_writes = Some(10);
        s.throttle.window_seconds = 1;
    })
    .await;
    let (base, seen) = proxy(&s.base, true).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("throttled.csv");
    std::fs::write(&file, csv_of(40, "Throttled")).unwrap();

    let (summary, out) = import(&target(&s, &base), &args(&file)).await;
    assert_eq!((summary.created, summary.failed), (40, 0), "{out}");
    assert!(seen.inner_throttled.load(Ordering::Relaxed) > 0);
    assert_eq!(
        seen.count(&format!("POST {COLLECTION}")),
        0,
        "every write in a batch"
    );
    assert!(seen.count("POST /beta/$batch") >= 3);
    assert_eq!(by_name(&s).await.len(), 40);
}

#[tokio::test]
async fn a_token_that_may_not_write_stops_the_import_at_once() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("read-only.csv");
    std::fs::write(&file, csv_of(45, "Refused")).unwrap();
    let mut t = target(&s, &s.base);
    t.token = s.dev_token(s.dev_tenant, &[provisio::auth::READ_ALL], false);
    let mut out = Vec::new();
    let e = provisio::client::import::run_until(&t, &args(&file), &mut out, std::future::pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("refused the token"), "{e}");
    assert!(e.contains("403 Forbidden"), "{e}");
    assert!(e.contains("run the same command again"), "{e}");
    assert!(s.list_all().await.is_empty());
}
