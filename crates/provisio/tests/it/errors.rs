//! Every failure answers with the Graph error envelope, the status of docs/API.md (Errors), and the
//! request-id headers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{expect_error, TestServer, COLLECTION};

#[tokio::test]
async fn malformed_json_is_400() {
    let s = TestServer::start().await;
    for body in [
        "{",
        "{\"displayName\":}",
        "nul",
        "{\"a\":1}}",
        "\u{feff}{}",
        "{'displayName':'x'}",
    ] {
        let res = s
            .client
            .post(s.collection())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let msg = expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert!(msg.contains("JSON"), "{body}: {msg}");
    }
    s.stop().await;
}

#[tokio::test]
async fn content_type_must_be_json() {
    let s = TestServer::start().await;
    let body = r#"{"displayName":"x"}"#;
    let res = s
        .client
        .post(s.collection())
        .body(body)
        .send()
        .await
        .unwrap();
    expect_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
    )
    .await;
    for ct in [
        "text/plain",
        "application/xml",
        "application/json; charset=iso-8859-1",
        "multipart/form-data",
    ] {
        let res = s
            .client
            .post(s.collection())
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let msg = expect_error(
            res,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        )
        .await;
        assert!(!msg.is_empty());
    }
    let res = s
        .client
        .post(s.collection())
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let msg = expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(msg.contains("empty"), "{msg}");
    s.stop().await;
}

#[tokio::test]
async fn invalid_and_unknown_ids() {
    let s = TestServer::start().await;
    for id in [
        "not-a-guid",
        "123",
        "a8d0245e245ea8d05e24d0a85e24d0a8",
        "%F0%9F%98%80",
        "'x'",
    ] {
        let msg = expect_error(
            s.get(&s.item(id)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(msg.contains("GUID"), "{id}: {msg}");
    }
    let msg = expect_error(
        s.get(&s.item("a8d0245e-245e-a8d0-5e24-d0a85e24d0a8")).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    assert!(
        msg.contains("a8d0245e-245e-a8d0-5e24-d0a85e24d0a8"),
        "{msg}"
    );
    s.stop().await;
}

#[tokio::test]
async fn unknown_paths_name_the_segment() {
    let s = TestServer::start().await;
    for (path, segment) in [
        ("/v1.0/deviceManagement/androidDeviceOwnerEnrollmentProfiles", "v1.0"),
        ("/beta/deviceManagement/androidForWorkEnrollmentProfiles", "androidForWorkEnrollmentProfiles"),
        ("/beta/users", "users"),
        // `/` is the admin console; what is not one of its files is not found either.
        ("/console/unknown.js", "console"),
        ("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/a8d0245e-245e-a8d0-5e24-d0a85e24d0a8/assignments", "assignments"),
    ] {
        let msg = expect_error(s.get(&s.url(path)).await, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(msg, format!("Resource not found for the segment '{segment}'."), "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let s = TestServer::start().await;
    let item = s.item("a8d0245e-245e-a8d0-5e24-d0a85e24d0a8");
    for (method, url) in [
        (Method::PUT, s.collection()),
        (Method::DELETE, s.collection()),
        (Method::PATCH, s.collection()),
        (Method::POST, item.clone()),
        (Method::PUT, item),
    ] {
        let res = s.send(method.clone(), &url, None).await;
        expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
    }
    s.stop().await;
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let s = TestServer::start().await;
    let big = json!({"displayName": "x", "description": "y".repeat(1024 * 1024)});
    let res = s.post_json(&s.collection(), &big).await;
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge").await;
    // Also without a Content-Length (chunked).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 100_000])).collect();
    let res = s
        .client
        .post(s.collection())
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge").await;
    assert!(s.list_all().await.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn top_out_of_range_is_400() {
    let s = TestServer::start().await;
    for q in ["$top=1001", "$top=-1", "$top=abc", "$skiptoken=garbage"] {
        let url = format!("{}{COLLECTION}?{q}", s.base);
        expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    s.stop().await;
}

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let s = TestServer::start().await;
    for (path, status) in [
        ("/healthz", "ok"),
        ("/readyz", "ready"),
        ("/READYZ/", "ready"),
    ] {
        let res = s.bare.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap(),
            json!({ "status": status })
        );
    }
    s.stop().await;
}

/// A collection of `deviceManagement` that is not served is 400 naming its segment, as Graph
/// answers an unknown segment.
#[tokio::test]
async fn a_collection_not_served_names_its_segment() {
    let s = TestServer::start().await;
    let res = s.get(&s.collection_of("deviceConfigurations")).await;
    let msg = expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(msg.contains("'deviceConfigurations'"), "{msg}");
}
