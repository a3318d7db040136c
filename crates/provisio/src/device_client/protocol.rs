//! The device protocol's four calls (`check`, `enroll`, `checkin`, `ack`) over HTTP, with the
//! retries a DPC makes: a connection that fails, a 5xx and a 429 are tried again a few times
//! (after `Retry-After` when the server sends one, else after a doubling pause), with the same
//! request — for `enroll` the same `Idempotency-Key`, so a retry of a request whose answer was
//! lost gets the same record back. Any other answer is final; an error answer is read as the
//! Graph error envelope.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Sensitive;

/// How often and how long to try again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The pause after the first failure without `Retry-After`; doubled after each.
    pub first_pause: Duration,
    /// The longest `Retry-After` waited for; a longer one ends the retries.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_pause: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A call that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The server answered with an error status.
    #[error("the server answered {} {code}: {message}{}", .status.as_u16(), request_id_note(.request_id))]
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// `error.code` of the envelope (or the status's reason when the body was not one).
        code: String,
        /// `error.message`.
        message: String,
        /// `error.innerError.request-id`, for the server's log.
        request_id: Option<String>,
    },
    /// No answer: the connection failed or the body could not be read.
    #[error("no answer from {url}: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A success answer whose body was not what the protocol says.
    #[error("the server's answer to {url} is not the device protocol's: {reason}")]
    Unexpected {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

fn request_id_note(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default()
}

impl CallError {
    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            CallError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A success: its status, its raw body and the body read as `T`.
#[derive(Debug)]
pub struct Answer<T> {
    /// 200 or 201 (204 for an acknowledgement).
    pub status: StatusCode,
    /// The body as sent.
    pub raw: String,
    /// The body read.
    pub body: T,
}

/// `POST /device/v1/check`'s answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckAnswer {
    /// The profile's mode.
    pub enrollment_mode: String,
    /// The profile's tenant.
    pub tenant_id: String,
    /// The server's protocol version.
    pub protocol_version: u32,
    /// When the token expires.
    pub token_expiration_date_time: Option<String>,
}

/// The device's facts sent with `enroll`.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFacts {
    /// Serial number.
    pub serial_number: Option<String>,
    /// IMEI.
    pub imei: Option<String>,
    /// MEID.
    pub meid: Option<String>,
    /// `getEnrollmentSpecificId()`.
    pub enterprise_specific_id: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Android version.
    pub os_version: Option<String>,
    /// Security patch level, e.g. 2026-10-01.
    pub security_patch_level: Option<String>,
    /// Wi-Fi MAC address.
    pub wifi_mac_address: Option<String>,
}

/// `POST /device/v1/enroll`'s answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollAnswer {
    /// The device's record.
    pub managed_device_id: String,
    /// Its name.
    pub device_name: String,
    /// The profile whose token enrolled it.
    pub enrollment_profile_id: String,
    /// The profile's mode.
    pub enrollment_mode: String,
    /// The tenant.
    pub tenant_id: String,
}

/// The changeable facts sent with a check-in; absent ones are left out.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckinFacts {
    /// Android version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Security patch level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_patch_level: Option<String>,
}

/// `POST /device/v1/checkin`'s answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckinAnswer {
    /// The device's record.
    pub managed_device_id: String,
    /// Its name.
    pub device_name: String,
    /// The commands waiting for it.
    pub commands: Vec<Command>,
}

/// A command for the device.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// Its id, acknowledged by `ack`.
    pub id: String,
    /// `retire` or `wipe`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When an administrator issued it.
    pub issued_date_time: Option<String>,
}

/// A client of one server's device protocol.
#[derive(Debug, Clone)]
pub struct DeviceApi {
    base: String,
    client: Client,
    retry: RetryPolicy,
}

