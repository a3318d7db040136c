//! The client commands (`provisio profiles`, `devices`, `audit`, `completions`, `man`) run as
//! the built binary against a real server on 127.0.0.1, speaking Graph over HTTP like any other
//! client.
//!
//! Each run gets `PROVISIO_SERVER` (the test server), `PROVISIO_DATA_DIR` (its data directory,
//! so the client mints a development token from its key) and an empty `PROVISIO_CONFIG_DIR`
//! (no saved login), unless a test says otherwise.

mod generated;
mod login;
mod profiles;
mod qr;
mod readme;
mod resources;

use std::path::Path;
use std::process::{Command, Output};

use crate::common::TestServer;

pub const BIN: &str = env!("CARGO_BIN_EXE_provisio");

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Ran {
    fn from(out: Output) -> Self {
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs the binary against one server.
pub struct Cli {
    pub server: String,
    pub data_dir: std::path::PathBuf,
    pub config: tempfile::TempDir,
}

impl Cli {
    pub fn new(s: &TestServer) -> Self {
        Cli {
            server: s.base.clone(),
            data_dir: s.data_dir.clone(),
            config: tempfile::tempdir().expect("config dir"),
        }
    }

    /// The command with the environment of the module docs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("PROVISIO_SERVER", &self.server)
            .env("PROVISIO_DATA_DIR", &self.data_dir)
            .env("PROVISIO_CONFIG_DIR", self.config.path())
            .env_remove("PROVISIO_TOKEN")
            .env_remove("PROVISIO_DEV_TENANT")
            .env_remove("XDG_CONFIG_HOME");
        command
    }

    /// Runs `command` off the runtime (the server runs on it).
    pub async fn run_command(mut command: Command) -> Ran {
        tokio::task::spawn_blocking(move || command.output().expect("run provisio"))
            .await
            .expect("join")
            .into()
    }

    pub async fn run(&self, args: &[&str]) -> Ran {
        Self::run_command(self.command(args)).await
    }

    /// Runs and expects success; the standard output.
    pub async fn ok(&self, args: &[&str]) -> String {
        let ran = self.run(args).await;
        assert_eq!(ran.code, 0, "provisio {args:?} failed: {ran:#?}");
        ran.stdout
    }

    /// Runs with `-o json` and parses the output.
    pub async fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.ok(&all).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects exit code `code`; the standard error.
    pub async fn fails(&self, args: &[&str], code: i32) -> String {
        let ran = self.run(args).await;
        assert_eq!(ran.code, code, "provisio {args:?}: {ran:#?}");
        assert!(
            ran.stderr.starts_with("provisio: ") || code == 2,
            "{ran:#?}"
        );
        ran.stderr
    }

    /// Creates a profile and answers its id.
    pub async fn create(&self, args: &[&str]) -> String {
        let mut all = vec!["profiles", "create"];
        all.extend(args);
        let created = self.json(&all).await;
        created["id"].as_str().expect("id").to_owned()
    }
}

/// `text` with what changes between runs replaced by placeholders of the same width (so tables
/// stay aligned): GUIDs, and date-times other than the unset token date.
pub fn redact_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let fits = |at: usize, pattern: &str| -> bool {
        let p: Vec<char> = pattern.chars().collect();
        at + p.len() <= chars.len()
            && p.iter().zip(&chars[at..]).all(|(want, got)| match want {
                'h' => got.is_ascii_hexdigit(),
                'd' => got.is_ascii_digit(),
                w => w == got,
            })
    };
    while i < chars.len() {
        if fits(i, "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh") {
            out.push_str("[guid------------------------------]");
            i += 36;
        } else if fits(i, "dddd-dd-ddTdd:dd:dd") && !fits(i, "0001-") {
            out.push_str("YYYY-MM-DDThh:mm:ss");
            i += 19;
            if chars.get(i) == Some(&'.') {
                out.push('.');
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    out.push('f');
                    i += 1;
                }
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// One text member of every item of a `-o json` list.
pub fn members<'a>(list: &'a serde_json::Value, member: &str) -> Vec<&'a str> {
    list["value"]
        .as_array()
        .expect("a collection")
        .iter()
        .map(|item| item[member].as_str().expect("a text member"))
        .collect()
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Reads a file the client wrote, checking it is private (it may carry a token).
pub fn read_private(path: &Path) -> Vec<u8> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{} mode {mode:o}", path.display());
    std::fs::read(path).expect("read")
}

#[test]
fn redaction_keeps_widths_and_the_unset_date() {
    assert_eq!(
        redact_text("0b5e3c2a-1f4d-4e6a-9c8b-7d6e5f4a3b2c  2026-12-02T14:35:12Z  0001-01-01T00:00:00Z 2026-12-02T14:35:12.1234567Z"),
        "[guid------------------------------]  YYYY-MM-DDThh:mm:ssZ  0001-01-01T00:00:00Z YYYY-MM-DDThh:mm:ss.fffffffZ"
    );
}
