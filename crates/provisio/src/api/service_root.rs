//! The service root and the `deviceManagement` singleton (docs/API.md, "Service root and the
//! deviceManagement singleton").
//!
//! `GET /beta` is the OData service document (OData 4.01 JSON Format, §5): the one thing the
//! entity container holds, the `deviceManagement` singleton, from which a metadata-driven client
//! reaches every collection through its containment navigation properties (`$metadata`).
//! `GET /beta/deviceManagement` answers the singleton with the members this service can fill:
//! only `id`, the caller's tenant.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use serde_json::json;

use super::{reply, AppState};
use crate::auth::{
    Access, Identity, DEVICES_READ_ALL, DEVICES_READ_WRITE_ALL, READ_ALL, READ_WRITE_ALL,
};
use crate::error::ApiError;
use crate::model::csdl::SINGLETON;

/// `GET /beta` (and `/beta/`): the service document. Like `$metadata` it needs no token: it is
/// the same for every caller and clients read it before they authenticate.
pub async fn document(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let base = st.base_url(&headers);
    let body = json!({
        "@odata.context": format!("{base}/beta/$metadata"),
        "value": [{"name": SINGLETON, "kind": "Singleton", "url": SINGLETON}],
    });
    reply::odata_json(StatusCode::OK, &body)
}

/// `GET /beta/deviceManagement`: the singleton of the caller's tenant. Any permission that reads
/// one of its collections reads it; it takes no query options.
pub async fn device_management(
    State(st): State<AppState>,
    identity: Option<Extension<Identity>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
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
    if uri.query().is_some_and(|q| !q.is_empty()) {
        return Err(ApiError::BadRequest(format!(
            "The {SINGLETON} singleton takes no query options; its only member is 'id'."
        )));
    }
    let base = st.base_url(&headers);
    let body = json!({
        "@odata.context": format!("{base}/beta/$metadata#{SINGLETON}"),
        "id": identity.tenant.to_string(),
    });
    Ok(reply::odata_json(StatusCode::OK, &body))
}
