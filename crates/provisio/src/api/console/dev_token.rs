//! The console's sign-in in development mode: `POST /console/dev-token` mints a short-lived
//! development token for the development tenant, so that the console on the developer's own
//! machine works without ceremony. It answers only when all of these hold (docs/CONSOLE.md,
//! Sign-in):
//!
//! - the server is in development mode (production mode: 404, the console signs in through the
//!   configured identity provider instead);
//! - the connection comes from a loopback address;
//! - the request names a loopback host (`localhost`, `127.x.x.x`, `[::1]`) in `Host`, so that a
//!   page of another site whose name was pointed at 127.0.0.1 (DNS rebinding) gets nothing;
//! - the request carries the header [`HEADER`]: a page of another origin cannot send it without
//!   a CORS preflight, which this path never grants, and a plain form or link cannot send it;
//! - an `Origin` header, when present, names the same loopback origin.
//!
//! The token travels only in the response body (never in a URL), with `Cache-Control: no-store`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::api::AppState;
use crate::auth::dev::{TokenRequest, BANNER_PERMISSIONS};
use crate::error::ApiError;

/// The header the console's page sends with its sign-in request.
pub const HEADER: &str = "x-provisio-console";

/// How long a console token stays valid; the page asks for a new one before it ends.
pub const LIFETIME: Duration = Duration::from_secs(3600);

/// `POST /console/dev-token`: `{"accessToken", "expiresOn", "tenantId"}`.
pub async fn dev_token(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let Some(key) = state.auth.dev_key() else {
        return Err(ApiError::NotFound(
            "The console's development sign-in exists only in development mode.".into(),
        ));
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !peer.is_some_and(is_loopback) {
        return Err(ApiError::Forbidden(
            "The console's development sign-in answers only connections from this machine (loopback).".into(),
        ));
    }
    check_headers(req.headers())?;
    let tenant = state.settings.dev_tenant;
    let token = key
        .issue(&TokenRequest {
            tenant,
            permissions: BANNER_PERMISSIONS.map(str::to_owned).to_vec(),
            app: false,
            lifetime: LIFETIME,
        })
        .map_err(ApiError::Internal)?;
    let expires = crate::model::timestamp::Timestamp::now()
        .plus_seconds(LIFETIME.as_secs().cast_signed())
        .map(|t| t.to_string());
    let body = json!({
        "accessToken": token,
        "expiresOn": expires,
        "tenantId": tenant,
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The host part of a `Host` value or an origin's authority: `[::1]:8080` → `::1`.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

fn is_loopback_host(authority: &str) -> bool {
    let host = host_name(authority);
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(is_loopback)
}

fn check_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    if !headers.contains_key(HEADER) {
        return Err(ApiError::BadRequest(format!(
            "The console's development sign-in needs the header {HEADER}, which the console's page sends."
        )));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !is_loopback_host(host) {
        return Err(ApiError::Forbidden(
            "The console's development sign-in answers only requests for a loopback host name (localhost, 127.0.0.1, [::1]).".into(),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| {
                o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
            })
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host));
        if !same {
            return Err(ApiError::Forbidden(
                "The console's development sign-in answers only the console's own origin.".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "127.0.0.2",
            "[::1]:80",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "10.0.0.1:8080",
            "[2001:db8::1]:80",
            "",
            "localhost.evil.example",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn needs_the_header_and_the_same_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(check_headers(&h).is_err(), "no console header");
        h.insert(HEADER, "1".parse().unwrap());
        assert!(check_headers(&h).is_ok());
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(check_headers(&h).is_err(), "another origin");
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(check_headers(&h).is_ok());
        h.insert(header::HOST, "evil.example:8080".parse().unwrap());
        assert!(check_headers(&h).is_err(), "a rebound name");
    }
}
