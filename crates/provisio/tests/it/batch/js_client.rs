//! The Graph JavaScript client (`@microsoft/microsoft-graph-client`, pinned below) builds
//! batches with `BatchRequestContent`, sends them with its own `Client`, and reads the answers
//! with `BatchResponseContent`, driven by node from this test. The package is installed once into
//! a cache under the cargo target directory; node 20 and npm must be installed.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

use crate::common::TestServer;

/// The client version the test runs, pinned.
const PACKAGE: &str = "@microsoft/microsoft-graph-client@3.0.7";

/// The directory holding `node_modules` with the package, installed on first use.
fn package_dir() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-tools/graph-js-client-3.0.7");
    let installed = dir.join("node_modules/@microsoft/microsoft-graph-client/package.json");
    if installed.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("tool cache directory");
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&dir)
        .arg(PACKAGE)
        .output()
        .unwrap_or_else(|e| panic!("npm could not be run ({e}): install node 20 and npm"));
    assert!(
        out.status.success() && installed.exists(),
        "npm install {PACKAGE} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Sends two batches through the client: a create with two reads that depend on it ("same"
/// dependency, in the client's terms), and a serial chain whose first request fails.
const SCRIPT: &str = r#"
const g = require("@microsoft/microsoft-graph-client");
const base = process.env.BASE;
const auth = { Authorization: `Bearer ${process.env.TOKEN}` };
const profiles = `${base}/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles`;
const json = { "Content-Type": "application/json" };

async function send(client, steps) {
  const content = await new g.BatchRequestContent(steps).getContent();
  const answer = await client.api("/$batch").headers(auth).post(content);
  return { sent: content, answers: new g.BatchResponseContent(answer) };
}

async function read(answers, id) {
  const res = answers.getResponseById(id);
  const type = res.headers.get("Content-Type") || "";
  const body = type.startsWith("application/json") ? await res.json() : await res.text();
  return { status: res.status, location: res.headers.get("Location"), body };
}

(async () => {
  // The client's own stack, minus its authentication handler, which sends tokens to Graph's
  // hosts only: the retry handler (429, Retry-After) and the fetch.
  const retry = new g.RetryHandler(new g.RetryHandlerOptions());
  retry.setNext(new g.HTTPMessageHandler());
  const client = g.Client.initWithMiddleware({ baseUrl: base, defaultVersion: "beta", middleware: retry });

  const first = await send(client, [
    { id: "create", request: new Request(profiles, { method: "POST", headers: json,
        body: JSON.stringify({ displayName: "From the JavaScript client" }) }) },
    { id: "list", request: new Request(`${profiles}?$select=displayName`), dependsOn: ["create"] },
    { id: "count", request: new Request(`${profiles}/$count`), dependsOn: ["create"] },
  ]);
  const missing = `${profiles}/8f1c2a4e-0000-4000-8000-00000000abcd`;
  const second = await send(client, [
    { id: "missing", request: new Request(missing) },
    { id: "patch", request: new Request(missing, { method: "PATCH", headers: json,
        body: JSON.stringify({ description: "never" }) }), dependsOn: ["missing"] },
    { id: "after", request: new Request(profiles), dependsOn: ["patch"] },
  ]);
  const out = { urls: first.sent.requests.map(r => r.url), responses: {} };
  for (const id of ["create", "list", "count"]) out.responses[id] = await read(first.answers, id);
  for (const id of ["missing", "patch", "after"]) out.responses[id] = await read(second.answers, id);
  out.ids = [];
  for (const [id] of first.answers.getResponses()) out.ids.push(id);
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e && e.stack || e); process.exit(1); });
"#;

#[tokio::test]
async fn the_javascript_client_builds_sends_and_reads_batches() {
    let dir = tokio::task::spawn_blocking(package_dir).await.unwrap();
    let s = TestServer::start().await;
    let token = s.dev_token(s.dev_tenant, &[provisio::auth::READ_WRITE_ALL], false);
    let mut node = Command::new("node");
    node.args(["-e", SCRIPT])
        .current_dir(&dir)
        .env("BASE", &s.base)
        .env("TOKEN", &token);
    let out = tokio::task::spawn_blocking(move || node.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("node could not be run ({e}): install node 20"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    // The client sends each request's path after the host: the version included.
    assert_eq!(
        v["urls"][0],
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles"
    );
    let r = &v["responses"];
    assert_eq!(r["create"]["status"], 201, "{v}");
    let id = r["create"]["body"]["id"].as_str().expect("an id");
    assert_eq!(r["create"]["location"], s.item(id));
    assert_eq!(
        r["create"]["body"]["displayName"],
        "From the JavaScript client"
    );
    assert_eq!(r["list"]["status"], 200);
    assert_eq!(
        r["list"]["body"]["value"][0]["displayName"],
        "From the JavaScript client"
    );
    assert_eq!(r["count"]["body"], "1");
    assert_eq!(r["missing"]["status"], 404);
    assert_eq!(r["missing"]["body"]["error"]["code"], "ResourceNotFound");
    for dependent in ["patch", "after"] {
        assert_eq!(r[dependent]["status"], 424, "{v}");
        assert_eq!(r[dependent]["body"]["error"]["code"], "FailedDependency");
    }
    let mut ids: Vec<&str> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["count", "create", "list"]);
    assert_eq!(s.list_all().await.len(), 1);
}
