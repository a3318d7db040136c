//! `provisio login` and `provisio logout`: signing in to a provisio server from the command line
//! with the OAuth 2.0 device authorization grant (RFC 8628), and forgetting the sign-in.
//!
//! 1. `GET <server>/auth/client` names the identity provider's issuer, the public client id and
//!    the scopes (`crate::auth::sign_in`), so the server's URL is all a user types. A server in
//!    development mode says so, and the command explains that its tokens come from
//!    `provisio token issue` instead.
//! 2. The issuer's `/.well-known/openid-configuration` names the device authorization and token
//!    endpoints. This is one GET read here: the `openidconnect` crate would add ID-token
//!    machinery that a client of an API does not use.
//! 3. The device authorization request and the polling of the token endpoint are the `oauth2`
//!    crate's: it waits `interval` between polls, keeps polling on `authorization_pending`,
//!    waits 5 seconds longer after each `slow_down`, and stops at `expires_in`; `access_denied`
//!    and `expired_token` end the command with a message saying what to do.
//! 4. The access token (and the refresh token, when the provider issues one) is saved as a
//!    [`SavedLogin`], which the client commands use. The token is never printed or logged.

use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Args;
use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, ErrorResponseType, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, StandardErrorResponse, TokenResponse as _, TokenUrl,
};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use url::Url;

use super::connection::{normalise_server, DEFAULT_SERVER};
use super::saved::{login_path, SavedLogin};
use crate::auth::jwks::https_or_loopback;
use crate::auth::sign_in::{ClientSignIn, SignInInfo, PATH as SIGN_IN_PATH};

/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags of `provisio login`.
#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The provisio server to sign in to (the default is where `provisio serve` listens unless
    /// told otherwise).
    #[arg(long, env = "PROVISIO_SERVER", value_name = "URL", default_value = DEFAULT_SERVER)]
    pub server: String,
}

/// The flags of `provisio logout`.
#[derive(Args, Debug)]
pub struct LogoutArgs {}

/// Runs `provisio login`.
pub fn run_login(args: &LoginArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(login(args))
}

/// Runs `provisio logout`: deletes the saved sign-in.
pub fn run_logout(_args: &LogoutArgs) -> anyhow::Result<()> {
    let path = login_path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => eprintln!("Signed out: deleted {}.", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("Not signed in ({} does not exist).", path.display());
        }
        Err(e) => return Err(e).with_context(|| format!("deleting {}", path.display())),
    }
    Ok(())
}

/// Signs in to `args.server` and saves the tokens.
async fn login(args: &LoginArgs) -> anyhow::Result<()> {
    let server = normalise_server(&args.server)?;
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("provisio/", env!("CARGO_PKG_VERSION")))
        // The oauth2 crate asks for this: a redirect could carry a code or token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let sign_in = sign_in_info(&http, &server).await?;
    let endpoints = discover(&http, &sign_in.issuer).await?;
    let client = BasicClient::new(ClientId::new(sign_in.client_id.clone()))
        .set_device_authorization_url(DeviceAuthorizationUrl::from_url(
            endpoints.device_authorization_endpoint.clone(),
        ))
        .set_token_uri(TokenUrl::from_url(endpoints.token_endpoint.clone()));

    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(sign_in.scopes.iter().cloned().map(Scope::new))
        .request_async(&http)
        .await
        .map_err(|e| token_error("the device authorization request", &e))?;
    eprint!("{}", instructions(&details));

    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http, tokio::time::sleep, None)
        .await
        .map_err(|e| token_error("signing in", &e))?;

    let expires_at = token
        .expires_in()
        .and_then(|d| time::Duration::try_from(d).ok())
        .and_then(|d| OffsetDateTime::now_utc().checked_add(d))
        .and_then(|t| t.replace_nanosecond(0).ok());
    let saved = SavedLogin {
        server: server.clone(),
        access_token: token.access_token().secret().clone(),
        expires_at,
        refresh_token: token.refresh_token().map(|t| t.secret().clone()),
        token_endpoint: Some(endpoints.token_endpoint.to_string()),
        client_id: Some(sign_in.client_id.clone()),
    };
    let path = saved.save()?;
    let until = expires_at
        .and_then(|t| t.format(&Rfc3339).ok())
        .map(|t| format!(" until {t}"))
        .unwrap_or_default();
    eprintln!("Signed in to {server}{until}; saved in {}.", path.display());
    Ok(())
}

/// `GET /auth/client`: where to sign in, or why not.
async fn sign_in_info(http: &reqwest::Client, server: &str) -> anyhow::Result<ClientSignIn> {
    let url = format!("{server}{SIGN_IN_PATH}");
    let (status, body) = fetch(http, &url, "the provisio server").await?;
    if !status.is_success() {
        let reason = graph_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
        bail!("{server} does not offer signing in ({url} answered {status}): {reason}");
    }
    let info: SignInInfo = serde_json::from_slice(&body).with_context(|| {
        format!("{url} did not answer with sign-in settings: is {server} a provisio server?")
    })?;
    match info.provider {
        _ if info.development => bail!(
            "{server} runs in development mode: it accepts only tokens signed with its development key, \
             not a sign-in. On the server's machine, issue one with \
             `provisio token issue --data-dir DIR --scope DeviceManagementConfiguration.ReadWrite.All` (docs/AUTH.md)."
        ),
        Some(sign_in) => Ok(sign_in),
        None => bail!("{url} names no identity provider"),
    }
}

