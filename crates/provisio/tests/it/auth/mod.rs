//! Identity end to end: bad tokens, the permission matrix, tenant isolation, JWKS fetching and
//! development mode. Shared here: the test keys, a JWKS served from 127.0.0.1, token signing and
//! a server in production mode.

mod bad_cases;
mod bad_tokens;
mod dev_mode;
mod isolation;
mod jwks;
mod permissions;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::common::TestServer;

pub const TENANT_A: &str = "3f1a6d2c-8b4e-4c5d-9e6f-0a1b2c3d4e5f";
pub const TENANT_B: &str = "b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
pub const AUDIENCE: &str = "api://provisio-test";
pub const READ: &str = "DeviceManagementConfiguration.Read.All";
pub const READ_WRITE: &str = "DeviceManagementConfiguration.ReadWrite.All";

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/auth");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// The test keys (public fixtures, never trusted anywhere else).
pub struct Keys {
    pub rsa_a: EncodingKey,
    pub rsa_b: EncodingKey,
    pub ec_a: EncodingKey,
    pub rsa_a_public_pem: Vec<u8>,
}

impl Keys {
    pub fn load() -> Self {
        Keys {
            rsa_a: EncodingKey::from_rsa_pem(&fixture("rsa-a.pem")).expect("rsa-a"),
            rsa_b: EncodingKey::from_rsa_pem(&fixture("rsa-b.pem")).expect("rsa-b"),
            ec_a: EncodingKey::from_ec_pem(&fixture("ec-a.pem")).expect("ec-a"),
            rsa_a_public_pem: fixture("rsa-a.pub.pem"),
        }
    }

    /// A JWKS with rsa-a as `kid` "rsa-a" and ec-a as "ec-a", plus any `extra` keys.
    pub fn jwks(&self, extra: &[(&EncodingKey, Algorithm, &str)]) -> Value {
        let mut keys = vec![
            jwk(&self.rsa_a, Algorithm::RS256, "rsa-a"),
            jwk(&self.ec_a, Algorithm::ES256, "ec-a"),
        ];
        keys.extend(extra.iter().map(|(k, alg, kid)| jwk(k, *alg, kid)));
        json!({ "keys": keys })
    }
}

/// The public JWK of a private key, as an identity provider publishes it (no `alg` when the
/// provider leaves it out, as Entra ID does for RSA keys).
pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    let mut v = serde_json::to_value(jwk).expect("json");
    v["use"] = json!("sig");
    if alg == Algorithm::RS256 {
        v.as_object_mut().expect("object").remove("alg");
    }
    v
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Valid delegated claims for `tenant` in production mode (Entra v2 issuer).
pub fn claims(tenant: &str, scp: &str) -> Value {
    json!({
        "aud": AUDIENCE,
        "iss": format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        "iat": now() - 10,
        "nbf": now() - 10,
        "exp": now() + 3600,
        "tid": tenant,
        "oid": "6e0c8a52-1b7d-4f3e-9a2c-5d4e3f2a1b0c",
        "azp": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "scp": scp,
        "ver": "2.0",
    })
}

/// Valid application claims (`roles`) for `tenant`, with a v1 (sts.windows.net) issuer.
pub fn app_claims(tenant: &str, roles: &[&str]) -> Value {
    let mut c = claims(tenant, "");
    let map = c.as_object_mut().expect("object");
    map.remove("scp");
    map.insert("roles".into(), json!(roles));
    map.insert(
        "iss".into(),
        json!(format!("https://sts.windows.net/{tenant}/")),
    );
    map.insert(
        "appid".into(),
        json!("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
    );
    map.insert("ver".into(), json!("1.0"));
    c
}

pub fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

/// A JWKS document served over plain http on 127.0.0.1, counting the fetches.
pub struct JwksServer {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    doc: Arc<Mutex<Value>>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(doc: Value) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let doc = Arc::new(Mutex::new(doc));
        let (h, d) = (hits.clone(), doc.clone());
        let app = Router::new().route(
            "/keys",
            get(move || {
                h.fetch_add(1, Ordering::SeqCst);
                let v = d.lock().expect("lock").clone();
                async move { Json(v) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/keys", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        JwksServer {
            url,
            hits,
            doc,
            task,
        }
    }

    pub fn set(&self, doc: Value) {
        *self.doc.lock().expect("lock") = doc;
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server in production mode: Entra v1 and v2 issuer patterns, [`AUDIENCE`], keys from `jwks_url`.
pub async fn production_server(jwks_url: &str, min_refresh_seconds: u64) -> TestServer {
    production_server_with(jwks_url, min_refresh_seconds, |_| {}).await
}

/// [`production_server`] with other settings changed by `configure`.
pub async fn production_server_with(
    jwks_url: &str,
    min_refresh_seconds: u64,
    configure: impl FnOnce(&mut provisio::config::Settings),
) -> TestServer {
    let url = jwks_url.to_owned();
    TestServer::start_with(move |s| {
        s.auth.issuers = vec![
            "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
            "https://sts.windows.net/{tenantid}/".into(),
        ];
        s.auth.audiences = vec![AUDIENCE.into()];
        s.auth.jwks_url = Some(url);
        s.auth.jwks_min_refresh_seconds = min_refresh_seconds;
        configure(s);
    })
    .await
}

/// Sends `method url` with `token` (none when `None`) and an optional JSON body.
pub async fn call(
    s: &TestServer,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = s.bare.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    req.send().await.expect("request")
}
