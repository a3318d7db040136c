//! The real binary stopped by Ctrl-C (SIGINT) and killed (SIGKILL) halfway through a throttled
//! import, then run to the end: every row is there once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provisio::auth::READ_WRITE_ALL;

use super::{args, by_name, csv_of, import, target};
use crate::common::TestServer;

const BIN: &str = env!("CARGO_BIN_EXE_provisio");
const ROWS: usize = 250;

fn start_import(s: &TestServer, file: &Path) -> Child {
    Command::new(BIN)
        .args(["profiles", "import"])
        .arg(file)
        .args(["--server", &s.base])
        .env(
            "PROVISIO_TOKEN",
            s.dev_token(s.dev_tenant, &[READ_WRITE_ALL], false),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("provisio import")
}

/// The records in the state file.
fn records(state: &Path) -> usize {
    std::fs::read_to_string(state).map_or(0, |t| t.lines().count())
}

/// Waits until the state file holds more than `n` records; fails if the import ends first.
async fn wait_for_records(state: &Path, n: usize, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while records(state) <= n {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("the import ended ({status}) with {n} records:\n{stderr}");
        }
        assert!(
            Instant::now() < deadline,
            "the state file stayed at {n} records"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

// The server runs in this process: waiting for the child must not block its threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_stopped_by_ctrl_c_or_killed_resumes_without_duplicates() {
    // 60 writes a second: the import takes about four seconds, time to stop it halfway.
    let s = TestServer::start_with(|s| {
        s.throttle.app_writes = Some(60);
        s.throttle.window_seconds = 1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.csv");
    let state = dir.path().join("fleet.csv.import-state");
    std::fs::write(&file, csv_of(ROWS, "Fleet")).unwrap();

    // Ctrl-C: the batches in flight finish, the state is kept, the exit code is 130.
    let mut child = start_import(&s, &file);
    wait_for_records(&state, 0, &mut child).await;
    signal(&child, "-INT");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("run the same command again to continue"),
        "{stderr}"
    );
    assert!(stderr.contains(&state.display().to_string()), "{stderr}");
    let after_interrupt = records(&state);
    let on_server = s.list_all().await.len();
    assert!(after_interrupt < ROWS, "stopped at {after_interrupt}");
    assert_eq!(
        on_server, after_interrupt,
        "every write answered is recorded"
    );

    // Killed: rows may be written but not recorded; the key check keeps them single.
    let mut child = start_import(&s, &file);
    wait_for_records(&state, after_interrupt, &mut child).await;
    signal(&child, "-KILL");
    tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();

    // The last run finishes the work.
    let t = target(&s, &s.base);
    let (summary, out) = import(&t, &args(&file)).await;
    assert_eq!(summary.failed, 0, "{out}");
    assert!(summary.earlier > after_interrupt, "{out}");
    assert_eq!(
        summary.earlier + summary.created + summary.skipped,
        ROWS,
        "{out}"
    );
    assert_eq!(by_name(&s).await.len(), ROWS);
    assert!(!state.exists());
}
