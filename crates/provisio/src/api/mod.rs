//! The HTTP API: routes, shared state, and the layers every request passes through.

mod actions;
pub mod audit;
pub mod batch;
pub mod console;
pub mod cors;
pub mod device_protocol;
mod devices;
pub mod extract;
pub mod format;
pub mod head_limits;
mod listing;
mod metadata;
pub mod middleware;
pub mod paging;
mod preconditions;
mod profiles;
pub mod query;
pub mod reply;
pub mod routes;
mod service_root;
mod sign_in;
pub mod versions;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::error::ApiError;
use crate::metrics::MetricsEndpoint;
use crate::service::Profiles;
use crate::throttle::ThrottleLayer;
use paging::SkipTokens;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Profile operations over the configured store.
    pub profiles: Profiles,
    /// Managed devices and the device protocol.
    pub devices: crate::service::devices::Devices,
    /// Signs and checks `$skiptoken`s.
    pub skip_tokens: SkipTokens,
    /// Checks bearer tokens (see `crate::auth`).
    pub auth: crate::auth::Verifier,
    /// Request limits per application and tenant.
    pub throttle: crate::throttle::Throttle,
    /// The device endpoints' limits: failures per client address, enrollments per token.
    pub device_throttle: crate::throttle::DeviceThrottle,
    /// The counters and histograms `/metrics` shows.
    pub metrics: crate::metrics::Metrics,
    /// Who may read `/metrics`.
    pub metrics_access: Arc<crate::metrics::MetricsAccess>,
    /// Settings that shape responses.
    pub settings: Arc<HttpSettings>,
}

/// The settings the HTTP layer needs.
#[derive(Clone, Debug, Default)]
pub struct HttpSettings {
    /// The public base URL (`https://mdm.example.com`) that links start with; from the request's
    /// `Host` when unset.
    pub public_base_url: Option<String>,
    /// Whether to believe `X-Forwarded-Proto` / `X-Forwarded-Host` (behind a trusted proxy).
    pub trust_forwarded_headers: bool,
    /// The origins of browser apps that may call the API.
    pub cors: cors::CorsSettings,
    /// The tenant of development tokens (the console's development sign-in).
    pub dev_tenant: uuid::Uuid,
    /// Where clients sign users in (`GET /auth/client`), when configured.
    pub sign_in: Option<crate::auth::sign_in::ClientSignIn>,
}

impl axum::extract::FromRef<AppState> for crate::auth::Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl AppState {
    /// The absolute base URL for links in a response to a request with these headers.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        middleware::base_url(
            headers,
            self.settings.public_base_url.as_deref(),
            self.settings.trust_forwarded_headers,
        )
    }
}

/// The whole service: [`service`] with `$batch`, whose requests go through the same service
/// without it, and the CORS answers for browser apps when origins are allowed.
pub fn app(state: AppState) -> Router {
    let cors = cors::layer(&state.settings.cors);
    let without_batch = service(state.clone(), None);
    let app = service(state, Some(batch::Dispatch(without_batch)));
    match cors {
        Some(cors) => app.layer(cors),
        None => app,
    }
}

/// The routes with the request context around each of them, inside an outer router whose only
/// job is to normalise the path before the routes see it.
fn service(state: AppState, batch: Option<batch::Dispatch>) -> Router {
    let inner = router(state, batch)
        .layer(axum::middleware::from_fn(head_limits::check))
        .layer(axum::middleware::from_fn(middleware::request_context));
    Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::from_fn(middleware::normalize_path))
}

