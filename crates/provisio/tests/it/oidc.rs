//! A real OpenID provider for sign-in tests: `tests/oidc/provider.mjs`, which runs
//! `oidc-provider` (pinned, with every dependency, by `tests/oidc/package.json` and
//! `package-lock.json`) under node on 127.0.0.1 with an ephemeral port. The packages are
//! installed once (`npm ci`) into a cache under the cargo target directory, keyed by the lock
//! file; node 20 or later and npm must be installed. The provider is killed when dropped.
//!
//! [`OidcProvider::sign_in`] plays the user in a browser over HTTP: it opens the verification
//! URI, confirms the code, signs in with the fixture's account and allows (or denies) access.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provisio::config::Settings;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The fixture's files, from the repository.
const PACKAGE_JSON: &str = include_str!("../oidc/package.json");
const PACKAGE_LOCK: &str = include_str!("../oidc/package-lock.json");
const PROVIDER: &str = include_str!("../oidc/provider.mjs");

/// The audience (resource) of the provider's access tokens, which the server accepts.
pub const AUDIENCE: &str = "api://provisio";
/// The `tid` of every token the provider issues.
pub const TENANT: &str = "6a3c2b1d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
/// The public client (no secret).
pub const CLIENT_ID: &str = "provisio-test-client";
/// The account that can sign in.
pub const USER: &str = "admin@contoso.test";
/// Its password.
pub const PASSWORD: &str = "correct horse";

