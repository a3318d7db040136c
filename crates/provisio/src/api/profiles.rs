//! The collection and entity endpoints (docs/API.md, Paths): create, get, PATCH, DELETE (lists are in
//! `listing`).

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::audit::RequestOrigin;
use super::extract::{ExistingProfile, IdPath, JsonBody};
use super::format::Format;
use super::preconditions::if_match;
use super::query;
use super::reply;
use super::routes::PROFILES as ROUTES;
use super::AppState;
use crate::auth::{Principal, READ_WRITE_ALL};
use crate::error::ApiError;
use crate::model::{ProfileId, ProfileInput, Selection, PROFILES};

/// `POST .../androidDeviceOwnerEnrollmentProfiles`: 201 with the entity and `Location`.
pub async fn create(
    State(st): State<AppState>,
    caller: Principal,
    origin: RequestOrigin,
    headers: HeaderMap,
    format: Format,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st
        .profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .create(caller.tenant, input)
        .await?;
    let base = st.base_url(&headers);
    let mut res = reply::entity(
        StatusCode::CREATED,
        &base,
        &profile,
        &Selection::All,
        format,
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{base}{}/{}", ROUTES.path, profile.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `GET .../{id}`: the entity, QR image included, or the members `$select` names, with its
/// `ETag` (412 when an `If-Match` names another version). The other query options are checked
/// like a list's (malformed is 400) but do not apply to one entity.
pub async fn get_one(
    State(st): State<AppState>,
    caller: Principal,
    IdPath(id): IdPath<ProfileId>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    let opts = query::parse(uri.query())?;
    let profile = st.profiles.get(caller.tenant, id).await?;
    if_match(&headers)?.check(profile.version, PROFILES.a_noun)?;
    Ok(reply::entity(
        StatusCode::OK,
        &st.base_url(&headers),
        &profile,
        &query::selection(opts.select.as_ref(), Selection::All),
        format,
    ))
}

/// `PATCH .../{id}`: 204, or 200 with the entity and its new `ETag` when
/// `Prefer: return=representation`; 412 when `If-Match` names another version.
pub async fn update(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    origin: RequestOrigin,
    headers: HeaderMap,
    format: Format,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    condition.check(profile.version, PROFILES.a_noun)?;
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st
        .profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .update(caller.tenant, profile.id, &condition, input)
        .await?;
    Ok(reply::patched(
        &st.base_url(&headers),
        &headers,
        &profile,
        format,
    ))
}

/// `DELETE .../{id}`: 204; 412 when `If-Match` names another version.
pub async fn delete(
    State(st): State<AppState>,
    caller: Principal,
    IdPath(id): IdPath<ProfileId>,
    origin: RequestOrigin,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    st.profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .delete(caller.tenant, id, &condition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// True when a `Prefer` header asks for `return=representation`.
pub fn wants_representation(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("return=representation"))
}
