//! Hostile input on every device endpoint: the hostile-body corpus of the profiles and the
//! device protocol's own cases (huge and mistyped members, placeholder serials, malformed
//! credential hashes and tokens, forged `Authorization: Device` and `Idempotency-Key` headers,
//! replayed keys, foreign command ids), and on the Graph managed devices (bad ids, `$filter`
//! values, PATCH bodies). Every case gets a 4xx in the Graph envelope, never a 5xx, and the
//! stored devices and profiles are the same after the whole run as before it.

mod credential_cases;
mod graph_cases;
mod protocol_cases;

use reqwest::header::HeaderValue;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use super::*;
use crate::common::{client_with_token, envelope_error, COLLECTION};
use provisio::auth::{DEVICES_PRIVILEGED, DEVICES_READ_WRITE_ALL, READ_WRITE_ALL};

pub const BAD: (StatusCode, &str) = (StatusCode::BAD_REQUEST, "BadRequest");
pub const NOT_FOUND: (StatusCode, &str) = (StatusCode::NOT_FOUND, "ResourceNotFound");
pub const TOO_LARGE: (StatusCode, &str) = (StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge");
pub const MEDIA: (StatusCode, &str) = (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType");
pub const TOKEN: (StatusCode, &str) = (StatusCode::UNAUTHORIZED, "InvalidEnrollmentToken");

pub const CHECK: &str = "/device/v1/check";
pub const ENROLL: &str = "/device/v1/enroll";
pub const CHECKIN: &str = "/device/v1/checkin";

/// The acknowledgement path of command `id`.
pub fn ack(id: &str) -> String {
    format!("/device/v1/commands/{id}/ack")
}

/// One request and what it must get.
pub struct Case {
    pub name: String,
    pub method: Method,
    /// The path below the server's base.
    pub path: String,
    pub headers: Vec<(&'static str, HeaderValue)>,
    pub body: Vec<u8>,
    /// The status and code; any 4xx when `None`.
    pub want: Option<(StatusCode, &'static str)>,
    /// Text the message must hold (the member it names).
    pub says: Option<String>,
}

impl Case {
    /// A POST of `body` as JSON.
    pub fn json(name: impl Into<String>, path: impl Into<String>, body: &Value) -> Self {
        Case::raw(name, path, body.to_string().into_bytes())
    }

    /// A POST of these bytes as `application/json`.
    pub fn raw(name: impl Into<String>, path: impl Into<String>, body: Vec<u8>) -> Self {
        Case {
            name: name.into(),
            method: Method::POST,
            path: path.into(),
            headers: vec![("content-type", HeaderValue::from_static("application/json"))],
            body,
            want: None,
            says: None,
        }
    }

    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Adds a header (a second one of the same name is sent as a second line).
    pub fn with(mut self, name: &'static str, value: &[u8]) -> Self {
        self.headers
            .push((name, HeaderValue::from_bytes(value).expect("header value")));
        self
    }

    /// Sends the device's secret.
    pub fn device(self, d: &Device) -> Self {
        self.with("authorization", format!("Device {}", d.secret).as_bytes())
    }

    /// Drops the Content-Type header.
    pub fn untyped(mut self) -> Self {
        self.headers.retain(|(n, _)| *n != "content-type");
        self
    }

    pub fn want(mut self, want: (StatusCode, &'static str)) -> Self {
        self.want = Some(want);
        self
    }

    pub fn bad(self, member: &str) -> Self {
        self.want(BAD).says(member)
    }

    pub fn says(mut self, text: &str) -> Self {
        self.says = Some(text.to_owned());
        self
    }
}

/// Sends every case with `client`; returns what went wrong, one line per case.
pub async fn run(s: &TestServer, client: &Client, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases {
        let mut req = client
            .request(c.method.clone(), s.url(&c.path))
            .body(c.body.clone());
        for (name, value) in &c.headers {
            req = req.header(*name, value.clone());
        }
        let res = match req.send().await {
            Ok(res) => res,
            Err(e) => {
                failures.push(format!("{}: no answer: {e}", c.name));
                continue;
            }
        };
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap_or_default();
        match envelope_error(status, &headers, &text, c.want) {
            Ok(message) => {
                let lower = message.to_lowercase();
                if let Some(says) = c
                    .says
                    .as_deref()
                    .filter(|t| !lower.contains(&t.to_lowercase()))
                {
                    failures.push(format!(
                        "{}: the message does not say {says:?}: {message}",
                        c.name
                    ));
                }
            }
            Err(e) => failures.push(format!("{} ({} {}): {e}", c.name, c.method, c.path)),
        }
    }
    failures
}

/// Sends every case with `client`; panics listing every case that did not get its answer.
async fn assert_all_pass(s: &TestServer, client: &Client, cases: &[Case]) {
    let failures = run(s, client, cases).await;
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Two tenants' profiles and devices, with commands waiting, for cases to aim at.
pub struct Scene {
    pub s: TestServer,
    pub profile: String,
    pub token: String,
    /// Enrolled; a wipe waits for it (`wipe`).
    pub d1: Device,
    pub d1_id: String,
    pub wipe: String,
    /// Enrolled; a retire waits for it (`retire`).
    pub d2: Device,
    pub retire: String,
    /// Enrolled with the Idempotency-Key `replay-key`.
    pub keyed: Device,
    /// Another tenant's client, its profile, device and waiting command.
    pub other: Client,
    pub other_profile: String,
    pub other_device_id: String,
    pub other_command: String,
}

/// Queues `action` (retire or wipe) on a device through `client` and returns the command's id
/// from the device's next check-in.
async fn command(s: &TestServer, client: &Client, d: &Device, id: &str, action: &str) -> String {
    let url = format!("{}/{id}/{action}", s.collection_of("managedDevices"));
    let res = client.post(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let c = ok_json(checkin(s, d).await).await;
    c["commands"][0]["id"].as_str().unwrap().to_owned()
}

async fn enrolled(s: &TestServer, d: &Device, token: &str) -> String {
    let res = enroll(s, d, token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ok_json(res).await["managedDeviceId"]
        .as_str()
        .unwrap()
        .to_owned()
}

impl Scene {
    pub async fn new() -> Self {
        // Every case fails from one address: the failure limit per address is off here (its
        // own test is devices::throttle).
        let s = TestServer::start_with(|s| s.device_throttle.failures_per_minute = 0).await;
        let (profile, token) = profile_with_token(&s, "hostile").await;
        let d1 = Device::new("HOSTILE-D1");
        let d1_id = enrolled(&s, &d1, &token).await;
        let d2 = Device::new("HOSTILE-D2");
        let d2_id = enrolled(&s, &d2, &token).await;
        let keyed = Device::new("HOSTILE-KEYED");
        let res = enroll_with(
            &s,
            &keyed.body(&token),
            &[("idempotency-key", "replay-key")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let wipe = command(&s, &s.client, &d1, &d1_id, "wipe").await;
        let retire = command(&s, &s.client, &d2, &d2_id, "retire").await;
        let other = client_with_token(&s.dev_token(
            uuid::Uuid::from_u128(77),
            &[READ_WRITE_ALL, DEVICES_READ_WRITE_ALL, DEVICES_PRIVILEGED],
            false,
        ));
        let res = other
            .post(s.collection())
            .json(&json!({"displayName": "other tenant"}))
            .send()
            .await
            .unwrap();
        let other_profile = ok_json(res).await["id"].as_str().unwrap().to_owned();
        let url = format!("{}/{other_profile}", s.collection());
        let res = other
            .post(format!("{url}/createToken"))
            .json(&json!({"tokenValidityInSeconds": 3600}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let p = ok_json(other.get(&url).send().await.unwrap()).await;
        let e1 = Device::new("OTHER-E1");
        let other_device_id = enrolled(&s, &e1, p["tokenValue"].as_str().unwrap()).await;
        let other_command = command(&s, &other, &e1, &other_device_id, "retire").await;
        Scene {
            s,
            profile,
            token,
            d1,
            d1_id,
            wipe,
            d2,
            retire,
            keyed,
            other,
            other_profile,
            other_device_id,
            other_command,
        }
    }

    /// Every stored thing a case could change, as both tenants read it through Graph: each
    /// device in full (notes included) and each profile with its counts.
    pub async fn snapshot(&self) -> Value {
        let s = &self.s;
        let mut out = Vec::new();
        for (client, profile) in [
            (&s.client, &self.profile),
            (&self.other, &self.other_profile),
        ] {
            let col = s.collection_of("managedDevices");
            let page = ok_json(client.get(&col).send().await.unwrap()).await;
            for d in page["value"].as_array().unwrap() {
                let url = format!("{col}/{}", d["id"].as_str().unwrap());
                out.push(ok_json(client.get(url).send().await.unwrap()).await);
            }
            let url = format!("{}{COLLECTION}/{profile}", s.base);
            out.push(ok_json(client.get(url).send().await.unwrap()).await);
        }
        Value::Array(out)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_endpoint_refuses_hostile_input_and_changes_nothing() {
    let sc = Scene::new().await;
    let before = sc.snapshot().await;
    assert_eq!(counts(&sc.s, &sc.profile).await, (3, 3));

    // The profiles' corpus, at each of the four endpoints; check-in and acknowledgement with a
    // real credential and a waiting command, so that only the body is wrong.
    let mut cases = Vec::new();
    for (name, body) in crate::hostile::corpus() {
        cases.push(Case::raw(format!("check: {name}"), CHECK, body.clone()));
        cases.push(Case::raw(format!("enroll: {name}"), ENROLL, body.clone()));
        cases.push(Case::raw(format!("checkin: {name}"), CHECKIN, body.clone()).device(&sc.d1));
        cases.push(Case::raw(format!("ack: {name}"), ack(&sc.wipe), body).device(&sc.d1));
    }
    let corpus = cases.len();
    let mut own = protocol_cases::all(&sc);
    own.extend(credential_cases::all(&sc));
    assert!(own.len() >= 50, "{} device cases", own.len());
    cases.extend(own);
    assert_all_pass(&sc.s, &sc.s.bare, &cases).await;
    assert_eq!(sc.snapshot().await, before, "stored data changed");
    eprintln!(
        "device protocol: {corpus} corpus requests and {} device cases refused",
        cases.len() - corpus
    );
    sc.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_devices_refuse_hostile_ids_filters_and_bodies() {
    let sc = Scene::new().await;
    let before = sc.snapshot().await;
    let mut cases = Vec::new();
    let device = format!("/beta/deviceManagement/managedDevices/{}", sc.d1_id);
    for (name, body) in crate::hostile::corpus() {
        // Well-typed role scope tags break a profile's rule, but the member is read-only on a
        // managed device, where Graph ignores it (as `read_only_members` below).
        if ["tags 101", "tags 100000", "tag empty", "tag 129"].contains(&name.as_str()) {
            continue;
        }
        cases.push(Case::raw(format!("PATCH {name}"), device.clone(), body).method(Method::PATCH));
    }
    let corpus = cases.len();
    cases.extend(graph_cases::all(&sc));
    assert_all_pass(&sc.s, &sc.s.client, &cases).await;
    // Read-only members are ignored, not refused: 204, and nothing changes.
    let url = sc.s.url(&device);
    let res =
        sc.s.patch_json(&url, &graph_cases::read_only_members(&sc))
            .await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(sc.snapshot().await, before, "stored data changed");
    eprintln!(
        "managed devices: {corpus} corpus PATCHes and {} Graph cases refused",
        cases.len() - corpus
    );
    sc.s.stop().await;
}