/// `GET url` from `whom`: the status and the body.
async fn fetch(
    http: &reqwest::Client,
    url: &str,
    whom: &str,
) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>)> {
    let res = http
        .get(url)
        .send()
        .await
        .with_context(|| format!("could not reach {whom} at {url}"))?;
    let status = res.status();
    let body = res
        .bytes()
        .await
        .with_context(|| format!("reading {url}"))?;
    Ok((status, body.to_vec()))
}

/// The message of a Graph error body (`{"error": {"message": …}}`).
fn graph_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer("/error/message")?.as_str().map(printable)
}

/// The endpoints the device flow needs, from the issuer's discovery document.
#[derive(Debug)]
struct Endpoints {
    device_authorization_endpoint: Url,
    token_endpoint: Url,
}

/// The members of an OpenID Provider's discovery document that the device flow reads.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    device_authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

/// Reads `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0, §4).
async fn discover(http: &reqwest::Client, issuer: &str) -> anyhow::Result<Endpoints> {
    https_or_loopback("the server's identity provider", issuer)?;
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (status, body) = fetch(http, &url, "the identity provider").await?;
    if !status.is_success() {
        bail!("the identity provider's discovery document {url} answered {status}");
    }
    let doc: Discovery = serde_json::from_slice(&body)
        .with_context(|| format!("{url} is not an OpenID provider's discovery document"))?;
    // Entra ID's multi-tenant documents name the issuer with a {tenantid} placeholder.
    if doc.issuer.trim_end_matches('/') != issuer.trim_end_matches('/')
        && !doc.issuer.contains("{tenantid}")
    {
        bail!(
            "the discovery document {url} is for the issuer '{}', not '{issuer}'",
            printable(&doc.issuer)
        );
    }
    let endpoint = |name: &str, value: Option<String>| -> anyhow::Result<Url> {
        let Some(value) = value else {
            bail!(
                "the identity provider {issuer} has no {name}: it does not offer signing in with a \
                 device code (RFC 8628); for Entra ID, allow public client flows on the app registration"
            );
        };
        https_or_loopback(&format!("the identity provider's {name}"), &value)
    };
    Ok(Endpoints {
        device_authorization_endpoint: endpoint(
            "device_authorization_endpoint",
            doc.device_authorization_endpoint,
        )?,
        token_endpoint: endpoint("token_endpoint", doc.token_endpoint)?,
    })
}

/// What the user is asked to do, for standard error.
fn instructions(details: &StandardDeviceAuthorizationResponse) -> String {
    let mut out = format!(
        "To sign in, open {} in a browser and enter the code {}\n",
        details.verification_uri().as_str(),
        printable(details.user_code().secret()),
    );
    if let Some(complete) = details.verification_uri_complete() {
        out.push_str(&format!(
            "(or open {}, which fills in the code)\n",
            printable(complete.secret())
        ));
    }
    let minutes = details.expires_in().as_secs().div_ceil(60);
    out.push_str(&format!(
        "Waiting for the sign-in (the code expires in {minutes} minute{})...\n",
        if minutes == 1 { "" } else { "s" }
    ));
    out
}

/// A failed request to the identity provider, in words that say what to do.
fn token_error<RE, T>(
    what: &str,
    e: &RequestTokenError<RE, StandardErrorResponse<T>>,
) -> anyhow::Error
where
    RE: std::error::Error + 'static,
    T: ErrorResponseType + AsRef<str> + std::fmt::Display,
{
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = r
                .error_description()
                .map(|d| format!(" ({})", printable(d)))
                .unwrap_or_default();
            match r.error().as_ref() {
                "access_denied" => anyhow::anyhow!(
                    "sign-in was denied{detail}: nothing was saved; run provisio login again to retry"
                ),
                "expired_token" => anyhow::anyhow!(
                    "the code expired before the sign-in was completed{detail}; run provisio login again"
                ),
                other => anyhow::anyhow!(
                    "{what} failed: the identity provider answered {}{detail}",
                    printable(other)
                ),
            }
        }
        RequestTokenError::Request(e) => {
            anyhow::anyhow!("{what} failed: could not reach the identity provider: {e}")
        }
        RequestTokenError::Parse(e, _) => {
            anyhow::anyhow!(
                "{what} failed: the identity provider's answer is not OAuth 2.0 JSON: {e}"
            )
        }
        RequestTokenError::Other(e) => anyhow::anyhow!("{what} failed: {}", printable(e)),
    }
}

/// `s` without control characters, so text from a server cannot move the cursor or forge lines.
fn printable(s: &str) -> String {
    s.chars()
        .take(512)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_document_is_below_the_servers_base_url() {
        let server = normalise_server("https://h.example/mdm/").unwrap();
        assert_eq!(
            format!("{server}{SIGN_IN_PATH}"),
            "https://h.example/mdm/auth/client"
        );
    }

    #[test]
    fn text_from_servers_cannot_forge_lines() {
        assert_eq!(printable("a\nb\x1b[2J"), "a?b?[2J");
        assert_eq!(
            graph_message(br#"{"error":{"code":"x","message":"no\r\nway"}}"#).as_deref(),
            Some("no??way")
        );
    }
}