/// The routes (docs/API.md, Paths), from the table in [`routes`]; `$batch` when given the app its
/// requests go through.
pub fn router(state: AppState, batch: Option<batch::Dispatch>) -> Router {
    let issuer = (state.auth.mode() == crate::auth::AuthMode::Production)
        .then(|| state.settings.sign_in.as_ref().map(|s| s.issuer.as_str()))
        .flatten();
    let mut router = Router::new()
        .merge(console::routes(issuer))
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route(crate::auth::sign_in::PATH, get(sign_in::client))
        .route("/beta/$metadata", get(metadata::metadata))
        .route("/beta", get(service_root::document))
        .route(routes::ROOT, get(service_root::device_management));
    let profiles = &routes::PROFILES;
    let collection = profiles.path.as_str();
    router = router
        .route(collection, get(listing::list).post(profiles::create))
        .route(&format!("{collection}/$count"), get(listing::count))
        .route(
            &format!("{collection}/{{id}}"),
            get(profiles::get_one)
                .patch(profiles::update)
                .delete(profiles::delete),
        );
    for (name, handler) in &profiles.actions {
        router = router.route(&format!("{collection}/{{id}}/{name}"), handler.clone());
    }
    let devices = &routes::DEVICES;
    let collection = devices.path.as_str();
    router = router
        .route(collection, get(devices::list))
        .route(&format!("{collection}/$count"), get(devices::count))
        .route(
            &format!("{collection}/{{id}}"),
            get(devices::get_one)
                .patch(devices::update)
                .delete(devices::delete),
        );
    for (name, handler) in &devices.actions {
        router = router.route(&format!("{collection}/{{id}}/{name}"), handler.clone());
    }
    let audit = routes::AUDIT_EVENTS.path.as_str();
    router = router
        .route(audit, get(audit::list))
        .route(&format!("{audit}/$count"), get(audit::count))
        .route(&format!("{audit}/{{id}}"), get(audit::get_one));
    let prefix = device_protocol::PREFIX;
    router = router
        .route(&format!("{prefix}/check"), post(device_protocol::check))
        .route(&format!("{prefix}/enroll"), post(device_protocol::enroll))
        .route(&format!("{prefix}/checkin"), post(device_protocol::checkin))
        .route(
            &format!("{prefix}/commands/{{id}}/ack"),
            post(device_protocol::acknowledge),
        );
    let metrics = MetricsEndpoint {
        metrics: state.metrics.clone(),
        access: state.metrics_access.clone(),
    };
    router = router.route(
        "/metrics",
        get(crate::metrics::endpoint).with_state(metrics),
    );
    router = router
        // Inside the token and throttle layers: 401 and 429 come first (docs/API.md, OData conventions).
        .layer(axum::middleware::from_fn(versions::check_max_version))
        .fallback(unknown_path)
        .layer(axum::middleware::from_fn(format::negotiate))
        .layer(axum::middleware::from_fn_with_state(
            ThrottleLayer {
                throttle: state.throttle.clone(),
                metrics: state.metrics.clone(),
            },
            crate::throttle::enforce,
        ));
    // After the throttle: each request of a batch counts, not the batch.
    if let Some(dispatch) = batch {
        router = router.route(
            batch::PATH,
            post(batch::handle).layer(axum::Extension(dispatch)),
        );
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            crate::auth::require_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .with_state(state)
}

/// Liveness: the process answers. Touches nothing else.
async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Readiness: writes work now (`crate::service::Readiness`); 503 with `Retry-After` and the
/// reason while they do not.
async fn ready(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.profiles.ready().await?;
    Ok(Json(json!({"status": "ready"})))
}

/// Graph's answer for a path it does not serve: 400 naming the first segment it does not know.
async fn unknown_path(req: Request) -> ApiError {
    let segment = first_unknown_segment(req.uri().path());
    ApiError::BadRequest(format!("Resource not found for the segment '{segment}'."))
}

fn first_unknown_segment(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let collection = segs
        .get(2)
        .and_then(|s| routes::collections().into_iter().find(|c| c.segment == *s));
    let known = |i: usize, s: &str| match i {
        0 => s == "beta",
        1 => s == "deviceManagement",
        2 => collection.is_some(),
        3 => true,
        4 => collection.is_some_and(|c| c.action_names().any(|a| a == s)),
        _ => false,
    };
    let seg = segs
        .iter()
        .enumerate()
        .find(|(i, s)| !known(*i, s))
        .or_else(|| segs.iter().enumerate().next_back())
        .map_or("", |(_, s)| s);
    let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
    crate::model::input::truncate(&decoded, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_unknown_segment() {
        assert_eq!(first_unknown_segment("/v1.0/deviceManagement/x"), "v1.0");
        assert_eq!(first_unknown_segment("/beta/deviceManagement/foo"), "foo");
        assert_eq!(
            first_unknown_segment("/beta/deviceManagement"),
            "deviceManagement"
        );
        assert_eq!(
            first_unknown_segment(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/y"
            ),
            "y"
        );
        assert_eq!(first_unknown_segment("/"), "");
    }
}
