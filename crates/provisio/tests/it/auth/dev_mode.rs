//! Development mode as a person meets it, through the real binary: the first start writes a
//! private key and prints a working token and curl line after the unchanged first line;
//! `provisio token issue` mints tokens from the same key; a non-loopback listen address is
//! refused unless allowed; production mode prints no token and makes no key; and neither the
//! token nor the key ever reaches the log.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{READ, READ_WRITE, TENANT_B};
use crate::common::{client_with_token, COLLECTION};

const BIN: &str = env!("CARGO_BIN_EXE_provisio");

struct Served {
    child: Child,
    out: BufReader<ChildStdout>,
    lines: Vec<String>,
}

/// Starts `provisio serve` with `args` and reads the first line and, in development mode, the
/// three after it.
fn serve(data_dir: &Path, args: &[&str], lines: usize) -> Served {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--log-level", "info"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start provisio");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut read = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).expect("read");
        read.push(line.trim_end().to_owned());
    }
    Served {
        child,
        out,
        lines: read,
    }
}

/// A failed assertion must not leave the server running.
impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Stops the server and returns what it wrote on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json")
}

fn issue(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["token", "issue", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run provisio token issue")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_a_working_token_and_token_issue_mints_more() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(dir.path(), &["--listen", "127.0.0.1:0"], 4);
    let base = first.lines[0]
        .strip_prefix("provisio listening on ")
        .expect("first line")
        .to_owned();
    assert!(
        first.lines[1].starts_with("development mode: "),
        "{:?}",
        first.lines
    );
    let token = first.lines[2]
        .strip_prefix("export TOKEN=")
        .expect("token line")
        .to_owned();
    assert_eq!(
        first.lines[3],
        format!("curl -H \"Authorization: Bearer $TOKEN\" {base}{COLLECTION}")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("dev-signing-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let c = claims_of(&token);
    assert_eq!(c["tid"], "00000000-0000-4000-8000-000000000001");
    assert_eq!(
        c["scp"],
        format!("{READ_WRITE} DeviceManagementManagedDevices.ReadWrite.All DeviceManagementManagedDevices.PrivilegedOperations.All DeviceManagementApps.Read.All")
    );
    assert_eq!(c["preferred_username"], "developer@provisio.invalid");
    let client = client_with_token(&token);
    let created = client
        .post(format!("{base}{COLLECTION}"))
        .json(&json!({"displayName": "dev"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    // Tokens from `token issue`: another tenant, Read only, application, 30 days.
    let out = issue(
        dir.path(),
        &[
            "--tenant",
            TENANT_B,
            "--scope",
            READ,
            "--app",
            "--expires-in",
            "30d",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issued = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let c = claims_of(&issued);
    assert_eq!(c["tid"], TENANT_B);
    assert_eq!(c["roles"], json!([READ]));
    assert!(c.get("scp").is_none());
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        30 * 24 * 3600
    );
    let b = client_with_token(&issued);
    let list: Value = b
        .get(format!("{base}{COLLECTION}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["value"],
        json!([]),
        "tenant B sees none of the development tenant's profiles"
    );
    let post = b
        .post(format!("{base}{COLLECTION}"))
        .json(&json!({"displayName": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);

    let log = first.stop();
    assert!(
        log.contains("tid=00000000-0000-4000-8000-000000000001"),
        "the caller is logged: {log}"
    );
    let key = std::fs::read_to_string(dir.path().join("dev-signing-key")).unwrap();
    for secret in [token.as_str(), issued.as_str(), key.trim()] {
        assert!(!log.contains(secret), "a secret reached the log");
    }

    // A restart keeps the key: the first token still works.
    let second = serve(dir.path(), &["--listen", "127.0.0.1:0"], 3);
    let base = second.lines[0]
        .strip_prefix("provisio listening on ")
        .unwrap()
        .to_owned();
    let res = client
        .get(format!("{base}{COLLECTION}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    second.stop();
}

#[test]
fn token_issue_needs_the_key_and_valid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let out = issue(dir.path(), &["--scope", READ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dev-signing-key"));
    std::fs::write(
        dir.path().join("dev-signing-key"),
        format!("{}\n", URL_SAFE_NO_PAD.encode([1u8; 32])),
    )
    .unwrap();
    assert!(
        !issue(dir.path(), &[]).status.success(),
        "--scope is required"
    );
    assert!(
        !issue(dir.path(), &["--scope", READ, "--expires-in", "soon"])
            .status
            .success()
    );
    assert!(
        !issue(dir.path(), &["--scope", READ, "--tenant", "contoso"])
            .status
            .success()
    );
    let out = issue(dir.path(), &["--scope", READ, READ_WRITE]);
    assert!(out.status.success());
    let c = claims_of(String::from_utf8(out.stdout).unwrap().trim());
    assert_eq!(c["scp"], format!("{READ} {READ_WRITE}"));
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
}

#[test]
fn development_mode_stays_on_loopback_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-dev-auth-on-network"));
    assert!(!dir.path().join("dev-signing-key").exists());

    let allowed = serve(
        dir.path(),
        &["--listen", "0.0.0.0:0", "--allow-dev-auth-on-network"],
        4,
    );
    assert!(allowed.lines[0].starts_with("provisio listening on http://0.0.0.0:"));
    assert!(
        allowed.lines[3].contains("http://127.0.0.1:"),
        "{}",
        allowed.lines[3]
    );
    allowed.stop();
}

#[test]
fn production_mode_prints_no_token_and_makes_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, super::Keys::load().jwks(&[]).to_string()).unwrap();
    let jwks = jwks.to_str().unwrap().to_owned();
    let data = dir.path().join("data");
    let mut served = serve(
        &data,
        &[
            "--listen",
            "0.0.0.0:0",
            "--auth-issuer",
            "https://sts.windows.net/{tenantid}/",
            "--auth-audience",
            super::AUDIENCE,
            "--auth-jwks-file",
            &jwks,
        ],
        1,
    );
    assert!(served.lines[0].starts_with("provisio listening on http://0.0.0.0:"));
    let _ = served.child.kill();
    let _ = served.child.wait();
    let mut rest = String::new();
    served.out.read_to_string(&mut rest).unwrap();
    served.stop();
    assert!(!rest.contains("TOKEN"), "{rest}");
    assert!(!data.join("dev-signing-key").exists());
}
