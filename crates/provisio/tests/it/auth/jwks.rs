//! Fetching the signing keys: cached, fetched again when a token names an unknown key id (key
//! rotation), but at most once per `jwks_min_refresh_seconds` however many unknown ids arrive;
//! an unreachable JWKS is 503 rather than 500; a JWKS file works like a URL.

use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};

use super::{
    call, claims, production_server, sign, JwksServer, Keys, AUDIENCE, READ_WRITE, TENANT_A,
};
use crate::common::{expect_error, TestServer};

#[tokio::test]
async fn keys_are_cached_and_refetched_for_a_rotated_key() {
    let keys = Keys::load();
    let jwks = JwksServer::start(keys.jwks(&[])).await;
    let s = production_server(&jwks.url, 0).await;
    assert_eq!(jwks.hits(), 0, "keys are fetched when first needed");
    let a = sign(
        Algorithm::RS256,
        Some("rsa-a"),
        &keys.rsa_a,
        &claims(TENANT_A, READ_WRITE),
    );
    for _ in 0..3 {
        let res = call(&s, Method::GET, &s.collection(), Some(&a), None).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(jwks.hits(), 1, "known keys are served from the cache");

    // The provider rotates: rsa-b appears under a new kid and rsa-a is withdrawn.
    jwks.set(serde_json::json!({"keys": [super::jwk(&keys.rsa_b, Algorithm::RS256, "rsa-b")]}));
    let b = sign(
        Algorithm::RS256,
        Some("rsa-b"),
        &keys.rsa_b,
        &claims(TENANT_A, READ_WRITE),
    );
    let res = call(&s, Method::GET, &s.collection(), Some(&b), None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(jwks.hits(), 2);
    let res = call(&s, Method::GET, &s.collection(), Some(&a), None).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
    s.stop().await;
}

#[tokio::test]
async fn unknown_key_ids_cannot_force_a_stream_of_fetches() {
    let keys = Keys::load();
    let jwks = JwksServer::start(keys.jwks(&[])).await;
    let s = production_server(&jwks.url, 3600).await;
    let a = sign(
        Algorithm::RS256,
        Some("rsa-a"),
        &keys.rsa_a,
        &claims(TENANT_A, READ_WRITE),
    );
    let res = call(&s, Method::GET, &s.collection(), Some(&a), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(jwks.hits(), 1);
    jwks.set(keys.jwks(&[(&keys.rsa_b, Algorithm::RS256, "rsa-b")]));
    for i in 0..20 {
        let kid = if i == 0 {
            "rsa-b".to_owned()
        } else {
            format!("made-up-{i}")
        };
        let t = sign(
            Algorithm::RS256,
            Some(&kid),
            &keys.rsa_b,
            &claims(TENANT_A, READ_WRITE),
        );
        let res = call(&s, Method::GET, &s.collection(), Some(&t), None).await;
        let m = expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
        assert!(m.contains("key"), "{m}");
    }
    assert_eq!(
        jwks.hits(),
        1,
        "no fetch within the minimum refresh interval"
    );
    s.stop().await;
}

#[tokio::test]
async fn an_unreachable_jwks_is_503_not_500() {
    let keys = Keys::load();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let s = production_server(&format!("http://{closed}/keys"), 0).await;
    let a = sign(
        Algorithm::RS256,
        Some("rsa-a"),
        &keys.rsa_a,
        &claims(TENANT_A, READ_WRITE),
    );
    let res = call(&s, Method::GET, &s.collection(), Some(&a), None).await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable").await;
    s.stop().await;
}

#[tokio::test]
async fn a_jwks_file_works_like_a_url() {
    let keys = Keys::load();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, keys.jwks(&[]).to_string()).unwrap();
    let s = TestServer::start_with(|st| {
        st.auth.issuers = vec!["https://login.microsoftonline.com/{tid}/v2.0".into()];
        st.auth.audiences = vec![AUDIENCE.into()];
        st.auth.jwks_file = Some(file.clone());
    })
    .await;
    assert!(
        !s.data_dir.join("dev-signing-key").exists(),
        "production mode makes no development key"
    );
    let es = sign(
        Algorithm::ES256,
        Some("ec-a"),
        &keys.ec_a,
        &claims(TENANT_A, READ_WRITE),
    );
    let res = call(&s, Method::GET, &s.collection(), Some(&es), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let unknown = sign(
        Algorithm::RS256,
        Some("rsa-b"),
        &keys.rsa_b,
        &claims(TENANT_A, READ_WRITE),
    );
    let res = call(&s, Method::GET, &s.collection(), Some(&unknown), None).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
    s.stop().await;
}

#[test]
fn production_settings_must_be_complete_and_safe() {
    use provisio::config::{ServeArgs, Settings};
    let load = |flags: &[&str]| {
        ServeArgs::parse(flags, &[])
            .and_then(|a| Settings::load(&a))
            .map_err(|e| format!("{e:#}"))
    };
    let issuer = ["--auth-issuer", "https://sts.windows.net/{tenantid}/"];
    let audience = ["--auth-audience", AUDIENCE];
    let err = load(&issuer).unwrap_err();
    assert!(
        err.contains("auth.audiences") && err.contains("auth.jwks_url"),
        "{err}"
    );
    let err = load(
        &[
            &issuer[..],
            &audience,
            &[
                "--auth-jwks-url",
                "http://login.microsoftonline.com/common/discovery/v2.0/keys",
            ],
        ]
        .concat(),
    )
    .unwrap_err();
    assert!(err.contains("https"), "{err}");
    let ok = load(
        &[
            &issuer[..],
            &audience,
            &[
                "--auth-jwks-url",
                "https://login.microsoftonline.com/common/discovery/v2.0/keys",
            ],
        ]
        .concat(),
    )
    .unwrap();
    assert!(ok
        .auth
        .check_listen("0.0.0.0:8080".parse().unwrap())
        .is_ok());
    let dev = load(&[]).unwrap();
    assert!(dev
        .auth
        .check_listen("0.0.0.0:8080".parse().unwrap())
        .is_err());
    assert!(dev.auth.check_listen("[::1]:8080".parse().unwrap()).is_ok());
    let allowed = load(&["--allow-dev-auth-on-network"]).unwrap();
    assert!(allowed
        .auth
        .check_listen("0.0.0.0:8080".parse().unwrap())
        .is_ok());
    let with_secret = load(
        &[
            &issuer[..],
            &audience,
            &[
                "--auth-jwks-url",
                "https://user:hunter2@idp.example.com/keys?key=hunter2",
            ],
        ]
        .concat(),
    )
    .unwrap();
    assert!(
        !format!("{with_secret:?}").contains("hunter2"),
        "Debug redacts credentials in the JWKS URL"
    );
}
