//! What a newcomer meets on the real binary: the data directory found the same way from any
//! working directory, the listening address as the first line of a fresh start, a data
//! directory that cannot be used reported in one line, and the README's first walkthrough (its
//! paging) printing what the README shows.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{client_with_token, fresh_database_url, ok_json, COLLECTION};
use crate::device_cli::{readme_blocks_of, require_tools, run_script, substitute, Server};
use crate::durability::{serve_command, spawn_command};

const BIN: &str = env!("CARGO_BIN_EXE_provisio");

/// `provisio ARGS` run in `cwd` as a user whose home is `home`, with no data directory
/// configured (neither `PROVISIO_DATA_DIR` nor `XDG_DATA_HOME`).
fn provisio_at(cwd: &Path, home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(cwd)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("PROVISIO_DATA_DIR")
        .env_remove("PROVISIO_CONFIG");
    command
}

#[tokio::test]
async fn a_token_issued_in_another_folder_is_accepted_by_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, a, b) = (
        tmp.path().join("home"),
        tmp.path().join("a"),
        tmp.path().join("b"),
    );
    for dir in [&home, &a, &b] {
        std::fs::create_dir(dir).unwrap();
    }
    let mut serve = provisio_at(&a, &home);
    serve.args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"]);
    if let Some(url) = fresh_database_url() {
        serve.args(["--database-url", &url]);
    }
    let server = Server(spawn_command(serve));

    // `provisio token issue` in b, with XDG_DATA_HOME set to `xdg` when given.
    let issue = |xdg: Option<&Path>| {
        let mut command = provisio_at(&b, &home);
        if let Some(dir) = xdg {
            command.env("XDG_DATA_HOME", dir);
        }
        command
            .args(["token", "issue", "--scope"])
            .arg("DeviceManagementConfiguration.Read.All")
            .output()
            .expect("run provisio token issue")
    };
    let issued = issue(None);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout).unwrap();
    let listed = client_with_token(token.trim())
        .get(format!("{}{COLLECTION}", server.0.base))
        .send()
        .await
        .unwrap();
    ok_json(listed).await;

    // Both found the per-user data directory; neither working directory got one.
    let data = home.join(".local/share/provisio");
    assert!(data.join("dev-signing-key").is_file());
    for dir in [&a, &b] {
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            0,
            "{}",
            dir.display()
        );
    }
    // XDG_DATA_HOME, when set, is where it lives.
    let xdg = tmp.path().join("xdg");
    let out = issue(Some(&xdg));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains(&xdg.join("provisio/dev-signing-key").display().to_string()),
        "{said}"
    );
}

