//! The importer's Graph calls: finding which keys exist (`$filter=KEY in (...)`), and sending
//! creates and changes, twenty to a `POST /beta/$batch` or one request each on a server without
//! JSON batching. Every answer becomes a [`Reply`]: done, refused (recorded against the row),
//! or to be tried again (429 and 503 after their `Retry-After`, a connection that failed).
//! [`Gate`] holds every sender back while the server asked to wait, so that a throttled import
//! slows down as a whole instead of each batch finding the limit for itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};
use url::Url;

use super::Target;
use crate::model::PROFILES;

/// The most requests Graph takes in one `$batch`.
pub const BATCH_SIZE: usize = 20;

/// The most values of one `in (...)` list: the server counts each as a condition and takes 100.
const KEYS_PER_LOOKUP: usize = 100;

/// The most bytes of key text in one lookup: each byte may take three once percent-encoded,
/// and a request target may hold 32 KiB (a `$filter` 16 KiB).
const KEY_BYTES_PER_LOOKUP: usize = 5_000;

/// The pause after a failure that named none, doubled after each up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// A write to send for one row.
#[derive(Clone, Debug)]
pub struct Write {
    /// `POST` to the collection or `PATCH` to a profile.
    pub method: Method,
    /// The profile to change (`PATCH`), or none (create).
    pub id: Option<String>,
    /// The body.
    pub body: Map<String, Value>,
}

/// The answer to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 2xx, with its JSON body (`Value::Null` when it had none).
    Done(Value),
    /// Refused: the status and the Graph error's code and message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
    /// Worth sending again: after this long when the server said, else after a pause.
    Again(Option<Duration>),
}

/// A failure that ends the import: the server refused the token, or cannot be reached.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

/// Holds senders back until the time the server last asked them to wait for.
#[derive(Debug)]
pub struct Gate {
    open_at: Mutex<Instant>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            open_at: Mutex::new(Instant::now()),
        }
    }
}

impl Gate {
    /// How long until the gate opens (zero when open).
    pub fn remaining(&self) -> Duration {
        let open_at = *self.open_at.lock().unwrap_or_else(|p| p.into_inner());
        open_at.saturating_duration_since(Instant::now())
    }

    /// Keeps the gate shut for `wait` from now, unless it already is for longer.
    pub fn shut_for(&self, wait: Duration) {
        let mut open_at = self.open_at.lock().unwrap_or_else(|p| p.into_inner());
        *open_at = (*open_at).max(Instant::now() + wait);
    }
}

/// The pause after the `attempt`-th failure that named no wait.
pub fn backoff(attempt: u32) -> Duration {
    FIRST_PAUSE
        .saturating_mul(2u32.saturating_pow(attempt.min(10)))
        .min(LONGEST_PAUSE)
}

/// The collection of profiles and `$batch` on one server.
#[derive(Debug)]
pub struct Graph {
    /// Shut while the server asked to wait; every request waits for it.
    pub gate: Gate,
    target: Target,
    collection: Url,
    batch: Url,
    /// The collection's path below the version, as `$batch` requests name it.
    relative: String,
}

impl Graph {
    /// The server's profile collection and `$batch`.
    pub fn new(target: Target) -> anyhow::Result<Graph> {
        let relative = format!("/deviceManagement/{}", PROFILES.name);
        let mut base = target.base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let collection = base.join(&format!("beta{relative}"))?;
        let batch = base.join("beta/$batch")?;
        Ok(Graph {
            gate: Gate::default(),
            target,
            collection,
            batch,
            relative,
        })
    }

    /// Whether the server answers `$batch`: a batch holding one cheap read. A 400, 404, 405 or
    /// 501 says it does not; the token being refused ends the import.
    pub async fn has_batch(&self) -> Result<bool, Fatal> {
        let probe = json!({"requests": [{
            "id": "1", "method": "GET",
            "url": format!("{}?$top=0", self.relative),
        }]});
        let mut attempt = 0;
        loop {
            let sent = self
                .send(Method::POST, self.batch.clone(), Some(&probe))
                .await;
            match sent {
                Ok((status, _, body)) if status.is_success() => {
                    return Ok(body.get("responses").is_some_and(Value::is_array));
                }
                Ok((status, _, _)) if matches!(status.as_u16(), 400 | 404 | 405 | 415 | 501) => {
                    return Ok(false)
                }
                other => {
                    let wait = self.judge(other, "$batch")?;
                    attempt = self.pause(wait, attempt).await?;
                }
            }
        }
    }

