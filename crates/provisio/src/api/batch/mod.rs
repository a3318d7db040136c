//! `POST /beta/$batch`: Graph's JSON batching (docs/API.md, JSON batching).
//!
//! The batch is checked whole first ([`parse`]); then each request is sent through the service
//! itself (`ServiceExt::oneshot` on the app without `$batch`), so that path normalisation,
//! request ids, the log line, the token check, throttling, the extractors and the error
//! envelope apply to it exactly as to a request of its own. It carries the outer request's
//! token, host and client address. Requests that depend on none still to finish run
//! [`CONCURRENCY`] at a time; a request whose dependency failed is answered 424 without being
//! sent.
//!
//! No crate does this: batching is specific to OData and Graph, and the dispatch is the app
//! itself.

mod parse;
mod reply;

use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use futures_util::stream::{FuturesUnordered, StreamExt as _};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use tower::ServiceExt as _;

use parse::Step;
pub use parse::MAX_REQUESTS;
use reply::Outcome;

use super::extract::JsonBody;
use crate::error::ApiError;
use crate::model::input::truncate;

/// The path of the batch endpoint.
pub const PATH: &str = "/beta/$batch";

/// How many requests of one batch run at once.
pub const CONCURRENCY: usize = 4;

/// The app a batch's requests go through: the whole service without `$batch`.
#[derive(Clone, Debug)]
pub struct Dispatch(pub Router);

/// Headers of the outer request that every inner request carries instead of its own.
const FROM_OUTER: [header::HeaderName; 5] = [
    header::AUTHORIZATION,
    header::HOST,
    header::HeaderName::from_static("forwarded"),
    header::HeaderName::from_static("x-forwarded-proto"),
    header::HeaderName::from_static("x-forwarded-host"),
];

/// Answers a batch: 200 with every request's answer, or 400 when the batch itself is malformed
/// (then none of its requests runs).
pub async fn handle(
    Extension(Dispatch(app)): Extension<Dispatch>,
    outer: Parts,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let steps = parse::steps(&body.required()?)?;
    drop(body);
    let done = run(&app, &outer, &steps).await;
    Ok(reply::batch_response(&done))
}

/// Runs the steps in an order their dependencies allow, at most [`CONCURRENCY`] at once, and
/// returns each one's id and outcome in the order they finished.
async fn run(app: &Router, outer: &Parts, steps: &[Step]) -> Vec<(String, Outcome)> {
    let mut failed: Vec<Option<bool>> = vec![None; steps.len()];
    let mut started = vec![false; steps.len()];
    let mut done = Vec::with_capacity(steps.len());
    let mut running = FuturesUnordered::new();
    loop {
        let mut progress = true;
        while progress {
            progress = false;
            for (i, step) in steps.iter().enumerate() {
                if started[i] {
                    continue;
                }
                let failed_dependency = step.depends_on.iter().find(|&&d| failed[d] == Some(true));
                if let Some(&d) = failed_dependency {
                    let message = format!(
                        "Request '{}' was not run: it depends on request '{}', which failed.",
                        truncate(&step.id, 64),
                        truncate(&steps[d].id, 64)
                    );
                    let outcome =
                        Outcome::error(StatusCode::FAILED_DEPENDENCY, message, &step.headers);
                    (started[i], failed[i], progress) = (true, Some(true), true);
                    done.push((step.id.clone(), outcome));
                } else if running.len() < CONCURRENCY
                    && step.depends_on.iter().all(|&d| failed[d].is_some())
                {
                    started[i] = true;
                    running.push(async move { (i, send(app, outer, step).await) });
                }
            }
        }
        let Some((i, outcome)) = running.next().await else {
            return done;
        };
        failed[i] = Some(!outcome.status.is_success());
        done.push((steps[i].id.clone(), outcome));
    }
}

/// Sends one step through the app, or answers it 400 when its url cannot be sent.
async fn send(app: &Router, outer: &Parts, step: &Step) -> Outcome {
    let uri = match target(&step.url) {
        Ok(uri) => uri,
        Err(message) => return Outcome::error(StatusCode::BAD_REQUEST, message, &step.headers),
    };
    let body = step.body.clone().map_or_else(Body::empty, Body::from);
    let mut req = Request::new(body);
    *req.method_mut() = step.method.clone();
    *req.uri_mut() = uri;
    *req.headers_mut() = inner_headers(&step.headers, &outer.headers);
    if let Some(peer) = outer.extensions.get::<ConnectInfo<std::net::SocketAddr>>() {
        req.extensions_mut().insert(*peer);
    }
    match app.clone().oneshot(req).await {
        Ok(res) => Outcome::of(res).await,
        Err(never) => match never {},
    }
}

