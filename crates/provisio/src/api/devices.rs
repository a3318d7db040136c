//! `/beta/deviceManagement/managedDevices` (docs/API.md, Managed devices): list and `$count`
//! with the OData options, get, PATCH (`notes`, `managedDeviceName`), DELETE, and the actions
//! `retire` and `wipe`, which wait for the device's next check-in. Graph's permissions:
//! `DeviceManagementManagedDevices.Read.All` to read, `.ReadWrite.All` to change, and
//! `.PrivilegedOperations.All` to wipe.

use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::{request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::audit::RequestOrigin;
use super::extract::{IdPath, JsonBody};
use super::format::Format;
use super::listing::{count_of, list_of};
use super::preconditions::if_match;
use super::{query, reply, AppState};
use crate::auth::{authenticate, Access, Identity, DEVICES_PRIVILEGED, DEVICES_READ_WRITE_ALL};
use crate::error::ApiError;
use crate::model::device::{DeviceId, ManagedDevice, DEVICES};
use crate::model::input::{json_kind, truncate};
use crate::model::{Selection, TenantId};
use crate::store::devices::CommandKind;

/// A caller allowed to use managed devices the way the request's method needs.
#[derive(Debug, Clone, Copy)]
pub struct DeviceCaller {
    /// The caller's tenant.
    pub tenant: TenantId,
    /// Whether it may wipe.
    pub privileged: bool,
}

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let identity = match parts.extensions.get::<Identity>() {
            Some(identity) => identity.clone(),
            None => authenticate(&state.auth, &parts.headers).await?,
        };
        let access = Access::for_method(&parts.method);
        if !identity.permissions.allows_devices(access) {
            return Err(ApiError::Forbidden(access.devices_forbidden_message()));
        }
        Ok(DeviceCaller {
            tenant: identity.tenant,
            privileged: identity.permissions.devices_privileged,
        })
    }
}

/// `GET .../managedDevices`.
pub async fn list(
    State(st): State<AppState>,
    caller: DeviceCaller,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    list_of::<ManagedDevice>(&st, caller.tenant, (&uri, &headers), format).await
}

/// `GET .../managedDevices/$count`.
pub async fn count(
    State(st): State<AppState>,
    caller: DeviceCaller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    count_of::<ManagedDevice>(&st, caller.tenant, &uri).await
}

/// `GET .../managedDevices/{id}`, with its `ETag` (412 when `If-Match` names another version).
pub async fn get_one(
    State(st): State<AppState>,
    caller: DeviceCaller,
    IdPath(id): IdPath<DeviceId>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    let opts = query::parse_for::<ManagedDevice>(uri.query())?;
    let device = st.devices.get(caller.tenant, id).await?;
    if_match(&headers)?.check(device.version, DEVICES.a_noun)?;
    let selection = query::selection_in(DEVICES.layout(), opts.select.as_ref(), Selection::All);
    Ok(reply::entity(
        StatusCode::OK,
        &st.base_url(&headers),
        &device,
        &selection,
        format,
    ))
}

/// `PATCH .../managedDevices/{id}`: 204, or 200 with the entity when asked; 412 when
/// `If-Match` names another version.
pub async fn update(
    State(st): State<AppState>,
    caller: DeviceCaller,
    IdPath(id): IdPath<DeviceId>,
    origin: RequestOrigin,
    headers: HeaderMap,
    format: Format,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    let current = st.devices.get(caller.tenant, id).await?;
    condition.check(current.version, DEVICES.a_noun)?;
    let device = st
        .devices
        .by(origin.origin(&[DEVICES_READ_WRITE_ALL]))
        .update(caller.tenant, id, &condition, &body.required()?)
        .await?;
    Ok(reply::patched(
        &st.base_url(&headers),
        &headers,
        &device,
        format,
    ))
}

/// `DELETE .../managedDevices/{id}`: 204; 412 when `If-Match` names another version.
pub async fn delete(
    State(st): State<AppState>,
    caller: DeviceCaller,
    IdPath(id): IdPath<DeviceId>,
    origin: RequestOrigin,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    st.devices
        .by(origin.origin(&[DEVICES_READ_WRITE_ALL]))
        .delete(caller.tenant, id, condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../managedDevices/{id}/retire`: 204; the device gets it at its next check-in. 412
/// when `If-Match` names another version.
pub async fn retire(
    State(st): State<AppState>,
    caller: DeviceCaller,
    IdPath(id): IdPath<DeviceId>,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    st.devices.get(caller.tenant, id).await?;
    parameters("retire", body.optional()?.as_ref(), &[])?;
    st.devices
        .by(origin.origin(&[DEVICES_READ_WRITE_ALL]))
        .queue(caller.tenant, id, CommandKind::Retire, condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The parameters of `wipe`, as Graph declares them (accepted; an Android device is always
/// factory-reset).
const WIPE_PARAMETERS: [(&str, &str); 6] = [
    ("keepEnrollmentData", "Boolean"),
    ("keepUserData", "Boolean"),
    ("macOsUnlockCode", "String"),
    ("obliterationBehavior", "String"),
    ("persistEsimDataPlan", "Boolean"),
    ("useProtectedWipe", "Boolean"),
];

/// `POST .../managedDevices/{id}/wipe`: 204; needs
/// `DeviceManagementManagedDevices.PrivilegedOperations.All`.
pub async fn wipe(
    State(st): State<AppState>,
    caller: DeviceCaller,
    IdPath(id): IdPath<DeviceId>,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    if !caller.privileged {
        return Err(ApiError::Forbidden(format!(
            "The caller is not authorized to perform this operation: wipe needs the permission {DEVICES_PRIVILEGED} (scp or roles)."
        )));
    }
    st.devices.get(caller.tenant, id).await?;
    parameters("wipe", body.optional()?.as_ref(), &WIPE_PARAMETERS)?;
    st.devices
        .by(origin.origin(&[DEVICES_READ_WRITE_ALL, DEVICES_PRIVILEGED]))
        .queue(caller.tenant, id, CommandKind::Wipe, condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Checks an action's body: none, or an object of its declared parameters with their types.
fn parameters(
    action: &str,
    body: Option<&Value>,
    declared: &[(&str, &str)],
) -> Result<(), ApiError> {
    let Some(body) = body else { return Ok(()) };
    let Value::Object(map) = body else {
        return Err(ApiError::BadRequest(format!(
            "The body of {action} must be a JSON object, not {}.",
            json_kind(body)
        )));
    };
    for (name, value) in map {
        if name.starts_with('@') {
            continue;
        }
        let Some((_, ty)) = declared.iter().find(|(n, _)| n == name) else {
            return Err(ApiError::BadRequest(format!(
                "The parameter '{}' does not exist on {action}.",
                truncate(name, 80)
            )));
        };
        let fits = matches!(
            (*ty, value),
            (_, Value::Null) | ("Boolean", Value::Bool(_)) | ("String", Value::String(_))
        );
        if !fits {
            return Err(ApiError::BadRequest(format!(
                "Invalid value for the parameter '{name}' of {action}: expected Edm.{ty}, got {}.",
                json_kind(value)
            )));
        }
    }
    Ok(())
}
