//! What wraps every request: request ids, the one log line, the Graph error envelope for every
//! error response, and the path forms Graph accepts (key syntax, any case, a trailing slash).

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use time::format_description::FormatItem;
use time::macros::format_description;
use uuid::Uuid;

use super::routes::{collections, SEGMENTS};
use crate::auth::CallerLabel;
use crate::error::{default_for_status, ErrorBody};

/// The ids of one request, as the client sees them in headers and error bodies.
#[derive(Clone, Debug)]
pub struct RequestIds {
    /// A fresh GUID for this request.
    pub request_id: String,
    /// The client's `client-request-id`, or the request id.
    pub client_request_id: String,
}

impl RequestIds {
    /// Fresh ids for a request with these headers: a new request id, and the request's own
    /// `client-request-id` when it sent one of at most 200 characters.
    pub fn new(headers: &HeaderMap) -> Self {
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 200)
            .map_or_else(|| request_id.clone(), str::to_owned);
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}

const INNER_DATE: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// Assigns request ids, logs one line per request (never a body), adds the common headers and
/// turns every error response into the Graph error envelope.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let ids = RequestIds::new(req.headers());
    req.extensions_mut().insert(ids.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();

    let mut res = next.run(req).await;

    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        let body = res
            .extensions_mut()
            .remove::<ErrorBody>()
            .unwrap_or_else(|| default_for_status(status));
        res = error_envelope(res, &body, &ids);
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        headers.insert("client-request-id", v);
    }
    headers.insert(
        "odata-version",
        HeaderValue::from_static(super::versions::ODATA_VERSION),
    );
    let principal = res.extensions().get::<CallerLabel>().map(|c| c.0.clone());
    tracing::info!(
        target: "provisio::request",
        method = %method,
        path = %path,
        status = status.as_u16(),
        ms = format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        request_id = %ids.request_id,
        caller = principal.as_deref().unwrap_or("-"),
    );
    res
}

/// The Graph error envelope of `body` for the request with `ids`.
pub fn envelope(body: &ErrorBody, ids: &RequestIds) -> serde_json::Value {
    let date = time::OffsetDateTime::now_utc()
        .format(INNER_DATE)
        .unwrap_or_default();
    json!({
        "error": {
            "code": body.code,
            "message": body.message,
            "innerError": {
                "date": date,
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }
        }
    })
}

fn error_envelope(res: Response, body: &ErrorBody, ids: &RequestIds) -> Response {
    let (mut parts, _) = res.into_parts();
    let envelope = envelope(body, ids);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(envelope.to_string()))
}

/// Rewrites the path forms Graph accepts to the one the router knows: segment names in any case,
/// `androidDeviceOwnerEnrollmentProfiles('{id}')` key syntax, an action qualified with
/// `microsoft.graph.`, and a trailing slash.
pub async fn normalize_path(mut req: Request, next: Next) -> Response {
    authority_as_host(&mut req);
    if let Some(uri) = normalized_uri(req.uri()) {
        *req.uri_mut() = uri;
    }
    next.run(req).await
}

/// HTTP/2 names the host in the `:authority` pseudo-header, which arrives as the URI's
/// authority, not as a `Host` header; the links of responses are built from `Host`, so it is
/// filled in from the authority when missing.
fn authority_as_host(req: &mut Request) {
    if req.headers().contains_key(header::HOST) {
        return;
    }
    let host = req
        .uri()
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok());
    if let Some(host) = host {
        req.headers_mut().insert(header::HOST, host);
    }
}

fn normalized_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let mut out: Vec<String> = Vec::new();
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    for seg in trimmed.split('/').skip(1) {
        let seg = seg.strip_prefix("microsoft.graph.").unwrap_or(seg);
        if let Some((collection, key)) = key_syntax(seg) {
            out.push(collection.to_owned());
            out.push(key.to_owned());
            continue;
        }
        let canonical = SEGMENTS.iter().find(|c| {
            c.eq_ignore_ascii_case(seg)
                || (c.starts_with('$') && seg.eq_ignore_ascii_case(&format!("%24{}", &c[1..])))
        });
        out.push(canonical.map_or_else(|| seg.to_owned(), |c| (*c).to_owned()));
    }
    let new_path = format!("/{}", out.join("/"));
    if new_path == path {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    pq.parse().ok()
}

/// `androidDeviceOwnerEnrollmentProfiles('id')` or, naming the key property,
/// `androidDeviceOwnerEnrollmentProfiles(id='id')` (also percent-encoded quotes), for any
/// collection → the collection's segment and `id`.
fn key_syntax(seg: &str) -> Option<(&'static str, &str)> {
    let collection = collections().into_iter().find(|c| {
        seg.get(..c.segment.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(c.segment))
    })?;
    let rest = &seg[collection.segment.len()..];
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let inner = inner.strip_prefix("id=").unwrap_or(inner);
    let key = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| {
            inner
                .strip_prefix("%27")
                .and_then(|s| s.strip_suffix("%27"))
        })
        .unwrap_or(inner);
    Some((collection.segment, key))
}

/// The absolute base URL (`scheme://host[:port]`) that links in responses start with.
pub fn base_url(
    headers: &HeaderMap,
    public_base_url: Option<&str>,
    trust_forwarded: bool,
) -> String {
    if let Some(base) = public_base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let forwarded = |name: &str| {
        if trust_forwarded {
            get(name).and_then(|v| v.split(',').next()).map(str::trim)
        } else {
            None
        }
    };
    let scheme = match forwarded("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = forwarded("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .filter(|h| is_plausible_host(h))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

fn is_plausible_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> String {
        normalized_uri(&p.parse().unwrap()).map_or_else(|| p.to_owned(), |u| u.to_string())
    }

    #[test]
    fn rewrites_key_syntax_case_and_trailing_slash() {
        let id = "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8";
        let want = format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}");
        assert_eq!(
            norm(&format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles('{id}')"
            )),
            want
        );
        assert_eq!(
            norm(&format!(
                "/BETA/devicemanagement/AndroidDeviceOwnerEnrollmentProfiles/{id}/"
            )),
            want
        );
        assert_eq!(
            norm(&format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles(%27{id}%27)"
            )),
            want
        );
        assert_eq!(
            norm(&format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles(id='{id}')"
            )),
            want
        );
        assert_eq!(
            norm(&format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles(id=%27{id}%27)"
            )),
            want
        );
        assert_eq!(
            norm(&format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/microsoft.graph.createToken?x=1")),
            format!("{want}/createToken?x=1")
        );
        assert_eq!(
            norm("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/%24count"),
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/$count"
        );
    }

    #[test]
    fn base_url_prefers_config_then_forwarded_then_host() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("example.test:8080"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("mdm.example.com"),
        );
        assert_eq!(
            base_url(&h, Some("https://a.example/"), true),
            "https://a.example"
        );
        assert_eq!(base_url(&h, None, true), "https://mdm.example.com");
        assert_eq!(base_url(&h, None, false), "http://example.test:8080");
        h.insert("host", HeaderValue::from_static("evil/path?x"));
        assert_eq!(base_url(&h, None, false), "http://localhost");
    }
}
