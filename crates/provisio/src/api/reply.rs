//! Success responses: the OData JSON content type, the context URL, and entity / collection
//! bodies.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::model::output::{EntityJson, Selection};
use crate::model::{Member, Profile};

/// The content type of every JSON success body.
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The path of the collection below the base URL.
pub const COLLECTION_PATH: &str = "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles";

/// A JSON body with the OData content type.
pub fn odata_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, Body::from(body.to_string())).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    res
}

/// The context URL of the collection, naming the selected members when `$select` narrowed them.
pub fn collection_context(base: &str, selection: &Selection) -> String {
    let mut ctx =
        format!("{base}/beta/$metadata#deviceManagement/androidDeviceOwnerEnrollmentProfiles");
    if let Selection::Only(members) = selection {
        let names: Vec<&str> = members.iter().map(|m| m.name()).collect();
        ctx.push('(');
        ctx.push_str(&names.join(","));
        ctx.push(')');
    }
    ctx
}

/// One entity with its context URL.
pub fn entity(status: StatusCode, base: &str, p: &Profile, selection: &Selection) -> Response {
    let context = format!("{}/$entity", collection_context(base, selection));
    let body = EntityJson {
        context: Some(&context),
        profile: p,
        selection,
    };
    serialized(status, &body, ENTITY_BYTES)
}

/// A page of a collection.
pub fn collection(
    base: &str,
    selection: &Selection,
    profiles: &[Profile],
    count: Option<u64>,
    next_link: Option<String>,
) -> Response {
    let page = Page {
        context: collection_context(base, selection),
        count,
        value: Entities {
            profiles,
            selection,
        },
        next_link,
    };
    serialized(StatusCode::OK, &page, 512 + profiles.len() * ENTITY_BYTES)
}

/// Room for one entity's JSON without its image (most are 700-900 bytes), so that a page's
/// buffer is allocated once instead of doubled and copied a dozen times.
const ENTITY_BYTES: usize = 1024;

/// A body serialised straight into its bytes, with the OData content type.
fn serialized(status: StatusCode, body: &impl Serialize, capacity: usize) -> Response {
    let mut bytes = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => {
            let mut res = (status, Body::from(bytes)).into_response();
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
            res
        }
        // The bodies here hold only strings, numbers and booleans: serialising cannot fail.
        Err(e) => {
            tracing::error!(error = %e, "serialising a response body");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The members of a collection page, in OData order.
#[derive(Serialize)]
struct Page<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    value: Entities<'a>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// The entities of a page.
struct Entities<'a> {
    profiles: &'a [Profile],
    selection: &'a Selection,
}

impl Serialize for Entities<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.profiles.iter().map(|profile| EntityJson {
            context: None,
            profile,
            selection: self.selection,
        }))
    }
}

/// Members in response order, without duplicates.
pub fn ordered_members(mut members: Vec<Member>) -> Vec<Member> {
    members.sort_unstable();
    members.dedup();
    members
}
