#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as Status};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;

use super::*;

/// What the fake server saw: one entry per request, its headers and body.
type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// One canned answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, String);

/// A server on 127.0.0.1 that answers the n-th request to any device path with `answers[n]`
/// (the last one again after that).
async fn serve(answers: Vec<Answer>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let handler = move |headers: HeaderMap, body: String| {
        let log = log.clone();
        let answers = answers.clone();
        async move {
            let n = {
                let mut log = log.lock().unwrap();
                log.push((headers, body));
                log.len() - 1
            };
            let (status, headers, body) = answers[n.min(answers.len() - 1)].clone();
            let mut response = (Status::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
    };
    let app = Router::new()
        .route("/device/v1/enroll", post(handler.clone()))
        .route("/device/v1/checkin", post(handler.clone()))
        .route("/device/v1/commands/{id}/ack", post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        first_pause: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
    }
}

const ENROLLED: &str = r#"{"managedDeviceId":"d1","deviceName":"Kiosk-1","enrollmentProfileId":"p1","enrollmentMode":"corporateOwnedDedicatedDevice","tenantId":"t1","enrollmentTimeDeviceMembershipTarget":null}"#;

fn envelope(code: &str) -> String {
    format!(
        r#"{{"error":{{"code":"{code}","message":"says why","innerError":{{"request-id":"r-1"}}}}}}"#
    )
}

#[tokio::test]
async fn transient_failures_are_retried_with_the_same_idempotency_key() {
    let (base, seen) = serve(vec![
        (503, vec![], "busy".into()),
        (429, vec![("retry-after", "0")], "slow down".into()),
        (201, vec![], ENROLLED.into()),
    ])
    .await;
    let api = DeviceApi::new(&base, quick()).unwrap();
    let facts = DeviceFacts {
        serial_number: Some("R58N12345XY".into()),
        ..DeviceFacts::default()
    };
    let answer = api
        .enroll(
            &Sensitive::new("ABCDEFGHIJKLMNOPQRST"),
            &"a".repeat(64),
            &facts,
            None,
            "key-1",
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body.managed_device_id, "d1");
    assert_eq!(answer.raw, ENROLLED);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (headers, body) in seen.iter() {
        assert_eq!(headers["idempotency-key"], "key-1");
        assert_eq!(body, &seen[0].1, "every retry sends the same body");
    }
    let body: Value = serde_json::from_str(&seen[0].1).unwrap();
    assert_eq!(body["device"]["serialNumber"], "R58N12345XY");
    assert_eq!(body["device"]["imei"], Value::Null);
    assert_eq!(body["credentialHash"], "a".repeat(64));
}

#[tokio::test]
async fn a_refusal_is_final_and_reads_the_graph_envelope() {
    let (base, seen) = serve(vec![(401, vec![], envelope("InvalidDeviceCredential"))]).await;
    let api = DeviceApi::new(&base, quick()).unwrap();
    let err = api
        .checkin(&Sensitive::new("s3cret"), &CheckinFacts::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        err.to_string(),
        "the server answered 401 InvalidDeviceCredential: says why (request-id r-1)"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "a 4xx other than 429 is not retried");
    assert_eq!(seen[0].0[AUTHORIZATION.as_str()], "Device s3cret");
    assert_eq!(seen[0].1, "{}");
}

#[tokio::test]
async fn a_long_retry_after_or_the_last_attempt_ends_the_retries() {
    let (base, seen) = serve(vec![(429, vec![("retry-after", "3600")], "{}".into())]).await;
    let api = DeviceApi::new(&base, quick()).unwrap();
    let err = api.ack(&Sensitive::new("s"), "c 1").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(
        err.to_string()
            .starts_with("the server answered 429 TooManyRequests: {}"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    let (base, seen) = serve(vec![(500, vec![], "<html>oops</html>".into())]).await;
    let api = DeviceApi::new(&base, quick()).unwrap();
    let err = api.ack(&Sensitive::new("s"), "c1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server answered 500 InternalServerError: <html>oops</html>"
    );
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn an_acknowledgement_answers_no_content() {
    let (base, _) = serve(vec![(204, vec![], String::new())]).await;
    let api = DeviceApi::new(&base, quick()).unwrap();
    api.ack(&Sensitive::new("s"), "c1").await.unwrap();
}

#[tokio::test]
async fn a_server_that_is_not_there_is_tried_again_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let api = DeviceApi::new(&base, quick()).unwrap();
    let err = api
        .check(&Sensitive::new("ABCDEFGHIJKLMNOPQRST"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("no answer from {base}/device/v1/check: ")),
        "{text}"
    );
    assert!(!text.contains("ABCDEFGHIJKLMNOPQRST"));
}
