//! The end-to-end harness: a real server on 127.0.0.1:0 over a fresh data directory, and a
//! client with helpers for the collection. In development mode (the default) the client sends a
//! development token for the development tenant with ReadWrite on every request.

use std::path::PathBuf;
use std::time::Duration;

use provisio::auth::dev::{DevKey, TokenRequest};
use provisio::auth::{
    AuthMode, AUDIT_READ_ALL, DEVICES_PRIVILEGED, DEVICES_READ_WRITE_ALL, READ_WRITE_ALL,
};
use provisio::config::Settings;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The collection path below the base URL.
pub const COLLECTION: &str = "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles";

/// A server running in this process.
pub struct TestServer {
    pub base: String,
    /// Sends the development token by default (development mode only).
    pub client: Client,
    /// Sends no Authorization header.
    pub bare: Client,
    pub data_dir: PathBuf,
    pub dev_tenant: uuid::Uuid,
    _dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = Self::start_in(dir.path().to_owned(), configure).await;
        server._dir = Some(dir);
        server
    }

    /// Starts on an existing data directory (kept by the caller).
    pub async fn start_in(data_dir: PathBuf, configure: impl FnOnce(&mut Settings)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::start_in_on(data_dir, listener, configure).await
    }

    /// Starts on a listener bound beforehand (its address is needed before the server starts,
    /// e.g. as a redirect URI of an identity provider the server is configured with).
    pub async fn start_on(listener: TcpListener, configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = Self::start_in_on(dir.path().to_owned(), listener, configure).await;
        server._dir = Some(dir);
        server
    }

    async fn start_in_on(
        data_dir: PathBuf,
        listener: TcpListener,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = Settings {
            data_dir: Some(data_dir.clone()),
            shutdown_grace_seconds: 5,
            ..Settings::default()
        };
        settings.database.url = fresh_database_url();
        configure(&mut settings);
        let dev_mode = settings.auth.mode() == AuthMode::Development;
        let dev_tenant = settings.dev_tenant;
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(provisio::server::run(settings, listener, async {
            let _ = rx.await;
        }));
        let bare = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut server = TestServer {
            base: format!("http://{addr}"),
            client: bare.clone(),
            bare,
            data_dir,
            dev_tenant,
            _dir: None,
            stop: Some(tx),
            task: Some(task),
        };
        server.wait_ready().await;
        if dev_mode {
            let token = server.dev_token(
                dev_tenant,
                &[
                    READ_WRITE_ALL,
                    DEVICES_READ_WRITE_ALL,
                    DEVICES_PRIVILEGED,
                    AUDIT_READ_ALL,
                ],
                false,
            );
            server.client = client_with_token(&token);
        }
        server
    }

    /// A development token signed with this server's key.
    pub fn dev_token(&self, tenant: uuid::Uuid, permissions: &[&str], app: bool) -> String {
        DevKey::load(&self.data_dir)
            .expect("development key")
            .issue(&TokenRequest {
                tenant,
                permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
                app,
                lifetime: Duration::from_secs(3600),
            })
            .expect("token")
    }

    async fn wait_ready(&mut self) {
        // Generous: on a loaded machine a server that migrates a fresh database can take a
        // while, and a test must not fail for the machine's load.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(r) = self.bare.get(format!("{}/healthz", self.base)).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            // A server that stopped at start-up will never answer: say why at once.
            if self.task.as_ref().is_some_and(JoinHandle::is_finished) {
                if let Some(task) = self.task.take() {
                    match task.await {
                        Ok(Ok(())) => panic!("server at {} stopped before it was ready", self.base),
                        Ok(Err(e)) => panic!("server at {} failed to start: {e:#}", self.base),
                        Err(e) => panic!("server at {} panicked at start-up: {e}", self.base),
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server at {} did not become ready", self.base);
    }

    /// Stops the server the way SIGTERM does and waits for it to close the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The profile with this id.
    pub fn item(&self, id: &str) -> String {
        format!("{}{COLLECTION}/{id}", self.base)
    }

    /// The profiles collection.
    pub fn collection(&self) -> String {
        format!("{}{COLLECTION}", self.base)
    }

    /// The collection of any entity set under `deviceManagement`, by its segment (e.g.
    /// `managedDevices`): the helpers below serve every entity set the same way.
    pub fn collection_of(&self, segment: &str) -> String {
        format!("{}/beta/deviceManagement/{segment}", self.base)
    }

    pub async fn post_json(&self, url: &str, body: &Value) -> Response {
        self.send(Method::POST, url, Some(body)).await
    }

    pub async fn patch_json(&self, url: &str, body: &Value) -> Response {
        self.send(Method::PATCH, url, Some(body)).await
    }

    pub async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Response {
        let mut req = self.client.request(method, url);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.expect("request")
    }

    /// Creates a profile and returns its JSON; panics unless the answer is 201.
    pub async fn create(&self, body: Value) -> Value {
        self.create_in(&self.collection(), body).await
    }

    /// Creates an entity in the collection at `url` and returns its JSON; panics unless the
    /// answer is 201.
    pub async fn create_in(&self, url: &str, body: Value) -> Value {
        let res = self.post_json(url, &body).await;
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, StatusCode::CREATED, "create failed: {text}");
        serde_json::from_str(&text).expect("json")
    }

    /// Every profile of the tenant, following nextLinks.
    pub async fn list_all(&self) -> Vec<Value> {
        self.list_all_in(&self.collection()).await
    }

    /// Every entity of the tenant in the collection at `collection`, following nextLinks.
    pub async fn list_all_in(&self, collection: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = format!("{collection}?$top=1000");
        loop {
            let page: Value = ok_json(self.get(&url).await).await;
            out.extend(page["value"].as_array().expect("value").iter().cloned());
            match page.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => url = next.to_owned(),
                None => return out,
            }
        }
    }
}

