//! The collection and entity endpoints of CONTRACT §1: create, list, get, PATCH, DELETE.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::extract::{JsonBody, ProfilePath};
use super::query::{list_options, with_skiptoken, DEFAULT_PAGE};
use super::reply::{self, COLLECTION_PATH};
use super::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::model::{ProfileId, ProfileInput, Selection};
use crate::store::ListQuery;

/// `POST .../androidDeviceOwnerEnrollmentProfiles`: 201 with the entity and `Location`.
pub async fn create(
    State(st): State<AppState>,
    caller: Principal,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st.profiles.create(caller.tenant, input).await?;
    let base = st.base_url(&headers);
    let mut res = reply::entity(StatusCode::CREATED, &base, &profile, &Selection::All);
    if let Ok(v) = HeaderValue::from_str(&format!("{base}{COLLECTION_PATH}/{}", profile.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `GET .../{id}`: the entity, QR image included.
pub async fn get_one(
    State(st): State<AppState>,
    caller: Principal,
    ProfilePath(id): ProfilePath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let profile = st.profiles.get(caller.tenant, id).await?;
    Ok(reply::entity(
        StatusCode::OK,
        &st.base_url(&headers),
        &profile,
        &Selection::All,
    ))
}

/// Where the next page starts.
#[derive(Serialize, Deserialize)]
struct Position {
    after: ProfileIdText,
}
type ProfileIdText = String;

/// `GET .../androidDeviceOwnerEnrollmentProfiles`: one page, in id order, with an absolute
/// `@odata.nextLink` when more remain.
pub async fn list(
    State(st): State<AppState>,
    caller: Principal,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let opts = list_options(uri.query())?;
    let page = opts.top.unwrap_or(DEFAULT_PAGE);
    let query_id = "order=id";
    let after = match &opts.skiptoken {
        Some(tok) => {
            let pos: Position = st.skip_tokens.decode(query_id, tok)?;
            Some(
                ProfileId::parse(&pos.after)
                    .ok_or_else(|| ApiError::BadRequest("The $skiptoken is not valid.".into()))?,
            )
        }
        None => None,
    };
    let query = ListQuery {
        after,
        limit: page + 1,
        include_image: false,
    };
    let mut profiles = st.profiles.list(caller.tenant, &query).await?;
    let base = st.base_url(&headers);
    let next_link = if profiles.len() > page as usize {
        profiles.truncate(page as usize);
        profiles.last().map(|last| {
            let token = st.skip_tokens.encode(
                query_id,
                &Position {
                    after: last.id.to_string(),
                },
            );
            format!(
                "{base}{COLLECTION_PATH}?{}",
                with_skiptoken(uri.query(), &token)
            )
        })
    } else {
        None
    };
    Ok(reply::collection(
        &base,
        &Selection::AllButImage,
        &profiles,
        None,
        next_link,
    ))
}

/// `PATCH .../{id}`: 204, or 200 with the entity when `Prefer: return=representation`.
pub async fn update(
    State(st): State<AppState>,
    caller: Principal,
    ProfilePath(id): ProfilePath,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    // The id is checked before the body: an unknown profile is 404 whatever was sent.
    st.profiles.get(caller.tenant, id).await?;
    let input = ProfileInput::from_json(&body.required()?)?;
    let profile = st.profiles.update(caller.tenant, id, input).await?;
    if wants_representation(&headers) {
        let mut res = reply::entity(
            StatusCode::OK,
            &st.base_url(&headers),
            &profile,
            &Selection::All,
        );
        res.headers_mut().insert(
            "preference-applied",
            HeaderValue::from_static("return=representation"),
        );
        return Ok(res);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE .../{id}`: 204.
pub async fn delete(
    State(st): State<AppState>,
    caller: Principal,
    ProfilePath(id): ProfilePath,
) -> Result<Response, ApiError> {
    st.profiles.delete(caller.tenant, id).await?;
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
