//! Success responses: the OData JSON content type, the context URL, and entity / collection
//! bodies.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::model::output::{EntityJson, Selection};
use crate::model::Entity;
use crate::store::Rendered;

/// The content type of every JSON success body.
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A JSON body with the OData content type.
pub fn odata_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, Body::from(body.to_string())).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    res
}

/// The context URL of `E`'s collection, naming the selected members when `$select` narrowed
/// them.
pub fn collection_context<E: Entity>(base: &str, selection: &Selection) -> String {
    let mut ctx = format!("{base}/beta/$metadata#deviceManagement/{}", E::set().name);
    if let Selection::Only(members) = selection {
        let layout = E::set().layout();
        let names: Vec<&str> = members.iter().map(|&i| layout.members[i].name).collect();
        ctx.push('(');
        ctx.push_str(&names.join(","));
        ctx.push(')');
    }
    ctx
}

/// One entity with its context URL.
pub fn entity<E: Entity>(status: StatusCode, base: &str, p: &E, selection: &Selection) -> Response {
    let context = format!("{}/$entity", collection_context::<E>(base, selection));
    let body = EntityJson {
        context: Some(&context),
        entity: p,
        selection,
    };
    serialized(status, &body, ENTITY_BYTES)
}

/// The answer to a PATCH that stored `e`: 204, or 200 with the entity and `Preference-Applied`
/// when the request has `Prefer: return=representation`.
pub fn patched<E: Entity>(base: &str, headers: &axum::http::HeaderMap, e: &E) -> Response {
    if !super::profiles::wants_representation(headers) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut res = entity(StatusCode::OK, base, e, &Selection::All);
    res.headers_mut().insert(
        "preference-applied",
        HeaderValue::from_static("return=representation"),
    );
    res
}

/// The entities of a page: rendered by the database, or entities to write out.
#[derive(Debug)]
pub enum Items<E> {
    /// Each entity's JSON object text, as the store rendered it with the selected members.
    Rendered(Vec<Rendered>),
    /// Whole entities, written with the selection.
    Entities(Vec<E>),
}

impl<E> Items<E> {
    fn len(&self) -> usize {
        match self {
            Items::Rendered(rows) => rows.len(),
            Items::Entities(rows) => rows.len(),
        }
    }
}

/// A page of a collection: `@odata.context`, `@odata.count` when asked, `value`, and
/// `@odata.nextLink` when more remain.
pub fn collection<E: Entity>(
    base: &str,
    selection: &Selection,
    items: &Items<E>,
    count: Option<u64>,
    next_link: Option<String>,
) -> Response {
    let mut body = Vec::with_capacity(512 + items.len() * ENTITY_BYTES);
    let written = write_page(
        &mut body,
        &collection_context::<E>(base, selection),
        selection,
        items,
        count,
        next_link.as_deref(),
    );
    match written {
        Ok(()) => json_bytes(StatusCode::OK, body),
        Err(e) => serialising_failed(&e),
    }
}

/// Writes a page's body. The members of the envelope go through serde_json; rendered entities
/// are copied as they are (the database wrote them as JSON).
fn write_page<E: Entity>(
    out: &mut Vec<u8>,
    context: &str,
    selection: &Selection,
    items: &Items<E>,
    count: Option<u64>,
    next_link: Option<&str>,
) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"@odata.context\":");
    serde_json::to_writer(&mut *out, context)?;
    if let Some(n) = count {
        out.extend_from_slice(b",\"@odata.count\":");
        out.extend_from_slice(n.to_string().as_bytes());
    }
    out.extend_from_slice(b",\"value\":[");
    for i in 0..items.len() {
        if i > 0 {
            out.push(b',');
        }
        match items {
            Items::Rendered(rows) => out.extend_from_slice(rows[i].json.as_bytes()),
            Items::Entities(rows) => {
                let entity = EntityJson {
                    context: None,
                    entity: &rows[i],
                    selection,
                };
                serde_json::to_writer(&mut *out, &entity)?;
            }
        }
    }
    out.push(b']');
    if let Some(link) = next_link {
        out.extend_from_slice(b",\"@odata.nextLink\":");
        serde_json::to_writer(&mut *out, link)?;
    }
    out.push(b'}');
    Ok(())
}

/// Room for one entity's JSON without its image (most are 700-900 bytes), so that a page's
/// buffer is allocated once instead of doubled and copied a dozen times.
const ENTITY_BYTES: usize = 1024;

/// A body serialised straight into its bytes, with the OData content type.
fn serialized(status: StatusCode, body: &impl Serialize, capacity: usize) -> Response {
    let mut bytes = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => json_bytes(status, bytes),
        Err(e) => serialising_failed(&e),
    }
}

/// JSON bytes with the OData content type.
fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut res = (status, Body::from(bytes)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    res
}

/// The bodies here hold only strings, numbers and booleans: serialising cannot fail.
fn serialising_failed(e: &serde_json::Error) -> Response {
    tracing::error!(error = %e, "serialising a response body");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