#[test]
fn a_fresh_start_says_where_it_listens_first_and_the_dpc_note_in_one_short_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Standard output and standard error in one pipe, in the order a terminal shows them.
    let mut command = Command::new("sh");
    command
        .args(["-c", "exec \"$0\" \"$@\" 2>&1", BIN, "serve"])
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "info",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::piped())
        .env_remove("RUST_LOG");
    if let Some(url) = fresh_database_url() {
        command.args(["--database-url", &url]);
    }
    let mut child = command.spawn().expect("start provisio");
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let note = loop {
        let line = rx.recv_timeout(Duration::from_secs(30));
        let Ok(line) = line else {
            let _ = child.kill();
            panic!(
                "no AOSP note within 30 s; the output was:\n{}",
                lines.join("\n")
            );
        };
        lines.push(line.clone());
        if line.contains("AOSP") {
            break line;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let all = lines.join("\n");
    assert!(
        lines[0].starts_with("provisio listening on http://127.0.0.1:"),
        "{all}"
    );
    assert!(note.contains("docs/"), "{all}");
    assert!(
        note.len() <= 140,
        "the AOSP note is {} long:\n{note}",
        note.len()
    );
    assert!(!all.contains("WARN"), "a fresh start warns:\n{all}");
    for said in ["provisio is serving", "generated the sealing key"] {
        assert!(all.contains(said), "{said:?} missing:\n{all}");
    }
}

/// Runs `provisio ARGS --data-dir DATA` (as `uid` when given) and returns its standard error,
/// after checking that it failed and wrote nothing else.
fn failure(args: &[&str], data: &Path, uid: Option<u32>) -> String {
    let mut command = Command::new(BIN);
    command.args(args).arg("--data-dir").arg(data);
    if let Some(id) = uid {
        use std::os::unix::process::CommandExt as _;
        command.uid(id).gid(id);
    }
    let out = command
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run provisio (as nobody: the binary must be readable by all)");
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// One line, naming `path` and `reason`.
fn assert_one_line(said: &str, path: &Path, reason: &str) {
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("provisio: "), "{said}");
    assert!(said.contains(&path.display().to_string()), "{said}");
    assert!(said.contains(reason), "{said}");
}

#[test]
fn a_data_directory_that_cannot_be_used_is_one_line_naming_it_and_why() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = ["serve", "--listen", "127.0.0.1:0"];
    let token = [
        "token",
        "issue",
        "--scope",
        "DeviceManagementConfiguration.Read.All",
    ];

    // Below a regular file: no one, not even root, can create it.
    let file = tmp.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let data = file.join("data");
    let said = failure(&serve, &data, None);
    assert_one_line(&said, &data, "Not a directory");
    assert!(said.contains("cannot create the data directory"), "{said}");
    let said = failure(&token, &data, None);
    assert_one_line(&said, &data, "Not a directory");

    // A directory the user may not write to. Root may write anywhere, so as root the server
    // runs as nobody (65534), for whom the temporary directory (mode 0700) is closed.
    use std::os::unix::fs::PermissionsExt as _;
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let root = rustix::process::geteuid().is_root();
    let uid = if root {
        // The binary must stay reachable for nobody; only `locked` is closed to it.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
        Some(65534)
    } else {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
        None
    };
    let data = locked.join("data");
    let said = failure(&serve, &data, uid);
    assert_one_line(&said, &data, "Permission denied");
    // An existing directory that is not writable: the same line, before any file is tried.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    if root {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    } else {
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    let said = failure(&serve, &data, uid);
    assert_one_line(&said, &data, "Permission denied");
    assert!(
        said.contains("cannot write in the data directory"),
        "{said}"
    );
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// The README's "A first walkthrough with curl", its two blocks up to the paging run as printed
/// (the built binary for `cargo run -q --release -p provisio --`, the server's address for
/// `127.0.0.1:8080`): the first page is the README's, but for its skip token, and the link
/// leads to the last page.
#[test]
fn the_readme_curl_walkthrough_pages_as_it_shows() {
    const SECTION: &str = "A first walkthrough with curl";
    require_tools();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server(spawn_command(serve_command(
        &data,
        &fresh_database_url(),
        "warn",
    )));
    let address = server.0.base.trim_start_matches("http://").to_owned();
    let blocks = readme_blocks_of(SECTION, "sh");
    let shown = readme_blocks_of(SECTION, "json");
    assert!(
        blocks.len() >= 2 && shown.len() == 1,
        "the section's blocks"
    );
    let script = format!("{}\n{}", blocks[0], blocks[1]);
    let script = substitute(&script, "127.0.0.1:8080", &address);
    let script = substitute(&script, "cargo run -q --release -p provisio --", BIN);
    let script = substitute(
        &script,
        "token issue",
        &format!("token issue --data-dir '{}'", data.display()),
    );
    let out = run_script(tmp.path(), &server.0.token, &script);

    // The first page: the JSON after the read-back, up to the line that closes it.
    let start = out.find("{\n  \"@odata.context\"").expect("the first page");
    let end = start + out[start..].find("\n}\n").expect("its end") + 2;
    let page: serde_json::Value = serde_json::from_str(&out[start..end]).unwrap();
    let readme = substitute(&shown[0], "127.0.0.1:8080", &address);
    let mut readme: serde_json::Value = serde_json::from_str(&readme).unwrap();
    let without_token = |v: &serde_json::Value| {
        let link = v["@odata.nextLink"]
            .as_str()
            .expect("a nextLink")
            .to_owned();
        link[..link.find("&$skiptoken=").expect("a skip token")].to_owned()
    };
    assert_eq!(without_token(&page), without_token(&readme), "{out}");
    readme["@odata.nextLink"] = page["@odata.nextLink"].clone();
    assert_eq!(
        page, readme,
        "the README's first page is not what the walkthrough printed"
    );
    assert!(
        out.contains("\n{\"names\":[\"Meeting rooms\"],\"next\":null}\n"),
        "{out}"
    );
    for said in [
        "\"Reception, building 2\"\n204\n\"ResourceNotFound\"\n\"InvalidAuthenticationToken\"\n",
        "it needs the permission DeviceManagementConfiguration.ReadWrite.All",
    ] {
        assert!(out.contains(said), "{said:?} in:\n{out}");
    }
}
