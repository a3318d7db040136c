//! The admin console: a browser app served at `/`, built into the binary. Its files (plain HTML,
//! CSS and JavaScript modules under `assets/console/`) are embedded with `include_str!`, so there
//! is no build step and nothing to install beside the binary; the page calls the same Graph API
//! as every other client, with a bearer token.
//!
//! Every console response carries a strict Content-Security-Policy ([`CSP`]): scripts and styles
//! only from the server's own files, no inline code, images only from the server or `data:`
//! URLs (the QR codes), no framing; it may connect to the server itself and, when users sign in
//! with an identity provider, to that provider's origin ([`csp`]: the page reads its discovery
//! document and redeems the authorization code at its token endpoint). In development mode the
//! page gets its token from [`dev_token`] (docs/CONSOLE.md, Sign-in). The provider sends the
//! browser back to [`CALLBACK`], which is the page itself.

mod dev_token;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The Content-Security-Policy of every console response, without an identity provider.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The console's redirect URI below the server's origin: the page the identity provider sends
/// the browser back to with the authorization code (registered with the provider).
pub const CALLBACK: &str = "/console/callback";

/// The Content-Security-Policy for a server whose users sign in with the identity provider
/// `issuer`: [`CSP`] with the issuer's origin (and nothing else of it) added to `connect-src`.
/// An issuer that is not an absolute URL adds nothing.
pub fn csp(issuer: Option<&str>) -> String {
    let origin = issuer
        .and_then(|i| url::Url::parse(i).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
        .map(|o| o.ascii_serialization());
    match origin {
        Some(origin) => CSP.replace(
            "connect-src 'self'",
            &format!("connect-src 'self' {origin}"),
        ),
        None => CSP.to_owned(),
    }
}

/// The path prefix of the console's files and its development sign-in.
pub const PREFIX: &str = "/console";

/// One embedded file: its name under [`PREFIX`], its media type and its text.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../../../assets/console/", $name)),
        }
    };
}

const JS: &str = "text/javascript;charset=utf-8";

/// The console's files. The page itself is served at `/`.
static ASSETS: [Asset; 8] = [
    asset!("index.html", "text/html;charset=utf-8"),
    asset!("style.css", "text/css;charset=utf-8"),
    asset!("app.js", JS),
    asset!("auth.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("profile.js", JS),
    asset!("sheet.js", JS),
];

/// The console's routes: the page at `/`, its files under [`PREFIX`], and the development
/// sign-in; each response with the console's security headers, whose policy lets the page
/// connect to `issuer` (the identity provider users sign in with, if any).
pub fn routes(issuer: Option<&str>) -> Router<AppState> {
    let policy = HeaderValue::from_str(&csp(issuer)).unwrap_or(HeaderValue::from_static(CSP));
    let mut router = Router::new()
        .route("/", get(|| async { serve(&ASSETS[0]) }))
        .route(CALLBACK, get(|| async { serve(&ASSETS[0]) }))
        .route(&format!("{PREFIX}/dev-token"), post(dev_token::dev_token));
    for asset in &ASSETS[1..] {
        router = router.route(
            &format!("{PREFIX}/{}", asset.name),
            get(move || async move { serve(asset) }),
        );
    }
    router.layer(axum::middleware::from_fn(move |req, next| {
        security_headers(policy.clone(), req, next)
    }))
}

fn serve(asset: &'static Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            // Revalidated on every load, so that a new version of the binary serves its own files.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        asset.body,
    )
        .into_response()
}

/// Adds the console's security headers to a response.
async fn security_headers(policy: HeaderValue, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, policy);
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_adds_only_the_issuers_origin() {
        assert_eq!(csp(None), CSP);
        let entra = csp(Some("https://login.microsoftonline.com/6a3c2b1d/v2.0"));
        assert_eq!(
            entra,
            CSP.replace(
                "connect-src 'self'",
                "connect-src 'self' https://login.microsoftonline.com"
            )
        );
        assert!(csp(Some("http://127.0.0.1:4000"))
            .contains("connect-src 'self' http://127.0.0.1:4000;"));
        // Nothing of the path, query or user info reaches the policy; a non-URL adds nothing.
        assert!(
            csp(Some("https://u:p@idp.example.com:8443/t?x=1;script-src *"))
                .contains("connect-src 'self' https://idp.example.com:8443;")
        );
        assert_eq!(csp(Some("not a url; script-src *")), CSP);
        assert_eq!(csp(Some("data:text/plain,x")), CSP);
    }
}
