//! The collection and entity endpoints (docs/API.md, Paths): create, get, PATCH, DELETE (lists are in
//! `listing`).

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::audit::RequestOrigin;
use super::extract::{ExistingProfile, JsonBody, ProfilePath};
use super::query;
use super::reply;
use super::routes::PROFILES as ROUTES;
use super::AppState;
use crate::auth::{Principal, READ_WRITE_ALL};
use crate::error::ApiError;
use crate::model::{ProfileInput, Selection};

/// `POST .../androidDeviceOwnerEnrollmentProfiles`: 201 with the entity and `Location`.
pub async fn create(
    State(st): State<AppState>,
    caller: Principal,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st
        .profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .create(caller.tenant, input)
        .await?;
    let base = st.base_url(&headers);
    let mut res = reply::entity(StatusCode::CREATED, &base, &profile, &Selection::All);
    if let Ok(v) = HeaderValue::from_str(&format!("{base}{}/{}", ROUTES.path, profile.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `GET .../{id}`: the entity, QR image included, or the members `$select` names. The other
/// query options are checked like a list's (malformed is 400) but do not apply to one entity.
pub async fn get_one(
    State(st): State<AppState>,
    caller: Principal,
    ProfilePath(id): ProfilePath,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let opts = query::parse(uri.query())?;
    let profile = st.profiles.get(caller.tenant, id).await?;
    Ok(reply::entity(
        StatusCode::OK,
        &st.base_url(&headers),
        &profile,
        &query::selection(opts.select.as_ref(), Selection::All),
    ))
}

/// `PATCH .../{id}`: 204, or 200 with the entity when `Prefer: return=representation`.
pub async fn update(
    State(st): State<AppState>,
    ExistingProfile { caller, profile }: ExistingProfile,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st
        .profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .update(caller.tenant, profile.id, input)
        .await?;
    Ok(reply::patched(&st.base_url(&headers), &headers, &profile))
}

/// `DELETE .../{id}`: 204.
pub async fn delete(
    State(st): State<AppState>,
    caller: Principal,
    ProfilePath(id): ProfilePath,
    origin: RequestOrigin,
) -> Result<Response, ApiError> {
    st.profiles
        .by(origin.origin(&[READ_WRITE_ALL]))
        .delete(caller.tenant, id)
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
