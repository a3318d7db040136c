//! The `[auth]` settings: which tokens `provisio serve` accepts. Without issuers, audiences or a
//! JWKS the service runs in development mode (HS256 tokens signed with a key in the data
//! directory, loopback only); with them it runs in production mode and accepts only RS256/ES256
//! tokens signed by the JWKS's keys. Each field is declared once, with its `--auth-*` flag, its
//! `PROVISIO_*` variable and its default; `crate::config` layers them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::{ArgAction, Args};
use serde::Deserialize;

use super::issuer::IssuerPattern;
use super::jwks::{https_or_loopback, parse_jwks_url};
use super::sign_in::ClientSignIn;

/// Default tolerance for clocks that disagree, applied to `exp` and `nbf`.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 300;
/// Default shortest time between two fetches of the JWKS caused by unknown key ids.
pub const DEFAULT_JWKS_MIN_REFRESH_SECONDS: u64 = 60;

/// How requests are authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// HS256 tokens signed with the generated key in the data directory; loopback only.
    Development,
    /// RS256/ES256 tokens from the configured issuers, checked against a JWKS.
    Production,
}

/// The authentication settings (TOML table `[auth]`). A field's doc is its `--help` text.
#[derive(Clone, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Accepted token issuer (repeat, or separate with commas); {tenantid} stands for the
    /// token's tid, e.g. https://login.microsoftonline.com/{tenantid}/v2.0. Setting any auth
    /// option switches development mode off.
    #[arg(
        long = "auth-issuer",
        env = "PROVISIO_AUTH_ISSUERS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub issuers: Vec<String>,
    /// Accepted token audience (repeat, or separate with commas), e.g. api://provisio.
    #[arg(
        long = "auth-audience",
        env = "PROVISIO_AUTH_AUDIENCES",
        value_name = "AUD",
        value_delimiter = ','
    )]
    pub audiences: Vec<String>,
    /// https URL of the signing keys (JWKS), e.g.
    /// https://login.microsoftonline.com/common/discovery/v2.0/keys.
    #[arg(
        long = "auth-jwks-url",
        env = "PROVISIO_AUTH_JWKS_URL",
        value_name = "URL"
    )]
    pub jwks_url: Option<String>,
    /// A JWKS file to use instead of a URL.
    #[arg(
        long = "auth-jwks-file",
        env = "PROVISIO_AUTH_JWKS_FILE",
        value_name = "FILE"
    )]
    pub jwks_file: Option<PathBuf>,
    /// Clock skew tolerated for exp and nbf, in seconds [default: 300].
    #[arg(
        long = "auth-clock-skew-seconds",
        env = "PROVISIO_AUTH_CLOCK_SKEW_SECONDS",
        value_name = "SECONDS",
        default_value_t = DEFAULT_CLOCK_SKEW_SECONDS
    )]
    pub clock_skew_seconds: u64,
    /// Shortest time between two JWKS fetches caused by an unknown key id [default: 60].
    #[arg(
        long = "auth-jwks-min-refresh-seconds",
        env = "PROVISIO_AUTH_JWKS_MIN_REFRESH_SECONDS",
        value_name = "SECONDS",
        default_value_t = DEFAULT_JWKS_MIN_REFRESH_SECONDS
    )]
    pub jwks_min_refresh_seconds: u64,
    /// Allow development mode (no issuer or JWKS configured) on a non-loopback address.
    #[arg(
        long,
        env = "PROVISIO_ALLOW_DEV_AUTH_ON_NETWORK",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub allow_dev_auth_on_network: bool,
    /// Client id of the public application (no secret) that `provisio login` and the web console
    /// sign users in with; GET /auth/client tells them (production mode only).
    #[arg(
        long = "auth-client-id",
        env = "PROVISIO_AUTH_CLIENT_ID",
        value_name = "ID"
    )]
    pub client_id: Option<String>,
    /// Scope that signing-in clients request (repeat, or separate with commas), e.g.
    /// api://provisio/DeviceManagementConfiguration.ReadWrite.All and offline_access (for a
    /// refresh token). Required with --auth-client-id.
    #[arg(
        long = "auth-client-scope",
        env = "PROVISIO_AUTH_CLIENT_SCOPES",
        value_name = "SCOPE",
        value_delimiter = ','
    )]
    pub client_scopes: Vec<String>,
    /// Issuer that signing-in clients discover (its /.well-known/openid-configuration), e.g.
    /// https://login.microsoftonline.com/organizations/v2.0 [default: the configured issuer, when
    /// there is one and it has no {tenantid}].
    #[arg(
        long = "auth-client-issuer",
        env = "PROVISIO_AUTH_CLIENT_ISSUER",
        value_name = "URL"
    )]
    pub client_issuer: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("jwks_url", &self.jwks_url.as_deref().map(redact_url))
            .field("jwks_file", &self.jwks_file)
            .field("clock_skew_seconds", &self.clock_skew_seconds)
            .field("jwks_min_refresh_seconds", &self.jwks_min_refresh_seconds)
            .field("allow_dev_auth_on_network", &self.allow_dev_auth_on_network)
            .field("client_id", &self.client_id)
            .field("client_scopes", &self.client_scopes)
            .field("client_issuer", &self.client_issuer)
            .finish()
    }
}

