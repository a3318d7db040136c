//! `provisio backup` under a write load, and `provisio restore` into a fresh data directory:
//! every profile acknowledged before the backup began is in the copy, and every profile in the
//! copy equals the original. Backups are of the embedded SQLite database, so these tests run on
//! SQLite under either test backend (PostgreSQL is backed up with its own tools).

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client_with_token, COLLECTION};
use crate::durability::{create_until, spawn, Process};

/// Runs `provisio <args>` to the end; its exit success and what it printed.
fn provisio(args: &[&str], data_dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provisio"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--log-level", "warn"])
        .output()
        .expect("run provisio");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every profile of the server, by id, as its list shows them.
async fn all_profiles(p: &Process) -> std::collections::BTreeMap<String, Value> {
    let client = client_with_token(&p.token);
    let mut out = std::collections::BTreeMap::new();
    let mut url = format!("{}{COLLECTION}?$top=1000", p.base);
    loop {
        let page: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        for v in page["value"].as_array().expect("a page") {
            out.insert(v["id"].as_str().unwrap().to_owned(), v.clone());
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return out,
        }
    }
}

fn stop(p: Process) {
    let mut child = p.child;
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_acknowledged_profile() {
    let root = tempfile::tempdir().unwrap();
    let (data, copy, fresh) = (
        root.path().join("data"),
        root.path().join("backup"),
        root.path().join("restored"),
    );
    let server = spawn(&data, &None);
    let client = client_with_token(&server.token);
    // Profiles with secrets: a Wi-Fi password and a live token with its QR code.
    for i in 0..5 {
        let res = client
            .post(format!("{}{COLLECTION}", server.base))
            .json(&json!({
                "displayName": format!("kiosk {i}"),
                "configureWifi": true,
                "wifiSsid": "corp",
                "wifiSecurityType": "wpa",
                "wifiPassword": format!("secret-{i}"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = client
            .post(format!("{}{COLLECTION}/{id}/createToken", server.base))
            .json(&json!({"tokenValidityInSeconds": 3600}))
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), StatusCode::NO_CONTENT);
    }

    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers = create_until(
        server.base.clone(),
        &server.token,
        4,
        acked.clone(),
        Instant::now() + Duration::from_secs(4),
    );
    let started = Instant::now();
    while acked.lock().unwrap().len() < 50 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = acked.lock().unwrap().clone();
    let (data2, copy2) = (data.clone(), copy.clone());
    let (ok, out) = tokio::task::spawn_blocking(move || {
        provisio(&["backup", "--to", copy2.to_str().unwrap()], &data2)
    })
    .await
    .unwrap();
    assert!(ok, "backup failed: {out}");
    let during = acked.lock().unwrap().len();
    for w in workers {
        w.await.unwrap();
    }
    assert!(
        during > before.len(),
        "no write was acknowledged while the backup ran ({} before)",
        before.len()
    );

    for file in [
        "provisio.sqlite3",
        "sealing-keys",
        "dev-signing-key",
        "backup.json",
    ] {
        assert!(copy.join(file).is_file(), "the backup lacks {file}: {out}");
    }
    let (ok, out) = provisio(&["restore", "--from", copy.to_str().unwrap()], &fresh);
    assert!(ok, "restore failed: {out}");
    let original = all_profiles(&server).await;
    let restored_server = spawn(&fresh, &None);
    let restored = all_profiles(&restored_server).await;
    for id in &before {
        assert!(
            restored.contains_key(id),
            "acknowledged profile {id} is not in the backup"
        );
    }
    for (id, profile) in &restored {
        assert_eq!(Some(profile), original.get(id), "profile {id} differs");
    }
    // The secrets came along: the restored key reads them, and the original's tokens work.
    let with_wifi = restored
        .values()
        .filter(|p| {
            p["wifiPassword"]
                .as_str()
                .is_some_and(|w| w.starts_with("secret-"))
        })
        .count();
    assert_eq!(with_wifi, 5);
    assert_eq!(
        restored
            .values()
            .filter(|p| p["tokenValue"].as_str().is_some())
            .count(),
        5
    );
    stop(restored_server);

    // A data directory in use is not overwritten; a backup never lands on another.
    let (ok, out) = provisio(&["restore", "--from", copy.to_str().unwrap()], &data);
    assert!(!ok && out.contains("--replace"), "{out}");
    let (ok, out) = provisio(&["backup", "--to", copy.to_str().unwrap()], &data);
    assert!(!ok && out.contains("not empty"), "{out}");
    stop(server);

    // --replace moves what was there aside, and a damaged backup is refused.
    let (ok, out) = provisio(
        &["restore", "--replace", "--from", copy.to_str().unwrap()],
        &fresh,
    );
    assert!(ok, "{out}");
    assert!(out.contains(".before-restore-"), "{out}");
    let db = copy.join("provisio.sqlite3");
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&db, bytes).unwrap();
    let (ok, out) = provisio(
        &["restore", "--from", copy.to_str().unwrap()],
        &root.path().join("x"),
    );
    assert!(!ok && out.contains("damaged"), "{out}");
}
