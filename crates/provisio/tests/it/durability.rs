//! Acknowledged writes survive `kill -9`, and SIGTERM lets in-flight requests finish and closes
//! the database cleanly. These tests run the real `provisio` binary.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client_with_token, COLLECTION};

pub struct Process {
    pub child: Child,
    pub base: String,
    /// The development token the server printed after its first line.
    pub token: String,
}

/// Starts the real binary on a free port, on `db` (PostgreSQL) or SQLite in `data_dir`.
pub fn spawn(data_dir: &Path, db: &Option<String>) -> Process {
    spawn_with(data_dir, db, &[])
}

/// [`spawn`] with more `serve` flags.
pub fn spawn_with(data_dir: &Path, db: &Option<String>, flags: &[&str]) -> Process {
    let mut command = serve_command(data_dir, db, "warn");
    command.args(flags);
    spawn_command(command)
}

/// `provisio serve` on a free port, on `db` (PostgreSQL) or SQLite in `data_dir`, logging at
/// `log_level`.
pub fn serve_command(data_dir: &Path, db: &Option<String>, log_level: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provisio"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", log_level])
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(url) = db {
        command.args(["--database-url", url]);
    }
    command
}

/// Runs a prepared `provisio serve` command and reads its banner and development token (its
/// standard error goes where the command says, by default to the test's).
pub fn spawn_command(mut command: Command) -> Process {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start provisio");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read banner");
    let base = line
        .trim()
        .strip_prefix("provisio listening on ")
        .unwrap_or_else(|| panic!("unexpected banner: {line:?}"))
        .to_owned();
    let token = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).expect("read") > 0,
            "no token printed"
        );
        if let Some(t) = line.trim().strip_prefix("export TOKEN=") {
            break t.to_owned();
        }
    };
    Process { child, base, token }
}

/// Creates profiles from `workers` concurrent clients until `stop` is set; returns the ids that
/// were acknowledged with 201.
pub fn create_until(
    base: String,
    token: &str,
    workers: usize,
    acked: Arc<Mutex<Vec<String>>>,
    deadline: Instant,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|w| {
            let base = base.clone();
            let acked = acked.clone();
            let client = client_with_token(token);
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    i += 1;
                    let res = client
                        .post(format!("{base}{COLLECTION}"))
                        .json(&json!({"displayName": format!("w{w}-{i}")}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == StatusCode::CREATED => {
                            if let Ok(v) = r.json::<Value>().await {
                                acked
                                    .lock()
                                    .unwrap()
                                    .push(v["id"].as_str().unwrap().to_owned());
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect()
}

pub async fn assert_all_present(p: &Process, ids: &[String]) {
    let (base, client) = (&p.base, client_with_token(&p.token));
    for id in ids {
        let res = client
            .get(format!("{base}{COLLECTION}/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "acknowledged profile {id} is missing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_url();
    let mut server = spawn(dir.path(), &db);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers = create_until(
        server.base.clone(),
        &server.token,
        8,
        acked.clone(),
        Instant::now() + Duration::from_secs(30),
    );
    // Let the stream of creates get going, then kill the server mid-stream.
    let started = Instant::now();
    while acked.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL"); // SIGKILL on Unix
    server.child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let ids = acked.lock().unwrap().clone();
    assert!(
        ids.len() >= 200,
        "only {} creates were acknowledged",
        ids.len()
    );

    let restarted = spawn(dir.path(), &db);
    assert_all_present(&restarted, &ids).await;
    let mut child = restarted.child;
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_closes_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_url();
    let mut server = spawn(dir.path(), &db);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers = create_until(
        server.base.clone(),
        &server.token,
        8,
        acked.clone(),
        Instant::now() + Duration::from_secs(30),
    );
    let started = Instant::now();
    while acked.lock().unwrap().len() < 100 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = server.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_with_timeout(&mut server.child, Duration::from_secs(15));
    assert_eq!(exit, Some(0), "provisio exits 0 after SIGTERM");
    for w in workers {
        w.await.unwrap();
    }
    // A clean close checkpoints the write-ahead log into the database file.
    let wal = dir.path().join("provisio.sqlite3-wal");
    assert!(
        db.is_some() || !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL left behind"
    );

    let ids = acked.lock().unwrap().clone();
    let restarted = spawn(dir.path(), &db);
    assert_all_present(&restarted, &ids).await;
    let mut child = restarted.child;
    child.kill().unwrap();
    child.wait().unwrap();
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}
