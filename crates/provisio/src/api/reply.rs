//! Success responses: the OData JSON content type, the context URL, and entity / collection
//! bodies.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::model::output::{entity_json, Selection};
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
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::from(format!("{}/$entity", collection_context(base, selection))),
    );
    body.extend(entity_json(p, selection));
    odata_json(status, &Value::Object(body))
}

/// A page of a collection.
pub fn collection(
    base: &str,
    selection: &Selection,
    profiles: &[Profile],
    count: Option<u64>,
    next_link: Option<String>,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::from(collection_context(base, selection)),
    );
    if let Some(n) = count {
        body.insert("@odata.count".into(), Value::from(n));
    }
    let value: Vec<Value> = profiles
        .iter()
        .map(|p| Value::Object(entity_json(p, selection)))
        .collect();
    body.insert("value".into(), Value::Array(value));
    if let Some(link) = next_link {
        body.insert("@odata.nextLink".into(), Value::from(link));
    }
    odata_json(StatusCode::OK, &Value::Object(body))
}

/// Members in response order, without duplicates.
pub fn ordered_members(mut members: Vec<Member>) -> Vec<Member> {
    members.sort_unstable();
    members.dedup();
    members
}
