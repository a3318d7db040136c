//! `GET /auth/client` in each mode, and `provisio login` / `provisio logout` (the real binary)
//! against a server whose tokens come from a real OpenID provider ([`crate::oidc`]): the device
//! code shown on standard error, approved by the user in the provider's pages, the token saved
//! privately and accepted by the API; a denied approval; a development server.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{TestServer, COLLECTION};
use crate::oidc::{OidcProvider, AUDIENCE, CLIENT_ID};

const BIN: &str = env!("CARGO_BIN_EXE_provisio");

/// `provisio ARGS` with its configuration in `config_dir`, standard error piped.
fn provisio(config_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PROVISIO_CONFIG_DIR", config_dir)
        .env_remove("PROVISIO_SERVER")
        .env_remove("PROVISIO_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A `provisio login` in the background, up to the point where it shows the code.
struct PendingLogin {
    child: Child,
    /// What it printed so far.
    shown: String,
    /// The URL that fills in the code.
    complete_uri: String,
    stderr: BufReader<std::process::ChildStderr>,
}

impl PendingLogin {
    async fn start(config_dir: &Path, server: &str) -> Self {
        let mut command = provisio(config_dir, &["login", "--server", server]);
        tokio::task::spawn_blocking(move || {
            let mut child = command.spawn().expect("provisio login");
            let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
            let mut shown = String::new();
            let uri = loop {
                let mut line = String::new();
                let n = stderr.read_line(&mut line).unwrap_or(0);
                shown.push_str(&line);
                if n == 0 {
                    break None;
                }
                if let Some(rest) = line.strip_prefix("(or open ") {
                    break rest.split(", which").next().map(str::to_owned);
                }
            };
            match uri {
                Some(complete_uri) => PendingLogin {
                    child,
                    shown,
                    complete_uri,
                    stderr,
                },
                None => {
                    let status = child.wait();
                    panic!("provisio login ended ({status:?}) before showing a code: {shown}");
                }
            }
        })
        .await
        .expect("reading provisio login")
    }

    /// Waits for the command to end (at most a minute; then it is killed and the test fails with
    /// what it and the provider printed); its status and all of its standard error.
    async fn finish(self, idp: Option<&OidcProvider>) -> (std::process::ExitStatus, String) {
        let PendingLogin {
            mut child,
            shown,
            mut stderr,
            ..
        } = self;
        let rest = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
            rest
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let rest = rest.join().unwrap_or_default();
                panic!(
                    "provisio login did not end within a minute: {shown}{rest}\nprovider: {}",
                    idp.map(OidcProvider::log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        (status, shown + &rest.join().unwrap_or_default())
    }
}

/// Runs `cmd` to its end off the test's thread, so a server in this process keeps answering.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("provisio"))
        .await
        .expect("join")
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn login_with_a_device_code_then_call_the_api_then_logout() {
    let idp = OidcProvider::start(&[]).await;
    let s = TestServer::start_with(|st| idp.configure(st)).await;
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("provisio");

    let login = PendingLogin::start(&config, &s.base).await;
    assert!(
        login
            .shown
            .contains(&format!("open {}/device in a browser", idp.issuer)),
        "{}",
        login.shown
    );
    let done = idp.sign_in(&login.complete_uri, true).await;
    assert!(done.contains("Sign-in Success"), "{done}");
    let (status, stderr) = login.finish(Some(&idp)).await;
    assert!(status.success(), "provisio login failed: {stderr}");
    // It waited the interval between polls: the provider never had to answer slow_down.
    assert!(!idp.log().contains("slow_down"), "{}", idp.log());
    assert!(
        stderr.contains(&format!("Signed in to {}", s.base)),
        "{stderr}"
    );

    let file = config.join("login.json");
    #[cfg(unix)]
    {
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&config), 0o700);
    }
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("login.json")).expect("JSON");
    assert_eq!(saved["server"], s.base.as_str());
    assert_eq!(saved["client_id"], CLIENT_ID);
    assert_eq!(saved["token_endpoint"], format!("{}/token", idp.issuer));
    assert!(
        saved["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{saved}"
    );
    let expires_at = saved["expires_at"].as_str().expect("expires_at");
    time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let token = saved["access_token"].as_str().expect("access_token");
    assert!(!stderr.contains(token), "the token was printed");

    // The saved token is the provider's, and the server takes it.
    let res = s
        .bare
        .get(format!("{}{COLLECTION}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let res = s
        .bare
        .get(format!("{}{COLLECTION}", s.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The client commands use the saved login: its server and its token, no flags needed.
    let list = || run(provisio(&config, &["profiles", "list", "--output", "json"]));
    let out = list().await;
    assert!(out.status.success(), "{out:?}");
    // An expired token is refreshed at the provider's token endpoint, and the new one saved.
    let mut expired = saved.clone();
    expired["expires_at"] = json!("2001-01-01T00:00:00Z");
    std::fs::write(&file, expired.to_string()).expect("login.json");
    let out = list().await;
    assert!(out.status.success(), "{out:?}\nprovider: {}", idp.log());
    let refreshed: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("login.json")).expect("JSON");
    assert_ne!(refreshed["access_token"], saved["access_token"]);
    assert_ne!(refreshed["expires_at"], expired["expires_at"]);

    let out = run(provisio(&config, &["logout"])).await;
    assert!(out.status.success(), "{out:?}");
    assert!(!file.exists(), "logout left login.json");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Signed out"),
        "{out:?}"
    );
    let out = run(provisio(&config, &["logout"])).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Not signed in"),
        "{out:?}"
    );
}

/// A `provisio login` that must fail, against a provider started with `env`: the user denies
/// access when `deny`, else nobody enters the code. Its standard error; nothing may be saved.
async fn failing_login(env: &[(&str, &str)], deny: bool) -> String {
    let idp = OidcProvider::start_with(&[], env).await;
    let s = TestServer::start_with(|st| idp.configure(st)).await;
    let config = tempfile::tempdir().expect("temp dir");
    let login = PendingLogin::start(config.path(), &s.base).await;
    if deny {
        idp.sign_in(&login.complete_uri, false).await;
    }
    let (status, stderr) = login.finish(Some(&idp)).await;
    assert!(!status.success(), "the sign-in succeeded: {stderr}");
    assert!(!config.path().join("login.json").exists());
    stderr
}

#[tokio::test]
async fn a_denied_sign_in_fails_clearly_and_saves_nothing() {
    let stderr = failing_login(&[], true).await;
    assert!(
        stderr.contains("sign-in was denied (The user declined to sign in.)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_code_nobody_enters_expires_with_a_clear_message() {
    let stderr = failing_login(&[("DEVICE_CODE_TTL", "2")], false).await;
    assert!(
        stderr.contains("(the code expires in 1 minute)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the code expired before the sign-in was completed"),
        "{stderr}"
    );
}

#[tokio::test]
async fn login_to_a_development_server_explains_its_key() {
    let s = TestServer::start().await;
    let config = tempfile::tempdir().expect("temp dir");
    let out = run(provisio(config.path(), &["login", "--server", &s.base])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("runs in development mode") && stderr.contains("provisio token issue"),
        "{stderr}"
    );
    assert!(!config.path().join("login.json").exists());
}

#[tokio::test]
async fn auth_client_says_how_to_sign_in_in_each_mode() {
    let url = |s: &TestServer| format!("{}/auth/client", s.base);

    let dev = TestServer::start().await;
    let res = dev.bare.get(url(&dev)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.expect("JSON"),
        json!({"development": true})
    );

    // Production mode; the keys are never fetched by these requests.
    let production = |st: &mut provisio::config::Settings| {
        st.auth.issuers = vec!["https://idp.example.com".into()];
        st.auth.audiences = vec![AUDIENCE.into()];
        st.auth.jwks_url = Some("https://idp.example.com/jwks".into());
    };
    let bare = TestServer::start_with(production).await;
    let res = bare.bare.get(url(&bare)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "ResourceNotFound", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("auth.client_id")),
        "{body}"
    );

    let configured = TestServer::start_with(|st| {
        production(st);
        st.auth.client_id = Some("11111111-2222-3333-4444-555555555555".into());
        st.auth.client_scopes = vec!["api://provisio/.default".into(), "offline_access".into()];
    })
    .await;
    let res = configured
        .bare
        .get(url(&configured))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.expect("JSON"),
        json!({
            "development": false,
            "issuer": "https://idp.example.com",
            "clientId": "11111111-2222-3333-4444-555555555555",
            "scopes": ["api://provisio/.default", "offline_access"],
        })
    );
}
