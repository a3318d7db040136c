//! The device endpoints' address throttling, from several loopback addresses: failures count per
//! address, a valid token is never refused for its address, and the per-token cap.

use std::net::IpAddr;

use reqwest::{Client, StatusCode};

use super::*;
use crate::common::expect_error;

/// A client whose requests come from `addr` (any of 127.0.0.0/8 reaches the server).
fn from(addr: &str) -> Client {
    Client::builder()
        .local_address(addr.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn enroll_from(
    s: &TestServer,
    client: &Client,
    d: &Device,
    token: &str,
) -> reqwest::Response {
    client
        .post(s.url("/device/v1/enroll"))
        .json(&d.body(token))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bad_actor_is_refused_and_a_good_device_behind_the_same_address_is_not() {
    let s = TestServer::start_with(|s| {
        s.device_throttle.failures_per_minute = 1;
        s.device_throttle.failure_burst = 5;
    })
    .await;
    let (id, token) = profile_with_token(&s, "nat").await;
    let (bad, good, other) = (from("127.0.0.2"), from("127.0.0.2"), from("127.0.0.3"));
    let mut statuses = Vec::new();
    for i in 0..8 {
        let res = enroll_from(
            &s,
            &bad,
            &Device::new(format!("BAD{i}")),
            "AAAAAAAAAAAAAAAAAAAA",
        )
        .await;
        statuses.push(res.status());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
        }
    }
    assert_eq!(
        statuses,
        [
            [StatusCode::UNAUTHORIZED; 5].as_slice(),
            &[StatusCode::TOO_MANY_REQUESTS; 3]
        ]
        .concat()
    );
    // The desk behind the same address goes on enrolling with its valid token.
    for i in 0..10 {
        let res = enroll_from(&s, &good, &Device::new(format!("DESK{i}")), &token).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_eq!(counts(&s, &id).await, (10, 10));
    // Another address is not affected by the first one's failures.
    let res = enroll_from(&s, &other, &Device::new("X"), "AAAAAAAAAAAAAAAAAAAA").await;
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidEnrollmentToken").await;
    // Malformed requests count too.
    let res = bad
        .post(s.url("/device/v1/enroll"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
}

#[tokio::test]
async fn the_per_token_cap_limits_a_leaked_code() {
    let s = TestServer::start_with(|s| s.device_throttle.token_enrollments_per_minute = 3).await;
    let (id, token) = profile_with_token(&s, "capped").await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(
            enroll(&s, &Device::new(format!("CAP{i}")), &token)
                .await
                .status(),
        );
    }
    assert_eq!(
        statuses,
        [
            [StatusCode::CREATED; 3].as_slice(),
            &[StatusCode::TOO_MANY_REQUESTS; 2]
        ]
        .concat()
    );
    assert_eq!(counts(&s, &id).await, (3, 3));
}
