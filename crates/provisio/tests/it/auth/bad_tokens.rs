//! A table of bad credentials, each answered 401 `InvalidAuthenticationToken` with
//! `WWW-Authenticate: Bearer error="invalid_token"` — never a 500, never the token echoed — and
//! the good tokens beside them that must pass, so the table cannot pass by refusing everything.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::header::HeaderValue;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::bad_cases::{b64, bad_cases, changed, Change};
use super::{
    app_claims, claims, now, production_server, sign, JwksServer, Keys, AUDIENCE, READ, READ_WRITE,
    TENANT_A, TENANT_B,
};
use crate::common::TestServer;

async fn get_with(s: &TestServer, values: &[Vec<u8>]) -> reqwest::Response {
    let mut req = s.bare.get(s.collection());
    for v in values {
        req = req.header("authorization", HeaderValue::from_bytes(v).unwrap());
    }
    req.send().await.unwrap()
}

async fn assert_refused(s: &TestServer, name: &str, values: &[Vec<u8>]) {
    let res = get_with(s, values).await;
    let status = res.status();
    let challenge = res.headers().get("www-authenticate").cloned();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
    assert_eq!(
        challenge.unwrap(),
        "Bearer error=\"invalid_token\"",
        "{name}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken", "{name}");
    for value in values {
        let text = String::from_utf8_lossy(value);
        let secret_part = text.rsplit('.').nth(1).unwrap_or("");
        assert!(
            secret_part.len() < 8 || !body.contains(secret_part),
            "{name}: the answer echoes the token"
        );
    }
}

#[tokio::test]
async fn production_mode_refuses_every_bad_token_and_accepts_good_ones() {
    let keys = Keys::load();
    let jwks = JwksServer::start(keys.jwks(&[])).await;
    let s = production_server(&jwks.url, 0).await;
    let cases = bad_cases(&keys);
    assert!(cases.len() >= 45, "{}", cases.len());
    for (name, values) in &cases {
        assert_refused(&s, name, values).await;
    }

    let rs = |c: &Value| sign(Algorithm::RS256, Some("rsa-a"), &keys.rsa_a, c);
    let with = |c: &[Change]| rs(&changed(c));
    let upper = TENANT_A.to_uppercase();
    let upper_iss = format!("https://login.microsoftonline.com/{upper}/v2.0");
    let es256 = sign(
        Algorithm::ES256,
        Some("ec-a"),
        &keys.ec_a,
        &claims(TENANT_A, READ),
    );
    let good = [
        (
            "RS256 delegated, v2 issuer",
            rs(&claims(TENANT_A, READ_WRITE)),
        ),
        ("ES256 delegated", es256),
        (
            "RS256 application, v1 issuer",
            rs(&app_claims(TENANT_A, &[READ])),
        ),
        (
            "expired, but within the skew",
            with(&[("exp", Some(json!(now() - 120)))]),
        ),
        (
            "not yet valid, but within the skew",
            with(&[("nbf", Some(json!(now() + 120)))]),
        ),
        (
            "audience list with ours",
            with(&[("aud", Some(json!(["api://x", AUDIENCE])))]),
        ),
        (
            "tid in upper case",
            with(&[("tid", Some(json!(upper))), ("iss", Some(json!(upper_iss)))]),
        ),
    ];
    for (name, token) in &good {
        let res = get_with(&s, &[format!("bearer {token}").into_bytes()]).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{name}: {}",
            res.text().await.unwrap()
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn development_mode_accepts_only_its_own_hs256_tokens() {
    let keys = Keys::load();
    let s = TestServer::start().await;
    let tenant = s.dev_tenant.to_string();
    let own = s.dev_token(s.dev_tenant, &[READ_WRITE], false);
    let foreign = sign(
        Algorithm::HS256,
        None,
        &EncodingKey::from_secret(&[7u8; 32]),
        &claims(&tenant, READ_WRITE),
    );
    let rs256 = sign(
        Algorithm::RS256,
        Some("rsa-a"),
        &keys.rsa_a,
        &claims(&tenant, READ_WRITE),
    );
    let parts: Vec<&str> = own.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["tid"] = json!(TENANT_B);
    let retargeted = format!(
        "{}.{}.{}",
        parts[0],
        b64(payload.to_string().as_bytes()),
        parts[2]
    );
    for (name, token) in [
        ("another secret", foreign),
        ("RS256 in development mode", rs256),
        ("tid changed", retargeted),
    ] {
        assert_refused(&s, name, &[format!("Bearer {token}").into_bytes()]).await;
    }
    let res = get_with(&s, &[format!("Bearer {own}").into_bytes()]).await;
    assert_eq!(res.status(), StatusCode::OK);
    s.stop().await;
}
