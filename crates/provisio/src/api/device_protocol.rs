//! The device protocol (docs/DEVICES.md): `POST /device/v1/check`, `/enroll`, `/checkin` and
//! `/commands/{id}/ack`. No bearer token: the enrollment token, then the device's own secret,
//! are the credentials. Bodies are strict JSON as everywhere; answers are plain JSON, errors the
//! Graph envelope with the protocol's own codes.
//!
//! Every refused request (a bad token or credential, a malformed request) counts against its
//! client address; one over the address's limit is answered 429 instead ([`Attempt`]). A request
//! that succeeds never counts, so a device with a valid token is never refused for its address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::audit::RequestOrigin;
use super::extract::JsonBody;
use super::AppState;
use crate::auth::{AuthError, VerifiedUser};
use crate::error::{ApiError, DeviceError};
use crate::model::audit::{resource, Activity, AuditEvent, Changed, Origin};
use crate::model::layout::to_row;
use crate::model::{Profile, PROFILES};
use crate::service::devices::input;
use crate::throttle::{too_many_enrollments, too_many_failures};

/// The client's address: the peer, or behind trusted proxies the address they forwarded (as
/// `device_throttle.trusted_proxies` says).
pub fn client_address(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
    state.device_throttle.client_address(peer, &parts.headers)
}

/// The client address of a device request, for its failures to count against.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    addr: IpAddr,
}

impl FromRequestParts<AppState> for Attempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Attempt {
            addr: client_address(parts, state),
        })
    }
}

impl Attempt {
    /// `result`, with a refusal counted against the address: past its limit, the refusal
    /// becomes 429 with `Retry-After`. Successes, a token's use limit (the token is valid), a
    /// removed device (its credential is real) and the service's own failures do not count.
    fn settle(
        self,
        st: &AppState,
        result: Result<Response, ApiError>,
    ) -> Result<Response, ApiError> {
        let Err(e) = result else { return result };
        let status = e.status();
        let counts = status.is_client_error()
            && !matches!(
                e,
                ApiError::Device(
                    DeviceError::EnrollmentTokenUsageLimitReached | DeviceError::DeviceRemoved
                ) | ApiError::TooManyRequests { .. }
            );
        if counts {
            if let Err(retry_after) = st.device_throttle.failed(self.addr) {
                return Err(too_many_failures(retry_after));
            }
        }
        Err(e)
    }
}

/// Records in the audit trail that an enrollment with `profile`'s token was refused for the
/// token's rate cap (the first refusal of a burst; the log has every one). The refusal stands
/// whether or not the event could be written.
async fn record_rate_cap(st: &AppState, origin: &Origin, profile: &Profile) {
    let layout = PROFILES.layout();
    let row = to_row(profile);
    let shown = resource(Changed {
        layout,
        before: Some(&row),
        after: Some(&row),
    });
    let event = AuditEvent::new(
        profile.tenant,
        origin,
        Activity::EnrollmentRateCapExceeded,
        layout.type_name,
        vec![shown],
        false,
    );
    if let Err(e) = crate::service::audit::record(st.profiles.store(), &event).await {
        tracing::warn!(error = %e, "the audit event of a refused enrollment could not be written");
    }
}

/// The path prefix of the protocol.
pub const PREFIX: &str = "/device/v1";

fn header_text<'a>(
    headers: &'a HeaderMap,
    name: &header::HeaderName,
) -> Result<Option<&'a str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(format!(
            "The header {name} may be sent once."
        )));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| ApiError::BadRequest(format!("The header {name} must be visible ASCII.")))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let name = header::HeaderName::from_static("idempotency-key");
    input::idempotency_key(header_text(headers, &name)?)
}

/// The device secret of `Authorization: Device <secret>`: required (401 without it) when
/// `required`, otherwise optional; another scheme or a malformed secret is an unknown credential.
fn device_secret(headers: &HeaderMap, required: bool) -> Result<Option<String>, ApiError> {
    let unknown = ApiError::Device(DeviceError::InvalidDeviceCredential);
    let value = header_text(headers, &header::AUTHORIZATION)
        .map_err(|_| ApiError::Device(DeviceError::InvalidDeviceCredential))?;
    match input::device_secret(value) {
        Ok(Some(secret)) => Ok(Some(secret.to_owned())),
        Ok(None) if required => Err(unknown),
        Ok(None) => Ok(None),
        Err(input::MalformedSecret) => Err(unknown),
    }
}

/// `POST /device/v1/check`: 200 with the token's mode, tenant, protocol version and expiry.
pub async fn check(
    State(st): State<AppState>,
    attempt: Attempt,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    let result = async {
        let token = input::check_body(&body?.required()?)?;
        let checked = st.devices.check(&token).await?;
        Ok(Json(checked.json()).into_response())
    }
    .await;
    attempt.settle(&st, result)
}

