//! Three `provisio serve` processes on one PostgreSQL database, driven at once with creates,
//! PATCHes, createToken, revokeToken and deletes. The invariants must hold across processes
//! because they live in SQL, not in any process's memory.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client_with_token, COLLECTION};
use crate::durability::spawn;

/// What the clients were told, to check against the database afterwards.
#[derive(Default)]
struct Ledger {
    created: Vec<String>,
    deleted: HashSet<String>,
    /// Per client, per profile: the lastModifiedDateTime values it read, in order.
    reads: HashMap<(usize, String), Vec<String>>,
    ops: usize,
}

const WORKERS: usize = 12;
const MAX_OPS: usize = 2_400;
const VALIDITIES: std::ops::Range<i64> = 3_600..3_700;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_keep_every_invariant() {
    let pg =
        pg_tmp::TempPostgres::shared().unwrap_or_else(|e| panic!("PostgreSQL for the test: {e}"));
    let url = pg
        .create_database(&format!("multiprocess_{}", std::process::id()))
        .unwrap_or_else(|e| panic!("{e}"));
    let db = Some(url);
    // One data directory for the development signing key, so one token works on all three.
    let dir = tempfile::tempdir().unwrap();
    let first = spawn(dir.path(), &db);
    let others = [spawn(dir.path(), &db), spawn(dir.path(), &db)];
    let bases: Vec<String> = std::iter::once(first.base.clone())
        .chain(others.iter().map(|p| p.base.clone()))
        .collect();
    let token = first.token.clone();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (bases, ledger, client) =
                (bases.clone(), ledger.clone(), client_with_token(&token));
            tokio::spawn(async move { drive(w, &bases, &client, &ledger, deadline).await })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    assert!(ledger.ops >= 1_000, "only {} operations ran", ledger.ops);

    // Afterwards, through a process chosen per profile: every acknowledged create exists unless
    // its delete was acknowledged; no acknowledged delete comes back; token members agree.
    let client = client_with_token(&token);
    let mut with_tokens = 0;
    for (i, id) in ledger.created.iter().enumerate() {
        let res = client
            .get(format!("{}{COLLECTION}/{id}", bases[i % 3]))
            .send()
            .await
            .unwrap();
        if ledger.deleted.contains(id) {
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "deleted {id} came back"
            );
            continue;
        }
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "acknowledged create {id} is missing"
        );
        let p: Value = res.json().await.unwrap();
        if let Some(token) = p["tokenValue"].as_str() {
            with_tokens += 1;
            check_token_members(&p, token, with_tokens <= 20);
        } else {
            assert_eq!(p["qrCodeContent"], Value::Null);
            assert_eq!(p["tokenCreationDateTime"], "0001-01-01T00:00:00Z");
        }
    }
    assert!(with_tokens > 0, "no profile ended with a token");
    // lastModifiedDateTime never went backwards for any client.
    for ((w, id), seen) in &ledger.reads {
        assert!(
            seen.windows(2).all(|p| p[0] <= p[1]),
            "client {w} saw {id} go back in time: {seen:?}"
        );
    }
    println!(
        "multiprocess: {} operations, {} profiles created, {} deleted, {} with a token",
        ledger.ops,
        ledger.created.len(),
        ledger.deleted.len(),
        with_tokens
    );
    for mut p in std::iter::once(first).chain(others) {
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
}

