//! `provisio import` (to become `profiles import`) against a real server: CSV and JSON lines,
//! a rerun that creates nothing, rows the server refuses reported with its message, an import
//! stopped by Ctrl-C or killed and resumed without duplicates, a server without `$batch`
//! (behind a proxy that refuses it), and throttling answered by waiting `Retry-After`.

mod bad_rows;
mod formats;
mod resume;
mod transport;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use provisio::auth::READ_WRITE_ALL;
use provisio::client::import::report::Summary;
use provisio::client::import::{run_until, ImportArgs, Target};
use serde_json::{json, Value};

use crate::common::TestServer;

/// Import flags for `file` with every default.
pub fn args(file: &Path) -> ImportArgs {
    ImportArgs {
        file: file.to_owned(),
        format: None,
        key: "displayName".into(),
        update: false,
        concurrency: 4,
        state: None,
        restart: false,
        errors: None,
        no_batch: false,
    }
}

/// The server as an import's target, with a ReadWrite token.
pub fn target(s: &TestServer, base: &str) -> Target {
    Target {
        http: reqwest::Client::new(),
        base: base.parse().unwrap(),
        token: s.dev_token(s.dev_tenant, &[READ_WRITE_ALL], false),
    }
}

/// Runs an import to its end; returns the summary and what it wrote for people.
pub async fn import(target: &Target, args: &ImportArgs) -> (Summary, String) {
    let mut out = Vec::new();
    let summary = run_until(target, args, &mut out, std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("import failed: {e:#}\n{}", String::from_utf8_lossy(&out)));
    (summary, String::from_utf8(out).unwrap())
}

/// The profiles on the server by displayName; fails on a displayName seen twice.
pub async fn by_name(s: &TestServer) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for p in s.list_all().await {
        let name = p["displayName"].as_str().unwrap().to_owned();
        assert!(
            out.insert(name.clone(), p).is_none(),
            "{name} is there twice"
        );
    }
    out
}

/// A CSV file of `n` profiles named `{prefix} {i}`.
pub fn csv_of(n: usize, prefix: &str) -> String {
    let mut text = String::from(
        "displayName,description,enrollmentMode,wifiSsid,wifiSecurityType,wifiPassword,wifiHidden,roleScopeTagIds\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "{prefix} {i},\"Site {i}, floor 2\",corporateOwnedFullyManaged,net{i},wpa,password{i},{},0;{i}\n",
            i % 2 == 0
        ));
    }
    text
}

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Requests by "METHOD path" (without query).
    pub requests: Mutex<HashMap<String, usize>>,
    /// Requests inside forwarded batches answered 429.
    pub inner_throttled: AtomicUsize,
}

impl Seen {
    pub fn count(&self, what: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .get(what)
            .copied()
            .unwrap_or(0)
    }
}

/// A proxy in front of a server that forwards everything, except `$batch` when `batch` is
/// false (it answers 404 as a server without JSON batching does), and counts what it sees.
pub async fn proxy(upstream: &str, batch: bool) -> (String, Arc<Seen>) {
    #[derive(Clone)]
    struct Proxy {
        upstream: String,
        batch: bool,
        client: reqwest::Client,
        seen: Arc<Seen>,
    }
    async fn forward(State(p): State<Proxy>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        *p.seen
            .requests
            .lock()
            .unwrap()
            .entry(format!("{} {path}", parts.method))
            .or_default() += 1;
        if path == "/beta/$batch" && !p.batch {
            let error = json!({"error": {"code": "ResourceNotFound", "message": "no $batch here"}});
            return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
        }
        let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap();
        let target = parts.uri.path_and_query().unwrap().as_str();
        let mut forwarded = p
            .client
            .request(parts.method, format!("{}{target}", p.upstream))
            .body(bytes);
        for name in ["authorization", "content-type"] {
            if let Some(v) = parts.headers.get(name) {
                forwarded = forwarded.header(name, v);
            }
        }
        let answer = forwarded.send().await.unwrap();
        let mut response = Response::builder().status(answer.status().as_u16());
        for name in ["content-type", "retry-after", "location"] {
            if let Some(v) = answer.headers().get(name) {
                response = response.header(name, v);
            }
        }
        let bytes = answer.bytes().await.unwrap();
        if path == "/beta/$batch" {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let throttled = v["responses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["status"] == 429)
                .count();
            p.seen
                .inner_throttled
                .fetch_add(throttled, Ordering::Relaxed);
        }
        response.body(Body::from(bytes)).unwrap()
    }
    let seen = Arc::new(Seen::default());
    let state = Proxy {
        upstream: upstream.to_owned(),
        batch,
        client: reqwest::Client::new(),
        seen: seen.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}
