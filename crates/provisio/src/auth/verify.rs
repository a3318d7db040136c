//! Turning a bearer token into an [`Identity`]: which algorithms and keys are accepted, the
//! signature, `exp`/`nbf` with the configured skew, `aud`, `iss` (tied to `tid`), `tid`, and the
//! permission claims. The signature is checked before any claim, so a forged token only ever
//! learns that its signature is invalid.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::Deserialize;

use super::access::{Identity, Permissions};
use super::dev::{DevKey, DEV_AUDIENCE, DEV_ISSUER};
use super::issuer::{parse_guid, IssuerPattern};
use super::jwks::{Jwks, KeyError};
use super::settings::{AuthMode, AuthSettings};
use super::AuthError;
use crate::model::TenantId;

/// The longest token accepted, in bytes (Entra ID's are 1–4 KiB; group claims make them longer).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Checks bearer tokens. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Verifier(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    keys: Keys,
    issuers: Vec<IssuerPattern>,
    audiences: Vec<String>,
    skew: u64,
}

#[derive(Debug)]
enum Keys {
    /// Development: HS256 only.
    Shared(DevKey),
    /// Production: RS256 and ES256 from a JWKS.
    Published(Jwks),
}

/// The claims provisio reads; anything else in the token is ignored.
#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    tid: Option<String>,
    scp: Option<String>,
    roles: Option<Vec<String>>,
    oid: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    app_displayname: Option<String>,
}

/// Who a verified user ID token names ([`Verifier::verify_user`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The token's tenant (`tid`).
    pub tenant: TenantId,
    /// `upn`, else `preferred_username`.
    pub user_principal_name: Option<String>,
}

impl Verifier {
    /// Development mode: HS256 tokens signed with `key`, for [`DEV_ISSUER`] and [`DEV_AUDIENCE`].
    pub fn development(key: DevKey, settings: &AuthSettings) -> Self {
        Verifier(Arc::new(Inner {
            keys: Keys::Shared(key),
            issuers: vec![IssuerPattern::Exact(DEV_ISSUER.to_owned())],
            audiences: vec![DEV_AUDIENCE.to_owned()],
            skew: settings.clock_skew_seconds,
        }))
    }

    /// Production mode, from validated settings.
    pub fn production(settings: &AuthSettings) -> anyhow::Result<Self> {
        let refresh = Duration::from_secs(settings.jwks_min_refresh_seconds);
        let jwks = match (&settings.jwks_url, &settings.jwks_file) {
            (Some(url), _) => Jwks::from_url(url, refresh)?,
            (None, Some(file)) => Jwks::from_file(file.clone(), refresh)?,
            (None, None) => anyhow::bail!("production mode needs auth.jwks_url or auth.jwks_file"),
        };
        let issuers = settings
            .issuers
            .iter()
            .map(|i| IssuerPattern::parse(i))
            .collect::<anyhow::Result<_>>()?;
        Ok(Verifier(Arc::new(Inner {
            keys: Keys::Published(jwks),
            issuers,
            audiences: settings.audiences.clone(),
            skew: settings.clock_skew_seconds,
        })))
    }

    /// Which mode this verifier runs in.
    pub fn mode(&self) -> AuthMode {
        match self.0.keys {
            Keys::Shared(_) => AuthMode::Development,
            Keys::Published(_) => AuthMode::Production,
        }
    }

    /// The development key, in development mode.
    pub fn dev_key(&self) -> Option<&DevKey> {
        match &self.0.keys {
            Keys::Shared(k) => Some(k),
            Keys::Published(_) => None,
        }
    }