/// A client that sends `Authorization: Bearer <token>` on every request.
pub fn client_with_token(token: &str) -> Client {
    let mut headers = HeaderMap::new();
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .expect("client")
}

/// The JSON body of a 200/201 response (panics otherwise, showing the body).
pub async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert!(
        status.is_success(),
        "expected success, got {status}: {text}"
    );
    serde_json::from_str(&text).expect("json body")
}

/// Checks that `res` is an error with `status` and the Graph envelope, and returns its message.
pub async fn expect_error(res: Response, status: StatusCode, code: &str) -> String {
    let got = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    envelope_error(got, &headers, &text, Some((status, code))).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether a response (its status, headers and body text) is an error in the Graph envelope,
/// with `want` (status and code) when given, else any 4xx: its message, or what is wrong.
pub fn envelope_error(
    got: StatusCode,
    headers: &HeaderMap,
    text: &str,
    want: Option<(StatusCode, &str)>,
) -> Result<String, String> {
    let shown: String = text.chars().take(300).collect();
    let fail = |what: String| Err(format!("{what}; {got}: {shown}"));
    match want {
        Some((status, _)) if got != status => return fail(format!("expected {status}")),
        None if !got.is_client_error() => return fail("expected a 4xx".into()),
        _ => {}
    }
    if headers.get("content-type").map(|v| v.as_bytes()) != Some(b"application/json") {
        return fail("content-type is not application/json".into());
    }
    let Some(request_id) = headers.get("request-id").and_then(|v| v.to_str().ok()) else {
        return fail("no request-id header".into());
    };
    if !headers.contains_key("client-request-id") {
        return fail("no client-request-id header".into());
    }
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return fail("not JSON".into());
    };
    let err = &v["error"];
    if let Some((_, code)) = want {
        if err["code"] != code {
            return fail(format!("expected the code {code}"));
        }
    }
    if !err["code"].is_string() || err["innerError"]["request-id"] != request_id {
        return fail("no code, or innerError.request-id is not the header's".into());
    }
    if err["innerError"]["date"]
        .as_str()
        .is_none_or(|d| d.len() != 19)
    {
        return fail("innerError.date is not a date".into());
    }
    match err["message"].as_str() {
        Some(m) if !m.is_empty() => Ok(m.to_owned()),
        _ => fail("no message".into()),
    }
}

