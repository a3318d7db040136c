//! The README's "The command line" walkthrough, run as printed: the lines of its `sh` block in
//! one `sh -e` (so a variable set by one line is there for the next), each line's output told
//! apart by a marker echoed before it, with the built binary first on `PATH`, and `XDG_DATA_HOME` set
//! so that the per-user data directory (`$XDG_DATA_HOME/provisio`, where the README's `provisio
//! serve` keeps its data) is the test server's. The one change is the server's address: the lines use the default server, so the
//! test's address is given as `PROVISIO_SERVER`. `TMPDIR` is a temporary directory, so the
//! `qr.png` the walkthrough saves lands there.

use std::path::Path;
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

use super::{Cli, Ran, BIN};
use crate::common::{ok_json, TestServer};

const README: &str = include_str!("../../../../../README.md");
const SECTION: &str = "\n## The command line\n";

/// The lines of the section's `sh` block.
fn walkthrough() -> Vec<String> {
    let start = README.find(SECTION).expect("README has the section") + SECTION.len();
    let rest = &README[start..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut lines = section.lines().skip_while(|l| l.trim() != "```sh").skip(1);
    let block: Vec<String> = lines
        .by_ref()
        .take_while(|l| l.trim() != "```")
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(!block.is_empty(), "the section has an sh block");
    block
}

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed; the README walkthrough needs it (apt-get install {tool})"
    );
}

#[tokio::test]
async fn the_readme_walkthrough_runs_as_printed() {
    require("jq");
    let work = tempfile::tempdir().unwrap();
    let data_home = work.path().join("data");
    let s = TestServer::start_in(data_home.join("provisio"), |_| {}).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    const MARK: &str = "@@readme-line ";
    let lines = walkthrough();
    let mut script = String::from("set -e\n");
    for (i, line) in lines.iter().enumerate() {
        script.push_str(&format!("echo '{MARK}{i}'\n{line}\n"));
    }
    let outputs = {
        let mut command = Command::new("sh");
        command
            .args(["-c", &script])
            .current_dir(work.path())
            .env("PATH", &path)
            .env("PROVISIO_SERVER", &s.base)
            .env("TMPDIR", tmp.path())
            .env("PROVISIO_CONFIG_DIR", config.path())
            .env("XDG_DATA_HOME", &data_home)
            .env_remove("PROVISIO_DATA_DIR")
            .env_remove("PROVISIO_TOKEN");
        let ran: Ran = Cli::run_command(command).await;
        let mut outputs: Vec<(String, String)> = Vec::new();
        for text in ran.stdout.lines() {
            match text
                .strip_prefix(MARK)
                .and_then(|i| i.parse::<usize>().ok())
            {
                Some(i) => outputs.push((lines[i].clone(), String::new())),
                None => match outputs.last_mut() {
                    Some((_, out)) => {
                        out.push_str(text);
                        out.push('\n');
                    }
                    None => panic!("output before the first line: {text}"),
                },
            }
        }
        let last = outputs.last().map_or("(none)", |(line, _)| line.as_str());
        assert_eq!(ran.code, 0, "README line failed: {last}\n{ran:#?}");
        assert_eq!(outputs.len(), lines.len(), "not every line ran");
        outputs
    };

    let profiles = s.list_all().await;
    assert_eq!(profiles.len(), 1);
    let id = profiles[0]["id"].as_str().unwrap();
    let profile = ok_json(s.get(&s.item(id)).await).await;
    assert_eq!(profile["displayName"], "Warehouse");
    assert_eq!(profile["wifiSsid"], "Warehouse");
    assert!(
        profile["tokenValue"].is_string(),
        "the walkthrough made a token"
    );
    let said = |needle: &str| -> &str {
        &outputs
            .iter()
            .find(|(line, _)| line.contains(needle))
            .unwrap_or_else(|| panic!("no README line with {needle:?}"))
            .1
    };
    assert!(said("profiles create").contains("Warehouse"));
    assert!(said("token create").contains(profile["tokenValue"].as_str().unwrap()));
    let drawn = outputs
        .iter()
        .find(|(line, _)| line.contains("profiles qr") && !line.contains("--png"))
        .map(|(_, out)| out)
        .unwrap();
    assert!(drawn.contains('▀') && drawn.contains('▄'), "{drawn}");
    let png = std::fs::read(tmp.path().join("qr.png")).expect("qr.png in TMPDIR");
    assert_eq!(
        png,
        STANDARD
            .decode(profile["qrCodeImage"]["value"].as_str().unwrap())
            .unwrap()
    );
    assert!(said("--expiring").contains("Warehouse"));
    let first: Value = serde_json::from_str(said("jq -c").lines().next().unwrap()).unwrap();
    assert_eq!(first["displayName"], "Warehouse");
    assert!(said("audit list").starts_with("activityDateTime,activityType,"));
    assert!(!work.path().join("qr.png").exists());
}
