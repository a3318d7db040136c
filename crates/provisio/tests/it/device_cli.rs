//! `provisio device` against the real server binary.
//!
//! The README's "Enroll a device" section is run as it is written: its first block (the `serve`
//! command) and its second (the walkthrough) under bash, with only two substitutions — the
//! built binary for `cargo run [-q] --release -p provisio --`, and the test server's address for
//! `127.0.0.1:8080` — so a README that no longer works fails here. Then the answers a device can
//! meet besides a command: a record removed (410), a secret the server does not know (401), a
//! revoked token.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{client_with_token, fresh_database_url, ok_json, TestServer, COLLECTION};
use crate::durability::{spawn_command, Process};

const BIN: &str = env!("CARGO_BIN_EXE_provisio");
const README: &str = include_str!("../../../../README.md");
/// The section the test runs, and the address its commands use.
const SECTION: &str = "Enroll a device";
const README_ADDRESS: &str = "127.0.0.1:8080";

/// The fenced `sh` blocks of the README section `heading`.
fn readme_blocks(heading: &str) -> Vec<String> {
    readme_blocks_of(heading, "sh")
}

/// The fenced blocks in language `lang` (`sh`, `json`) of the README section `heading`.
pub fn readme_blocks_of(heading: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}");
    let title = format!("\n## {heading}\n");
    let start = README.find(&title).expect("README has the section") + title.len();
    let rest = &README[start..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() == fence {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            blocks.push(body.join("\n"));
        }
    }
    blocks
}

/// `text` with `from` replaced by `to`; fails when `from` does not occur (the README changed
/// form and the test must follow).
pub fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the README block no longer contains {from:?}:\n{text}"
    );
    text.replace(from, to)
}

/// Fails, saying what to install, when a tool the README uses is missing.
pub fn require_tools() {
    for tool in ["bash", "curl", "jq", "base64"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is not installed; the README walkthrough needs curl and jq (apt-get install curl jq)"
        );
    }
}

/// A free port on 127.0.0.1 (the README's server names its own address in the QR code, so it
/// cannot listen on port 0).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The server process, killed when the test ends however it ends.
pub struct Server(pub Process);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// Starts the README's `serve` command on a free port in `data_dir`.
fn start_readme_server(data_dir: &Path) -> Server {
    let blocks = readme_blocks(SECTION);
    assert_eq!(
        blocks.len(),
        2,
        "the section has a serve block and a walkthrough block"
    );
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let serve = substitute(&blocks[0], "cargo run --release -p provisio --", BIN);
    let serve = substitute(&serve, README_ADDRESS, &address);
    let mut extra = format!(
        " --listen {address} --log-level warn --data-dir '{}'",
        data_dir.display()
    );
    if let Some(url) = fresh_database_url() {
        extra.push_str(&format!(" --database-url '{url}'"));
    }
    let mut command = Command::new("bash");
    command.args(["-c", &format!("exec {serve}{extra}")]);
    let process = spawn_command(command);
    assert_eq!(process.base, format!("http://{address}"));
    Server(process)
}

/// Runs `script` under `bash -euo pipefail` in `dir` with `$TOKEN` set and `dir` as `$TMPDIR`
/// (where the README saves the QR code); fails showing both outputs unless it succeeds.
pub fn run_script(dir: &Path, token: &str, script: &str) -> String {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("TOKEN", token)
        .env("TMPDIR", dir)
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the walkthrough failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The lines of `text` must contain each of `expected`, in this order.
fn assert_in_order(text: &str, expected: &[&str]) {
    let mut rest = text;
    for want in expected {
        match rest.find(want) {
            Some(at) => rest = &rest[at + want.len()..],
            None => panic!("expected {want:?} (in this order) in:\n{text}"),
        }
    }
}

/// The value after `name` on its `  name   value` line of the enroll report.
fn reported<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} line in:\n{text}"))
}