/// Redacts what changes between runs: ids, dates that are not the "no token" date, token values,
/// QR images, and the server's address.
pub fn redact(mut v: Value, base: &str) -> Value {
    fn walk(v: &mut Value, base: &str) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    match (k.as_str(), &*val) {
                        ("id" | "accountId", Value::String(_)) => *val = Value::from("[guid]"),
                        (k, Value::String(s))
                            if k.ends_with("DateTime") && !s.starts_with("0001-") =>
                        {
                            *val = Value::from("[date]")
                        }
                        ("tokenValue", Value::String(_)) => *val = Value::from("[token]"),
                        ("qrCodeContent", Value::String(_)) => *val = Value::from("[qr payload]"),
                        _ => walk(val, base),
                    }
                }
                if map.get("type").and_then(Value::as_str) == Some("image/png") {
                    map.insert("value".into(), Value::from("[png]"));
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, base)),
            Value::String(s) if s.contains(base) => *s = s.replace(base, "http://provisio.test"),
            _ => {}
        }
    }
    walk(&mut v, base);
    v
}

/// The database the tests run against: SQLite by default; PostgreSQL (a throw-away cluster shared
/// by the test process, a fresh database per server) when `PROVISIO_TEST_BACKEND=postgres`.
/// `scripts/test` runs the suite both ways.
pub fn postgres_backend() -> bool {
    match std::env::var("PROVISIO_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("PROVISIO_TEST_BACKEND must be sqlite or postgres, not {other:?}"),
    }
}

/// A URL of a new, empty PostgreSQL database when testing on PostgreSQL; `None` for SQLite.
/// Fails (never skips) when PostgreSQL cannot be started, saying what to install.
pub fn fresh_database_url() -> Option<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if !postgres_backend() {
        return None;
    }
    let pg =
        pg_tmp::TempPostgres::shared().unwrap_or_else(|e| panic!("PostgreSQL for the tests: {e}"));
    let name = format!(
        "provisio_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    Some(pg.create_database(&name).unwrap_or_else(|e| panic!("{e}")))
}

/// Opens (migrating) the store a server with these settings would use: PostgreSQL at `url`, or
/// SQLite in `data_dir`.
pub async fn open_store(
    data_dir: &std::path::Path,
    url: &Option<String>,
) -> Box<dyn provisio::store::Store> {
    use provisio::store::postgres::{PgSettings, PostgresStore};
    match url {
        Some(url) => {
            let settings = PgSettings {
                url: url.clone(),
                pool_size: 4,
                limits: provisio::store::limits::ReadLimits::default(),
                connect_retries: 0,
            };
            provisio::private::secure_data_dir(data_dir).expect("data directory");
            let keys = provisio::crypto::SealingSettings::default()
                .load(data_dir)
                .expect("sealing keys");
            let pg = PostgresStore::connect(&settings, std::sync::Arc::new(keys))
                .await
                .expect("connect to PostgreSQL");
            pg.migrate(true).await.expect("migrate PostgreSQL");
            Box::new(pg)
        }
        None => Box::new(
            provisio::store::sqlite::SqliteStore::open(data_dir, 2)
                .await
                .expect("open SQLite"),
        ),
    }
}

/// The first of `paths` that exists. When none does, installs the Debian `packages` (a
/// space-separated list) with apt-get when running as root, or fails naming them. One install at
/// a time in this process.
pub fn debian_binary(paths: &[&str], packages: &str) -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let found = || paths.iter().map(PathBuf::from).find(|p| p.exists());
    if let Some(path) = found() {
        return path;
    }
    assert!(
        rustix::process::geteuid().is_root(),
        "this test needs the Debian packages {packages}: apt-get install {packages}"
    );
    let install = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q {packages}"
        ))
        .output()
        .expect("apt-get runs");
    assert!(
        install.status.success(),
        "apt-get install {packages} failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    found().unwrap_or_else(|| panic!("apt-get install {packages} did not install {paths:?}"))
}
