//! The saved login: the server and the tokens `provisio login` obtained, kept so the client
//! commands can call that server without `--token`. The file is `login.json` in the
//! configuration directory — `$PROVISIO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/provisio`, else
//! `$HOME/.config/provisio` — written mode 0600 and replaced atomically (the directory is created
//! mode 0700), because it holds bearer and refresh tokens.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The file name in the configuration directory.
pub const LOGIN_FILE: &str = "login.json";

/// What `provisio login` keeps. The tokens never show in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLogin {
    /// The server's base URL, e.g. `https://mdm.example.com`.
    pub server: String,
    /// The bearer token sent to the server.
    pub access_token: String,
    /// When the access token expires; `None` when the identity provider did not say.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires_at: Option<OffsetDateTime>,
    /// The refresh token, when the identity provider issued one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The identity provider's token endpoint, where the refresh token is redeemed.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// The OAuth client id the tokens were issued to.
    #[serde(default)]
    pub client_id: Option<String>,
}

impl fmt::Debug for SavedLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedLogin")
            .field("server", &self.server)
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// The configuration directory: `$PROVISIO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/provisio`, else
/// `$HOME/.config/provisio` (empty variables count as unset).
pub fn config_dir() -> anyhow::Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("PROVISIO_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(dir).join("provisio"));
    }
    var("HOME")
        .map(|home| PathBuf::from(home).join(".config").join("provisio"))
        .ok_or_else(|| {
            anyhow!("no configuration directory: set PROVISIO_CONFIG_DIR, XDG_CONFIG_HOME or HOME")
        })
}

/// `login.json` in the configuration directory.
pub fn login_path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join(LOGIN_FILE))
}

impl SavedLogin {
    /// The saved login, or `None` when there is none (no configuration directory counts as
    /// none: there is nowhere it could have been saved).
    pub fn load() -> anyhow::Result<Option<SavedLogin>> {
        match login_path() {
            Ok(path) => Self::load_from(&path),
            Err(_) => Ok(None),
        }
    }

    /// The login saved in `path`, or `None` when there is no such file.
    pub fn load_from(path: &Path) -> anyhow::Result<Option<SavedLogin>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "{} is not a saved login (run provisio login again)",
                path.display()
            )
        })
    }

    /// Saves the login in the configuration directory (created mode 0700), mode 0600; returns
    /// the file's path.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let dir = config_dir()?;
        crate::private::create_private_dir(&dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(LOGIN_FILE);
        self.save_to(&path)?;
        Ok(path)
    }

    /// Saves the login in `path`, mode 0600, replacing it atomically.
    pub fn save_to(&self, path: &Path) -> anyhow::Result<()> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        crate::private::replace_private(path, &json)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Whether the access token has expired, or will within `margin`.
    pub fn expired(&self, now: OffsetDateTime, margin: time::Duration) -> bool {
        self.expires_at.is_some_and(|at| at <= now + margin)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> SavedLogin {
        SavedLogin {
            server: "https://mdm.example.com".into(),
            access_token: "eyJhY2Nlc3MiOiJ0b2tlbiJ9".into(),
            expires_at: Some(time::macros::datetime!(2026-12-02 15:00:00 UTC)),
            refresh_token: Some("refresh-secret".into()),
            token_endpoint: Some("https://login.example.com/token".into()),
            client_id: Some("provisio-cli".into()),
        }
    }

    #[test]
    fn a_login_round_trips_privately_and_debug_hides_the_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOGIN_FILE);
        assert_eq!(SavedLogin::load_from(&path).unwrap(), None);
        sample().save_to(&path).unwrap();
        assert_eq!(SavedLogin::load_from(&path).unwrap(), Some(sample()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"expires_at\": \"2026-12-02T15:00:00Z\""),
            "{text}"
        );
        let debug = format!("{:?}", sample());
        assert!(!debug.contains("eyJ") && !debug.contains("refresh-secret"));
    }

    #[test]
    fn the_optional_members_may_be_null_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOGIN_FILE);
        std::fs::write(
            &path,
            r#"{"server":"http://127.0.0.1:8080","access_token":"t","expires_at":null,"refresh_token":null}"#,
        )
        .unwrap();
        let login = SavedLogin::load_from(&path).unwrap().unwrap();
        assert_eq!(login.expires_at, None);
        assert!(!login.expired(OffsetDateTime::now_utc(), time::Duration::ZERO));
        std::fs::write(&path, "{}").unwrap();
        let err = SavedLogin::load_from(&path).unwrap_err();
        assert!(format!("{err:#}").contains("provisio login"), "{err:#}");
    }

    #[test]
    fn expiry_counts_the_margin() {
        let login = sample();
        let at = time::macros::datetime!(2026-12-02 14:59:00 UTC);
        assert!(!login.expired(at, time::Duration::ZERO));
        assert!(login.expired(at, time::Duration::minutes(2)));
    }
}
