//! The device protocol (docs/DEVICES.md): `POST /device/v1/check`, `/enroll`, `/checkin` and
//! `/commands/{id}/ack`. No bearer token: the enrollment token, then the device's own secret,
//! are the credentials. Bodies are strict JSON as everywhere; answers are plain JSON, errors the
//! Graph envelope with the protocol's own codes.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::extract::JsonBody;
use super::AppState;
use crate::error::{ApiError, DeviceError};
use crate::service::devices::input;

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
pub async fn check(State(st): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let token = input::check_body(&body.required()?)?;
    let checked = st.devices.check(&token).await?;
    Ok(Json(checked.json()).into_response())
}

/// `POST /device/v1/enroll`: 201 with a new record, 200 with the reused one.
pub async fn enroll(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let secret = device_secret(&headers, false)?;
    let body = input::enroll_body(&body.required()?)?;
    let profile = st.devices.profile_for_token(&body.token).await?;
    let result = st
        .devices
        .enroll(profile, body, secret.as_deref(), key)
        .await?;
    let status = match result.created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((status, Json(result.json())).into_response())
}

/// `POST /device/v1/checkin`: 200 with the record's id and name and the commands waiting.
pub async fn checkin(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let secret = device_secret(&headers, true)?.unwrap_or_default();
    let facts = input::checkin_body(body.optional()?.as_ref())?;
    let done = st.devices.checkin(&secret, facts).await?;
    Ok(Json(done.json()).into_response())
}

/// `POST /device/v1/commands/{id}/ack` with no body or `{}`: 204.
pub async fn acknowledge(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let secret = device_secret(&headers, true)?.unwrap_or_default();
    let Some(command) = Uuid::try_parse(&id).ok().filter(|_| id.len() == 36) else {
        return Err(ApiError::BadRequest(format!(
            "'{}' is not a valid command id; ids are GUIDs.",
            crate::model::input::truncate(&id, 80)
        )));
    };
    input::ack_body(body.optional()?.as_ref())?;
    st.devices.acknowledge(&secret, command).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
