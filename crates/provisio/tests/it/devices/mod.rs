//! The device side end to end: the device protocol (check, enroll, check-in, commands), the
//! exact counts under races on both stores, and the managed devices Graph serves.

mod counting;
mod graph;
mod hostile;
mod names;
mod protocol;
mod races;
mod throttle;
mod users;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::common::{ok_json, TestServer};

/// A device: its secret and what it reports.
#[derive(Clone, Debug)]
pub struct Device {
    pub secret: String,
    pub serial: String,
}

impl Device {
    pub fn new(serial: impl Into<String>) -> Self {
        Device {
            secret: format!("secret-{}", uuid::Uuid::new_v4().simple()),
            serial: serial.into(),
        }
    }

    pub fn credential_hash(&self) -> String {
        format!("{:x}", Sha256::digest(self.secret.as_bytes()))
    }

    /// The enrollment body for `token`.
    pub fn body(&self, token: &str) -> Value {
        json!({
            "enrollmentToken": token,
            "credentialHash": self.credential_hash(),
            "device": {
                "serialNumber": self.serial,
                "manufacturer": "samsung",
                "model": "SM-G991B",
                "osVersion": "14",
                "securityPatchLevel": "2026-10-01",
            }
        })
    }
}

/// A profile with a fresh token: (profile id, token value).
pub async fn profile_with_token(s: &TestServer, name: &str) -> (String, String) {
    let p = s
        .create(json!({"displayName": name, "enrollmentMode": "corporateOwnedDedicatedDevice"}))
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    let token = new_token(s, &id).await;
    (id, token)
}

/// Creates a new token on the profile and returns its value.
pub async fn new_token(s: &TestServer, id: &str) -> String {
    let res = s
        .post_json(
            &format!("{}/createToken", s.item(id)),
            &json!({"tokenValidityInSeconds": 3600}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let p = ok_json(s.get(&s.item(id)).await).await;
    p["tokenValue"].as_str().unwrap().to_owned()
}

/// `POST /device/v1/enroll` with `body` and extra headers.
pub async fn enroll_with(
    s: &TestServer,
    body: &Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = s
        .bare
        .post(s.url("/device/v1/enroll"))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("enroll")
}

/// Enrolls `d` with `token`.
pub async fn enroll(s: &TestServer, d: &Device, token: &str) -> reqwest::Response {
    enroll_with(s, &d.body(token), &[]).await
}

/// Checks `d` in.
pub async fn checkin(s: &TestServer, d: &Device) -> reqwest::Response {
    s.bare
        .post(s.url("/device/v1/checkin"))
        .header("authorization", format!("Device {}", d.secret))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("checkin")
}

/// The profile's two counts: (enrolledDeviceCount, enrollmentTokenUsageCount).
pub async fn counts(s: &TestServer, id: &str) -> (i64, i64) {
    let p = ok_json(s.get(&s.item(id)).await).await;
    (
        p["enrolledDeviceCount"].as_i64().unwrap(),
        p["enrollmentTokenUsageCount"].as_i64().unwrap(),
    )
}

/// Every managed device of the dev tenant.
pub async fn all_devices(s: &TestServer) -> Vec<Value> {
    s.list_all_in(&s.collection_of("managedDevices")).await
}
