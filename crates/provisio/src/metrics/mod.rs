//! `/metrics` in the Prometheus (OpenMetrics) text format, with `prometheus-client`: requests
//! by route template and status, their latency, throttled requests, the SQLite writer's batch
//! sizes and database errors. docs/DEPLOYMENT.md lists every metric and its labels.
//!
//! Labels never hold raw ids or secrets: a request is labelled with its route template (the
//! path with `{id}`, never the path itself), methods outside the standard ones become `other`,
//! and every other label value is a constant of this crate.
//!
//! The HTTP metrics belong to one [`Metrics`] (one per served app, so that a test's server
//! counts only its own requests); the database's are process-wide ([`database`]), since they
//! are counted deep in the store, which knows nothing of the app.

pub mod access;
mod enrollments;

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub use access::{MetricsAccess, MetricsSettings};
pub use enrollments::Enrollments;

use crate::error::ApiError;
use crate::store::StoreError;
use crate::throttle::{Kind, Scope};

/// The content type of the OpenMetrics text format, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// Labels of a latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

/// Labels of a throttled request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ThrottledLabels {
    scope: &'static str,
    kind: &'static str,
}

/// Labels of a database error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of one served app, and the registry `/metrics` encodes (which also holds the
/// process-wide database metrics). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    throttled: Family<ThrottledLabels, Counter>,
    enrollments: Enrollments,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh HTTP metrics, registered with the process's database metrics.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let throttled = Family::<ThrottledLabels, Counter>::default();
        registry.register(
            "provisio_http_requests",
            "Requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "provisio_http_request_duration_seconds",
            "Time from receiving a request to its response's head, by route template and method",
            latency.clone(),
        );
        registry.register(
            "provisio_throttled_requests",
            "Requests refused with 429, by the limit's scope (app, tenant) and kind (write, all)",
            throttled.clone(),
        );
        let enrollments = Enrollments::default();
        enrollments.register(&mut registry);
        database().register(&mut registry);
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            throttled,
            enrollments,
        }
    }

    /// The device enrollment counters.
    pub fn enrollments(&self) -> &Enrollments {
        &self.enrollments
    }

    /// Counts a request refused by a throttling limit.
    pub fn throttled(&self, scope: Scope, kind: Kind) {
        self.throttled
            .get_or_create(&ThrottledLabels {
                scope: scope.label(),
                kind: kind.label(),
            })
            .inc();
    }

    /// Counts an answered request.
    pub fn request(&self, route: &str, method: &Method, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method,
            })
            .observe(seconds);
    }

    /// Everything, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The method as a label: the standard ones by name, anything else `other` (a client may send
/// any token as a method).
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// The process-wide database metrics.
#[derive(Debug)]
pub struct DatabaseMetrics {
    batch_sizes: Histogram,
    errors: Family<ErrorLabels, Counter>,
}

static DATABASE: LazyLock<DatabaseMetrics> = LazyLock::new(|| DatabaseMetrics {
    // 1 to 256 writes, the writer's largest batch.
    batch_sizes: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
    errors: Family::default(),
});

/// The database metrics of this process.
pub fn database() -> &'static DatabaseMetrics {
    &DATABASE
}

impl DatabaseMetrics {
    /// Records the number of writes the SQLite group writer committed (or tried) together.
    pub fn batch(&self, writes: usize) {
        self.batch_sizes.observe(writes as f64);
    }

    /// Counts a store error that reached a response, by kind.
    pub fn error(&self, e: &StoreError) {
        let kind = match e {
            StoreError::Busy => "busy",
            StoreError::Full => "full",
            StoreError::TimedOut(_) => "timed_out",
            StoreError::Conflict(_) => "conflict",
            StoreError::Other(_) => "other",
        };
        self.errors.get_or_create(&ErrorLabels { kind }).inc();
    }

    fn register(&self, registry: &mut Registry) {
        registry.register(
            "provisio_sqlite_write_batch_size",
            "Writes the SQLite group writer ran in one transaction",
            self.batch_sizes.clone(),
        );
        registry.register(
            "provisio_database_errors",
            "Database errors answered to a request, by kind: busy (503), conflict (a uniqueness rule, 409), other (500)",
            self.errors.clone(),
        );
    }
}

/// Counts each request with its route template, method, status and latency. Sits inside the
/// router (so the matched route is known) and outside the token and throttling layers (so
/// their 401 and 429 are counted too).
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let res = next.run(req).await;
    metrics.request(
        &route,
        &method,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// What `/metrics` needs.
#[derive(Clone, Debug)]
pub struct MetricsEndpoint {
    /// What to encode.
    pub metrics: Metrics,
    /// Who may read it.
    pub access: Arc<MetricsAccess>,
}

/// `GET /metrics`: the metrics to a caller that [`MetricsAccess::allows`], 403 to others.
pub async fn endpoint(State(endpoint): State<MetricsEndpoint>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if !endpoint.access.allows(peer, req.headers()) {
        return ApiError::Forbidden(
            "The metrics are readable from loopback, from the addresses in metrics.allow, or with the metrics bearer token.".into(),
        )
        .into_response();
    }
    let mut res = endpoint.metrics.encode().into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

#[cfg(test)]
mod tests;
