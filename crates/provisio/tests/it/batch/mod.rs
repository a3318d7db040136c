//! `POST /beta/$batch` end to end with raw JSON: dependencies and 424, url forms, the batch's
//! token for every request, throttling per request, malformed and hostile batches refused whole
//! without side effects. `js_client` drives the Graph JavaScript client's batch classes.

mod js_client;

use std::collections::BTreeMap;

use provisio::auth::READ_ALL;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client_with_token, expect_error, ok_json, TestServer};

const PROFILES: &str = "/deviceManagement/androidDeviceOwnerEnrollmentProfiles";

/// Posts `body` to `$batch` with the server's client and returns the answer.
async fn batch(s: &TestServer, body: &Value) -> reqwest::Response {
    s.post_json(&s.url("/beta/$batch"), body).await
}

/// The responses of a 200 batch answer, by id; panics on duplicates or a missing id.
async fn responses(res: reqwest::Response) -> BTreeMap<String, Value> {
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    let v = ok_json(res).await;
    let mut out = BTreeMap::new();
    for r in v["responses"].as_array().expect("responses") {
        let id = r["id"].as_str().expect("id").to_owned();
        assert!(r["status"].is_u64(), "{r}");
        assert!(out.insert(id, r.clone()).is_none(), "a duplicate id: {v}");
    }
    out
}

/// Sends these requests as one batch and returns the answers by id.
async fn answers(s: &TestServer, requests: Value) -> BTreeMap<String, Value> {
    responses(batch(s, &json!({ "requests": requests })).await).await
}

fn status(r: &Value) -> u64 {
    r["status"].as_u64().unwrap()
}

