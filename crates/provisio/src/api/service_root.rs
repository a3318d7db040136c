//! The service root and the `deviceManagement` singleton (docs/API.md, "Service root and the
//! deviceManagement singleton").
//!
//! `GET /beta` is the OData service document (OData 4.01 JSON Format, §5): the one thing the
//! entity container holds, the `deviceManagement` singleton, from which a metadata-driven client
//! reaches every collection through its containment navigation properties (`$metadata`).
//! `GET /beta/deviceManagement` answers the singleton with the members this service can fill:
//! only `id`, the caller's tenant. Its query options are read as a single entity's are
//! (`$select` applies, the others are checked and do not apply).

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use odata::{Limits, Property, PropertyType, Schema, Select};
use serde_json::json;

use super::format::Format;
use super::{reply, AppState};
use crate::auth::{
    Access, Identity, DEVICES_READ_ALL, DEVICES_READ_WRITE_ALL, READ_ALL, READ_WRITE_ALL,
};
use crate::error::ApiError;
use crate::model::csdl::SINGLETON;

/// The singleton's members as queries see them: `id` (declared by `graph.entity`), nothing else.
static SCHEMA: Schema = Schema {
    entity_type: "microsoft.graph.deviceManagement",
    properties: &[Property::new("id", PropertyType::String).not_null()],
};

/// `GET /beta` (and `/beta/`): the service document. Like `$metadata` it needs no token: it is
/// the same for every caller and clients read it before they authenticate.
pub async fn document(State(st): State<AppState>, headers: HeaderMap, format: Format) -> Response {
    let base = st.base_url(&headers);
    let body = json!({
        "@odata.context": format!("{base}/beta/$metadata"),
        "value": [{"name": SINGLETON, "kind": "Singleton", "url": SINGLETON}],
    });
    reply::odata_json(StatusCode::OK, &body, format)
}

/// `GET /beta/deviceManagement`: the singleton of the caller's tenant. Any permission that reads
/// one of its collections reads it. Its query options are checked against its one member
/// (400 when malformed or naming another); `$select` names the members in the context URL, the
/// others do not apply to a single entity, as for an entity read by id.
pub async fn device_management(
    State(st): State<AppState>,
    identity: Option<Extension<Identity>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    let Some(Extension(identity)) = identity else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "the token layer passed no identity to {SINGLETON}"
        )));
    };
    let p = identity.permissions;
    if !(p.allows(Access::Read) || p.allows_devices(Access::Read)) {
        return Err(ApiError::Forbidden(format!(
            "The caller is not authorized to perform this operation: it needs one of the \
             permissions {READ_ALL}, {READ_WRITE_ALL}, {DEVICES_READ_ALL} or \
             {DEVICES_READ_WRITE_ALL} (scp or roles)."
        )));
    }
    let options = odata::parse_query(uri.query().unwrap_or(""), &SCHEMA, &Limits::DEFAULT)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The context URL of a singleton, with the select list when `$select` names members (OData
    // 4.01 Protocol §10.8); `id` is the only member, so it is the only one to name.
    let selected = match options.select {
        Some(Select::Properties(_)) => "(id)",
        None | Some(Select::All) => "",
    };
    let base = st.base_url(&headers);
    let body = json!({
        "@odata.context": format!("{base}/beta/$metadata#{SINGLETON}{selected}"),
        "id": identity.tenant.to_string(),
    });
    Ok(reply::odata_json(StatusCode::OK, &body, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collections_live_under_the_singleton() {
        assert_eq!(super::super::routes::ROOT, format!("/beta/{SINGLETON}"));
        assert_eq!(SCHEMA.entity_type, format!("microsoft.graph.{SINGLETON}"));
    }
}
