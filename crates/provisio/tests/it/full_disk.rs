//! A full disk: writes answer 503 with `Retry-After` and say that storage is full, reads go on,
//! `/readyz` reports not ready while writes fail and ready again once space is freed, with no
//! restart and no acknowledged write lost.
//!
//! The data directory is a small tmpfs that the test mounts (as root) and fills with a file. The
//! behaviour under test is the SQLite store's (its file is what fills up), so the test runs on
//! SQLite under either test backend; PostgreSQL's disk is the database server's to watch
//! (docs/DEPLOYMENT.md).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{expect_error, ok_json, TestServer};

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SmallDisk {
    fn mount(mib: u32) -> SmallDisk {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_owned();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and must run as root (with mount from util-linux): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { _dir: dir, path }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Writes zeros to `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 64 * 1024];
    loop {
        match file.write_all(&chunk).and_then(|()| file.sync_data()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // Whatever partial chunk fits.
    let _ = file.write_all(&chunk[..4096]);
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_recovers_without_a_restart() {
    let disk = SmallDisk::mount(8);
    let data = disk.path.join("data");
    let server = TestServer::start_in(data.clone(), |s| s.database.url = None).await;
    let ready = |server: &TestServer| server.bare.get(server.url("/readyz")).send();
    assert_eq!(ready(&server).await.unwrap().status(), StatusCode::OK);

    let body =
        |i: usize| json!({"displayName": format!("profile {i}"), "description": "x".repeat(500)});
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        acknowledged.push(
            server.create(body(i)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let filler = disk.path.join("filler");
    fill(&filler);
    // The log may still have room it took before the disk filled; writes go on until it is used.
    let mut refused = None;
    for i in 20..3000 {
        let res = server.post_json(&server.collection(), &body(i)).await;
        match res.status() {
            StatusCode::CREATED => {
                let v: serde_json::Value = res.json().await.unwrap();
                acknowledged.push(v["id"].as_str().unwrap().to_owned());
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some(res);
                break;
            }
            other => panic!(
                "a write on a full disk answered {other}: {}",
                res.text().await.unwrap()
            ),
        }
    }
    let refused = refused.expect("no write was refused on a full disk");
    let retry_after = refused.headers().get("retry-after").cloned();
    let message = expect_error(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
    )
    .await;
    assert!(message.contains("storage is full"), "{message}");
    assert!(retry_after.is_some_and(|v| v.to_str().unwrap().parse::<u32>().unwrap() > 0));

    // Reads keep working; liveness holds; readiness does not.
    let page = ok_json(server.get(&format!("{}?$top=5", server.collection())).await).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 5);
    ok_json(server.get(&server.item(&acknowledged[0])).await).await;
    assert_eq!(
        server
            .bare
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let not_ready = ready(&server).await.unwrap();
    assert!(not_ready.headers().contains_key("retry-after"));
    let message = expect_error(
        not_ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
    )
    .await;
    assert!(message.contains("storage is full"), "{message}");
    // A change of an existing profile is refused the same way, and changes nothing.
    let patch = server
        .patch_json(
            &server.item(&acknowledged[0]),
            &json!({"displayName": "renamed"}),
        )
        .await;
    if patch.status() != StatusCode::NO_CONTENT {
        expect_error(patch, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable").await;
        let still = ok_json(server.get(&server.item(&acknowledged[0])).await).await;
        assert_eq!(still["displayName"], "profile 0");
    }

    // Space comes back: readiness follows within a few probes, and writes work again.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    loop {
        if ready(&server).await.unwrap().status() == StatusCode::OK {
            break;
        }
        assert!(
            freed.elapsed() < Duration::from_secs(10),
            "/readyz stayed not ready after space was freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    acknowledged.push(
        server.create(body(9999)).await["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    // Every acknowledged write is there, after a clean stop and a restart too.
    server.stop().await;
    let server = TestServer::start_in(data, |s| s.database.url = None).await;
    let stored: std::collections::HashSet<String> = server
        .list_all()
        .await
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged profile {id} is gone");
    }
    server.stop().await;
}
