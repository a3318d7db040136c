//! Which server the client commands call and with which token, and the HTTP calls themselves.
//!
//! The server is `--server` (`PROVISIO_SERVER`), else the saved login's, else
//! [`DEFAULT_SERVER`] (where `provisio serve` listens by default). The token is, in this order:
//! 1. `--token` (`PROVISIO_TOKEN`);
//! 2. the saved login ([`super::saved`]) when its server is the one in use: an expired token with
//!    a refresh token is refreshed at the login's token endpoint and saved again;
//! 3. for a server on this machine (a loopback address or `localhost`), a token minted with the
//!    development key of the data directory, found as `provisio serve` and `provisio token issue`
//!    find it (`--data-dir`, `PROVISIO_DATA_DIR`, the per-user default), with the permissions of
//!    the token `serve` prints.
//!
//! A request the server throttled (429, or 503 for a read) is sent again after its
//! `Retry-After` when that is at most 30 seconds, up to five times in all.
//!
//! Every answer that is not a success becomes a [`Failure`] that names the HTTP status and the
//! Graph error's code and message, and carries the exit code the command ends with.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

pub use super::failure::{exit_code, ExitKind, Failure, EXIT_CODES};
use super::saved::SavedLogin;
use crate::auth::dev::{DevKey, TokenRequest, BANNER_PERMISSIONS};
use crate::config::DEFAULT_DEV_TENANT;
use crate::device_client::protocol::retry_after;

/// The server used when none is given and no login is saved: `provisio serve`'s default listen
/// address.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
/// Where the Graph resources live below the server's base URL.
const GRAPH_PATH: &str = "/beta/deviceManagement";
/// How long a minted development token lives: long enough for any one command.
const DEV_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// A saved token this close to its expiry is refreshed first.
const REFRESH_MARGIN: time::Duration = time::Duration::seconds(30);

/// Characters escaped in a path segment or a query option's value: everything but the
/// unreserved ones, so a space is `%20` (the service reads `+` as a plus, never a space).
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How the client commands reach the server.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// The server's base URL [default: the saved login's server, else http://127.0.0.1:8080].
    #[arg(long, env = "PROVISIO_SERVER", value_name = "URL", global = true)]
    pub server: Option<String>,
    /// The bearer token to send [default: the saved login's, else one minted with the
    /// development key for a server on this machine].
    #[arg(
        long,
        env = "PROVISIO_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,
    /// The development server's data directory, where its signing key is (used only without a
    /// token or a saved login, for a server on this machine) [default: the one `provisio serve`
    /// uses, $XDG_DATA_HOME/provisio, else ~/.local/share/provisio].
    #[arg(long, env = "PROVISIO_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The tenant a minted development token acts for.
    #[arg(long, env = "PROVISIO_DEV_TENANT", value_name = "GUID", default_value = DEFAULT_DEV_TENANT, global = true)]
    pub dev_tenant: Uuid,
}

/// A connection to one server's Graph API with one token.
#[derive(Debug)]
pub struct Graph {
    http: reqwest::Client,
    /// The server's base URL, without a trailing slash.
    server: String,
    token: crate::model::Sensitive,
}

/// The items of a list, all pages of it (or the first `--max`).
#[derive(Debug)]
pub struct Listing {
    /// The first page's annotations (`@odata.context`, `@odata.count`).
    pub annotations: Map<String, Value>,
    /// The entities.
    pub items: Vec<Value>,
}

impl Listing {
    /// The list as one Graph collection: the first page's annotations and every item.
    pub fn to_json(&self) -> Value {
        let mut out = self.annotations.clone();
        out.insert("value".into(), Value::Array(self.items.clone()));
        Value::Object(out)
    }
}

/// `value` escaped for a path segment or a query value.
pub fn escape(value: &str) -> String {
    utf8_percent_encode(value, ESCAPED).to_string()
}

