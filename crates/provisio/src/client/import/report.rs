//! What an import tells while it runs and when it ends: a progress bar with rate and ETA on a
//! terminal (`indicatif`), a plain progress line every few seconds otherwise; a line for every
//! failed row, and the same rows in the `--errors` CSV file; the closing summary.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::client::connection::ExitKind;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// How often a progress line is written when stderr is no terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// A row that failed: where, which key, and what the server (or the importer) said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFailure {
    /// The line of the file the row starts on.
    pub row: usize,
    /// Its key, when it has one.
    pub key: Option<String>,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The Graph error code, or the importer's own (`InvalidRow`, `MissingKey`,
    /// `DuplicateKey`, `AmbiguousKey`).
    pub code: String,
    /// The error message.
    pub message: String,
}

impl fmt::Display for RowFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(key) = &self.key {
            write!(f, " ({key})")?;
        }
        write!(f, " failed: ")?;
        if let Some(status) = self.status {
            write!(f, "{status} ")?;
        }
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The `--errors` file: one CSV line per failed row.
#[derive(Debug)]
pub struct ErrorsFile {
    writer: csv::Writer<File>,
}

impl ErrorsFile {
    /// Creates (or empties) the file and writes its header.
    pub fn create(path: &Path) -> anyhow::Result<ErrorsFile> {
        let file = File::create(path)
            .with_context(|| format!("cannot write the errors file {}", path.display()))?;
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["row", "key", "status", "code", "message"])?;
        writer.flush()?;
        Ok(ErrorsFile { writer })
    }

    /// Adds a failed row.
    pub fn add(&mut self, failure: &RowFailure) -> anyhow::Result<()> {
        self.writer.write_record([
            failure.row.to_string(),
            failure.key.clone().unwrap_or_default(),
            failure.status.map(|s| s.to_string()).unwrap_or_default(),
            failure.code.clone(),
            failure.message.clone(),
        ])?;
        self.writer.flush()?;
        Ok(())
    }
}

/// The progress of an import, drawn as a bar on a terminal and written as lines elsewhere.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Progress over `total` rows of which `done` need no work; a bar when `terminal`.
    pub fn new(total: usize, done: usize, terminal: bool) -> Progress {
        let bar = terminal.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} rows  {rate}  {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", state.per_sec());
                },
            );
            bar.set_style(style);
            bar.set_position(done as u64);
            bar.reset_eta();
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            total,
            done,
            started: now,
            last_line: now,
        }
    }

    /// Counts `n` more rows as done; writes a progress line when one is due.
    pub fn advance(&mut self, n: usize, out: &mut dyn Write) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n as u64),
            None if self.last_line.elapsed() >= LINE_EVERY => {
                self.last_line = Instant::now();
                let line = self.line();
                let _ = writeln!(out, "{line}");
            }
            None => {}
        }
    }

    /// Writes a line without tearing the bar.
    pub fn say(&self, out: &mut dyn Write, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(out, "{text}");
            }),
            None => {
                let _ = writeln!(out, "{text}");
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// `1200 of 10000 rows (12%), 340 rows/s, about 26 s left`.
    fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        };
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 {
            format!(", about {:.0} s left", left as f64 / rate)
        } else {
            String::new()
        };
        format!(
            "{} of {} rows ({percent}%), {rate:.0} rows/s{eta}",
            self.done, self.total
        )
    }
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The rows of the file.
    pub rows: usize,
    /// Profiles created.
    pub created: usize,
    /// Profiles changed (`--update`).
    pub updated: usize,
    /// Rows whose key was already on the server, left as they were.
    pub skipped: usize,
    /// Rows that failed, in this run.
    pub failed: usize,
    /// Rows that an earlier run had done (the state file said so).
    pub earlier: usize,
    /// Every failed row.
    pub failures: Vec<RowFailure>,
    /// How long this run took.
    pub elapsed: Duration,
    /// Whether the run stopped before the end (Ctrl-C).
    pub interrupted: bool,
    /// The state file; kept unless every row is done.
    pub state: PathBuf,
    /// Whether the state file is kept.
    pub state_kept: bool,
}

impl Summary {
    /// The rows this run dealt with.
    pub fn handled(&self) -> usize {
        self.created + self.updated + self.skipped + self.failed
    }

    /// How the import ended, when not with every row imported: stopped by Ctrl-C, or with
    /// failed rows (an import that could not run is an error of the caller's instead).
    pub fn shortfall(&self) -> Option<ExitKind> {
        if self.interrupted {
            Some(ExitKind::Interrupted)
        } else if self.failed > 0 {
            Some(ExitKind::RowsFailed)
        } else {
            None
        }
    }

    /// The process's exit code (docs/CLI.md, "Exit codes"): 0 when every row is imported.
    pub fn exit_code(&self) -> u8 {
        self.shortfall().map_or(0, ExitKind::code)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.handled() as f64 / seconds
        } else {
            0.0
        };
        write!(
            f,
            "{} created, {} updated, {} skipped (key already on the server), {} failed",
            self.created, self.updated, self.skipped, self.failed
        )?;
        if self.earlier > 0 {
            write!(f, ", {} done by an earlier run", self.earlier)?;
        }
        write!(
            f,
            "; {} of {} rows in {seconds:.1} s ({rate:.0} rows/s)",
            self.handled(),
            self.rows
        )?;
        let state = self.state.display();
        if self.interrupted {
            write!(
                f,
                "\nstopped before the end: run the same command again to continue where it \
                 stopped (progress is kept in {state})"
            )?;
        } else if self.failed > 0 {
            write!(
                f,
                "\nsome rows failed (listed above): correct them and run the same command again; \
                 only the failed and changed rows are sent again (progress is kept in {state})"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_what_happened_and_how_to_go_on() {
        let mut summary = Summary {
            rows: 10,
            created: 6,
            skipped: 2,
            failed: 2,
            elapsed: Duration::from_secs(2),
            state: "in.csv.import-state".into(),
            ..Summary::default()
        };
        let text = summary.to_string();
        assert!(
            text.starts_with("6 created, 0 updated, 2 skipped"),
            "{text}"
        );
        assert!(text.contains("10 of 10 rows in 2.0 s (5 rows/s)"), "{text}");
        assert!(text.contains("correct them and run the same command again"));
        assert_eq!(summary.exit_code(), 7);
        summary.interrupted = true;
        assert!(summary.to_string().contains("continue where it stopped"));
        assert_eq!(summary.exit_code(), 130);
        let failure = RowFailure {
            row: 7,
            key: Some("Kiosk".into()),
            status: Some(400),
            code: "BadRequest".into(),
            message: "bad".into(),
        };
        assert_eq!(
            failure.to_string(),
            "row 7 (Kiosk) failed: 400 BadRequest: bad"
        );
    }
}
