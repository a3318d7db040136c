//! A metadata-driven client walks the service from its root: the pinned PyPI `odatapy` reads the
//! service document, finds the `deviceManagement` singleton, loads `$metadata`, and follows the
//! singleton's containment navigation properties to every collection, listing each (paging
//! through `@odata.nextLink`) with no path written by hand (`tests/clients/odatapy_navigate.py`).
//!
//! The client is installed once per target directory into a virtual environment under
//! `CARGO_TARGET_TMPDIR` (`python3 -m venv`, `pip install` of pinned versions): about 20 s the
//! first time on the 2-core machine, then the test takes about a second. A machine without
//! Python's `venv` fails the test naming the Debian package to install.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use provisio::api::routes::collections;
use provisio::auth::{AUDIT_READ_ALL, DEVICES_READ_ALL, READ_ALL};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;
use crate::devices::{enroll, profile_with_token, Device};

/// What is installed: the client under test and its HTTP library, pinned.
const PINS: [&str; 2] = ["odatapy[client]==5.3.0", "httpx==0.28.1"];

/// Installs are made once per process; the directory makes them once per target directory.
static INSTALL: Mutex<()> = Mutex::new(());

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The virtual environment's python, with [`PINS`] installed.
fn python() -> PathBuf {
    let _once = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let tag: String = PINS
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test-tools/venv-{tag}"));
    let python = dir.join("bin/python");
    if dir.join("installed").exists() {
        return python;
    }
    let staging = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(staging.parent().unwrap()).unwrap();
    let venv = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&staging)
        .output();
    match venv {
        Ok(out) if out.status.success() => {}
        other => panic!(
            "this test needs Python 3 with venv: install it (Debian: apt-get install python3 \
             python3-venv); python3 -m venv said {other:?}"
        ),
    }
    run(
        Command::new(staging.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PINS),
        "pip install of the OData client",
    );
    std::fs::write(staging.join("installed"), PINS.join("\n")).unwrap();
    // A venv's scripts name its directory: move the finished one into place only if no other
    // run did so first, else keep theirs.
    let staged_python = staging.join("bin/python");
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    if dir.join("installed").exists() {
        python
    } else {
        staged_python
    }
}

#[tokio::test]
async fn a_metadata_driven_client_reaches_every_collection_from_the_root() {
    let s = TestServer::start().await;
    let mut profiles = Vec::new();
    for n in 0..2 {
        profiles.push(s.create(json!({"displayName": format!("plain {n}")})).await["id"].clone());
    }
    let (id, token) = profile_with_token(&s, "enrolling").await;
    profiles.push(json!(id));
    let mut devices = Vec::new();
    for serial in ["R58N10000001", "R58N10000002", "R58N10000003"] {
        let res = enroll(&s, &Device::new(serial), &token).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }
    for d in s.list_all_in(&s.collection_of("managedDevices")).await {
        devices.push(d["id"].clone());
    }
    assert_eq!(devices.len(), 3);

    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/odatapy_navigate.py");
    let bearer = s.dev_token(
        s.dev_tenant,
        &[READ_ALL, DEVICES_READ_ALL, AUDIT_READ_ALL],
        false,
    );
    let root = s.url("/beta");
    let tenant = s.dev_tenant.to_string();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python).arg(script).arg(root).arg(bearer),
            "the odatapy client",
        )
    })
    .await
    .unwrap();
    s.stop().await;

    let got: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        got["singletons"],
        json!({"deviceManagement": "deviceManagement"})
    );
    assert_eq!(got["entities"]["deviceManagement"]["id"], tenant);
    let reached: Vec<&str> = got["collections"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.strip_prefix("deviceManagement/").unwrap())
        .collect();
    let mut served: Vec<&str> = collections().iter().map(|c| c.segment).collect();
    served.sort_unstable();
    assert_eq!(reached, served, "every served collection, and only those");
    let ids = |name: &str| {
        let mut v = got["collections"][format!("deviceManagement/{name}")]["ids"]
            .as_array()
            .unwrap()
            .clone();
        v.sort_by_key(ToString::to_string);
        v
    };
    let sorted = |mut v: Vec<Value>| {
        v.sort_by_key(ToString::to_string);
        v
    };
    assert_eq!(
        ids("androidDeviceOwnerEnrollmentProfiles"),
        sorted(profiles)
    );
    assert_eq!(ids("managedDevices"), sorted(devices));
    assert_eq!(
        got["collections"]["deviceManagement/managedDevices"]["type"],
        "microsoft.graph.managedDevice"
    );
}