/// The server's base URL from `--server`: http or https, without a trailing slash.
pub(crate) fn normalise_server(server: &str) -> anyhow::Result<String> {
    let url = Url::parse(server.trim())
        .map_err(|e| anyhow::anyhow!("--server {server:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        anyhow::bail!("--server {server:?} must be an http or https URL");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether the server runs on this machine: a loopback address or `localhost`.
fn is_local(server: &str) -> bool {
    match Url::parse(server)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl Graph {
    /// Finds the server and the token as the module docs say.
    pub async fn connect(args: &ConnectArgs) -> anyhow::Result<Graph> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // The saved login is read only when it can matter.
        let saved = match (&args.server, &args.token) {
            (Some(_), Some(_)) => None,
            _ => SavedLogin::load()?,
        };
        let server = match (&args.server, &saved) {
            (Some(server), _) => normalise_server(server)?,
            (None, Some(login)) => normalise_server(&login.server)?,
            (None, None) => DEFAULT_SERVER.to_owned(),
        };
        let token = if let Some(token) = &args.token {
            token.clone()
        } else if let Some(login) =
            saved.filter(|l| normalise_server(&l.server).ok().as_deref() == Some(server.as_str()))
        {
            fresh_token(&http, login).await?
        } else if is_local(&server) {
            mint_dev_token(args, &server)?
        } else {
            return Err(Failure::new(
                ExitKind::Auth,
                format!(
                    "no token for {server}: pass --token (or set PROVISIO_TOKEN), or run provisio login"
                ),
            )
            .into());
        };
        Ok(Graph {
            http,
            server,
            token: crate::model::Sensitive::new(token),
        })
    }

    /// The same server and token for `profiles import`, which makes its own requests (key
    /// lookups, `$batch`, its own retries).
    pub fn import_target(&self) -> anyhow::Result<super::import::Target> {
        Ok(super::import::Target {
            http: self.http.clone(),
            base: Url::parse(&self.server)
                .map_err(|e| anyhow::anyhow!("the server address {}: {e}", self.server))?,
            token: self.token.expose().to_owned(),
        })
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The URL of a collection under `deviceManagement`, e.g. `managedDevices`.
    pub fn collection(&self, segment: &str) -> String {
        format!("{}{GRAPH_PATH}/{segment}", self.server)
    }

    /// The URL of one entity of a collection; the id is escaped.
    pub fn entity(&self, segment: &str, id: &str) -> String {
        format!("{}/{}", self.collection(segment), escape(id))
    }

    /// GET, answering the JSON body.
    pub async fn get(&self, url: &str) -> anyhow::Result<Value> {
        let body = self.call(Method::GET, url, None, None).await?;
        Ok(serde_json::from_slice(&body.bytes)?)
    }

    /// Sends `method` with an optional JSON body; the JSON answer, or `None` for an empty one
    /// (204).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Option<Value>> {
        self.send_if_match(method, url, body, None).await
    }

    /// [`Graph::send`] with an `If-Match` header when `if_match` is given: the server answers
    /// 412 when the entity changed since that ETag.
    pub async fn send_if_match(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> anyhow::Result<Option<Value>> {
        let answer = self.call(method, url, body, if_match).await?;
        if answer.bytes.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::from_slice(&answer.bytes)?))
    }

    /// Every item of a collection, following `@odata.nextLink` until the end or `max` items.
    pub async fn list(&self, url: &str, max: Option<usize>) -> anyhow::Result<Listing> {
        let mut next = Some(url.to_owned());
        let mut listing = Listing {
            annotations: Map::new(),
            items: Vec::new(),
        };
        let mut first = true;
        while let Some(url) = next.take() {
            if max.is_some_and(|max| listing.items.len() >= max) {
                break;
            }
            let page = self.get(&url).await?;
            let Value::Object(mut page) = page else {
                anyhow::bail!("the answer to GET {url} is not a JSON object");
            };
            if let Some(Value::Array(items)) = page.remove("value") {
                listing.items.extend(items);
            }
            next = match page.remove("@odata.nextLink") {
                Some(Value::String(link)) => Some(self.same_server(&link)?),
                _ => None,
            };
            if first {
                page.retain(|k, _| k.starts_with("@odata.") && k != "@odata.nextLink");
                listing.annotations = page;
                first = false;
            }
        }
        if let Some(max) = max {
            listing.items.truncate(max);
        }
        Ok(listing)
    }

    /// A link the server sent, when it points at the same server (the token is never sent
    /// anywhere else).
    fn same_server(&self, link: &str) -> anyhow::Result<String> {
        let origin = |u: &str| Url::parse(u).ok().map(|u| u.origin());
        if origin(link).is_some() && origin(link) == origin(&self.server) {
            Ok(link.to_owned())
        } else {
            anyhow::bail!(
                "the server's next page link {link:?} points away from {}; not following it",
                self.server
            )
        }
    }

    /// One request; a 429 (any method) or a 503 of a GET is tried again after its
    /// `Retry-After`, as the Graph SDKs do, while the wait is short.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let body = body.map(serde_json::to_vec).transpose()?;
        let mut attempt = 1;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url)
                .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()))
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, concat!("provisio/", env!("CARGO_PKG_VERSION")));
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            if method == Method::PATCH {
                request = request.header("Prefer", "return=representation");
            }
            if let Some(etag) = if_match {
                request = request.header(reqwest::header::IF_MATCH, etag);
            }
            let response = request.send().await.map_err(|e| unreachable(url, &e))?;
            let status = response.status();
            let wait = retry_after(&response);
            let bytes = response.bytes().await.map_err(|e| unreachable(url, &e))?;
            if status.is_success() {
                return Ok(Answer {
                    bytes: bytes.to_vec(),
                });
            }
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || (status == StatusCode::SERVICE_UNAVAILABLE && method == Method::GET);
            match wait {
                Some(wait) if retryable && attempt < MAX_ATTEMPTS && wait <= MAX_RETRY_WAIT => {
                    eprintln!(
                        "provisio: HTTP {} from the server; trying again in {} s",
                        status.as_u16(),
                        wait.as_secs()
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return Err(Failure::from_answer(status, &bytes).into()),
            }
        }
    }
}

