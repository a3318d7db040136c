//! How a client command ends when it fails: the exit codes (one per kind of failure, listed in
//! `--help` and docs/CLI.md) and [`Failure`], the error that carries the message and the code.

use std::fmt;

use reqwest::StatusCode;
use serde_json::Value;

/// What kind of failure ended a command: its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: anything else — a refused request (400 and other 4xx), a file that cannot be read.
    Generic,
    /// 2: wrong usage found after parsing the flags (clap exits 2 for the ones it finds).
    Usage,
    /// 3: no such profile, device or event (404).
    NotFound,
    /// 4: no usable credentials, or the token was refused (401) or lacks a permission (403).
    Auth,
    /// 5: the resource's state forbids the change (409) or it changed meanwhile (412).
    Conflict,
    /// 6: the server failed (5xx), throttled (429) or could not be reached.
    Server,
    /// 7: an import ran to its end and some of its rows failed.
    RowsFailed,
    /// 130: stopped by Ctrl-C (an import: run it again to continue).
    Interrupted,
}

impl ExitKind {
    /// The process's exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Generic => 1,
            Self::Usage => 2,
            Self::NotFound => 3,
            Self::Auth => 4,
            Self::Conflict => 5,
            Self::Server => 6,
            Self::RowsFailed => 7,
            Self::Interrupted => 130,
        }
    }

    pub(crate) fn of_status(status: StatusCode) -> Self {
        match status.as_u16() {
            404 | 410 => Self::NotFound,
            401 | 403 => Self::Auth,
            409 | 412 => Self::Conflict,
            429 => Self::Server,
            s if s >= 500 => Self::Server,
            _ => Self::Generic,
        }
    }
}

/// The exit codes, as `--help` lists them.
pub const EXIT_CODES: &str = "Exit codes: 0 success; 1 the request was refused (400 and other \
errors) or a local error; 2 wrong usage (unknown flag, missing argument); 3 not found (404); 4 no \
credentials, or the token was refused (401) or lacks a permission (403); 5 conflict (409) or a \
changed precondition (412); 6 the server failed (5xx), throttled (429) or could not be reached; \
7 an import ended and some of its rows failed; 130 stopped by Ctrl-C (run an import again to \
continue).";

/// A failed call: what to print, and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code's kind.
    pub kind: ExitKind,
    /// The message, naming the HTTP status and the Graph error when there was an answer.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub(crate) fn new(kind: ExitKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// An answer that is not a success: `HTTP 404 ResourceNotFound: <message>` from the Graph
    /// error envelope, or the start of the body when it is none.
    pub(crate) fn from_answer(status: StatusCode, body: &[u8]) -> Self {
        let error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").cloned());
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let message = match error {
            Some(error) => format!(
                "HTTP {} {}: {}",
                status.as_u16(),
                text(error.get("code")).unwrap_or_default(),
                text(error.get("message")).unwrap_or_default()
            ),
            None => {
                let body = String::from_utf8_lossy(body);
                let body: String = body.trim().chars().take(300).collect();
                format!("HTTP {}: {body}", status)
            }
        };
        Failure::new(ExitKind::of_status(status), message)
    }
}

/// The exit code for an error a command ended with: its [`Failure`]'s, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(ExitKind::Generic.code(), |f| f.kind.code())
}