/// A URL without its user information and query, which could carry credentials.
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("redacted");
                let _ = u.set_password(None);
            }
            if u.query().is_some() {
                u.set_query(Some("redacted"));
            }
            u.to_string()
        }
        Err(_) => "<not a URL>".to_owned(),
    }
}

impl AuthSettings {
    /// Development mode unless any of issuers, audiences or a JWKS is configured.
    pub fn mode(&self) -> AuthMode {
        if self.issuers.is_empty()
            && self.audiences.is_empty()
            && self.jwks_url.is_none()
            && self.jwks_file.is_none()
        {
            AuthMode::Development
        } else {
            AuthMode::Production
        }
    }

    /// Checks that production mode is complete and every value is usable.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.clock_skew_seconds > 3600 {
            bail!(
                "auth.clock_skew_seconds must be at most 3600 (got {})",
                self.clock_skew_seconds
            );
        }
        if self.mode() == AuthMode::Development {
            if self.client_id.is_some()
                || !self.client_scopes.is_empty()
                || self.client_issuer.is_some()
            {
                bail!(
                    "auth.client_id, auth.client_scopes and auth.client_issuer name an identity provider's client: \
                     configure auth.issuers, auth.audiences and auth.jwks_url as well (development mode signs in with \
                     `provisio token issue`, see docs/AUTH.md)"
                );
            }
            return Ok(());
        }
        let mut missing = Vec::new();
        if self.issuers.is_empty() {
            missing.push("auth.issuers");
        }
        if self.audiences.is_empty() {
            missing.push("auth.audiences");
        }
        if self.jwks_url.is_none() && self.jwks_file.is_none() {
            missing.push("auth.jwks_url (or auth.jwks_file)");
        }
        if !missing.is_empty() {
            bail!(
                "bearer-token validation is partly configured; also set {} (see docs/AUTH.md)",
                missing.join(", ")
            );
        }
        if self.jwks_url.is_some() && self.jwks_file.is_some() {
            bail!("set auth.jwks_url or auth.jwks_file, not both");
        }
        if let Some(url) = &self.jwks_url {
            parse_jwks_url(url)?;
        }
        for issuer in &self.issuers {
            IssuerPattern::parse(issuer)?;
        }
        if self.audiences.iter().any(|a| a.trim().is_empty()) {
            bail!("auth.audiences may not contain an empty value");
        }
        self.client_sign_in()?;
        Ok(())
    }

    /// What `GET /auth/client` tells clients about signing in, when a client id is configured
    /// (production mode); an error when the client settings are incomplete.
    pub fn client_sign_in(&self) -> anyhow::Result<Option<ClientSignIn>> {
        let Some(client_id) = self.client_id.as_deref().map(str::trim) else {
            if !self.client_scopes.is_empty() || self.client_issuer.is_some() {
                bail!("auth.client_scopes and auth.client_issuer need auth.client_id");
            }
            return Ok(None);
        };
        if client_id.is_empty() {
            bail!("auth.client_id may not be empty");
        }
        let scopes: Vec<String> = self
            .client_scopes
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if scopes.is_empty() {
            bail!(
                "auth.client_id needs auth.client_scopes, the scopes clients request \
                 (e.g. api://provisio/DeviceManagementConfiguration.ReadWrite.All, offline_access)"
            );
        }
        let issuer = match (&self.client_issuer, self.issuers.as_slice()) {
            (Some(issuer), _) => issuer.clone(),
            (None, [only]) if matches!(IssuerPattern::parse(only)?, IssuerPattern::Exact(_)) => {
                only.clone()
            }
            (None, _) => bail!(
                "auth.client_id needs auth.client_issuer, the issuer clients sign in with, when auth.issuers \
                 is not a single issuer without {{tenantid}} (for Entra ID e.g. \
                 https://login.microsoftonline.com/organizations/v2.0)"
            ),
        };
        https_or_loopback("auth.client_issuer", &issuer)?;
        Ok(Some(ClientSignIn {
            issuer,
            client_id: client_id.to_owned(),
            scopes,
        }))
    }

    /// Development mode serves only on a loopback address unless explicitly allowed.
    pub fn check_listen(&self, addr: SocketAddr) -> anyhow::Result<()> {
        if self.mode() == AuthMode::Development
            && !addr.ip().is_loopback()
            && !self.allow_dev_auth_on_network
        {
            bail!(
                "refusing to listen on {addr} in development mode: anyone who can reach it could use development tokens. \
                 Configure auth.issuers, auth.audiences and auth.jwks_url (see docs/AUTH.md), listen on 127.0.0.1, \
                 or pass --allow-dev-auth-on-network"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ServeArgs, Settings};

    fn production(issuers: &[&str]) -> AuthSettings {
        AuthSettings {
            issuers: issuers.iter().map(|i| (*i).to_owned()).collect(),
            audiences: vec!["api://provisio".into()],
            jwks_url: Some("https://idp.example.com/keys".into()),
            ..AuthSettings::default()
        }
    }

    #[test]
    fn the_client_sign_in_needs_its_scopes_and_an_issuer_to_discover() {
        let err = |s: &AuthSettings| format!("{:#}", s.validate().unwrap_err());
        let mut s = production(&["https://idp.example.com"]);
        assert_eq!(s.client_sign_in().unwrap(), None);
        s.client_id = Some("cli".into());
        assert!(err(&s).contains("auth.client_scopes"), "{}", err(&s));
        s.client_scopes = vec!["api://provisio/.default".into(), " ".into()];
        s.validate().unwrap();
        assert_eq!(
            s.client_sign_in().unwrap(),
            Some(ClientSignIn {
                issuer: "https://idp.example.com".into(),
                client_id: "cli".into(),
                scopes: vec!["api://provisio/.default".into()],
            })
        );

        // Which issuer to discover is not clear from a pattern, or from several issuers.
        let mut multi = production(&["https://login.microsoftonline.com/{tenantid}/v2.0"]);
        multi.client_id = s.client_id.clone();
        multi.client_scopes = s.client_scopes.clone();
        assert!(
            err(&multi).contains("auth.client_issuer"),
            "{}",
            err(&multi)
        );
        multi.client_issuer = Some("https://login.microsoftonline.com/organizations/v2.0".into());
        assert_eq!(
            multi.client_sign_in().unwrap().unwrap().issuer,
            "https://login.microsoftonline.com/organizations/v2.0"
        );
        multi.client_issuer = Some("http://idp.example.com".into());
        assert!(
            err(&multi).contains("must be an https URL"),
            "{}",
            err(&multi)
        );

        let mut orphan = production(&["https://idp.example.com"]);
        orphan.client_scopes = vec!["x".into()];
        assert!(
            err(&orphan).contains("need auth.client_id"),
            "{}",
            err(&orphan)
        );

        // Development mode has no identity provider to sign in with.
        let dev = AuthSettings {
            client_id: Some("cli".into()),
            ..AuthSettings::default()
        };
        assert_eq!(dev.mode(), AuthMode::Development);
        assert!(err(&dev).contains("development mode"), "{}", err(&dev));
    }

    #[test]
    fn auth_table_layers_under_flags_and_decides_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "[auth]\nissuers = [\"https://sts.windows.net/{tenantid}/\"]\naudiences = [\"api://a\"]\n\
             jwks_url = \"https://login.microsoftonline.com/common/discovery/v2.0/keys\"\n",
        )
        .unwrap();
        let path = file.to_str().unwrap();
        let args = ServeArgs::parse(
            &[
                "--config",
                path,
                "--auth-audience",
                "api://b",
                "--auth-audience=c",
            ],
            &[],
        )
        .unwrap();
        let s = Settings::load(&args).unwrap();
        assert_eq!(s.auth.mode(), AuthMode::Production);
        assert_eq!(s.auth.audiences, ["api://b", "c"]);
        assert_eq!(s.auth.issuers, ["https://sts.windows.net/{tenantid}/"]);
        assert_eq!(s.auth.clock_skew_seconds, DEFAULT_CLOCK_SKEW_SECONDS);
        assert_eq!(
            Settings::load(&ServeArgs::default()).unwrap().auth.mode(),
            AuthMode::Development
        );

        std::fs::write(&file, "[auth]\nissuer = \"x\"\n").unwrap();
        let err = Settings::load(&ServeArgs::parse(&["--config", path], &[]).unwrap()).unwrap_err();
        assert!(format!("{err:#}").contains("issuer"), "{err:#}");
    }
}