/// How often a throttled request is sent at most.
const MAX_ATTEMPTS: u32 = 5;
/// The longest `Retry-After` waited for; a longer one ends the command (exit code 6).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A successful answer's body.
struct Answer {
    bytes: Vec<u8>,
}

/// A request that got no answer: the server is down, unreachable, or too slow.
fn unreachable(url: &str, e: &reqwest::Error) -> Failure {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = format!("{cause}: {s}");
        source = s.source();
    }
    let url = url.split('?').next().unwrap_or(url);
    Failure::new(ExitKind::Server, format!("no answer from {url} ({cause})"))
}

/// The saved login's access token, refreshed first when it has expired.
async fn fresh_token(http: &reqwest::Client, mut login: SavedLogin) -> anyhow::Result<String> {
    let now = OffsetDateTime::now_utc();
    if !login.expired(now, REFRESH_MARGIN) {
        return Ok(login.access_token);
    }
    let expired = |why: &str| {
        Failure::new(
            ExitKind::Auth,
            format!(
                "the saved login for {} has expired{why}; run provisio login",
                login.server
            ),
        )
    };
    let (Some(refresh), Some(endpoint)) = (&login.refresh_token, &login.token_endpoint) else {
        return Err(expired("").into());
    };
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh);
    if let Some(client_id) = &login.client_id {
        form.append_pair("client_id", client_id);
    }
    let response = http
        .post(endpoint)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body(form.finish())
        .send()
        .await
        .map_err(|e| unreachable(endpoint, &e))?;
    let status = response.status();
    let body: Value = match response.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    if !status.is_success() {
        let error = body.get("error").and_then(Value::as_str).unwrap_or("error");
        return Err(expired(&format!(
            " and refreshing it failed (HTTP {} {error})",
            status.as_u16()
        ))
        .into());
    }
    let Some(access) = body.get("access_token").and_then(Value::as_str) else {
        return Err(expired(" and the token endpoint answered no access_token").into());
    };
    login.access_token = access.to_owned();
    login.expires_at = body
        .get("expires_in")
        .and_then(Value::as_i64)
        .map(|s| now + time::Duration::seconds(s));
    if let Some(refresh) = body.get("refresh_token").and_then(Value::as_str) {
        login.refresh_token = Some(refresh.to_owned());
    }
    login.save()?;
    Ok(login.access_token)
}

/// A token minted with the development key of the data directory.
fn mint_dev_token(args: &ConnectArgs, server: &str) -> anyhow::Result<String> {
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => crate::config::default_data_dir()?,
    };
    let key = DevKey::load(&data_dir).map_err(|e| {
        Failure::new(
            ExitKind::Auth,
            format!(
                "no token for {server}: pass --token (or set PROVISIO_TOKEN), run provisio login, \
                 or point --data-dir (PROVISIO_DATA_DIR) at the development server's data directory ({e:#})"
            ),
        )
    })?;
    key.issue(&TokenRequest {
        tenant: args.dev_tenant,
        permissions: BANNER_PERMISSIONS.map(str::to_owned).to_vec(),
        app: false,
        lifetime: DEV_TOKEN_LIFETIME,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn servers_are_normalised_and_local_ones_recognised() {
        assert_eq!(
            normalise_server("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalise_server("ftp://x").is_err());
        assert!(normalise_server("not a url").is_err());
        for local in [
            "http://127.0.0.1:1",
            "http://[::1]:8080",
            "http://LOCALHOST",
        ] {
            assert!(is_local(local), "{local}");
        }
        for remote in ["https://mdm.example.com", "http://10.0.0.1:8080"] {
            assert!(!is_local(remote), "{remote}");
        }
    }

    #[test]
    fn answers_become_messages_and_exit_codes() {
        let envelope = br#"{"error":{"code":"ResourceNotFound","message":"No such profile."}}"#;
        let f = Failure::from_answer(StatusCode::NOT_FOUND, envelope);
        assert_eq!(f.message, "HTTP 404 ResourceNotFound: No such profile.");
        assert_eq!(f.kind.code(), 3);
        let f = Failure::from_answer(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert_eq!(f.message, "HTTP 502 Bad Gateway: <html>bad gateway</html>");
        assert_eq!(f.kind.code(), 6);
        for (status, code) in [(400, 1), (401, 4), (403, 4), (409, 5), (412, 5), (429, 6)] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(ExitKind::of_status(status).code(), code, "{status}");
        }
        let e = anyhow::Error::from(Failure::new(ExitKind::Conflict, "x")).context("while");
        assert_eq!(exit_code(&e), 5);
        assert_eq!(exit_code(&anyhow::anyhow!("plain")), 1);
    }

    #[test]
    fn escaping_keeps_spaces_apart_from_plus_signs() {
        assert_eq!(escape("a b+c'd"), "a%20b%2Bc%27d");
    }
}
