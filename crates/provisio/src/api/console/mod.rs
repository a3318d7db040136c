//! The admin console: a browser app served at `/`, built into the binary. Its files (plain HTML,
//! CSS and JavaScript modules under `assets/console/`) are embedded with `include_str!`, so there
//! is no build step and nothing to install beside the binary; the page calls the same Graph API
//! as every other client, with a bearer token.
//!
//! Every console response carries a strict Content-Security-Policy ([`CSP`]): scripts and styles
//! only from the server's own files, no inline code, images only from the server or `data:`
//! URLs (the QR codes), no framing. In development mode the page gets its token from
//! [`dev_token`] (docs/CONSOLE.md, Sign-in).

mod dev_token;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The Content-Security-Policy of every console response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

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
/// sign-in; each response with the console's security headers.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(|| async { serve(&ASSETS[0]) }))
        .route(&format!("{PREFIX}/dev-token"), post(dev_token::dev_token));
    for asset in &ASSETS[1..] {
        router = router.route(
            &format!("{PREFIX}/{}", asset.name),
            get(move || async move { serve(asset) }),
        );
    }
    router.layer(axum::middleware::from_fn(security_headers))
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
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}