/// The step's headers with the outer request's token, host and forwarding headers.
fn inner_headers(own: &HeaderMap, outer: &HeaderMap) -> HeaderMap {
    let mut headers = own.clone();
    for name in &FROM_OUTER {
        headers.remove(name);
        for value in outer.get_all(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers
}

/// What stays percent-encoded in an inner url: what cannot stand in a request target as it is
/// (Graph's own examples write `$filter=city eq null` with plain spaces).
const NOT_IN_TARGET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The request target of an inner request's `url`: relative to `/beta` (`/deviceManagement/...`,
/// with or without the leading slash), or starting with `/beta` itself. Absolute URLs, another
/// version and a nested `$batch` are refused with the message for its 400.
fn target(url: &str) -> Result<Uri, String> {
    let shown = truncate(url, 100);
    let path_part = url.split('?').next().unwrap_or_default();
    if path_part.contains("://") || url.starts_with("//") {
        return Err(format!(
            "The url '{shown}' is absolute; the urls of a batch are relative to the version, such as '/deviceManagement/androidDeviceOwnerEnrollmentProfiles'."
        ));
    }
    let relative = url.strip_prefix('/').unwrap_or(url);
    let mut segments = relative.split(['/', '?']);
    let first = segments.next().unwrap_or_default();
    let path = if first.eq_ignore_ascii_case("beta") {
        format!("/{relative}")
    } else if is_version(first) {
        return Err(format!(
            "The url '{shown}' names the version '{}'; this batch is served under /beta and its urls are relative to it, such as '/deviceManagement/androidDeviceOwnerEnrollmentProfiles'.",
            truncate(first, 20)
        ));
    } else {
        format!("/beta/{relative}")
    };
    let after_version = path.split(['/', '?']).nth(2).unwrap_or_default();
    if after_version.eq_ignore_ascii_case("$batch")
        || after_version.eq_ignore_ascii_case("%24batch")
    {
        return Err("A batch cannot hold another $batch request.".into());
    }
    utf8_percent_encode(&path, NOT_IN_TARGET)
        .to_string()
        .parse()
        .map_err(|_| format!("The url '{shown}' is not a valid URL."))
}

/// `v1.0`, `v2`, ...: a Graph version segment.
fn is_version(segment: &str) -> bool {
    let mut chars = segment.chars();
    matches!(chars.next(), Some('v' | 'V'))
        && chars.next().is_some_and(|c| c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_relative_to_beta() {
        let ok = |url: &str| target(url).map(|u| u.to_string()).unwrap();
        assert_eq!(
            ok("/deviceManagement/managedDevices?$top=1"),
            "/beta/deviceManagement/managedDevices?$top=1"
        );
        assert_eq!(ok("deviceManagement/x"), "/beta/deviceManagement/x");
        assert_eq!(ok("/BETA/deviceManagement/x"), "/BETA/deviceManagement/x");
        assert_eq!(
            ok("/deviceManagement/x?$filter=displayName eq 'a b'"),
            "/beta/deviceManagement/x?$filter=displayName%20eq%20'a%20b'"
        );
        assert_eq!(ok("/x/é"), "/beta/x/%C3%A9");
        let refused = |url: &str| target(url).unwrap_err();
        assert!(refused("/v1.0/deviceManagement/x").contains("'v1.0'"));
        assert!(refused("https://graph.microsoft.com/beta/x").contains("absolute"));
        assert!(refused("//evil.example/x").contains("absolute"));
        assert!(refused("/$batch").contains("another $batch"));
        assert!(refused("/beta/%24batch").contains("another $batch"));
    }

    #[test]
    fn inner_requests_carry_the_outer_token_and_host() {
        let mut own = HeaderMap::new();
        own.insert(header::AUTHORIZATION, "Bearer inner".parse().unwrap());
        own.insert("prefer", "return=representation".parse().unwrap());
        let mut outer = HeaderMap::new();
        outer.insert(header::AUTHORIZATION, "Bearer outer".parse().unwrap());
        outer.insert(header::HOST, "mdm.example.com".parse().unwrap());
        let h = inner_headers(&own, &outer);
        assert_eq!(h[header::AUTHORIZATION], "Bearer outer");
        assert_eq!(h[header::HOST], "mdm.example.com");
        assert_eq!(h["prefer"], "return=representation");
    }
}
