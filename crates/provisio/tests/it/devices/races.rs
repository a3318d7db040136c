//! The device races that need real `provisio serve` processes: the last uses of a token fought
//! over through three processes on one PostgreSQL, and `kill -9` in the middle of a burst of
//! enrollments, after which every acknowledged enrollment exists and every count equals the
//! rows it counts.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::Device;
use crate::common::{client_with_token, COLLECTION};
use crate::durability::{spawn, spawn_with, Process};

/// A profile with a fresh token, made through the process at `base`: (profile id, token).
async fn profile_with_token(client: &Client, base: &str, name: &str) -> (String, String) {
    let res = client
        .post(format!("{base}{COLLECTION}"))
        .json(&json!({"displayName": name, "enrollmentMode": "corporateOwnedDedicatedDevice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{base}{COLLECTION}/{id}");
    let res = client
        .post(format!("{url}/createToken"))
        .json(&json!({"tokenValidityInSeconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let p: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    (id, p["tokenValue"].as_str().unwrap().to_owned())
}

/// The profile's (enrolledDeviceCount, enrollmentTokenUsageCount) as the process at `base`
/// reads them.
async fn counts(client: &Client, base: &str, id: &str) -> (i64, i64) {
    let url = format!("{base}{COLLECTION}/{id}");
    let p: Value = client.get(url).send().await.unwrap().json().await.unwrap();
    (
        p["enrolledDeviceCount"].as_i64().unwrap(),
        p["enrollmentTokenUsageCount"].as_i64().unwrap(),
    )
}

/// Enrolls `d` with `token` at `base` (no bearer token: the enrollment token is the credential).
async fn enroll(
    client: &Client,
    base: &str,
    d: &Device,
    token: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/device/v1/enroll"))
        .json(&d.body(token))
        .send()
        .await
}

fn stop(mut p: Process) {
    let _ = p.child.kill();
    let _ = p.child.wait();
}

/// 200 distinct devices race for a token with 50 uses left, through three processes on one
/// PostgreSQL database: exactly 50 enroll. (On PostgreSQL whichever backend the suite runs
/// on, as the other multi-process tests.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_racing_for_the_last_uses_enroll_exactly_that_many() {
    let pg =
        pg_tmp::TempPostgres::shared().unwrap_or_else(|e| panic!("PostgreSQL for the test: {e}"));
    let url = pg
        .create_database(&format!("device_race_{}", std::process::id()))
        .unwrap_or_else(|e| panic!("{e}"));
    let db = Some(url.clone());
    let dir = tempfile::tempdir().unwrap();
    let limit = ["--devices-token-usage-limit", "60"];
    let processes: Vec<Process> = (0..3)
        .map(|_| spawn_with(dir.path(), &db, &limit))
        .collect();
    let bases: Vec<String> = processes.iter().map(|p| p.base.clone()).collect();
    let admin = client_with_token(&processes[0].token);
    let (id, token) = profile_with_token(&admin, &bases[0], "race").await;
    let bare = Client::new();
    for i in 0..10 {
        let d = Device::new(format!("PRE{i:04}"));
        let res = enroll(&bare, &bases[i % 3], &d, &token).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let devices: Vec<Device> = (0..200)
        .map(|i| Device::new(format!("RACE{i:04}")))
        .collect();
    let statuses: Vec<StatusCode> = join_all(devices.iter().enumerate().map(|(i, d)| {
        let (bare, base, token) = (&bare, &bases[i % 3], &token);
        async move { enroll(bare, base, d, token).await.unwrap().status() }
    }))
    .await;
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    let (created, refused) = (count(StatusCode::CREATED), count(StatusCode::CONFLICT));
    assert_eq!((created, refused), (50, 150), "{statuses:?}");
    // Every process reads the same counts, and the ledger holds exactly the limit.
    for base in &bases {
        assert_eq!(counts(&admin, base, &id).await, (60, 60));
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let (rows,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM token_redemptions r JOIN enrollment_profiles p \
         ON r.token_id = p.token_id WHERE p.id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 60, "ledger rows of the token");
    let (records,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM managed_devices WHERE enrollment_profile_id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(records, 60, "managed device records");
    pool.close().await;
    processes.into_iter().for_each(stop);
}

/// What the enrolling clients were told.
#[derive(Default)]
struct Acks {
    /// managedDeviceId of every 201 and 200.
    devices: Vec<String>,
    /// Answers other than 201 and 200 (there must be none).
    unexpected: Vec<String>,
}

/// One client: new devices, retries, claimants of a serial without proof, moves to another
/// profile and keyed enrollments, until the deadline or until the server is gone.
async fn burst(
    w: usize,
    base: String,
    tokens: Arc<Vec<String>>,
    acks: Arc<Mutex<Acks>>,
    deadline: Instant,
) {
    let client = Client::new();
    // (device, index of the profile whose token enrolled it)
    let mut mine: Vec<(Device, usize)> = Vec::new();
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        let pick = |n: usize| (w * 31 + i * 17) % n;
        let (device, profile, key) = match (i % 10, mine.is_empty()) {
            (6, false) => {
                let (d, p) = &mine[pick(mine.len())];
                (d.clone(), *p, None)
            }
            (7, false) => {
                let (d, p) = &mine[pick(mine.len())];
                (Device::new(d.serial.clone()), *p, None)
            }
            (8, false) => {
                let (d, p) = &mine[pick(mine.len())];
                (d.clone(), (p + 1) % tokens.len(), None)
            }
            (9, _) => (
                Device::new(format!("K{w}-{i}")),
                i % tokens.len(),
                Some(format!("key-{w}-{i}")),
            ),
            _ => (Device::new(format!("W{w}-{i}")), i % tokens.len(), None),
        };
        let mut req = client
            .post(format!("{base}/device/v1/enroll"))
            .json(&device.body(&tokens[profile]));
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        let Ok(res) = req.send().await else { return }; // the server is gone
        let status = res.status();
        let Ok(body) = res.json::<Value>().await else {
            return;
        };
        let mut acks = acks.lock().unwrap();
        match status {
            StatusCode::CREATED | StatusCode::OK => {
                acks.devices
                    .push(body["managedDeviceId"].as_str().unwrap().to_owned());
                match mine.iter_mut().find(|(d, _)| d.secret == device.secret) {
                    Some(known) => known.1 = profile,
                    None => mine.push((device, profile)),
                }
            }
            other => acks.unexpected.push(format!("{other}: {body}")),
        }
    }
}

/// Each profile's stored counts against the rows they count, read with SQL: (profile id,
/// enrolled_device_count, current records, token_usage_count, ledger rows of its token).
async fn counted_rows(data_dir: &Path, db: &Option<String>) -> Vec<(String, i64, i64, i64, i64)> {
    const SQL: &str = "SELECT p.id, p.enrolled_device_count, \
        (SELECT count(*) FROM managed_devices d WHERE d.tenant_id = p.tenant_id \
         AND d.enrollment_profile_id = p.id AND NOT d.superseded), \
        p.token_usage_count, \
        (SELECT count(*) FROM token_redemptions r WHERE r.token_id = p.token_id) \
        FROM enrollment_profiles p ORDER BY p.id";
    match db {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let rows = sqlx::query_as(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
        None => {
            let file = data_dir.join("provisio.sqlite3");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=rw", file.display()))
                .await
                .unwrap();
            let rows = sqlx::query_as(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }
}

/// `kill -9` during a burst of enrollments into three profiles (new devices, retries,
/// claimants, moves, keyed requests): after a restart every acknowledged enrollment is there,
/// and every profile's counts equal the rows they count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_enrollments_and_exact_counts_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_url();
    let mut server = spawn(dir.path(), &db);
    let admin = client_with_token(&server.token);
    let mut profiles = Vec::new();
    let mut tokens = Vec::new();
    for name in ["kill a", "kill b", "kill c"] {
        let (id, token) = profile_with_token(&admin, &server.base, name).await;
        profiles.push(id);
        tokens.push(token);
    }
    let tokens = Arc::new(tokens);
    let acks = Arc::new(Mutex::new(Acks::default()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            tokio::spawn(burst(
                w,
                server.base.clone(),
                tokens.clone(),
                acks.clone(),
                deadline,
            ))
        })
        .collect();
    let started = Instant::now();
    while acks.lock().unwrap().devices.len() < 150 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acks = Arc::try_unwrap(acks).ok().unwrap().into_inner().unwrap();
    assert!(acks.unexpected.is_empty(), "{:?}", acks.unexpected);
    assert!(
        acks.devices.len() >= 150,
        "only {} enrollments were acknowledged",
        acks.devices.len()
    );

    let restarted = spawn(dir.path(), &db);
    let admin = client_with_token(&restarted.token);
    let col = format!("{}/beta/deviceManagement/managedDevices", restarted.base);
    for id in &acks.devices {
        let res = admin.get(format!("{col}/{id}")).send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "acknowledged enrollment {id} is missing"
        );
    }
    let rows = counted_rows(dir.path(), &db).await;
    assert_eq!(rows.len(), 3);
    for (id, enrolled, current, usage, ledger) in &rows {
        assert_eq!(
            enrolled, current,
            "profile {id}: enrolledDeviceCount and its current records"
        );
        assert_eq!(
            usage, ledger,
            "profile {id}: enrollmentTokenUsageCount and its ledger rows"
        );
        // Graph reads the same numbers.
        assert_eq!(
            counts(&admin, &restarted.base, id).await,
            (*enrolled, *usage)
        );
    }
    let total: i64 = rows.iter().map(|r| r.3).sum();
    assert!(total > 0);
    eprintln!(
        "kill -9 during enrollments: {} acknowledged, counts {:?}",
        acks.devices.len(),
        rows.iter().map(|r| (r.1, r.3)).collect::<Vec<_>>()
    );
    stop(restarted);
}
