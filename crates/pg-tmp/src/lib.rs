//! A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` into a temporary directory,
//! `postgres` on a free loopback port, removed again when dropped — or, for a cluster shared by a
//! whole test process, by a watchdog when that process exits.
//!
//! The server binaries are found on `PATH` or under `/usr/lib/postgresql/*/bin` (newest first).
//! When they are missing, [`TempPostgres::start`] fails with a message that says what to
//! install; it never pretends to succeed. PostgreSQL refuses to run as root, so as root the
//! cluster runs as the `postgres` user (or `nobody`) through `runuser`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How the cluster trades safety for speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `fsync=off`, `synchronous_commit=off`: fast, for functional tests.
    Fast,
    /// The defaults: every commit flushed, as in production. For benchmarks.
    Durable,
}

/// A running cluster; stopped and deleted on drop.
#[derive(Debug)]
pub struct TempPostgres {
    dir: Option<tempfile::TempDir>,
    bin: PathBuf,
    run_as: Option<String>,
    port: u16,
}

/// What went wrong starting the cluster, in words fit for a test failure.
pub type Error = String;

impl TempPostgres {
    /// Starts a new cluster.
    pub fn start(durability: Durability) -> Result<Self, Error> {
        let bin = find_bin_dir()?;
        let run_as = unprivileged_user()?;
        let dir = tempfile::Builder::new()
            .prefix("provisio-pg-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        if let Some(user) = &run_as {
            chown_to(dir.path(), user)?;
        }
        let data = dir.path().join("data");
        let initdb = bin.join("initdb");
        let mut init = command(&run_as, &initdb);
        init.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run(init, "initdb")?;
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                dir.path().display()
            );
            if durability == Durability::Fast {
                opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let mut start = command(&run_as, &bin.join("pg_ctl"));
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"]);
            match run(start, "pg_ctl start") {
                Ok(()) => {
                    let pg = TempPostgres {
                        dir: Some(dir),
                        bin,
                        run_as,
                        port,
                    };
                    pg.wait_ready()?;
                    return Ok(pg);
                }
                Err(e) => last_err = e,
            }
        }
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        Err(format!("{last_err}\n{log}"))
    }

    /// One cluster for the whole test process, started on first use and stopped by a watchdog
    /// when the process exits.
    pub fn shared() -> Result<&'static TempPostgres, Error> {
        static SHARED: OnceLock<Result<TempPostgres, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let pg = TempPostgres::start(Durability::Fast)?;
                pg.stop_when_process_exits()?;
                Ok(pg)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database`, as the superuser `postgres` (trust authentication).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, Error> {
        let mut c = Command::new(self.bin.join("createdb"));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            name,
        ]);
        run(c, "createdb")?;
        Ok(self.url(name))
    }

    fn wait_ready(&self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ok = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("PostgreSQL did not accept connections within 30 s".into())
    }

    fn data_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("data"))
    }

    /// Hands the cluster to a watchdog shell that stops it and deletes its files once this
    /// process is gone.
    fn stop_when_process_exits(&self) -> Result<(), Error> {
        let (Some(dir), Some(data)) = (self.dir.as_ref(), self.data_dir()) else {
            return Ok(());
        };
        let stop = stop_command_line(&self.run_as, &self.bin.join("pg_ctl"), &data);
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = dir.path().display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the PostgreSQL watchdog: {e}"))?;
        Ok(())
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if let Some(data) = self.data_dir() {
            let mut stop = command(&self.run_as, &self.bin.join("pg_ctl"));
            stop.arg("-D")
                .arg(data)
                .args(["-m", "immediate", "-w", "stop"]);
            let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
}

fn stop_command_line(run_as: &Option<String>, pg_ctl: &Path, data: &Path) -> String {
    let base = format!(
        "'{}' -D '{}' -m immediate -w stop",
        pg_ctl.display(),
        data.display()
    );
    match run_as {
        Some(user) => format!("runuser -u {user} -- {base}"),
        None => base,
    }
}

fn command(run_as: &Option<String>, program: &Path) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn run(mut c: Command, what: &str) -> Result<(), Error> {
    let out = c.output().map_err(|e| format!("running {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The directory with `initdb`, `pg_ctl` and `postgres`.
pub fn find_bin_dir() -> Result<PathBuf, Error> {
    let has_all = |d: &Path| {
        ["initdb", "pg_ctl", "postgres", "pg_isready", "createdb"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(d) = std::env::split_paths(&path).find(|d| has_all(d)) {
            return Ok(d);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|d| has_all(d))
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().ok_or_else(|| {
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under \
         /usr/lib/postgresql/*/bin. Install them, e.g. `apt-get install postgresql` on Debian or \
         Ubuntu (any version from 13 on)."
            .to_owned()
    })
}

fn unprivileged_user() -> Result<Option<String>, Error> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("running id -u: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(None);
    }
    for user in ["postgres", "nobody"] {
        if Command::new("id")
            .arg(user)
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(Some(user.to_owned()));
        }
    }
    Err(
        "running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL"
            .into(),
    )
}

fn chown_to(dir: &Path, user: &str) -> Result<(), Error> {
    let status = Command::new("chown")
        .arg(user)
        .arg(dir)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("chown {user} {} failed", dir.display()))
    }
}

fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_accepts_a_database_and_stops() {
        let pg = TempPostgres::start(Durability::Fast).unwrap_or_else(|e| panic!("{e}"));
        let url = pg
            .create_database("probe")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(url.ends_with("/probe"));
        let data = pg.data_dir().unwrap();
        assert!(data.join("PG_VERSION").is_file());
        drop(pg);
        assert!(!data.exists(), "the cluster's files are removed");
    }
}