#[tokio::test]
async fn the_readme_walkthrough_enrolls_lists_counts_retires_and_checks_in() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let server = start_readme_server(&data);
    let address = server.0.base.trim_start_matches("http://").to_owned();

    let script = readme_blocks(SECTION)[1].clone();
    let script = substitute(&script, "cargo run -q --release -p provisio --", BIN);
    let script = substitute(&script, README_ADDRESS, &address);
    let out = run_script(&work, &server.0.token, &script);

    let id = reported(&out, "managedDeviceId");
    let name = reported(&out, "deviceName");
    let listed =
        json!({"deviceName": name, "serialNumber": "R58N12345XY", "managementState": "managed"});
    assert_in_order(
        &out,
        &[
            "{\"enrolledDeviceCount\":0,\"enrollmentTokenUsageCount\":0}\n",
            "provisio: the QR code is for your own DPC (token under com.example.dpc.EXTRA_ENROLLMENT_TOKEN); enrolling with http://",
            "provisio: enrollment token accepted: corporateOwnedAOSPUserlessDevice for tenant ",
            "provisio: enrolled as a new device record\n",
            "  enrollmentMode       corporateOwnedAOSPUserlessDevice\n",
            "  state                provisio-device.json (holds the device's secret: keep it private)\n",
            &format!("{listed}\n"),
            "{\"enrolledDeviceCount\":1,\"enrollmentTokenUsageCount\":1}\n",
            "204\n",
            &format!("provisio: checked in as {name} (managed device {id}): 1 command\n  retire  "),
            "provisio: acknowledged retire ",
            "; a DPC would now give up its management of the device (clear device owner, remove its policies) and uninstall itself\n",
            "provisio: deleted the device state provisio-device.json\n",
        ],
    );
    assert!(work.join("qr.png").exists());
    assert!(!work.join("provisio-device.json").exists());

    // The server agrees: the acknowledged retire removed the record; the token's use stays
    // counted, the profile no longer counts the device.
    let client = client_with_token(&server.0.token);
    let base = &server.0.base;
    let res = get(
        &client,
        &format!("{base}/beta/deviceManagement/managedDevices/{id}"),
    )
    .await;
    assert_eq!(res.0, StatusCode::NOT_FOUND, "{}", res.1);
    let (status, profiles) = get(&client, &format!("{base}{COLLECTION}")).await;
    assert_eq!(status, StatusCode::OK);
    let profile = &profiles["value"][0];
    assert_eq!(profile["enrolledDeviceCount"], 0, "{profile}");
    assert_eq!(profile["enrollmentTokenUsageCount"], 1, "{profile}");
    // Nothing the device holds reached the server's answers or the README's output.
    assert!(!out.contains("deviceSecret"));
}

