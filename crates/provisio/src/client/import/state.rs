//! The state file: what became of each row, so that an interrupted import continues where it
//! stopped. It is JSON lines, one record per row appended as its answer arrives (the last record
//! of a row wins), so a process killed mid-write loses at most the line it was writing, which is
//! skipped when read. A record counts only for a row whose digest (key member and body) is
//! unchanged: an edited row is sent again. Failed rows are sent again on every run.
//!
//! Rows answered by the server but not yet recorded (a crash between the two) are safe too: a
//! rerun finds their key on the server before writing.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::rows::Row;

/// What became of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// Created; the new profile's id.
    Created {
        /// The profile's id.
        id: String,
    },
    /// Changed with PATCH (`--update`).
    Updated {
        /// The profile's id.
        id: String,
    },
    /// A profile with the key existed and was left as it was.
    Skipped {
        /// The existing profile's id.
        id: String,
    },
    /// Refused, by the server or before sending.
    Failed {
        /// The HTTP status, when the server answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// The Graph error code (or the importer's own code).
        code: String,
        /// The error message.
        message: String,
    },
}

/// One line of the state file.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    row: usize,
    digest: String,
    #[serde(flatten)]
    outcome: Outcome,
}

/// The state file, open for appending.
#[derive(Debug)]
pub struct State {
    path: PathBuf,
    file: File,
    done: HashMap<usize, (String, Outcome)>,
}

/// The default state file of an input: beside it, named after it.
pub fn default_path(input: &Path) -> PathBuf {
    let mut name = input.file_name().unwrap_or_default().to_os_string();
    name.push(".import-state");
    input.with_file_name(name)
}

impl State {
    /// Opens (or creates) the state file; `restart` empties it first.
    pub fn open(path: &Path, restart: bool) -> anyhow::Result<State> {
        let mut done = HashMap::new();
        let mut cut = false;
        if !restart {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    for line in text.lines() {
                        // A line cut short by a killed process is no record.
                        if let Ok(record) = serde_json::from_str::<Record>(line) {
                            done.insert(record.row, (record.digest, record.outcome));
                        }
                    }
                    cut = !text.is_empty() && !text.ends_with('\n');
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", path.display()));
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot write the state file {}", path.display()))?;
        if restart {
            file.set_len(0)?;
        }
        if cut {
            // The next record starts on a line of its own.
            file.write_all(b"\n")?;
        }
        Ok(State {
            path: path.to_owned(),
            file,
            done,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What an earlier run recorded for this row, when the row is unchanged and did not fail.
    pub fn done(&self, row: &Row) -> Option<&Outcome> {
        match self.done.get(&row.number) {
            Some((digest, outcome))
                if *digest == row.digest && !matches!(outcome, Outcome::Failed { .. }) =>
            {
                Some(outcome)
            }
            _ => None,
        }
    }

    /// Appends the outcomes of some rows and hands them to the operating system, so that they
    /// survive the process (not a power cut; the key check covers that).
    pub fn record<'a>(
        &mut self,
        outcomes: impl IntoIterator<Item = (&'a Row, &'a Outcome)>,
    ) -> anyhow::Result<()> {
        let mut text = String::new();
        for (row, outcome) in outcomes {
            let record = Record {
                row: row.number,
                digest: row.digest.clone(),
                outcome: outcome.clone(),
            };
            text.push_str(&serde_json::to_string(&record)?);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .with_context(|| format!("cannot write the state file {}", self.path.display()))
    }

    /// Removes the file: every row was imported, and a later run should check the server
    /// afresh rather than trust old records.
    pub fn remove(self) -> anyhow::Result<()> {
        drop(self.file);
        std::fs::remove_file(&self.path)
            .with_context(|| format!("cannot remove {}", self.path.display()))
    }

    /// Flushes the file to disk.
    pub fn sync(&self) -> anyhow::Result<()> {
        self.file.sync_data().context("cannot flush the state file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn row(number: usize, digest: &str) -> Row {
        Row {
            number,
            key: format!("k{number}"),
            body: Map::new(),
            digest: digest.into(),
        }
    }

    #[test]
    fn records_survive_a_reopen_but_not_an_edit_a_failure_or_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(&dir.path().join("in.csv"));
        assert!(path.ends_with("in.csv.import-state"));
        let created = Outcome::Created { id: "a".into() };
        let failed = Outcome::Failed {
            status: Some(400),
            code: "BadRequest".into(),
            message: "no".into(),
        };
        let mut state = State::open(&path, false).unwrap();
        state
            .record([(&row(2, "d2"), &created), (&row(3, "d3"), &failed)])
            .unwrap();
        drop(state);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"row\":4,\"dig")
            .unwrap();
        let mut state = State::open(&path, false).unwrap();
        state.record([(&row(5, "d5"), &created)]).unwrap();
        drop(state);
        let state = State::open(&path, false).unwrap();
        assert_eq!(state.done(&row(5, "d5")), Some(&created));
        assert_eq!(state.done(&row(2, "d2")), Some(&created));
        assert_eq!(state.done(&row(2, "edited")), None);
        assert_eq!(state.done(&row(3, "d3")), None);
        assert_eq!(state.done(&row(4, "d4")), None);
        let state = State::open(&path, true).unwrap();
        assert_eq!(state.done(&row(2, "d2")), None);
    }
}