/// `POST /device/v1/enroll`: 201 with a new record, 200 with the reused one.
pub async fn enroll(
    State(st): State<AppState>,
    attempt: Attempt,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    let origin = origin.origin(&[]);
    let result = async {
        let key = idempotency_key(&headers)?;
        let secret = device_secret(&headers, false)?;
        let body = input::enroll_body(&body?.required()?)?;
        let profile = st.devices.profile_for_token(&body.token).await?;
        if let Some(token) = &profile.token {
            let micros = token.created.as_datetime().unix_timestamp_nanos() / 1000;
            let key = (profile.id.0, i64::try_from(micros).unwrap_or(i64::MAX));
            if let Err(retry_after) = st.device_throttle.token_enrollment(key) {
                tracing::warn!(
                    tenant = %profile.tenant,
                    profile = %profile.id,
                    "enrollments with one token came faster than the per-token cap; refused"
                );
                if st.device_throttle.first_refusal(key) {
                    record_rate_cap(&st, &origin, &profile).await;
                }
                return Err(too_many_enrollments(retry_after));
            }
        }
        let user = verified_user(&st, &profile, &body).await?;
        let result = st
            .devices
            .by(origin.clone())
            .enroll(profile, body, user.as_deref(), secret.as_deref(), key)
            .await?;
        let status = match result.created {
            true => StatusCode::CREATED,
            false => StatusCode::OK,
        };
        Ok((status, Json(result.json())).into_response())
    }
    .await;
    let answer = attempt.settle(&st, result);
    let counters = st.metrics.enrollments();
    match &answer {
        Ok(res) if res.status() == StatusCode::CREATED => counters.enrolled(),
        Ok(_) => {}
        Err(e) => counters.failed(e.status_and_code().1),
    }
    answer
}

/// Longest user name taken from a user ID token.
const MAX_USER_NAME: usize = 256;

/// The user an enrollment names: from the body's user ID token, verified with the accepted
/// issuers and keys of `[auth]` for the client ids of `devices.user_id_token_audiences`, when
/// the profile's mode has a user ([`Devices::verifies_users_of`]). A token that does not verify,
/// or names another tenant or no user, is refused (401, the reason logged without the token);
/// keys that cannot be fetched are the service's fault (503). Without a token, no user.
///
/// [`Devices::verifies_users_of`]: crate::service::devices::Devices::verifies_users_of
async fn verified_user(
    st: &AppState,
    profile: &Profile,
    body: &input::EnrollBody,
) -> Result<Option<String>, ApiError> {
    let Some(token) = &body.user_id_token else {
        return Ok(None);
    };
    if !st.devices.verifies_users_of(profile) {
        return Ok(None);
    }
    let refused = |reason: &str| {
        tracing::info!(
            tenant = %profile.tenant,
            profile = %profile.id,
            reason,
            "a user ID token was refused"
        );
        ApiError::Device(DeviceError::InvalidUserIdToken)
    };
    let audiences = &st.devices.settings().user_id_token_audiences;
    match st.auth.verify_user(token.expose(), audiences).await {
        Ok(user) if user.tenant != profile.tenant => {
            Err(refused("the token is of another tenant than the profile"))
        }
        Ok(VerifiedUser {
            user_principal_name: Some(name),
            ..
        }) if !name.is_empty() && name.chars().count() <= MAX_USER_NAME => Ok(Some(name)),
        Ok(_) => Err(refused(
            "the token names no usable user (upn or preferred_username, 1 to 256 characters)",
        )),
        Err(AuthError::KeysUnavailable) => Err(AuthError::KeysUnavailable.into()),
        Err(e) => Err(refused(e.message())),
    }
}

/// `POST /device/v1/checkin`: 200 with the record's id and name and the commands waiting.
pub async fn checkin(
    State(st): State<AppState>,
    attempt: Attempt,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    let result = async {
        let secret = device_secret(&headers, true)?.unwrap_or_default();
        let facts = input::checkin_body(body?.optional()?.as_ref())?;
        let done = st.devices.checkin(&secret, facts).await?;
        Ok(Json(done.json()).into_response())
    }
    .await;
    attempt.settle(&st, result)
}

/// `POST /device/v1/commands/{id}/ack` with no body or `{}`: 204.
pub async fn acknowledge(
    State(st): State<AppState>,
    attempt: Attempt,
    origin: RequestOrigin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    let result = async {
        let secret = device_secret(&headers, true)?.unwrap_or_default();
        let Some(command) = Uuid::try_parse(&id).ok().filter(|_| id.len() == 36) else {
            return Err(ApiError::BadRequest(format!(
                "'{}' is not a valid command id; ids are GUIDs.",
                crate::model::input::truncate(&id, 80)
            )));
        };
        input::ack_body(body?.optional()?.as_ref())?;
        st.devices
            .by(origin.origin(&[]))
            .acknowledge(&secret, command)
            .await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }
    .await;
    attempt.settle(&st, result)
}
