//! Who is calling, and may they. Every request under `/beta/` (except `/beta/$metadata`) carries
//! `Authorization: Bearer <JWT>`; [`require_token`] verifies it before routing goes any further,
//! so an unauthenticated request is 401 whatever it asks for (an unknown id or path included).
//! Handlers take a [`Principal`], which checks the permission the request's method needs (403)
//! and hands them the token's tenant.
//!
//! Development mode signs HS256 tokens with a key in the data directory ([`dev`]); production
//! mode accepts RS256/ES256 tokens from configured issuers against a JWKS ([`jwks`]). See
//! docs/AUTH.md for the rules and the reasons.

pub mod access;
pub mod dev;
pub mod issuer;
pub mod jwks;
pub mod settings;
pub mod sign_in;
pub mod verify;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

pub use access::{
    Access, Identity, Permissions, AUDIT_READ_ALL, AUDIT_READ_WRITE_ALL, DEVICES_PRIVILEGED,
    DEVICES_READ_ALL, DEVICES_READ_WRITE_ALL, READ_ALL, READ_WRITE_ALL,
};
pub use settings::{AuthMode, AuthSettings};
pub use verify::{VerifiedUser, Verifier};

use crate::error::ApiError;
use crate::model::TenantId;

/// Why a token was refused. Each becomes a 401 whose message names the reason without the
/// token's contents (except [`AuthError::KeysUnavailable`], the service's own fault: 503).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    NotBearer,
    /// Not a JWT, too long, or a header that cannot be understood.
    Malformed,
    /// `alg` is `none` or not one this mode accepts.
    Algorithm,
    /// No key with the token's `kid` (or no `kid`), or a key for another algorithm.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `exp` has passed (beyond the skew).
    Expired,
    /// `nbf` is in the future (beyond the skew).
    NotYetValid,
    /// `aud` is missing or not configured.
    Audience,
    /// `iss` is missing, not configured, or names another tenant than `tid`.
    Issuer,
    /// `tid` is missing or not a GUID.
    Tenant,
    /// A claim has the wrong type, or `exp` is missing.
    Claims,
    /// Neither `scp` nor `roles` is present.
    NoPermissionClaims,
    /// The signing keys could not be loaded at all.
    KeysUnavailable,
}

impl AuthError {
    /// The message the client sees.
    pub fn message(self) -> &'static str {
        match self {
            AuthError::Missing => "Access token is empty.",
            AuthError::NotBearer => "The Authorization header must be 'Bearer <access token>'.",
            AuthError::Malformed => "The access token is not a well-formed signed JWT.",
            AuthError::Algorithm => {
                "The access token is signed with an algorithm this service does not accept."
            }
            AuthError::UnknownKey => {
                "The access token is signed with a key this service does not know."
            }
            AuthError::Signature => "The access token's signature is invalid.",
            AuthError::Expired => "Lifetime validation failed, the token is expired.",
            AuthError::NotYetValid => "Lifetime validation failed, the token is not yet valid.",
            AuthError::Audience => "Access token validation failure. Invalid audience.",
            AuthError::Issuer => "Access token validation failure. Invalid issuer.",
            AuthError::Tenant => "The access token has no valid tenant id (tid) claim.",
            AuthError::Claims => "The access token's claims are not valid.",
            AuthError::NoPermissionClaims => {
                "Either scp or roles claim need to be present in the token."
            }
            AuthError::KeysUnavailable => {
                "The token signing keys could not be loaded; retry later."
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::KeysUnavailable => ApiError::Unavailable {
                message: e.message().to_owned(),
                retry_after: 30,
            },
            other => ApiError::Unauthenticated(other.message().to_owned()),
        }
    }
}

/// Whether a (normalised) path needs a token: everything under `/beta/` except the metadata
/// document; the service document (`/beta` itself) neither. Other paths (`/healthz`, and unknown
/// ones, which are 400) need none.
pub fn needs_token(path: &str) -> bool {
    path.starts_with("/beta/") && path != "/beta/$metadata"
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(AuthError::NotBearer);
    }
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::NotBearer);
    }
    match token.trim() {
        "" => Err(AuthError::Missing),
        t => Ok(t),
    }
}

/// Verifies the request's bearer token.
pub async fn authenticate(verifier: &Verifier, headers: &HeaderMap) -> Result<Identity, AuthError> {
    verifier.verify(bearer(headers)?).await
}

/// Who made a request, for the request log: the authentication layer puts it in the response's
/// extensions, and the logging layer reads it from there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerLabel(pub String);

/// The layer in front of every route: for paths that [`needs_token`], refuses the request
/// (401) unless its token verifies, and otherwise passes the [`Identity`] on in the request's
/// extensions and puts a [`CallerLabel`] in the response's.
pub async fn require_token(
    State(verifier): State<Verifier>,
    mut req: Request,
    next: Next,
) -> Response {
    if !needs_token(req.uri().path()) {
        return next.run(req).await;
    }
    match authenticate(&verifier, req.headers()).await {
        Ok(identity) => {
            let label = identity.log_label();
            req.extensions_mut().insert(identity);
            let mut res = next.run(req).await;
            res.extensions_mut().insert(CallerLabel(label));
            res
        }
        Err(e) => {
            tracing::debug!(target: "provisio::auth", reason = ?e, "bearer token refused");
            ApiError::from(e).into_response()
        }
    }
}

/// The caller of a request, checked for the permission its method needs: the tenant it acts
/// for and what it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The tenant whose profiles the request sees (the token's `tid`).
    pub tenant: TenantId,
    /// What the token allows.
    pub permissions: Permissions,
}

impl<S> FromRequestParts<S> for Principal
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let identity = match parts.extensions.get::<Identity>() {
            Some(identity) => identity.clone(),
            None => authenticate(&Verifier::from_ref(state), &parts.headers).await?,
        };
        let access = Access::for_method(&parts.method);
        if !identity.permissions.allows(access) {
            return Err(ApiError::Forbidden(access.forbidden_message()));
        }
        Ok(Principal {
            tenant: identity.tenant,
            permissions: identity.permissions,
        })
    }
}
