//! Throttling end to end: 429 with `Retry-After` and the envelope, applications limited apart,
//! the tenant across them, the window reopening, requests without a valid token not counted,
//! and what a limit means with several processes on one PostgreSQL. Small numbers and short
//! windows keep each test to a few seconds.

use std::process::Command;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::auth::{
    call, claims, production_server_with, sign, JwksServer, Keys, TENANT_A, TENANT_B,
};
use crate::common::{client_with_token, expect_error, TestServer, COLLECTION};
use crate::durability::spawn_command;

/// Checks a 429 and returns its `Retry-After` in seconds and its message.
pub async fn expect_throttled(res: reqwest::Response) -> (u64, String) {
    let retry_after = res
        .headers()
        .get("retry-after")
        .expect("a 429 always carries Retry-After")
        .to_str()
        .expect("ascii")
        .parse::<u64>()
        .expect("whole seconds");
    assert!(retry_after >= 1);
    let message = expect_error(res, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
    (retry_after, message)
}

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after_and_reopens_after_it() {
    // Two writes per 4 seconds: one place frees every 2 seconds.
    let s = TestServer::start_with(|s| {
        s.throttle.app_writes = Some(2);
        s.throttle.window_seconds = 4;
    })
    .await;
    let body = json!({"displayName": "throttled"});
    s.create(body.clone()).await;
    s.create(body.clone()).await;
    let (retry_after, message) = expect_throttled(s.post_json(&s.collection(), &body).await).await;
    assert_eq!(retry_after, 2);
    assert!(
        message.contains("this application in this tenant may send 2 writes every 4 seconds"),
        "{message}"
    );
    // Reads are not writes.
    assert_eq!(s.get(&s.collection()).await.status(), StatusCode::OK);
    // An action is a write.
    let id = s.list_all().await[0]["id"].as_str().unwrap().to_owned();
    let action = format!("{}/createToken", s.item(&id));
    let res = s
        .post_json(&action, &json!({"tokenValidityInSeconds": 3600}))
        .await;
    expect_throttled(res).await;

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    s.create(body.clone()).await;
    expect_throttled(s.post_json(&s.collection(), &body).await).await;
    s.stop().await;
}

/// A production-mode token of `app` in `tenant` with ReadWrite.
fn token(keys: &Keys, tenant: &str, app: &str) -> String {
    let mut c = claims(tenant, crate::auth::READ_WRITE);
    c["azp"] = Value::from(app);
    sign(Algorithm::RS256, Some("rsa-a"), &keys.rsa_a, &c)
}

#[tokio::test]
async fn applications_are_limited_apart_and_their_tenant_across_them() {
    let keys = Keys::load();
    let jwks = JwksServer::start(keys.jwks(&[])).await;
    let s = production_server_with(&jwks.url, 60, |s| {
        s.throttle.app_requests = Some(3);
        s.throttle.tenant_requests = Some(5);
        s.throttle.window_seconds = 60;
    })
    .await;
    let list = s.collection();
    let get = |t: String| {
        let (s, list) = (&s, list.clone());
        async move { call(s, Method::GET, &list, Some(&t), None).await }
    };
    let a = token(&keys, TENANT_A, "app-a");
    for _ in 0..3 {
        assert_eq!(get(a.clone()).await.status(), StatusCode::OK);
    }
    let (_, message) = expect_throttled(get(a.clone()).await).await;
    assert!(
        message.contains("this application in this tenant"),
        "{message}"
    );
    // Another application of the tenant has its own 3, but the tenant only 2 left.
    let b = token(&keys, TENANT_A, "app-b");
    for _ in 0..2 {
        assert_eq!(get(b.clone()).await.status(), StatusCode::OK);
    }
    let (retry_after, message) = expect_throttled(get(b.clone()).await).await;
    assert!(
        message.contains("this tenant may send 5 requests"),
        "{message}"
    );
    assert!((11..=12).contains(&retry_after), "{retry_after}");
    // Another tenant, with the same application, is not touched.
    let other = token(&keys, TENANT_B, "app-a");
    assert_eq!(get(other).await.status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_not_counted() {
    let s = TestServer::start_with(|s| {
        s.throttle.app_requests = Some(1);
        s.throttle.window_seconds = 60;
    })
    .await;
    for _ in 0..20 {
        let res = s
            .bare
            .get(s.collection())
            .bearer_auth("not-a-jwt")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    for path in ["/healthz", "/beta/$metadata", "/metrics"] {
        for _ in 0..3 {
            assert_eq!(
                s.bare.get(s.url(path)).send().await.unwrap().status(),
                StatusCode::OK,
                "{path}"
            );
        }
    }
    assert_eq!(s.get(&s.collection()).await.status(), StatusCode::OK);
    expect_throttled(s.get(&s.collection()).await).await;
    s.stop().await;
}

/// With several processes on one PostgreSQL, each counts its own requests: a client refused by
/// one process is admitted by another (docs/DEPLOYMENT.md says to divide the numbers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_process_on_one_postgresql_keeps_its_own_count() {
    let pg =
        pg_tmp::TempPostgres::shared().unwrap_or_else(|e| panic!("PostgreSQL for the test: {e}"));
    let url = pg
        .create_database(&format!("throttle_{}", std::process::id()))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_provisio"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"])
            .args([
                "--throttle-app-writes",
                "2",
                "--throttle-window-seconds",
                "60",
            ])
            .args(["--database-url", &url, "--data-dir"])
            .arg(dir.path());
        spawn_command(command)
    };
    let mut processes = [start(), start()];
    let client = client_with_token(&processes[0].token);
    let post = |base: &str| {
        client
            .post(format!("{base}{COLLECTION}"))
            .json(&json!({"displayName": "per process"}))
            .send()
    };
    for p in &processes {
        for _ in 0..2 {
            assert_eq!(post(&p.base).await.unwrap().status(), StatusCode::CREATED);
        }
        expect_throttled(post(&p.base).await.unwrap()).await;
    }
    for p in &mut processes {
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
}