/// The directory holding `node_modules` with the pinned packages, installed on first use.
fn package_dir() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let pins = hex(&Sha256::digest(PACKAGE_LOCK.as_bytes())[..6]);
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("test-tools/oidc-provider-{pins}"));
    let installed = dir.join("node_modules/oidc-provider/package.json");
    if !installed.exists() {
        std::fs::create_dir_all(&dir).expect("tool cache directory");
        std::fs::write(dir.join("package.json"), PACKAGE_JSON).expect("package.json");
        std::fs::write(dir.join("package-lock.json"), PACKAGE_LOCK).expect("package-lock.json");
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("npm could not be run ({e}): install node 20 and npm"));
        assert!(
            out.status.success() && installed.exists(),
            "npm ci (oidc-provider, tests/oidc/package-lock.json) failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The script beside its node_modules: ES modules resolve packages from their own directory.
    std::fs::write(dir.join("provider.mjs"), PROVIDER).expect("provider.mjs");
    dir
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running provider.
pub struct OidcProvider {
    /// `http://127.0.0.1:PORT`, the `iss` of its tokens.
    pub issuer: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl OidcProvider {
    /// Starts a provider whose client may also use the authorization code grant with PKCE and
    /// these redirect URIs (none: device code and refresh tokens only).
    pub async fn start(redirect_uris: &[&str]) -> Self {
        Self::start_with(redirect_uris, &[]).await
    }

    /// [`OidcProvider::start`] with more of provider.mjs's variables, e.g. `DEVICE_CODE_TTL`.
    pub async fn start_with(redirect_uris: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tokio::task::spawn_blocking(package_dir)
            .await
            .expect("npm install");
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .current_dir(&dir)
            .env("AUDIENCE", AUDIENCE)
            .env("TENANT_ID", TENANT)
            .env("CLIENT_ID", CLIENT_ID)
            .env("REDIRECT_URIS", redirect_uris.join(","))
            .env("OIDC_USER", USER)
            .env("OIDC_PASSWORD", PASSWORD)
            .env("DEVICE_INTERVAL", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node could not be run ({e}): install node 20"));
        // Both pipes are read to their end, into the log: a provider that cannot write dies.
        let log = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]);
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&text);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (first_tx, first_rx) = tokio::sync::oneshot::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first_tx.send(lines.next().and_then(Result::ok));
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let first = first_rx.await.ok().flatten();
        let mut provider = OidcProvider {
            issuer: String::new(),
            child,
            log,
        };
        let announced: Value = match first.and_then(|l| serde_json::from_str(&l).ok()) {
            Some(v) => v,
            None => panic!("the OpenID provider did not start: {}", provider.log()),
        };
        provider.issuer = announced["issuer"].as_str().expect("issuer").to_owned();
        provider.wait_for_discovery().await;
        provider
    }

    /// What the provider wrote so far, after its first line.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn wait_for_discovery(&self) {
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let client = Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(&url).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{url} never answered: {}", self.log());
    }

    /// Configures a server to accept this provider's tokens and to send `provisio login` to it.
    pub fn configure(&self, s: &mut Settings) {
        s.auth.issuers = vec![self.issuer.clone()];
        s.auth.audiences = vec![AUDIENCE.to_owned()];
        s.auth.jwks_url = Some(format!("{}/jwks", self.issuer));
        s.auth.client_id = Some(CLIENT_ID.to_owned());
        s.auth.client_scopes = vec![
            "offline_access".to_owned(),
            provisio::auth::READ_WRITE_ALL.to_owned(),
        ];
    }

    /// Plays the user with a browser: opens `verification_uri_complete`, confirms the code, signs
    /// in as [`USER`] and allows access (or denies it at the consent page when `allow` is
    /// false). Returns the text of the last page.
    pub async fn sign_in(&self, verification_uri_complete: &str, allow: bool) -> String {
        let browser = Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("browser");
        // The page that posts the code from the URL (its script submits the form).
        let page = get(&browser, verification_uri_complete).await;
        let page = post(&browser, &page.only_action(), &page.hidden_inputs()).await;
        // "Confirm Device": the code, confirmed.
        assert!(page.text.contains("Confirm Device"), "{}", page.text);
        let login = post(&browser, &page.only_action(), &page.hidden_inputs()).await;
        assert!(login.text.contains("Sign in"), "{}", login.text);
        let consent = post(
            &browser,
            &login.action_ending("/login"),
            &[("username", USER), ("password", PASSWORD)],
        )
        .await;
        assert!(consent.text.contains("Allow access"), "{}", consent.text);
        let choice = if allow { "/confirm" } else { "/abort" };
        post::<&str, &str>(&browser, &consent.action_ending(choice), &[])
            .await
            .text
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A page the browser landed on, after redirects.
struct Page {
    url: reqwest::Url,
    text: String,
}

async fn get(browser: &Client, url: &str) -> Page {
    let res = browser.get(url).send().await.expect("GET");
    page(res).await
}

async fn post<K: AsRef<str>, V: AsRef<str>>(browser: &Client, url: &str, form: &[(K, V)]) -> Page {
    let body: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    let res = browser.post(url).form(&body).send().await.expect("POST");
    page(res).await
}

async fn page(res: reqwest::Response) -> Page {
    let status = res.status();
    let url = res.url().clone();
    let text = res.text().await.expect("page");
    assert!(status.is_success(), "{url} answered {status}: {text}");
    Page { url, text }
}

impl Page {
    /// The `action` of every form, as absolute URLs.
    fn actions(&self) -> Vec<String> {
        attribute_values(&self.text, "action=\"")
            .iter()
            .map(|a| self.url.join(a).expect("form action").to_string())
            .collect()
    }

    /// The action of the page's only form.
    fn only_action(&self) -> String {
        match self.actions().as_slice() {
            [one] => one.clone(),
            other => panic!("expected one form, found {other:?}: {}", self.text),
        }
    }

    /// The action of the page's form whose URL ends with `suffix`.
    fn action_ending(&self, suffix: &str) -> String {
        self.actions()
            .into_iter()
            .find(|a| a.ends_with(suffix))
            .unwrap_or_else(|| panic!("no form posts to …{suffix}: {}", self.text))
    }

    /// The name and value of every `<input type="hidden" name="…" value="…"/>`.
    fn hidden_inputs(&self) -> Vec<(String, String)> {
        self.text
            .split("<input type=\"hidden\" ")
            .skip(1)
            .filter_map(|rest| {
                let name = attribute_values(rest, "name=\"").into_iter().next()?;
                let value = attribute_values(rest, "value=\"").into_iter().next()?;
                Some((name, value))
            })
            .collect()
    }
}

/// The values of attributes that start with `prefix` (`name="`), in order.
fn attribute_values(text: &str, prefix: &str) -> Vec<String> {
    text.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|v| v.replace("&amp;", "&"))
        .collect()
}
