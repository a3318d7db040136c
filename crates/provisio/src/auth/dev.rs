//! Development mode: an HS256 secret generated once into the data directory (`dev-signing-key`,
//! mode 0600), tokens minted from it (at start-up and by `provisio token issue`), and the lines
//! `provisio serve` prints so a person can start calling the API at once.

use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rand::RngCore as _;
use serde_json::{json, Value};
use uuid::Uuid;

use super::access::{AUDIT_READ_ALL, DEVICES_PRIVILEGED, DEVICES_READ_WRITE_ALL, READ_WRITE_ALL};

/// The file in the data directory that holds the development secret.
pub const KEY_FILE: &str = "dev-signing-key";
/// `iss` of development tokens.
pub const DEV_ISSUER: &str = "https://provisio.invalid/dev";
/// `aud` of development tokens.
pub const DEV_AUDIENCE: &str = "api://provisio";
/// `azp` (the client application) of development tokens.
pub const DEV_APP_ID: &str = "0d3e5a1f-7c2b-4e8d-9f60-000000000de0";
/// The `app_displayname` of development tokens.
pub const DEV_APP_NAME: &str = "provisio development";
/// The `preferred_username` of delegated development tokens.
pub const DEV_USER: &str = "developer@provisio.invalid";
/// How long the token printed at start-up stays valid.
pub const BANNER_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The permissions of the token `provisio serve` prints, which the client commands and the admin
/// console's development sign-in also mint against a development server: everything the API
/// serves.
pub const BANNER_PERMISSIONS: [&str; 4] = [
    READ_WRITE_ALL,
    DEVICES_READ_WRITE_ALL,
    DEVICES_PRIVILEGED,
    AUDIT_READ_ALL,
];

/// The development signing secret. Its `Debug` never shows it.
#[derive(Clone)]
pub struct DevKey {
    secret: Arc<Vec<u8>>,
    path: PathBuf,
}

impl fmt::Debug for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevKey")
            .field("path", &self.path)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What a development token says.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// `tid`.
    pub tenant: Uuid,
    /// Scope or role values.
    pub permissions: Vec<String>,
    /// An application token (`roles`) instead of a delegated one (`scp`).
    pub app: bool,
    /// Time until `exp`.
    pub lifetime: Duration,
}