impl DeviceApi {
    /// A client for the server at `base_url` (the enrollment URL; a trailing `/` is ignored).
    pub fn new(base_url: &str, retry: RetryPolicy) -> anyhow::Result<Self> {
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("provisio-device/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            client,
            retry,
        })
    }

    /// `POST /device/v1/check`: is the token good, for which mode and tenant. Counts nothing.
    pub async fn check(&self, token: &Sensitive) -> Result<Answer<CheckAnswer>, CallError> {
        let body = serde_json::json!({ "enrollmentToken": token.expose() });
        self.call("/device/v1/check", &body, None, None).await
    }

    /// `POST /device/v1/enroll` with an `Idempotency-Key`, reused on every retry.
    pub async fn enroll(
        &self,
        token: &Sensitive,
        credential_hash: &str,
        device: &DeviceFacts,
        user_id_token: Option<&Sensitive>,
        idempotency_key: &str,
    ) -> Result<Answer<EnrollAnswer>, CallError> {
        let mut body = serde_json::json!({
            "enrollmentToken": token.expose(),
            "credentialHash": credential_hash,
            "device": device,
        });
        if let Some(user) = user_id_token {
            body["userIdToken"] = Value::from(user.expose());
        }
        self.call("/device/v1/enroll", &body, None, Some(idempotency_key))
            .await
    }

    /// `POST /device/v1/checkin` as the device holding `secret`.
    pub async fn checkin(
        &self,
        secret: &Sensitive,
        facts: &CheckinFacts,
    ) -> Result<Answer<CheckinAnswer>, CallError> {
        let body =
            serde_json::to_value(facts).unwrap_or_else(|_| Value::Object(Default::default()));
        self.call("/device/v1/checkin", &body, Some(secret), None)
            .await
    }

    /// `POST /device/v1/commands/{id}/ack`.
    pub async fn ack(&self, secret: &Sensitive, command_id: &str) -> Result<(), CallError> {
        const ID: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');
        let id = percent_encoding::utf8_percent_encode(command_id, ID);
        let path = format!("/device/v1/commands/{id}/ack");
        let body = Value::Object(Default::default());
        self.call::<Value>(&path, &body, Some(secret), None)
            .await
            .map(drop)
    }

    /// One call with the retries of the module doc. A 204 (or an empty success body) reads as
    /// JSON `null`.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        secret: Option<&Sensitive>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, CallError> {
        let url = format!("{}{path}", self.base);
        let bytes = body.to_string();
        let mut pause = self.retry.first_pause;
        let mut attempt = 1;
        loop {
            let mut request = self
                .client
                .post(&url)
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone());
            if let Some(secret) = secret {
                request = request.header(AUTHORIZATION, format!("Device {}", secret.expose()));
            }
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(&response);
                    match response.text().await {
                        Ok(text) => Ok((status, retry_after, text)),
                        Err(e) => Err(no_answer(&url, &e)),
                    }
                }
                Err(e) => Err(no_answer(&url, &e)),
            };
            let last = attempt >= self.retry.attempts;
            let wait = match &outcome {
                Err(_) if !last => Some(pause),
                Ok((status, after, _))
                    if !last
                        && (status.is_server_error()
                            || *status == StatusCode::TOO_MANY_REQUESTS) =>
                {
                    match after {
                        Some(after) if *after > self.retry.max_retry_after => None,
                        Some(after) => Some(*after),
                        None => Some(pause),
                    }
                }
                _ => None,
            };
            match (wait, outcome) {
                (Some(wait), outcome) => {
                    let why = match &outcome {
                        Ok((status, _, _)) => format!("answered {status}"),
                        Err(e) => e.to_string(),
                    };
                    eprintln!(
                        "provisio: {path} {why}; trying again in {:.1} s (attempt {} of {})",
                        wait.as_secs_f64(),
                        attempt + 1,
                        self.retry.attempts
                    );
                    tokio::time::sleep(wait).await;
                    pause = pause.saturating_mul(2);
                    attempt += 1;
                }
                (None, Err(e)) => return Err(e),
                (None, Ok((status, _, text))) if status.is_success() => {
                    let parsed = if text.trim().is_empty() {
                        serde_json::from_value(Value::Null)
                    } else {
                        serde_json::from_str(&text)
                    };
                    return parsed
                        .map(|body| Answer {
                            status,
                            raw: text,
                            body,
                        })
                        .map_err(|e| CallError::Unexpected {
                            url,
                            reason: e.to_string(),
                        });
                }
                (None, Ok((status, _, text))) => return Err(refusal(status, &text)),
            }
        }
    }
}

fn no_answer(url: &str, e: &reqwest::Error) -> CallError {
    // reqwest's own message names the URL; its source says what happened.
    let mut reason = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason = cause.to_string();
        source = cause.source();
    }
    if reason.is_empty() {
        reason = e.to_string();
    }
    CallError::Unreachable {
        url: url.to_owned(),
        reason,
    }
}

/// `Retry-After` in seconds (the service sends seconds, never a date).
pub fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let text = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The error envelope's code and message, or the status and the start of the body when it is
/// not one.
fn refusal(status: StatusCode, text: &str) -> CallError {
    let envelope: Option<Value> = serde_json::from_str(text).ok();
    let error = envelope.as_ref().and_then(|v| v.get("error"));
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let request_id = error
        .and_then(|e| e.pointer("/innerError/request-id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match (field("code"), field("message")) {
        (Some(code), Some(message)) => CallError::Refused {
            status,
            code,
            message,
            request_id,
        },
        _ => CallError::Refused {
            status,
            code: status
                .canonical_reason()
                .unwrap_or("Error")
                .replace(' ', ""),
            message: text.chars().take(200).collect(),
            request_id: None,
        },
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
