//! The bound actions (docs/API.md, Token and membership actions): createToken, revokeToken and
//! the three enrollment-time membership-target actions. Each checks the id (404) before the body (400) before the state
//! (409).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::audit::RequestOrigin;
use super::extract::{ExistingProfile, JsonBody};
use super::format::Format;
use super::preconditions::if_match;
use super::reply::odata_json;
use super::AppState;
use crate::auth::READ_WRITE_ALL;
use crate::error::ApiError;
use crate::model::input::{json_kind, truncate};
use crate::model::{IfMatch, Profile, PROFILES};
use crate::service::{MembershipRequest, MembershipResult};

/// The `If-Match` of an action's request, checked against the profile as the request found it
/// (412 before the body is read); the service checks it again with its conditional write.
fn condition(headers: &HeaderMap, profile: &Profile) -> Result<IfMatch, ApiError> {
    let condition = if_match(headers)?;
    condition.check(profile.version, PROFILES.a_noun)?;
    Ok(condition)
}

/// `POST .../{id}/createToken` with `{"tokenValidityInSeconds": Int32}`: 204.
pub async fn create_token(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    headers: HeaderMap,
    origin: RequestOrigin,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = condition(&headers, &profile)?;
    let seconds = token_validity(&body.required()?)?;
    st.profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .create_token(caller.tenant, profile.id, &condition, seconds)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn token_validity(body: &Value) -> Result<i64, ApiError> {
    const P: &str = "tokenValidityInSeconds";
    let bad = |m: String| Err(ApiError::BadRequest(m));
    let Value::Object(map) = body else {
        return bad(format!(
            "The body must be a JSON object with '{P}', not {}.",
            json_kind(body)
        ));
    };
    if let Some(other) = map.keys().find(|k| k.as_str() != P && !k.starts_with('@')) {
        return bad(format!(
            "The parameter '{}' does not exist on createToken; it takes only '{P}'.",
            truncate(other, 80)
        ));
    }
    match map.get(P) {
        None | Some(Value::Null) => bad(format!("'{P}' is required.")),
        Some(Value::Number(n)) => match n.as_i64().and_then(|v| i32::try_from(v).ok()) {
            Some(v) => Ok(i64::from(v)),
            None => bad(format!("'{P}' must be a 32-bit integer (got {n}).")),
        },
        Some(other) => bad(format!(
            "'{P}' must be a 32-bit integer, not {}.",
            json_kind(other)
        )),
    }
}

/// Refuses any parameter for actions that take none (an empty body or `{}` is fine).
fn no_parameters(action: &str, body: &JsonBody) -> Result<(), ApiError> {
    match body.optional()? {
        None => Ok(()),
        Some(Value::Object(m)) if m.keys().all(|k| k.starts_with('@')) => Ok(()),
        Some(_) => Err(ApiError::BadRequest(format!(
            "{action} takes no parameters; send an empty body."
        ))),
    }
}

/// `POST .../{id}/revokeToken`: 204, also when there is no token.
pub async fn revoke_token(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    headers: HeaderMap,
    origin: RequestOrigin,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = condition(&headers, &profile)?;
    no_parameters("revokeToken", &body)?;
    st.profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .revoke_token(caller.tenant, profile.id, &condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../{id}/setEnrollmentTimeDeviceMembershipTarget`: 200 with the validation result.
pub async fn set_membership_target(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    origin: RequestOrigin,
    headers: HeaderMap,
    format: Format,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = condition(&headers, &profile)?;
    let request = MembershipRequest::from_json(&body.required()?)?;
    let result = st
        .profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .set_membership_target(caller.tenant, profile.id, &condition, request)
        .await?;
    Ok(membership_reply(&st.base_url(&headers), &result, format))
}

/// `POST .../{id}/retrieveEnrollmentTimeDeviceMembershipTarget`: 200 with the stored target.
pub async fn retrieve_membership_target(
    State(st): State<AppState>,
    ExistingProfile { profile, .. }: ExistingProfile,
    headers: HeaderMap,
    format: Format,
    body: JsonBody,
) -> Result<Response, ApiError> {
    condition(&headers, &profile)?;
    no_parameters("retrieveEnrollmentTimeDeviceMembershipTarget", &body)?;
    let result = MembershipResult::of(&profile);
    Ok(membership_reply(&st.base_url(&headers), &result, format))
}

/// `POST .../{id}/clearEnrollmentTimeDeviceMembershipTarget`: 204.
pub async fn clear_membership_target(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    headers: HeaderMap,
    origin: RequestOrigin,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = condition(&headers, &profile)?;
    no_parameters("clearEnrollmentTimeDeviceMembershipTarget", &body)?;
    st.profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .clear_membership_target(caller.tenant, profile.id, &condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn membership_reply(base: &str, r: &MembershipResult, format: Format) -> Response {
    let statuses: Vec<Value> = r
        .statuses
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("targetId".into(), Value::from(s.target_id.as_str()));
            if let Some(code) = s.error_code {
                m.insert("targetValidationErrorCode".into(), Value::from(code));
            }
            Value::Object(m)
        })
        .collect();
    odata_json(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{base}/beta/$metadata#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"),
            "validationSucceeded": r.validation_succeeded,
            "enrollmentTimeDeviceMembershipTargetValidationStatuses": statuses,
        }),
        format,
    )
}