impl DevKey {
    /// The key in `data_dir`, generated (32 random bytes, file mode 0600) when there is none.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<DevKey> {
        let path = data_dir.join(KEY_FILE);
        if !path.exists() {
            let mut secret = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            match create_private(&path) {
                Ok(mut file) => {
                    file.write_all(format!("{}\n", URL_SAFE_NO_PAD.encode(secret)).as_bytes())
                        .and_then(|()| file.sync_all())
                        .with_context(|| format!("writing {}", path.display()))?;
                    // The banner of `serve` names the key file.
                    tracing::debug!(path = %path.display(), "generated the development signing key");
                }
                // Another process created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Self::load(data_dir)
    }

    /// The key in `data_dir`; an error when there is none.
    pub fn load(data_dir: &Path) -> anyhow::Result<DevKey> {
        let path = data_dir.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading the development signing key {} (provisio serve creates it on its first start in development mode)",
                path.display()
            )
        })?;
        let secret = URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .filter(|s| s.len() >= 32);
        let Some(secret) = secret else {
            bail!(
                "{} does not hold a development signing key (base64url of at least 32 bytes)",
                path.display()
            );
        };
        warn_if_readable_by_others(&path);
        Ok(DevKey {
            secret: Arc::new(secret),
            path,
        })
    }

    /// The key for verifying tokens.
    pub fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_secret(&self.secret)
    }

    /// Mints a development token.
    pub fn issue(&self, req: &TokenRequest) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let oid = Uuid::new_v4().to_string();
        let mut claims = json!({
            "aud": DEV_AUDIENCE,
            "iss": DEV_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + req.lifetime.as_secs(),
            "tid": req.tenant.to_string(),
            "oid": oid,
            "sub": oid,
            "azp": DEV_APP_ID,
            "app_displayname": DEV_APP_NAME,
            "ver": "2.0",
        });
        let claim = if req.app {
            ("roles", Value::from(req.permissions.clone()))
        } else {
            ("scp", Value::from(req.permissions.join(" ")))
        };
        if let Value::Object(map) = &mut claims {
            map.insert(claim.0.to_owned(), claim.1);
            if req.app {
                map.insert("idtyp".into(), Value::from("app"));
            } else {
                map.insert("preferred_username".into(), Value::from(DEV_USER));
            }
        }
        let key = EncodingKey::from_secret(&self.secret);
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
            .context("signing the development token")
    }

    /// Mints a development OpenID Connect ID token of `user` in `tenant`, issued to the client
    /// `audience`, as a DPC's sign-in would get one (the user ID token of an AOSP
    /// user-associated enrollment, docs/DEVICES.md).
    pub fn issue_id_token(
        &self,
        tenant: Uuid,
        audience: &str,
        user: &str,
        lifetime: Duration,
    ) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let oid = Uuid::new_v4().to_string();
        let claims = json!({
            "aud": audience,
            "iss": DEV_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime.as_secs(),
            "tid": tenant.to_string(),
            "oid": oid,
            "sub": oid,
            "preferred_username": user,
            "ver": "2.0",
        });
        let key = EncodingKey::from_secret(&self.secret);
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
            .context("signing the development ID token")
    }

    /// The lines `provisio serve` prints after `provisio listening on ...`: a token with
    /// ReadWrite for `tenant`, and a curl command that uses it.
    pub fn banner(&self, addr: SocketAddr, tenant: Uuid) -> anyhow::Result<String> {
        let token = self.issue(&TokenRequest {
            tenant,
            permissions: BANNER_PERMISSIONS.map(str::to_owned).to_vec(),
            app: false,
            lifetime: BANNER_TOKEN_LIFETIME,
        })?;
        let reachable = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
            }
            _ => addr,
        };
        Ok(format!(
            "development mode: tokens are HS256, signed with {key}; this one acts for tenant {tenant} with {READ_WRITE_ALL}, {DEVICES_READ_WRITE_ALL}, {DEVICES_PRIVILEGED} and {AUDIT_READ_ALL} for 24 hours (more: provisio token issue --help)\n\
             export TOKEN={token}\n\
             curl -H \"Authorization: Bearer $TOKEN\" http://{reachable}/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles",
            key = self.path.display(),
        ))
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the development signing key can be read by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_private_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let a = DevKey::load_or_create(dir.path()).unwrap();
        let b = DevKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.secret, b.secret, "a second start reuses the key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
        assert!(!format!("{a:?}").contains(text.trim()));
    }

    /// A user ID token verifies for its client only, and is never an access token: its
    /// audience is the DPC's client, and it carries no permission.
    #[tokio::test]
    async fn id_tokens_verify_for_their_client_and_are_no_access_tokens() {
        use crate::auth::{AuthError, AuthSettings};
        let dir = tempfile::tempdir().unwrap();
        let key = DevKey::load_or_create(dir.path()).unwrap();
        let settings = AuthSettings::default();
        let verifier = crate::auth::Verifier::development(key.clone(), &settings);
        let tenant = Uuid::new_v4();
        let hour = Duration::from_secs(3600);
        let token = key
            .issue_id_token(tenant, "dpc-sign-in", "eric@contoso.com", hour)
            .unwrap();
        let client = ["dpc-sign-in".to_owned()];
        let user = verifier.verify_user(&token, &client).await.unwrap();
        assert_eq!(user.tenant.0, tenant);
        assert_eq!(
            user.user_principal_name.as_deref(),
            Some("eric@contoso.com")
        );
        let other = ["another-app".to_owned()];
        assert_eq!(
            verifier.verify_user(&token, &other).await,
            Err(AuthError::Audience)
        );
        assert_eq!(
            verifier.verify(&token).await.err(),
            Some(AuthError::Audience),
            "an ID token is no access token"
        );
        let access = key
            .issue(&TokenRequest {
                tenant,
                permissions: vec!["DeviceManagementConfiguration.Read.All".into()],
                app: false,
                lifetime: hour,
            })
            .unwrap();
        assert_eq!(
            verifier.verify_user(&access, &client).await,
            Err(AuthError::Audience),
            "an access token is no ID token of the DPC's client"
        );
    }

    #[test]
    fn load_refuses_a_missing_or_short_key() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DevKey::load(dir.path()).is_err());
        std::fs::write(dir.path().join(KEY_FILE), "c2hvcnQ\n").unwrap();
        assert!(DevKey::load(dir.path()).is_err());
    }
}