    /// The ids of the profiles whose `key` member has one of `keys`, exactly (the server
    /// compares text case-insensitively; the importer keeps only exact matches).
    pub async fn lookup(
        &self,
        key: &str,
        keys: &[&str],
    ) -> Result<HashMap<String, Vec<String>>, Fatal> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in chunks(keys) {
            let quoted: Vec<String> = chunk
                .iter()
                .map(|k| format!("'{}'", k.replace('\'', "''")))
                .collect();
            // Percent-encoded by hand: the form encoding of `query_pairs_mut` writes spaces
            // as '+', which OData reads as a plus sign.
            let filter = format!("{key} in ({})", quoted.join(","));
            let mut url = self.collection.clone();
            url.set_query(Some(&format!(
                "$filter={}&$select=id,{key}&$top=1000",
                utf8_percent_encode(&filter, NON_ALPHANUMERIC)
            )));
            let mut next = Some(url);
            let mut attempt = 0;
            while let Some(url) = next.take() {
                match self.send(Method::GET, url.clone(), None).await {
                    Ok((status, _, page)) if status.is_success() => {
                        for item in page["value"].as_array().into_iter().flatten() {
                            if let (Some(k), Some(id)) = (item[key].as_str(), item["id"].as_str()) {
                                if chunk.contains(&k) {
                                    found.entry(k.to_owned()).or_default().push(id.to_owned());
                                }
                            }
                        }
                        next = match page["@odata.nextLink"].as_str() {
                            Some(link) => Some(Url::parse(link).map_err(|e| {
                                Fatal(format!("the server sent a bad nextLink {link}: {e}"))
                            })?),
                            None => None,
                        };
                        attempt = 0;
                    }
                    other => {
                        let wait = self.judge(other, "the lookup of existing keys")?;
                        attempt = self.pause(wait, attempt).await?;
                        next = Some(url);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Sends writes in one `$batch`; `None` when the server refused the batch as a whole (its
    /// body too large, or it holds a value the batch cannot carry): send them one by one then.
    pub async fn batch(&self, writes: &[Write]) -> Result<Option<Vec<Reply>>, Fatal> {
        let requests: Vec<Value> = writes
            .iter()
            .enumerate()
            .map(|(i, w)| {
                json!({
                    "id": (i + 1).to_string(),
                    "method": w.method.as_str(),
                    "url": match &w.id {
                        Some(id) => format!("{}/{id}", self.relative),
                        None => self.relative.clone(),
                    },
                    "headers": {"Content-Type": "application/json"},
                    "body": w.body,
                })
            })
            .collect();
        let body = json!({ "requests": requests });
        let sent = self
            .send(Method::POST, self.batch.clone(), Some(&body))
            .await;
        match sent {
            Ok((status, _, answer)) if status.is_success() => {
                let mut replies = vec![Reply::Again(None); writes.len()];
                for response in answer["responses"].as_array().into_iter().flatten() {
                    let index = response["id"]
                        .as_str()
                        .and_then(|id| id.parse::<usize>().ok())
                        .and_then(|n| n.checked_sub(1));
                    let Some(slot) = index.and_then(|i| replies.get_mut(i)) else {
                        continue;
                    };
                    let status = response["status"]
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok())
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .unwrap_or(StatusCode::BAD_GATEWAY);
                    let after = response["headers"]
                        .as_object()
                        .and_then(|h| {
                            h.iter()
                                .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
                        })
                        .and_then(|(_, v)| v.as_str())
                        .and_then(seconds);
                    if is_fatal(status) {
                        let (code, message) = graph_error(status, &response["body"]);
                        return Err(Fatal(format!(
                            "the server refused the token at {}: {} {code}: {message}",
                            self.target.base,
                            status.as_u16()
                        )));
                    }
                    *slot = reply(status, after, response.get("body").cloned());
                }
                Ok(Some(replies))
            }
            Ok((status, _, _)) if matches!(status.as_u16(), 400 | 404 | 405 | 413 | 415) => {
                Ok(None)
            }
            other => {
                let wait = self.judge(other, "$batch")?;
                Ok(Some(vec![Reply::Again(wait); writes.len()]))
            }
        }
    }

    /// Sends one write as a request of its own.
    pub async fn single(&self, write: &Write) -> Result<Reply, Fatal> {
        let url = match &write.id {
            Some(id) => {
                let mut url = self.collection.clone();
                url.path_segments_mut()
                    .map_err(|()| Fatal("the server URL cannot have a path".into()))?
                    .push(id);
                url
            }
            None => self.collection.clone(),
        };
        let body = Value::Object(write.body.clone());
        match self.send(write.method.clone(), url, Some(&body)).await {
            Ok((status, after, body)) if !is_fatal(status) => Ok(reply(status, after, Some(body))),
            other => Ok(Reply::Again(self.judge(other, "the request")?)),
        }
    }

    /// One request with the token; the status, `Retry-After` and the JSON body (`Null` when
    /// there is none or it is not JSON).
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Option<Duration>, Value), reqwest::Error> {
        tokio::time::sleep(self.gate.remaining()).await;
        let mut request = self
            .target
            .http
            .request(method, url)
            .header(AUTHORIZATION, format!("Bearer {}", self.target.token));
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        let after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(seconds);
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, after, body))
    }

    /// What to do after an answer that is not the one hoped for: wait (and how long, when the
    /// server said), or stop the import when the token was refused or the answer makes no sense
    /// to repeat.
    fn judge(
        &self,
        sent: Result<(StatusCode, Option<Duration>, Value), reqwest::Error>,
        what: &str,
    ) -> Result<Option<Duration>, Fatal> {
        match sent {
            Err(e) => {
                tracing::debug!(error = %e, "{what} failed; trying again");
                Ok(None)
            }
            Ok((status, after, _))
                if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
            {
                Ok(after)
            }
            Ok((status, _, body)) => {
                let (code, message) = graph_error(status, &body);
                Err(Fatal(format!(
                    "the server refused {what} at {}: {} {code}: {message}",
                    self.target.base,
                    status.as_u16()
                )))
            }
        }
    }

    /// Waits before another attempt; after too many attempts without an answer, gives up.
    async fn pause(&self, wait: Option<Duration>, attempt: u32) -> Result<u32, Fatal> {
        const ATTEMPTS: u32 = 8;
        if wait.is_none() && attempt + 1 >= ATTEMPTS {
            return Err(Fatal(format!(
                "the server at {} did not answer after {ATTEMPTS} attempts",
                self.target.base
            )));
        }
        self.gate.shut_for(wait.unwrap_or_else(|| backoff(attempt)));
        tokio::time::sleep(self.gate.remaining()).await;
        Ok(if wait.is_some() { attempt } else { attempt + 1 })
    }
}

/// A 401 or 403: the token is refused, for every row alike.
fn is_fatal(status: StatusCode) -> bool {
    matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
}

/// The reply for one answer.
fn reply(status: StatusCode, after: Option<Duration>, body: Option<Value>) -> Reply {
    let body = body.unwrap_or(Value::Null);
    if status.is_success() {
        Reply::Done(body)
    } else if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::SERVICE_UNAVAILABLE
        || status == StatusCode::BAD_GATEWAY
        || status == StatusCode::GATEWAY_TIMEOUT
    {
        Reply::Again(after)
    } else {
        let (code, message) = graph_error(status, &body);
        Reply::Refused {
            status: status.as_u16(),
            code,
            message,
        }
    }
}

/// The Graph error envelope's code and message, or the status's name when the body is none.
fn graph_error(status: StatusCode, body: &Value) -> (String, String) {
    let field = |name: &str| body["error"][name].as_str().map(str::to_owned);
    let reason = status.canonical_reason().unwrap_or("Error");
    (
        field("code").unwrap_or_else(|| reason.replace(' ', "")),
        field("message").unwrap_or_else(|| format!("HTTP {} {reason}", status.as_u16())),
    )
}

/// `Retry-After` in whole seconds.
fn seconds(text: &str) -> Option<Duration> {
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Keys in groups that fit one `$filter`.
fn chunks<'a>(keys: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut bytes = 0;
    for key in keys {
        let cost = key.len() + 3;
        match groups.last_mut() {
            Some(group)
                if group.len() < KEYS_PER_LOOKUP && bytes + cost <= KEY_BYTES_PER_LOOKUP =>
            {
                group.push(key);
                bytes += cost;
            }
            _ => {
                groups.push(vec![key]);
                bytes = cost;
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_split_by_count_and_by_length() {
        let short: Vec<String> = (0..250).map(|i| format!("k{i}")).collect();
        let short: Vec<&str> = short.iter().map(String::as_str).collect();
        let sizes: Vec<usize> = chunks(&short).iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let long = "x".repeat(1_500);
        let sizes: Vec<usize> = chunks(&[long.as_str(); 7]).iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 1]);
    }

    #[test]
    fn answers_become_replies() {
        let body = json!({"error": {"code": "BadRequest", "message": "no"}});
        assert!(matches!(
            reply(StatusCode::BAD_REQUEST, None, Some(body)),
            Reply::Refused { status: 400, ref code, ref message } if code == "BadRequest" && message == "no"
        ));
        assert!(matches!(
            reply(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(2)), None),
            Reply::Again(Some(d)) if d == Duration::from_secs(2)
        ));
        assert!(matches!(
            reply(StatusCode::CONFLICT, None, None),
            Reply::Refused { status: 409, ref code, .. } if code == "Conflict"
        ));
        assert_eq!(backoff(0), FIRST_PAUSE);
        assert_eq!(backoff(30), LONGEST_PAUSE);
    }
}