#[tokio::test]
async fn creates_then_reads_with_depends_on_and_each_answer_has_json_headers_and_ids() {
    let s = TestServer::start().await;
    let r = answers(
        &s,
        json!([
            {"id": "create", "method": "POST", "url": PROFILES,
             "headers": {"Content-Type": "application/json", "client-request-id": "mine-1"},
             "body": {"displayName": "From a batch"}},
            {"id": "list", "method": "GET", "url": format!("{PROFILES}?$select=displayName"), "dependsOn": ["create"]},
            {"id": "count", "method": "GET", "url": format!("{PROFILES}/$count"), "dependsOn": ["create"]},
            {"id": "filtered", "method": "GET", "dependsOn": ["create"],
             "url": format!("{PROFILES}?$filter=displayName eq 'From a batch'&$count=true")},
        ]),
    )
    .await;
    assert_eq!(r.len(), 4);
    let created = &r["create"];
    assert_eq!(status(created), 201, "{created}");
    assert_eq!(
        created["body"]["displayName"], "From a batch",
        "the body is JSON, not a string"
    );
    let id = created["body"]["id"].as_str().unwrap();
    let location = created["headers"]["Location"].as_str().unwrap();
    assert_eq!(location, s.item(id), "links use the batch's host");
    assert!(created["headers"]["Content-Type"]
        .as_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(created["headers"]["client-request-id"], "mine-1");
    assert_ne!(
        created["headers"]["request-id"],
        r["list"]["headers"]["request-id"]
    );
    assert_eq!(status(&r["list"]), 200);
    assert_eq!(r["list"]["body"]["value"][0]["displayName"], "From a batch");
    assert_eq!(r["count"]["body"], "1", "text answers are strings");
    assert_eq!(
        r["filtered"]["body"]["@odata.count"], 1,
        "spaces in a url are sent encoded"
    );
    // The profile exists outside the batch too.
    assert_eq!(s.list_all().await.len(), 1);
}

#[tokio::test]
async fn a_failed_dependency_is_424_for_its_dependents_and_their_dependents() {
    let s = TestServer::start().await;
    let missing = format!("{PROFILES}/8f1c2a4e-0000-4000-8000-00000000abcd");
    let r = answers(
        &s,
        json!([
            {"id": "1", "method": "GET", "url": missing},
            {"id": "2", "method": "POST", "url": PROFILES, "dependsOn": ["1"],
             "headers": {"Content-Type": "application/json"}, "body": {"displayName": "never"}},
            {"id": "3", "method": "GET", "url": PROFILES, "dependsOn": ["2"]},
            {"id": "4", "method": "GET", "url": PROFILES},
        ]),
    )
    .await;
    assert_eq!(status(&r["1"]), 404);
    assert_eq!(r["1"]["body"]["error"]["code"], "ResourceNotFound");
    for dependent in ["2", "3"] {
        let a = &r[dependent];
        assert_eq!(status(a), 424, "{a}");
        assert_eq!(a["body"]["error"]["code"], "FailedDependency");
        assert!(a["body"]["error"]["innerError"]["request-id"].is_string());
        assert_eq!(a["headers"]["Content-Type"], "application/json");
    }
    assert!(r["2"]["body"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("request '1'"));
    assert_eq!(status(&r["4"]), 200, "an independent request runs");
    assert!(
        s.list_all().await.is_empty(),
        "the dependent create never ran"
    );
}

#[tokio::test]
async fn urls_are_relative_to_beta_and_refused_one_by_one_otherwise() {
    let s = TestServer::start().await;
    let r = answers(
        &s,
        json!([
            {"id": "plain", "method": "GET", "url": PROFILES},
            {"id": "no-slash", "method": "get", "url": &PROFILES[1..]},
            {"id": "beta", "method": "GET", "url": format!("/beta{PROFILES}")},
            {"id": "any-case", "method": "GET", "url": "/DEVICEMANAGEMENT/androidDeviceOwnerEnrollmentProfiles/"},
            {"id": "v1", "method": "GET", "url": format!("/v1.0{PROFILES}")},
            {"id": "absolute", "method": "GET", "url": format!("{}/beta{PROFILES}", s.base)},
            {"id": "nested", "method": "POST", "url": "/$batch",
             "headers": {"Content-Type": "application/json"}, "body": {"requests": []}},
            {"id": "unknown", "method": "GET", "url": "/deviceManagement/nothingHere"},
            {"id": "metadata", "method": "GET", "url": "/$metadata"},
        ]),
    )
    .await;
    for ok in ["plain", "no-slash", "beta", "any-case"] {
        assert_eq!(status(&r[ok]), 200, "{ok}: {}", r[ok]);
    }
    let message = |id: &str| {
        assert_eq!(status(&r[id]), 400, "{id}: {}", r[id]);
        assert_eq!(r[id]["body"]["error"]["code"], "BadRequest");
        r[id]["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message("v1").contains("'v1.0'"));
    assert!(message("absolute").contains("absolute"));
    assert!(message("nested").contains("another $batch"));
    assert!(message("unknown").contains("nothingHere"));
    assert_eq!(status(&r["metadata"]), 200);
    assert!(r["metadata"]["body"].as_str().unwrap().starts_with("<?xml"));
}

#[tokio::test]
async fn every_request_acts_with_the_batch_token_and_its_own_is_ignored() {
    let s = TestServer::start().await;
    let reader = client_with_token(&s.dev_token(s.dev_tenant, &[READ_ALL], false));
    let writer_token = s.dev_token(s.dev_tenant, &[provisio::auth::READ_WRITE_ALL], false);
    let body = json!({"requests": [
        {"id": "write", "method": "POST", "url": PROFILES,
         "headers": {"Content-Type": "application/json", "Authorization": format!("Bearer {writer_token}")},
         "body": {"displayName": "not allowed"}},
        {"id": "read", "method": "GET", "url": PROFILES,
         "headers": {"Authorization": "Bearer not-a-token"}},
    ]});
    let res = reader
        .post(s.url("/beta/$batch"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let r = responses(res).await;
    assert_eq!(status(&r["write"]), 403, "{}", r["write"]);
    assert_eq!(r["write"]["body"]["error"]["code"], "Forbidden");
    assert_eq!(status(&r["read"]), 200);
    // Without a token the batch itself is 401, whatever its requests carry.
    let res = s
        .bare
        .post(s.url("/beta/$batch"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
    assert!(s.list_all().await.is_empty());
}

#[tokio::test]
async fn each_request_is_throttled_on_its_own_with_retry_after() {
    let s = TestServer::start_with(|s| {
        s.throttle.app_requests = Some(3);
        s.throttle.window_seconds = 60;
    })
    .await;
    let requests: Vec<Value> = (0..5)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": PROFILES}))
        .collect();
    // The batch itself is not counted: its five requests are, three admitted.
    let r = answers(&s, Value::from(requests)).await;
    let refused: Vec<&Value> = r.values().filter(|a| status(a) == 429).collect();
    assert_eq!(r.values().filter(|a| status(a) == 200).count(), 3, "{r:?}");
    assert_eq!(refused.len(), 2);
    for a in refused {
        assert_eq!(a["body"]["error"]["code"], "TooManyRequests");
        let retry: u64 = a["headers"]["Retry-After"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{a}");
    }
}

#[tokio::test]
async fn malformed_and_hostile_batches_are_refused_whole_and_change_nothing() {
    let s = TestServer::start().await;
    let create = json!({"id": "c", "method": "POST", "url": PROFILES,
        "headers": {"Content-Type": "application/json"}, "body": {"displayName": "must not exist"}});
    let get = |id: &str, deps: &[&str]| json!({"id": id, "method": "GET", "url": PROFILES, "dependsOn": deps});
    let over: Vec<Value> = std::iter::once(create.clone())
        .chain((0..20).map(|i| get(&i.to_string(), &[])))
        .collect();
    let cases = [
        (json!({"requests": over}), "at most 20"),
        (
            json!({"requests": [create, get("c", &[])]}),
            "more than one request",
        ),
        (json!({"requests": [create, get("x", &["nope"])]}), "'nope'"),
        (
            json!({"requests": [create, get("a", &["b"]), get("b", &["a"])]}),
            "cycle",
        ),
        (json!({"requests": [create, get("a", &["a"])]}), "cycle"),
        (
            json!({"requests": [create, {"id": "b", "method": "POST", "url": PROFILES, "body": {}}]}),
            "Content-Type",
        ),
        (
            json!({"requests": [create, {"id": "b", "url": PROFILES}]}),
            "'method'",
        ),
        (
            json!({"requests": [create, {"id": 7, "method": "GET", "url": PROFILES}]}),
            "'id'",
        ),
        (json!({"requests": create}), "array"),
        (json!({"requests": []}), "empty"),
        (json!([create]), "JSON object"),
    ];
    for (body, expected) in cases {
        let message = expect_error(
            batch(&s, &body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let raw = |text: String, content_type: &'static str| {
        s.client
            .post(s.url("/beta/$batch"))
            .header("content-type", content_type)
            .body(text)
            .send()
    };
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let duplicate_keys = r#"{"requests": [], "requests": []}"#.to_owned();
    for text in ["{not json".to_owned(), String::new(), deep, duplicate_keys] {
        expect_error(
            raw(text, "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }
    let huge = format!(
        r#"{{"requests": [{{"id": "1", "method": "POST", "url": "{PROFILES}", "headers": {{"Content-Type": "application/json"}}, "body": {{"displayName": "{}"}}}}]}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    let refusals = [
        (
            huge,
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
        ),
        (
            r#"{"requests": []}"#.into(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
    ];
    for (text, content_type, status, code) in refusals {
        expect_error(raw(text, content_type).await.unwrap(), status, code).await;
    }
    let res = s.get(&s.url("/beta/$batch")).await;
    expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
    assert!(
        s.list_all().await.is_empty(),
        "no request of a refused batch ran"
    );
    // The path takes the usual forms.
    let res = s
        .post_json(
            &s.url("/BETA/%24batch/"),
            &json!({"requests": [get("1", &[])]}),
        )
        .await;
    assert_eq!(responses(res).await["1"]["status"], 200);
}
