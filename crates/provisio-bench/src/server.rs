//! The server under test: the release `provisio` binary started as a child process on
//! `127.0.0.1:0`, its address read from its first line on stdout, a development bearer token
//! from `provisio token issue`, and a clean SIGTERM at the end.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::dataset::TENANT;

/// The permissions the benchmark's token carries: every profile workload reads or writes
/// profiles, and the device lists read managed devices.
pub const SCOPES: [&str; 2] = [
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementManagedDevices.Read.All",
];

/// The `provisio` binary next to this program (both live in `target/release`), or an error that
/// says how to build it.
pub fn locate_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let me = std::env::current_exe().context("finding this program's path")?;
    let bin = me
        .parent()
        .context("this program's directory")?
        .join("provisio");
    if !bin.is_file() {
        bail!(
            "{} is missing; build the server first: cargo build --release -p provisio",
            bin.display()
        );
    }
    Ok(bin)
}

/// Parses `provisio listening on http://ADDR`, the first line `provisio serve` prints.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    line.trim()
        .strip_prefix("provisio listening on http://")?
        .parse()
        .ok()
}

/// A running `provisio serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens (always a loopback address).
    pub addr: SocketAddr,
    /// Its process id, for `/proc`.
    pub pid: u32,
    log: PathBuf,
}

impl Server {
    /// Starts `bin serve` on a free loopback port with `data_dir`, `--database-url` when given,
    /// and then `extra`. Its log (stderr) goes to `log`.
    pub fn start(
        bin: &Path,
        data_dir: &Path,
        database_url: Option<&str>,
        extra: &[String],
        log: &Path,
    ) -> anyhow::Result<Server> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0", "--dev-tenant", TENANT])
            .arg("--data-dir")
            .arg(data_dir);
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        cmd.args(extra);
        let log_file = std::fs::File::create(log).context("creating the server log")?;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (tx, rx) = mpsc::channel();
        // Reads the first line for us, then keeps draining so the server never blocks on stdout.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let first = rx.recv_timeout(Duration::from_secs(120));
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pid,
            log: log.to_path_buf(),
        };
        match first {
            Ok(Some(Ok(line))) => match parse_listening_line(&line) {
                Some(addr) if addr.ip().is_loopback() => {
                    server.addr = addr;
                    Ok(server)
                }
                _ => Err(server.failed(&format!("unexpected first line '{line}'"))),
            },
            _ => Err(server.failed("it did not print its address")),
        }
    }

    /// Stops the child and describes why it could not be used, with the end of its log.
    fn failed(&mut self, why: &str) -> anyhow::Error {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let mut msg = format!("the server failed to start: {why}\n{}", tail.join("\n"));
        if log.contains("--database-url") {
            msg.push_str(
                "\nThis provisio binary has no --database-url flag yet: --postgres needs the \
                 PostgreSQL store wired into `provisio serve`.",
            );
        }
        anyhow::anyhow!(msg)
    }

    /// A bearer token from `provisio token issue` for the development tenant, or `None` (with
    /// a note on stderr) when this binary has no `token` command yet.
    pub fn issue_token(&self, bin: &Path, data_dir: &Path) -> anyhow::Result<Option<String>> {
        let out = Command::new(bin)
            .args(["token", "issue", "--tenant", TENANT, "--scope"])
            .args(SCOPES)
            .arg("--data-dir")
            .arg(data_dir)
            .stdin(Stdio::null())
            .output()
            .context("running provisio token issue")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if token.is_empty() {
                bail!("provisio token issue printed no token");
            }
            return Ok(Some(token));
        }
        if stderr.contains("unrecognized subcommand") {
            eprintln!(
                "note: this provisio binary has no `token issue` command (bearer tokens are not \
                 merged yet); sending requests without a token"
            );
            return Ok(None);
        }
        bail!("provisio token issue failed ({}): {stderr}", out.status)
    }

    /// Sends SIGTERM, waits for the graceful shutdown (the WAL is checkpointed), and kills the
    /// process if it takes longer than a minute.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        bail!("the server did not stop within a minute of SIGTERM; killed it")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last `max` lines of a server log that report an error (the causes behind 500 answers).
pub fn error_lines(log: &str, max: usize) -> Vec<&str> {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" ERROR ") || l.contains("\"level\":\"ERROR\""))
        .collect();
    errors[errors.len().saturating_sub(max)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_line() {
        assert_eq!(
            parse_listening_line("provisio listening on http://127.0.0.1:41234\n"),
            Some(SocketAddr::from(([127, 0, 0, 1], 41234)))
        );
        assert_eq!(parse_listening_line("listening on 127.0.0.1:1"), None);
        assert_eq!(parse_listening_line("provisio listening on http://x"), None);
    }

    #[test]
    fn picks_the_last_error_lines() {
        let log = "2026-12-01T19:27:05Z  INFO provisio::api: request status=201\n\
                   2026-12-01T19:27:06Z ERROR provisio::error: request failed error=first\n\
                   2026-12-01T19:27:06Z  WARN provisio::server: slow\n\
                   2026-12-01T19:27:07Z ERROR provisio::error: request failed error=second\n\
                   {\"level\":\"ERROR\",\"fields\":{\"error\":\"third\"}}\n";
        let last = error_lines(log, 2);
        assert_eq!(last.len(), 2);
        assert!(last[0].ends_with("error=second"), "{last:?}");
        assert!(last[1].contains("third"), "{last:?}");
        assert_eq!(error_lines(log, 10).len(), 3);
        assert!(error_lines("all fine\n", 5).is_empty());
    }
}