/// The token, its dates and its QR code come from one createToken call.
fn check_token_members(p: &Value, token: &str, decode: bool) {
    let content = p["qrCodeContent"]
        .as_str()
        .expect("a token has a QR payload");
    assert!(
        content.contains(token),
        "QR payload from another call than the token"
    );
    let created =
        provisio::model::Timestamp::parse(p["tokenCreationDateTime"].as_str().unwrap()).unwrap();
    let expires =
        provisio::model::Timestamp::parse(p["tokenExpirationDateTime"].as_str().unwrap()).unwrap();
    let validity = (expires.as_datetime() - created.as_datetime()).whole_seconds();
    assert!(
        VALIDITIES.contains(&validity),
        "dates from different calls: {validity} s"
    );
    assert_eq!(p["enrollmentTokenUsageCount"], 0);
    if decode {
        let png = base64::engine::general_purpose::STANDARD
            .decode(p["qrCodeImage"]["value"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            qr_check::decode_rqrr(&png),
            content.as_bytes(),
            "QR image from another call"
        );
    }
}

/// One client: a random mix of operations on random processes until the budget or the deadline.
async fn drive(
    w: usize,
    bases: &[String],
    client: &reqwest::Client,
    ledger: &Mutex<Ledger>,
    deadline: Instant,
) {
    let mut rng = w as u64 * 7919 + 1;
    let mut next = move |n: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % n
    };
    let mut mine: Vec<String> = Vec::new();
    while Instant::now() < deadline {
        {
            let mut l = ledger.lock().unwrap();
            if l.ops >= MAX_OPS {
                return;
            }
            l.ops += 1;
        }
        let base = &bases[next(3) as usize];
        let roll = next(100);
        if mine.is_empty() || roll < 25 {
            let body =
                json!({"displayName": format!("mp {w} {}", next(1_000_000)), "wifiSsid": "net"});
            let res = client
                .post(format!("{base}{COLLECTION}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            let id = res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            ledger.lock().unwrap().created.push(id.clone());
            mine.push(id);
            continue;
        }
        // Half the time act on a profile another client made, so writers collide.
        let id = if roll % 2 == 0 {
            let l = ledger.lock().unwrap();
            l.created[next(l.created.len() as u64) as usize].clone()
        } else {
            mine[next(mine.len() as u64) as usize].clone()
        };
        let url = format!("{base}{COLLECTION}/{id}");
        let status = match roll {
            25..=49 => client.patch(&url).json(&json!({"description": format!("d{}", next(1000)), "wifiHidden": roll % 3 == 0})).send().await.unwrap().status(),
            50..=74 => client
                .post(format!("{url}/createToken"))
                .json(&json!({"tokenValidityInSeconds": VALIDITIES.start + next(100) as i64}))
                .send()
                .await
                .unwrap()
                .status(),
            75..=89 => client.post(format!("{url}/revokeToken")).send().await.unwrap().status(),
            _ => {
                let s = client.delete(&url).send().await.unwrap().status();
                if s == StatusCode::NO_CONTENT {
                    ledger.lock().unwrap().deleted.insert(id.clone());
                }
                s
            }
        };
        assert!(
            matches!(
                status,
                StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_FOUND
            ),
            "{status} for {url}"
        );
        let read = client.get(&url).send().await.unwrap();
        if read.status() == StatusCode::OK {
            let p: Value = read.json().await.unwrap();
            let lm = p["lastModifiedDateTime"].as_str().unwrap().to_owned();
            ledger
                .lock()
                .unwrap()
                .reads
                .entry((w, id))
                .or_default()
                .push(lm);
        }
    }
}

#[tokio::test]
async fn migrate_without_locking_then_serve_without_migrating() {
    let pg =
        pg_tmp::TempPostgres::shared().unwrap_or_else(|e| panic!("PostgreSQL for the test: {e}"));
    let url = pg
        .create_database(&format!("migrate_{}", std::process::id()))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        // Twice: the second run finds nothing to do.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisio"))
            .args([
                "migrate",
                "--no-locking",
                "--database-url",
                &url,
                "--data-dir",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    }
    let serve = |data_dir: &std::path::Path| {
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_provisio"));
        server
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-migrate-on-start=false",
            ])
            .args(["--database-url", &url, "--data-dir"])
            .arg(data_dir);
        server
    };
    // A data directory of its own makes a sealing key of its own, which is not the one the
    // database was sealed with: the process refuses to start rather than mix two keys.
    let mut other = serve(&dir.path().join("other"));
    let refused = wait_for_exit(other.stdout(Stdio::null()).stderr(Stdio::piped()));
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("is not the key 1 this database was sealed with"),
        "{said}"
    );
    // A data directory that does not exist yet (serve makes it for the development key), with
    // the key file every process shares.
    let mut server = serve(&dir.path().join("fresh"));
    server
        .arg("--sealing-key-file")
        .arg(dir.path().join("sealing-keys"));
    let mut p = crate::durability::spawn_command(server);
    let client = client_with_token(&p.token);
    let res = client
        .post(format!("{}{COLLECTION}", p.base))
        .json(&json!({"displayName": "after migrate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let _ = p.child.kill();
    let _ = p.child.wait();
}

/// Runs `command` to its end, which must come within 30 seconds.
fn wait_for_exit(command: &mut std::process::Command) -> std::process::Output {
    let mut child = command.spawn().expect("start provisio");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("provisio did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}
