//! Success responses: the OData JSON content type, the context URL, and entity / collection
//! bodies, each in the format the request asked for (docs/API.md, Response formats), and the
//! entity's `ETag` (docs/API.md, ETags and lost updates).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::format::Format;
use crate::model::output::{etag, Control, EntityJson, Metadata, Selection};
use crate::model::Entity;
use crate::store::Rendered;

/// The content type of JSON success bodies with minimal metadata (the default).
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A JSON body (an action's result) in `format`: without its control information
/// (`@odata.context`) when the request asked for none.
pub fn odata_json(status: StatusCode, body: &Value, format: Format) -> Response {
    let text = match (body, format.metadata) {
        (Value::Object(map), Metadata::None) => {
            let mut map = map.clone();
            map.retain(|k, _| !k.starts_with("@odata."));
            Value::Object(map).to_string()
        }
        _ => body.to_string(),
    };
    let mut res = (status, Body::from(text)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    res
}

/// The URL of `E`'s collection, which full metadata's `@odata.id` and `@odata.editLink` extend
/// with the key (`...('{id}')`, OData's canonical URL).
fn collection_url<E: Entity>(base: &str) -> String {
    format!("{base}/beta/deviceManagement/{}", E::set().name)
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

/// One entity with its context URL, in `format`, and its `ETag` header.
pub fn entity<E: Entity>(
    status: StatusCode,
    base: &str,
    p: &E,
    selection: &Selection,
    format: Format,
) -> Response {
    let context = format!("{}/$entity", collection_context::<E>(base, selection));
    let url = collection_url::<E>(base);
    let body = EntityJson {
        context: Some(&context),
        entity: p,
        selection,
        control: Control {
            metadata: format.metadata,
            collection_url: &url,
        },
    };
    let mut res = serialized(status, &body, ENTITY_BYTES, format);
    if let Ok(tag) = HeaderValue::from_str(&etag(p.version())) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// The answer to a PATCH that stored `e`: 204, or 200 with the entity (and its new `ETag`) and
/// `Preference-Applied` when the request has `Prefer: return=representation`. A 204 carries
/// no `ETag`: the client cannot know the representation it would name (the service stamped
/// `lastModifiedDateTime`), which OData 4.01 Protocol section 9.1.4 asks for.
pub fn patched<E: Entity>(
    base: &str,
    headers: &axum::http::HeaderMap,
    e: &E,
    format: Format,
) -> Response {
    if !super::profiles::wants_representation(headers) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut res = entity(StatusCode::OK, base, e, &Selection::All, format);
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

/// What a page holds besides its entities.
#[derive(Debug)]
pub struct Page {
    /// `@odata.count`, when asked.
    pub count: Option<u64>,
    /// `@odata.nextLink`, when more remain.
    pub next_link: Option<String>,
}

/// A page of a collection in `format`: `@odata.context` (not with `none`), `@odata.count` when
/// asked (a string with `IEEE754Compatible=true`: it is an `Edm.Int64`), `value`, and
/// `@odata.nextLink` when more remain. Rendered items must have been rendered at `format`'s
/// level.
pub fn collection<E: Entity>(
    base: &str,
    selection: &Selection,
    items: &Items<E>,
    page: Page,
    format: Format,
) -> Response {
    let mut body = Vec::with_capacity(512 + items.len() * ENTITY_BYTES);
    let url = collection_url::<E>(base);
    let written = write_page(
        &mut body,
        &collection_context::<E>(base, selection),
        (
            selection,
            Control {
                metadata: format.metadata,
                collection_url: &url,
            },
        ),
        items,
        &page,
        format.ieee754,
    );
    match written {
        Ok(()) => json_bytes(StatusCode::OK, body, format),
        Err(e) => serialising_failed(&e),
    }
}

/// Writes a page's body. The members of the envelope go through serde_json; rendered entities
/// are copied as they are (the database wrote them as JSON).
fn write_page<E: Entity>(
    out: &mut Vec<u8>,
    context: &str,
    (selection, control): (&Selection, Control<'_>),
    items: &Items<E>,
    page: &Page,
    count_as_text: bool,
) -> serde_json::Result<()> {
    out.push(b'{');
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, name: &[u8]| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(name);
    };
    if control.metadata.annotated() {
        member(out, b"\"@odata.context\":");
        serde_json::to_writer(&mut *out, context)?;
    }
    if let Some(n) = page.count {
        member(out, b"\"@odata.count\":");
        match count_as_text {
            true => serde_json::to_writer(&mut *out, &n.to_string())?,
            false => out.extend_from_slice(n.to_string().as_bytes()),
        }
    }
    member(out, b"\"value\":[");
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
                    control,
                };
                serde_json::to_writer(&mut *out, &entity)?;
            }
        }
    }
    out.push(b']');
    if let Some(link) = &page.next_link {
        out.extend_from_slice(b",\"@odata.nextLink\":");
        serde_json::to_writer(&mut *out, link)?;
    }
    out.push(b'}');
    Ok(())
}

/// Room for one entity's JSON without its image (most are 700-900 bytes), so that a page's
/// buffer is allocated once instead of doubled and copied a dozen times.
const ENTITY_BYTES: usize = 1024;

/// A body serialised straight into its bytes, with the OData content type of `format`.
fn serialized(
    status: StatusCode,
    body: &impl Serialize,
    capacity: usize,
    format: Format,
) -> Response {
    let mut bytes = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => json_bytes(status, bytes, format),
        Err(e) => serialising_failed(&e),
    }
}

/// JSON bytes with the OData content type of `format`.
fn json_bytes(status: StatusCode, bytes: Vec<u8>, format: Format) -> Response {
    let mut res = (status, Body::from(bytes)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    res
}

/// The bodies here hold only strings, numbers and booleans: serialising cannot fail.
fn serialising_failed(e: &serde_json::Error) -> Response {
    tracing::error!(error = %e, "serialising a response body");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
