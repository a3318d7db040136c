//! `/metrics` end to end: counters and histograms move with the right labels after requests,
//! route templates instead of paths, and who may read it.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{expect_error, postgres_backend, TestServer, COLLECTION};
use crate::throttle::expect_throttled;

/// The value of the sample `name{labels}` in `text`, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().expect("a number"))
}

async fn scrape(s: &TestServer) -> String {
    let res = s.bare.get(s.url("/metrics")).send().await.expect("scrape");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text
}

#[tokio::test]
async fn a_scrape_counts_requests_by_route_template_status_and_limit() {
    let s = TestServer::start_with(|s| {
        s.throttle.app_writes = Some(1);
        s.throttle.window_seconds = 60;
    })
    .await;
    let before = scrape(&s).await;
    let batches = "provisio_sqlite_write_batch_size_count";
    let p = s.create(json!({"displayName": "counted"})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    expect_throttled(
        s.post_json(&s.collection(), &json!({"displayName": "x"}))
            .await,
    )
    .await;
    for _ in 0..2 {
        assert_eq!(s.get(&s.item(&id)).await.status(), StatusCode::OK);
    }
    let missing = "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8";
    assert_eq!(
        s.get(&s.item(missing)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.bare.get(s.collection()).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.get(&s.url("/beta/nothing/here")).await.status(),
        StatusCode::BAD_REQUEST
    );

    let text = scrape(&s).await;
    let item = format!("{COLLECTION}/{{id}}");
    let requests = |route: &str, method: &str, status: u16| {
        sample(
            &text,
            &format!("provisio_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(requests(&item, "GET", 200), 2.0, "{text}");
    assert_eq!(requests(&item, "GET", 404), 1.0, "{text}");
    assert_eq!(requests(COLLECTION, "POST", 201), 1.0, "{text}");
    assert_eq!(requests(COLLECTION, "POST", 429), 1.0, "{text}");
    assert_eq!(requests(COLLECTION, "GET", 401), 1.0, "{text}");
    assert_eq!(requests("unmatched", "GET", 400), 1.0, "{text}");
    assert_eq!(
        requests("/metrics", "GET", 200),
        1.0,
        "the first scrape: {text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "provisio_http_request_duration_seconds_count{{route=\"{item}\",method=\"GET\"}}"
            )
        ),
        3.0,
        "{text}"
    );
    assert!(
        sample(
            &text,
            &format!(
                "provisio_http_request_duration_seconds_sum{{route=\"{item}\",method=\"GET\"}}"
            )
        ) > 0.0
    );
    assert_eq!(
        sample(
            &text,
            "provisio_throttled_requests_total{scope=\"app\",kind=\"write\"}"
        ),
        1.0,
        "{text}"
    );
    for raw in [id.as_str(), missing, "nothing"] {
        assert!(!text.contains(raw), "{raw} is in a label: {text}");
    }
    // The batch sizes are process-wide, and only SQLite has the group writer.
    if !postgres_backend() {
        assert!(sample(&text, batches) > sample(&before, batches), "{text}");
    }
    s.stop().await;
}

#[tokio::test]
async fn only_loopback_the_allow_list_or_the_token_may_read() {
    let token = "a-metrics-token-for-the-test";
    let s = TestServer::start_with(|s| s.metrics.token = Some(token.into())).await;
    let url = s.url("/metrics");
    // On loopback but through a proxy: not loopback, so the token decides.
    let proxied = || s.bare.get(&url).header("x-forwarded-for", "203.0.113.7");
    let message = expect_error(
        proxied().send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    assert!(message.contains("metrics"), "{message}");
    let wrong = proxied()
        .bearer_auth("a-metrics-token-for-the-tesT")
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::FORBIDDEN, "Forbidden").await;
    let right = proxied().bearer_auth(token).send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("provisio_http_requests_total"));
    // A Graph token is not the metrics token.
    let graph = s
        .client
        .get(&url)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    expect_error(graph, StatusCode::FORBIDDEN, "Forbidden").await;
    s.stop().await;

    // Without a token and an allow list that does not hold 127.0.0.1, a direct loopback
    // caller still reads.
    let s = TestServer::start_with(|s| s.metrics.allow = vec!["10.0.0.0/8".into()]).await;
    assert_eq!(
        s.bare.get(s.url("/metrics")).send().await.unwrap().status(),
        StatusCode::OK
    );
    s.stop().await;
}

/// Devices enrolled are counted once each (a retry answered with the same record is not), and
/// refused attempts by the error code they got.
#[tokio::test]
async fn enrollments_and_refused_ones_are_counted_by_reason() {
    use crate::devices::{enroll, enroll_with, profile_with_token, Device};
    let s = TestServer::start().await;
    let before = scrape(&s).await;
    let (_, token) = profile_with_token(&s, "Counted").await;
    let d = Device::new("R58N-METRICS-1");
    assert_eq!(enroll(&s, &d, &token).await.status(), StatusCode::CREATED);
    assert_eq!(enroll(&s, &d, &token).await.status(), StatusCode::OK);
    let other = Device::new("R58N-METRICS-2");
    assert_eq!(
        enroll(&s, &other, &token).await.status(),
        StatusCode::CREATED
    );
    let unknown = Device::new("R58N-METRICS-3");
    assert_eq!(
        enroll(&s, &unknown, "ZZZZZZZZZZZZZZZZZZZZ").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mut malformed = unknown.body(&token);
    malformed["credentialHash"] = json!("not hex");
    assert_eq!(
        enroll_with(&s, &malformed, &[]).await.status(),
        StatusCode::BAD_REQUEST
    );
    let after = scrape(&s).await;
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(moved("provisio_enrollments_total"), 2.0, "{after}");
    let failures = "provisio_enrollment_failures_total";
    assert_eq!(
        moved(&format!("{failures}{{reason=\"InvalidEnrollmentToken\"}}")),
        1.0
    );
    assert_eq!(moved(&format!("{failures}{{reason=\"BadRequest\"}}")), 1.0);
    assert!(!after.contains("R58N-METRICS"), "no value a device sent");
    s.stop().await;
}
