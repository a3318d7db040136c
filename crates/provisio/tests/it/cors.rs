//! Browser apps on other origins (docs/API.md, Browser apps (CORS)): the preflight and the
//! headers as a client sees them, and a page in headless Chromium (Debian's `chromium`,
//! installed with apt-get when missing and running as root) served from another loopback origin,
//! whose script calls provisio with a bearer token; a page from an origin not allowed is refused
//! by the browser.

use std::path::Path;
use std::process::Command;

use axum::response::Html;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::common::{expect_error, TestServer, COLLECTION};

#[tokio::test]
async fn preflights_and_responses_carry_the_cors_headers_of_allowed_origins_only() {
    let allowed = "http://127.0.0.2:5173";
    let s = TestServer::start_with(|s| s.cors.allowed_origins = vec![allowed.into()]).await;
    let preflight = |origin: &str| {
        s.bare
            .request(Method::OPTIONS, s.collection())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,client-request-id,sdkversion,prefer,consistencylevel,if-match",
            )
            .send()
    };
    let res = preflight(allowed).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "no token needed for a preflight"
    );
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], allowed);
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = h["access-control-allow-headers"].to_str().unwrap();
    for name in provisio::api::cors::ALLOWED_HEADERS {
        assert!(headers.contains(name), "{name} in {headers}");
    }
    assert_eq!(h["access-control-max-age"], "3600");
    let res = preflight("http://127.0.0.3:5173").await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));

    let res = s
        .client
        .get(s.collection())
        .header("origin", allowed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], allowed);
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    for name in provisio::api::cors::EXPOSED_HEADERS {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    // Errors too, so that the app can read them.
    let res = s
        .bare
        .get(s.collection())
        .header("origin", allowed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], allowed);
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
}

#[tokio::test]
async fn without_allowed_origins_there_are_no_cors_headers() {
    let s = TestServer::start().await;
    let res = s
        .bare
        .request(Method::OPTIONS, s.collection())
        .header("origin", "http://127.0.0.2:5173")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
}

/// The page: calls the API with a token and the headers the Graph SDKs send. Framed (the page
/// of the other origin, inside the first), it posts what it got, or the browser's refusal, to
/// its parent; on top, it posts its own outcome and its frame's to `/result` on its own origin,
/// where the test reads them. One browser run tries both origins.
fn page(api: &str, token: &str, frame: Option<&str>) -> String {
    let frame = frame.map_or_else(String::new, |src| {
        format!(r#"<iframe src="{src}/"></iframe>"#)
    });
    format!(
        r#"<!doctype html><html><body>{frame}<script>
const framed = new Promise(done => addEventListener("message", e => done(e.data)));
(async () => {{
  const out = {{}};
  const profiles = "{api}{COLLECTION}";
  const auth = {{ Authorization: "Bearer {token}" }};
  try {{
    const list = await fetch(profiles + "?$top=5", {{ headers: {{ ...auth,
      "client-request-id": "from-the-page", SdkVersion: "graph-js/3.0.7",
      ConsistencyLevel: "eventual", Prefer: "odata.maxpagesize=5" }} }});
    out.list = {{ status: list.status, requestId: list.headers.get("request-id"),
      clientRequestId: list.headers.get("client-request-id"), value: (await list.json()).value }};
    const created = await fetch(profiles, {{ method: "POST",
      headers: {{ ...auth, "Content-Type": "application/json" }},
      body: JSON.stringify({{ displayName: "From a browser" }}) }});
    out.create = {{ status: created.status, location: created.headers.get("Location") }};
  }} catch (e) {{
    out.error = String(e);
  }}
  if (window.parent !== window) {{
    parent.postMessage(out, "*");
    return;
  }}
  const other = await framed;
  await fetch("/result", {{ method: "POST", body: JSON.stringify({{ own: out, other }}) }});
}})();
</script></body></html>"#
    )
}

/// Serves `html` at `/` on `listener`, and takes the page's report at `POST /result` into
/// `results`; returns the origin.
fn serve_page(
    listener: TcpListener,
    html: String,
    results: tokio::sync::mpsc::Sender<String>,
) -> String {
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { Html(html) }))
        .route(
            "/result",
            axum::routing::post(move |body: String| async move {
                let _ = results.send(body).await;
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

#[tokio::test]
async fn a_page_of_an_allowed_origin_calls_the_api_and_another_origin_is_refused() {
    let chromium = tokio::task::spawn_blocking(chromium).await.unwrap();
    // The pages' origins must be known before the server starts, which names one of them.
    let bind = |ip: &'static str| async move {
        TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("binding {ip}: {e}"))
    };
    let (allowed_listener, other_listener) = (bind("127.0.0.2").await, bind("127.0.0.3").await);
    let allowed = format!("http://{}", allowed_listener.local_addr().unwrap());
    let origin = allowed.clone();
    let s = TestServer::start_with(move |s| s.cors.allowed_origins = vec![origin]).await;
    let token = s.dev_token(s.dev_tenant, &[provisio::auth::READ_WRITE_ALL], false);
    let (results, mut reports) = tokio::sync::mpsc::channel(1);
    let other = serve_page(other_listener, page(&s.base, &token, None), results.clone());
    serve_page(
        allowed_listener,
        page(&s.base, &token, Some(&other)),
        results,
    );

    let both = run_page(&chromium, &allowed, &mut reports).await;
    let (got, refused) = (&both["own"], &both["other"]);
    assert_eq!(got["list"]["status"], 200, "{got}");
    assert_eq!(got["list"]["clientRequestId"], "from-the-page", "{got}");
    assert_eq!(
        got["list"]["requestId"].as_str().map(str::len),
        Some(36),
        "{got}"
    );
    assert_eq!(got["create"]["status"], 201, "{got}");
    let location = got["create"]["location"]
        .as_str()
        .expect("Location is exposed");
    assert!(location.starts_with(&s.collection()), "{location}");

    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "{refused}"
    );
    assert!(refused.get("list").is_none(), "{refused}");
    // Only the allowed page's create reached the service: the other page's preflight failed.
    assert_eq!(s.list_all().await.len(), 1);
}

/// Opens `url` in headless Chromium and returns what the page reports (at most 60 s), then
/// ends the browser.
async fn run_page(
    chromium: &Path,
    url: &str,
    reports: &mut tokio::sync::mpsc::Receiver<String>,
) -> Value {
    let profile = tempfile::tempdir().expect("browser profile");
    let mut browser = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium runs");
    let report = tokio::time::timeout(std::time::Duration::from_secs(60), reports.recv()).await;
    let _ = browser.kill();
    let _ = browser.wait();
    let text = report
        .expect("the page reported within 60 s")
        .expect("the page's report");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("the page reported {text}"))
}

/// The `chromium` binary; installed with apt-get when missing and running as root.
fn chromium() -> std::path::PathBuf {
    crate::common::debian_binary(
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        "chromium",
    )
}
