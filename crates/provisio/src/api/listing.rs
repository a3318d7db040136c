//! The collection reads (docs/API.md, Paths and Queries): a page of profiles with the OData
//! query options, and `/$count`. Filtering, ordering and paging run in the database.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::format::Format;
use super::query::{self, ListRequest};
use super::reply::{Items, Page};
use super::{reply, AppState};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::model::output::Metadata;
use crate::model::{Entity, Profile, TenantId};
use crate::store::Cursor;

/// The content type of `/$count`.
pub const TEXT_PLAIN: &str = "text/plain;charset=utf-8";

/// `GET .../androidDeviceOwnerEnrollmentProfiles`: one page of the profiles that match
/// `$filter`/`$search`, in `$orderby` order (ties by id), with `@odata.count` when asked and an
/// absolute `@odata.nextLink` when more remain.
pub async fn list(
    State(st): State<AppState>,
    caller: Principal,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    list_of::<Profile>(&st, caller.tenant, (&uri, &headers), format).await
}

/// A page of `E`'s entities of `tenant` for a list request (see [`list`]) in `format`.
pub async fn list_of<E: Entity>(
    st: &AppState,
    tenant: TenantId,
    (uri, headers): (&Uri, &HeaderMap),
    format: Format,
) -> Result<Response, ApiError> {
    let req = ListRequest::of::<E>(query::parse_for::<E>(uri.query())?, &st.skip_tokens)?;
    let layout = E::set().layout();
    let members = req.selection.members(layout);
    let store = st.profiles.store();
    // The database renders the entities of a page unless it must show a member lists leave out
    // (the QR image) or links built from the request's base URL (full metadata).
    let in_service = req.selection.includes_unlisted(layout) || format.metadata == Metadata::Full;
    let mut items: Items<E> = match in_service {
        false => Items::Rendered(
            store
                .list_rendered_as::<E>(tenant, &req.query, (&members, format.metadata))
                .await?,
        ),
        true => Items::Entities(store.list::<E>(tenant, &req.query).await?),
    };
    let count = match req.count {
        true => Some(store.count::<E>(tenant, &req.query.criteria).await?),
        false => None,
    };
    let base = st.base_url(headers);
    let (tokens, raw) = (&st.skip_tokens, uri.query());
    let next_link = match &mut items {
        Items::Rendered(rows) => {
            req.next_link(rows, |r| Ok(r.after.clone()), tokens, &base, raw)?
        }
        Items::Entities(rows) => req.next_link(
            rows,
            |p| Cursor::after(&req.query.order, p),
            tokens,
            &base,
            raw,
        )?,
    };
    Ok(reply::collection(
        &base,
        &req.selection,
        &items,
        Page { count, next_link },
        format,
    ))
}

/// `GET .../androidDeviceOwnerEnrollmentProfiles/$count`: the number of profiles that match
/// `$filter` and `$search`, as a plain-text integer. Every option is checked as a list checks
/// it (a `$skiptoken` too); the others (`$top`, `$orderby`, ...) do not change a count.
pub async fn count(
    State(st): State<AppState>,
    caller: Principal,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    count_of::<Profile>(&st, caller.tenant, &uri).await
}

/// `/$count` of `E`'s entities of `tenant` (see [`count`]).
pub async fn count_of<E: Entity>(
    st: &AppState,
    tenant: TenantId,
    uri: &Uri,
) -> Result<Response, ApiError> {
    let req = ListRequest::of::<E>(query::parse_for::<E>(uri.query())?, &st.skip_tokens)?;
    let n = st
        .profiles
        .store()
        .count::<E>(tenant, &req.query.criteria)
        .await?;
    let mut res = (StatusCode::OK, n.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    Ok(res)
}
