//! The saved login (`login.json` in `PROVISIO_CONFIG_DIR`), written here by hand as
//! `provisio login` writes it: used for its server, ignored for another, refreshed at its token
//! endpoint when it has expired.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use provisio::client::saved::SavedLogin;
use serde_json::{json, Value};

use super::Cli;
use crate::common::TestServer;

/// A tenant other than the development tenant: the saved token's, so the answers show which
/// token was sent.
const OTHER_TENANT: &str = "3f1a6d2c-8b4e-4c5d-9e6f-0a1b2c3d4e5f";

/// A token of the development key for [`OTHER_TENANT`].
fn other_tenant_token(s: &TestServer) -> String {
    let other: uuid::Uuid = OTHER_TENANT.parse().unwrap();
    s.dev_token(
        other,
        &["DeviceManagementConfiguration.ReadWrite.All"],
        false,
    )
}

fn write_login(cli: &Cli, login: &Value) {
    std::fs::write(cli.config.path().join("login.json"), login.to_string()).unwrap();
}

fn saved(cli: &Cli) -> SavedLogin {
    SavedLogin::load_from(&cli.config.path().join("login.json"))
        .unwrap()
        .unwrap()
}

/// A command with no development key to fall back on, and no server unless given.
fn without_key(cli: &Cli, empty: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = cli.command(args);
    command
        .env("PROVISIO_DATA_DIR", empty)
        .env_remove("PROVISIO_SERVER");
    command
}

#[tokio::test]
async fn a_saved_login_is_used_for_its_server_only() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let token = other_tenant_token(&s);
    write_login(
        &cli,
        &json!({"server": format!("{}/", s.base), "access_token": token, "expires_at": null,
                "refresh_token": null, "token_endpoint": null, "client_id": null}),
    );
    let empty = tempfile::tempdir().unwrap();

    // No --server, no key: the saved login's server and token.
    let create = without_key(
        &cli,
        empty.path(),
        &[
            "profiles",
            "create",
            "--display-name",
            "saved",
            "-o",
            "json",
        ],
    );
    let ran = Cli::run_command(create).await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    let created: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        created["accountId"], OTHER_TENANT,
        "created with the saved token"
    );

    // The same server named explicitly: still the saved token.
    let mut named = without_key(&cli, empty.path(), &["profiles", "list", "-o", "json"]);
    named.env("PROVISIO_SERVER", &s.base);
    let ran = Cli::run_command(named).await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    let listed: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);

    // Another server: the saved token is not sent; the development key is used instead.
    let development = cli
        .json(&[
            "profiles",
            "list",
            "--server",
            &s.base.replace("127.0.0.1", "localhost"),
        ])
        .await;
    assert_eq!(
        development["value"],
        json!([]),
        "the development tenant has none"
    );
}

#[tokio::test]
async fn an_expired_login_is_refreshed_or_sends_the_user_to_login() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let fresh = s.dev_token(
        s.dev_tenant,
        &["DeviceManagementConfiguration.ReadWrite.All"],
        false,
    );
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let endpoint = {
        let seen = seen.clone();
        let fresh = fresh.clone();
        let app = axum::Router::new().route(
            "/oauth2/token",
            post(move |body: String| {
                seen.lock().unwrap().push(body);
                let fresh = fresh.clone();
                async move {
                    axum::Json(json!({"access_token": fresh, "token_type": "Bearer",
                                      "expires_in": 3600, "refresh_token": "refresh-2"}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/oauth2/token")
    };
    write_login(
        &cli,
        &json!({"server": s.base, "access_token": "expired-token", "expires_at": "2020-01-01T00:00:00Z",
                "refresh_token": "refresh-1", "token_endpoint": endpoint, "client_id": "provisio-cli"}),
    );
    let empty = tempfile::tempdir().unwrap();
    let ran = Cli::run_command(without_key(&cli, empty.path(), &["profiles", "list"])).await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(
        bodies,
        ["grant_type=refresh_token&refresh_token=refresh-1&client_id=provisio-cli"]
    );
    let login = saved(&cli);
    assert_eq!(login.access_token, fresh);
    assert_eq!(login.refresh_token.as_deref(), Some("refresh-2"));
    assert!(
        login.expires_at.unwrap() > time::OffsetDateTime::now_utc() + time::Duration::minutes(59)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(cli.config.path().join("login.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Expired with nothing to refresh it with: exit code 4, and what to do.
    write_login(
        &cli,
        &json!({"server": s.base, "access_token": "expired-token", "expires_at": "2020-01-01T00:00:00Z"}),
    );
    let ran = Cli::run_command(without_key(&cli, empty.path(), &["profiles", "list"])).await;
    assert_eq!(ran.code, 4, "{ran:#?}");
    assert!(ran.stderr.contains("run provisio login"), "{ran:#?}");
}

#[tokio::test]
async fn the_login_is_found_under_xdg_config_home_then_home() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let token = other_tenant_token(&s);
    let login = json!({"server": s.base, "access_token": token});
    let empty = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let accounts = |ran: super::Ran| -> Value {
        assert_eq!(ran.code, 0, "{ran:#?}");
        let created: Value = serde_json::from_str(&ran.stdout).unwrap();
        created["accountId"].clone()
    };
    let create = |env: &[(&str, &std::path::Path)]| {
        let mut command = without_key(
            &cli,
            empty.path(),
            &["profiles", "create", "--display-name", "x", "-o", "json"],
        );
        command
            .env_remove("PROVISIO_CONFIG_DIR")
            .env_remove("XDG_CONFIG_HOME");
        for (name, value) in env {
            command.env(name, value);
        }
        command
    };

    std::fs::create_dir_all(xdg.path().join("provisio")).unwrap();
    std::fs::write(xdg.path().join("provisio/login.json"), login.to_string()).unwrap();
    let ran = Cli::run_command(create(&[
        ("XDG_CONFIG_HOME", xdg.path()),
        ("HOME", home.path()),
    ]))
    .await;
    assert_eq!(accounts(ran), OTHER_TENANT);

    std::fs::create_dir_all(home.path().join(".config/provisio")).unwrap();
    std::fs::write(
        home.path().join(".config/provisio/login.json"),
        login.to_string(),
    )
    .unwrap();
    let ran = Cli::run_command(create(&[("HOME", home.path())])).await;
    assert_eq!(accounts(ran), OTHER_TENANT);

    // PROVISIO_CONFIG_DIR comes first: an empty one means no saved login (and no key here).
    let ran = Cli::run_command(create(&[
        ("PROVISIO_CONFIG_DIR", empty.path()),
        ("HOME", home.path()),
    ]))
    .await;
    assert_eq!(ran.code, 4, "{ran:#?}");
}
