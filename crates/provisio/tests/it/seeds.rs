//! The example requests of the two Graph "create" pages, posted byte for byte.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{ok_json, redact, TestServer};

const FULL: &str = include_str!("../fixtures/seed-create-full.json");
const MINIMAL: &str = include_str!("../fixtures/seed-create-minimal.json");

/// Members a client may set; each must come back as sent.
const SETTABLE: [&str; 12] = [
    "displayName",
    "description",
    "enrollmentMode",
    "enrollmentTokenType",
    "roleScopeTagIds",
    "configureWifi",
    "wifiSsid",
    "wifiPassword",
    "wifiSecurityType",
    "wifiHidden",
    "isTeamsDeviceProfile",
    "deviceNameTemplate",
];

async fn post_verbatim(s: &TestServer, body: &'static str) -> Value {
    let res = s
        .client
        .post(s.collection())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let sent: Value = serde_json::from_str(body).unwrap();
    for member in SETTABLE {
        if let Some(v) = sent.get(member) {
            assert_eq!(&created[member], v, "{member} is echoed");
        }
    }
    created
}

#[tokio::test]
async fn the_full_seed_example_is_created_and_echoed() {
    assert_eq!(FULL.len(), 981, "the page's Content-length");
    let s = TestServer::start().await;
    let created = post_verbatim(&s, FULL).await;
    // Every settable member is in this example.
    let sent: Value = serde_json::from_str(FULL).unwrap();
    assert_eq!(
        SETTABLE.iter().filter(|m| sent.get(**m).is_some()).count(),
        11,
        "all but deviceNameTemplate"
    );
    insta::assert_json_snapshot!("seed_full", redact(created.clone(), &s.base));
    let id = created["id"].as_str().unwrap();
    assert_eq!(ok_json(s.get(&s.item(id)).await).await, created);
    s.stop().await;
}

#[tokio::test]
async fn the_minimal_seed_example_is_created_and_echoed() {
    assert_eq!(MINIMAL.len(), 627, "the page's Content-length");
    let s = TestServer::start().await;
    let created = post_verbatim(&s, MINIMAL).await;
    insta::assert_json_snapshot!("seed_minimal", redact(created, &s.base));
    s.stop().await;
}
