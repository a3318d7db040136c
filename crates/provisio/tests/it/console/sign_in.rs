//! The console's sign-in with an OpenID provider (docs/CONSOLE.md, Sign-in): a server in
//! production mode configured with the test provider ([`crate::oidc`]), whose public client has
//! the console's callback as redirect URI. The user clicks Sign in, signs in and consents in the
//! provider's own pages in Chromium, lands back on the console signed in (authorization code
//! with PKCE, redeemed by the page across origins), sees the profiles, and signs out; a user
//! whose token carries no write permission sees no write control; a forged callback is refused.

use provisio::auth::{READ_ALL, READ_WRITE_ALL};
use reqwest::Client;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::browser::Browser;
use crate::common::{client_with_token, ok_json, TestServer, COLLECTION};
use crate::oidc::{OidcProvider, CLIENT_ID, PASSWORD, USER};

/// A provider whose client may send browsers back to the console of a server in production
/// mode that accepts its tokens and tells clients to ask for `scopes`.
async fn server_with_provider(scopes: &[&str]) -> (OidcProvider, TestServer) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let callback = format!("{origin}{}", provisio::api::console::CALLBACK);
    let idp = OidcProvider::start(&[&callback]).await;
    let s = TestServer::start_on(listener, |settings| {
        idp.configure(settings);
        settings.auth.client_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    })
    .await;
    (idp, s)
}

/// An access token of the provider's user with `scope`, through the device flow (the user
/// approves in the provider's pages over HTTP): for creating profiles through the API.
async fn device_token(idp: &OidcProvider, scope: &str) -> String {
    let http = Client::new();
    let started: Value = ok_json(
        http.post(format!("{}/device/auth", idp.issuer))
            .form(&[("client_id", CLIENT_ID), ("scope", scope)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    idp.sign_in(started["verification_uri_complete"].as_str().unwrap(), true)
        .await;
    let token: Value = ok_json(
        http.post(format!("{}/token", idp.issuer))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", started["device_code"].as_str().unwrap()),
                ("client_id", CLIENT_ID),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    token["access_token"].as_str().unwrap().to_owned()
}

/// Creates a profile named `name` through the API with the provider's token.
async fn create_profile(idp: &OidcProvider, s: &TestServer, name: &str) {
    let token = device_token(idp, READ_WRITE_ALL).await;
    let res = client_with_token(&token)
        .post(s.url(COLLECTION))
        .json(&json!({ "displayName": name }))
        .send()
        .await
        .unwrap();
    ok_json(res).await;
}

/// Opens the console, clicks Sign in, signs in and allows access in the provider's pages, and
/// waits until the console shows the account.
async fn sign_in(b: &Browser, s: &TestServer) {
    b.client.goto(&s.url("/")).await.unwrap();
    b.click_button("main", "Sign in").await;
    b.fill("input[name=username]", USER).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.find("button#sign-in").await.click().await.unwrap();
    b.find("button#allow").await.click().await.unwrap();
    b.wait_text("#account", USER).await;
}

#[tokio::test]
async fn an_admin_signs_in_with_the_identity_provider_and_out_again() {
    let started = std::time::Instant::now();
    let (idp, s) = server_with_provider(&["offline_access", READ_WRITE_ALL]).await;
    // The page may connect to the provider's origin, and nowhere else but itself.
    let res = s.bare.get(s.url("/")).send().await.unwrap();
    assert_eq!(
        res.headers()["content-security-policy"],
        super::CSP.replace(
            "connect-src 'self'",
            &format!("connect-src 'self' {}", idp.issuer)
        )
    );
    create_profile(&idp, &s, "Front desk tablets").await;

    let b = Browser::start(1280, 900).await;
    sign_in(&b, &s).await;
    b.wait_text("table", "Front desk tablets").await;
    assert!(b.text("main").await.contains("New profile"));
    assert!(!b.text("#account").await.contains("read-only"));
    // The code, the state and every token are out of the address, storage holds no token.
    let url = b.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/", "{url}");
    assert_eq!(url.query(), None, "{url}");
    let stored = b
        .client
        .execute(
            "return JSON.stringify([{...sessionStorage}, {...localStorage}]);",
            vec![],
        )
        .await
        .unwrap();
    assert!(!stored.as_str().unwrap().contains("ey"), "{stored}");
    assert!(!stored.as_str().unwrap().contains("verifier"), "{stored}");

    // Sign out: the provider's end-session page, then back to the console, signed out.
    b.click_button("#account", "Sign out").await;
    b.find("button[name=logout]").await.click().await.unwrap();
    b.wait_text("main", "Sign in to use the console").await;
    let url = b.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/", "{url}");
    assert_eq!(b.text("#account").await, "");
    // Signed out at the provider too: signing in asks for the password again.
    b.click_button("main", "Sign in").await;
    b.find("input[name=password]").await;
    eprintln!("sign-in walkthrough took {:?}", started.elapsed());
    drop(idp);
}

#[tokio::test]
async fn a_user_signed_in_without_write_permission_sees_no_write_control() {
    let (idp, s) = server_with_provider(&[READ_ALL]).await;
    create_profile(&idp, &s, "Warehouse scanners").await;
    let b = Browser::start(1280, 900).await;
    // A code that this tab did not ask for (another state) is refused, and leaves the address.
    b.client
        .goto(&s.url("/console/callback?code=forged&state=forged"))
        .await
        .unwrap();
    b.wait_text("main", "its state does not match").await;
    let url = b.client.current_url().await.unwrap();
    assert_eq!((url.path(), url.query()), ("/", None), "{url}");
    assert_eq!(b.text("#account").await, "");

    sign_in(&b, &s).await;
    b.wait_text("#account", "(read-only)").await;
    b.wait_text("table", "Warehouse scanners").await;
    assert!(!b.text("main").await.contains("New profile"));
    b.find("table a").await.click().await.unwrap();
    b.wait_text("main h1", "Warehouse scanners").await;
    b.wait_text("main", "Settings").await;
    let page = b.text("main").await;
    for control in ["Delete profile", "Create a new token", "Edit"] {
        assert!(
            !page.contains(control),
            "{control} shown to a read-only user"
        );
    }
}