async fn get(client: &Client, url: &str) -> (StatusCode, Value) {
    let res = client.get(url).send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `provisio device <args>` in `dir`.
fn device(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("device")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run provisio device")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Creates the profile `body` with a token of an hour, saves its QR code as `dir/qr.png`, and
/// returns its id.
async fn profile_with_code(s: &TestServer, body: Value, dir: &Path) -> String {
    let profile = s.create(body).await;
    let id = profile["id"].as_str().unwrap().to_owned();
    let res = s
        .post_json(
            &format!("{}/createToken", s.item(&id)),
            &json!({"tokenValidityInSeconds": 3600}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    save_qr(s, &id, dir).await;
    id
}

/// Saves the profile's QR code image as `dir/qr.png`.
async fn save_qr(s: &TestServer, id: &str, dir: &Path) {
    let profile = ok_json(s.get(&s.item(id)).await).await;
    let png = STANDARD
        .decode(
            profile["qrCodeImage"]["value"]
                .as_str()
                .expect("qrCodeImage"),
        )
        .expect("base64");
    std::fs::write(dir.join("qr.png"), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_google_code_a_lost_answer_a_removed_device_and_an_unknown_secret() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let id = profile_with_code(
        &s,
        json!({"displayName": "Kiosks", "enrollmentMode": "corporateOwnedDedicatedDevice"}),
        work,
    )
    .await;
    let facts = [
        "--serial",
        "R58N0000001",
        "--manufacturer",
        "samsung",
        "--model",
        "SM-X200",
    ];
    let enroll = |extra: &[&str]| {
        let mut args = vec!["enroll", "--qr", "qr.png"];
        args.extend_from_slice(&facts);
        args.extend_from_slice(extra);
        device(work, &args)
    };

    // A code for Google's Android Device Policy carries no URL.
    let out = enroll(&[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "Google's Android Device Policy, which carries no enrollment URL; pass --server"
        ),
        "{err}"
    );

    // --json prints the server's answer as it came; the state file is private.
    let out = enroll(&["--server", &s.base, "--state", "a.json", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("the answer alone, as JSON");
    let device_id = answer["managedDeviceId"].as_str().unwrap().to_owned();
    assert_eq!(answer["enrollmentProfileId"], id.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(work.join("a.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let state: Value =
        serde_json::from_slice(&std::fs::read(work.join("a.json")).unwrap()).unwrap();
    assert_eq!(state["managedDeviceId"], device_id.as_str());
    assert_eq!(state["serverUrl"], s.base.as_str());

    // A state file holding an enrolled device is not overwritten.
    let out = enroll(&["--server", &s.base, "--state", "a.json"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("a.json already holds an enrolled device"));

    // An enrollment whose answer was lost (the state saved, no record in it) is taken up again
    // with the saved secret: the server hands back the same record.
    let mut pending = state.clone();
    for member in ["managedDeviceId", "deviceName", "enrollmentProfileId"] {
        pending[member] = Value::Null;
    }
    std::fs::write(work.join("b.json"), pending.to_string()).unwrap();
    let out = enroll(&["--server", &s.base, "--state", "b.json"]);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert_in_order(
        &said,
        &[
            "b.json holds an enrollment that got no answer; trying again with its device secret",
            "provisio: enrolled as its existing device record\n",
            &format!("  managedDeviceId      {device_id}\n"),
        ],
    );

    // A secret the server does not know: a 401, told apart from a removal, the state kept.
    let mut stranger = state.clone();
    stranger["deviceSecret"] = json!("not-a-secret-the-server-has-seen-before-000");
    std::fs::write(work.join("c.json"), stranger.to_string()).unwrap();
    let out = device(work, &["checkin", "--state", "c.json"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("the server does not know this device's credential (the server answered 401 InvalidDeviceCredential: ")
            && err.contains("never wipes on this answer"),
        "{err}"
    );
    assert!(work.join("c.json").exists());

    // Checked in, then deleted by an administrator: the next check-in hears 410 and forgets.
    let out = device(
        work,
        &["checkin", "--state", "a.json", "--os-version", "15"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("(managed device {device_id}): no commands\n")));
    let record = ok_json(
        s.get(&format!(
            "{}/{device_id}",
            s.collection_of("managedDevices")
        ))
        .await,
    )
    .await;
    assert_eq!(record["osVersion"], "15");
    let res = s
        .send(
            Method::DELETE,
            &format!("{}/{device_id}", s.collection_of("managedDevices")),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let out = device(work, &["checkin", "--state", "a.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_in_order(
        &text(&out.stdout),
        &[
            "provisio: the device was removed from the server (the server answered 410 DeviceRemoved: ",
            "provisio: deleted the device state a.json\n",
        ],
    );
    assert!(!work.join("a.json").exists());

    // A revoked token fails the check, before any state is written.
    let res = s
        .send(Method::POST, &format!("{}/revokeToken", s.item(&id)), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let out = enroll(&["--server", &s.base, "--state", "d.json"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "checking the enrollment token: the server answered 401 InvalidEnrollmentToken: "
        ),
        "{err}"
    );
    assert!(!work.join("d.json").exists());
    s.stop().await;
}

/// A user-associated device enrolled from a terminal with its user's ID token (made by
/// `provisio token id-token` with the server's development key) is recorded with that user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_associated_device_names_its_user_from_the_terminal() {
    let s = TestServer::start_with(|s| {
        s.aosp_dpc = crate::tokens::aosp_dpc(40);
        s.devices.user_id_token_audiences = vec!["dpc-sign-in".into()];
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    profile_with_code(
        &s,
        json!({
            "displayName": "Shared tablets",
            "enrollmentMode": "corporateOwnedAOSPUserAssociatedDevice",
            "deviceNameTemplate": "{{UPNPREFIX}}-{{SERIALLAST4DIGITS}}",
        }),
        work,
    )
    .await;
    let data_dir = s.data_dir.display().to_string();
    let out = Command::new(BIN)
        .args(["token", "id-token", "--client", "dpc-sign-in"])
        .args([
            "--user",
            "eric.solomon@contoso.com",
            "--data-dir",
            &data_dir,
        ])
        .output()
        .expect("run provisio token id-token");
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(work.join("user.jwt"), &out.stdout).unwrap();
    let out = device(
        work,
        &[
            "enroll",
            "--qr",
            "qr.png",
            "--server",
            &s.base,
            "--serial",
            "R58N00004321",
            "--user-id-token-file",
            "user.jwt",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("the answer, as JSON");
    assert_eq!(answer["deviceName"], "eric-solomon-4321");
    let record = ok_json(
        s.get(&format!(
            "{}/{}",
            s.collection_of("managedDevices"),
            answer["managedDeviceId"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(record["userPrincipalName"], "eric.solomon@contoso.com");
    s.stop().await;
}