    /// Verifies `token` and returns who it speaks for.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let (tenant, c) = self.decode(token, &self.0.audiences).await?;
        let scopes: Vec<&str> = c.scp.as_deref().unwrap_or("").split_whitespace().collect();
        let roles: Vec<&str> = c.roles.iter().flatten().map(String::as_str).collect();
        if scopes.is_empty() && roles.is_empty() {
            return Err(AuthError::NoPermissionClaims);
        }
        Ok(Identity {
            tenant,
            permissions: Permissions::from_names(scopes.iter().chain(&roles).copied()),
            object_id: c.oid,
            app_id: c.appid.or(c.azp),
            app_only: scopes.is_empty(),
            user_principal_name: c.upn.or(c.preferred_username),
            app_name: c.app_displayname,
        })
    }

    /// Verifies a user's OpenID Connect ID token, issued to one of `audiences` (the client ids
    /// a DPC signs users in with) by an issuer and key this verifier accepts, exactly as an
    /// access token is checked but for its audience and without permission claims. Returns
    /// its tenant and the user's name (`upn`, else `preferred_username`), if it names one.
    pub async fn verify_user(
        &self,
        token: &str,
        audiences: &[String],
    ) -> Result<VerifiedUser, AuthError> {
        let (tenant, c) = self.decode(token, audiences).await?;
        Ok(VerifiedUser {
            tenant,
            user_principal_name: c.upn.or(c.preferred_username),
        })
    }

    /// The signature, lifetime, audience (one of `audiences`), tenant and issuer of `token`,
    /// checked in that order; its tenant and claims.
    async fn decode(
        &self,
        token: &str,
        audiences: &[String],
    ) -> Result<(TenantId, Claims), AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed);
        }
        let alg = self.accepted_alg(token)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.crit.is_some() {
            return Err(AuthError::Malformed);
        }
        let key = self.key_for(alg, header.kid.as_deref()).await?;
        let mut v = Validation::new(alg);
        v.leeway = self.0.skew;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.set_audience(audiences);
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| map_error(e.kind()))?;
        let c = data.claims;
        let tenant = c
            .tid
            .as_deref()
            .and_then(parse_guid)
            .ok_or(AuthError::Tenant)?;
        if !self
            .0
            .issuers
            .iter()
            .any(|p| p.accepts(c.iss.as_deref().unwrap_or_default(), tenant))
        {
            return Err(AuthError::Issuer);
        }
        Ok((TenantId(tenant), c))
    }

    /// The token's `alg`, read before anything else, if this verifier accepts it: HS256 in
    /// development mode, RS256 and ES256 in production. `none`, and every other algorithm, are
    /// refused here, so an HS256 token can never be checked against a public key.
    fn accepted_alg(&self, token: &str) -> Result<Algorithm, AuthError> {
        let first = token.split('.').next().unwrap_or_default();
        let bytes = URL_SAFE_NO_PAD
            .decode(first)
            .map_err(|_| AuthError::Malformed)?;
        let header: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
        let alg = header
            .get("alg")
            .and_then(|a| a.as_str())
            .ok_or(AuthError::Malformed)?;
        match (&self.0.keys, alg) {
            (Keys::Shared(_), "HS256") => Ok(Algorithm::HS256),
            (Keys::Published(_), "RS256") => Ok(Algorithm::RS256),
            (Keys::Published(_), "ES256") => Ok(Algorithm::ES256),
            _ => Err(AuthError::Algorithm),
        }
    }

    async fn key_for(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        match &self.0.keys {
            Keys::Shared(k) => Ok(k.decoding_key()),
            Keys::Published(jwks) => {
                let kid = kid.ok_or(AuthError::UnknownKey)?;
                let key = jwks.key(kid).await.map_err(|e| match e {
                    KeyError::Unknown => AuthError::UnknownKey,
                    KeyError::Unavailable => AuthError::KeysUnavailable,
                })?;
                let family = match alg {
                    Algorithm::ES256 => AlgorithmFamily::Ec,
                    _ => AlgorithmFamily::Rsa,
                };
                if key.family != family || key.alg.is_some_and(|a| a != alg) {
                    return Err(AuthError::UnknownKey);
                }
                Ok(key.decoding.clone())
            }
        }
    }
}

fn map_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_) => AuthError::Signature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidAudience => AuthError::Audience,
        ErrorKind::MissingRequiredClaim(c) if c == "aud" => AuthError::Audience,
        ErrorKind::InvalidIssuer => AuthError::Issuer,
        ErrorKind::MissingRequiredClaim(c) if c == "iss" => AuthError::Issuer,
        ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::InvalidClaimFormat(_)
        | ErrorKind::Json(_) => AuthError::Claims,
        _ => AuthError::Malformed,
    }
}
