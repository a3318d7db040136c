//! `/beta/deviceManagement/auditEvents` (docs/API.md, Audit trail): the audit trail, read-only.
//! List and `$count` with the OData options, get by id, and Graph's two functions bound to the
//! collection, `getAuditCategories()` and `getAuditActivityTypes(category='…')`. Graph's
//! permissions for it: `DeviceManagementApps.Read.All` or `.ReadWrite.All`.
//!
//! Also who makes a request's changes ([`RequestOrigin`]): the caller of the token, its client
//! address and the request's correlation id, which every audit event names.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri, Path, State};
use axum::http::{request::Parts, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::format::Format;
use super::listing::{count_of, list_of};
use super::middleware::RequestIds;
use super::{query, reply, AppState};
use crate::auth::{authenticate, Identity, AUDIT_READ_ALL, AUDIT_READ_WRITE_ALL};
use crate::error::ApiError;
use crate::model::audit::{
    Activity, Actor, ActorKind, AuditEvent, Origin, AUDIT_EVENTS, CATEGORIES,
};
use crate::model::input::truncate;
use crate::model::{Selection, TenantId};

/// Who makes a request's changes, as far as the request tells: its token's caller (none on the
/// device endpoints), its client address and its correlation id.
#[derive(Debug, Clone)]
pub struct RequestOrigin {
    identity: Option<Identity>,
    ip: String,
    correlation_id: Uuid,
}

impl FromRequestParts<AppState> for RequestOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = super::device_protocol::client_address(parts, state).to_string();
        // The client's own id when it is a GUID, so that it finds its events; else ours.
        let correlation_id = parts
            .extensions
            .get::<RequestIds>()
            .map_or_else(Uuid::nil, |ids| {
                Uuid::try_parse(&ids.client_request_id)
                    .or_else(|_| Uuid::try_parse(&ids.request_id))
                    .unwrap_or_else(|_| Uuid::nil())
            });
        Ok(RequestOrigin {
            identity: parts.extensions.get::<Identity>().cloned(),
            ip,
            correlation_id,
        })
    }
}

impl RequestOrigin {
    /// The origin of changes made with `permissions` (the ones the operation requires).
    pub fn origin(&self, permissions: &[&str]) -> Arc<Origin> {
        let mut actor = match &self.identity {
            Some(id) if id.app_only => Actor {
                kind: ActorKind::Application,
                service_principal: id.object_id.clone(),
                ..Actor::default()
            },
            Some(id) => Actor {
                kind: ActorKind::User,
                user_id: id.object_id.clone(),
                user_principal_name: id.user_principal_name.clone(),
                ..Actor::default()
            },
            None => Actor::device(None),
        };
        if let Some(id) = &self.identity {
            actor.application_id = id.app_id.clone();
            actor.application_name = id.app_name.clone();
        }
        actor.ip_address = Some(self.ip.clone());
        actor.permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
        Arc::new(Origin {
            actor,
            correlation_id: self.correlation_id,
        })
    }
}

/// A caller allowed to read the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct AuditCaller {
    /// The caller's tenant.
    pub tenant: TenantId,
}

/// The 403 of a caller without the audit trail's permission.
fn forbidden() -> ApiError {
    ApiError::Forbidden(format!(
        "The caller is not authorized to perform this operation: it needs one of the permissions {AUDIT_READ_ALL} or {AUDIT_READ_WRITE_ALL} (scp or roles)."
    ))
}

impl FromRequestParts<AppState> for AuditCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let identity = match parts.extensions.get::<Identity>() {
            Some(identity) => identity.clone(),
            None => authenticate(&state.auth, &parts.headers).await?,
        };
        if !identity.permissions.audit_read {
            return Err(forbidden());
        }
        Ok(AuditCaller {
            tenant: identity.tenant,
        })
    }
}

/// `GET .../auditEvents`.
pub async fn list(
    State(st): State<AppState>,
    caller: AuditCaller,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    list_of::<AuditEvent>(&st, caller.tenant, (&uri, &headers), format).await
}

/// `GET .../auditEvents/$count`.
pub async fn count(
    State(st): State<AppState>,
    caller: AuditCaller,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    count_of::<AuditEvent>(&st, caller.tenant, &uri).await
}

/// `GET .../auditEvents/{id}`, and the functions bound to the collection, which take the
/// place of the id: `getAuditCategories()`, `getAuditActivityTypes(category='…')`.
pub async fn get_one(
    State(st): State<AppState>,
    caller: AuditCaller,
    Path(raw): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, ApiError> {
    let base = st.base_url(&headers);
    if let Some(values) = function(&raw)? {
        return Ok(reply::odata_json(
            StatusCode::OK,
            &json!({
                "@odata.context": format!("{base}/beta/$metadata#Collection(Edm.String)"),
                "value": values,
            }),
            format,
        ));
    }
    let layout = AUDIT_EVENTS.layout();
    let id = super::extract::path_guid(&raw, layout.type_name)?;
    let opts = query::parse_for::<AuditEvent>(uri.query())?;
    let event: AuditEvent = st
        .profiles
        .store()
        .get_row(layout, caller.tenant, id)
        .await?
        .map(crate::model::layout::from_row)
        .transpose()
        .map_err(ApiError::Internal)?
        .ok_or_else(|| ApiError::NotFound(format!("No auditEvent with id '{id}' exists.")))?;
    let selection = query::selection_in(layout, opts.select.as_ref(), Selection::All);
    Ok(reply::entity(
        StatusCode::OK,
        &base,
        &event,
        &selection,
        format,
    ))
}

/// The answer of a function call written in place of an id, or None when `segment` calls none.
fn function(segment: &str) -> Result<Option<Vec<String>>, ApiError> {
    let (name, args) = match segment.find('(') {
        Some(at) => (&segment[..at], Some(&segment[at..])),
        None => (segment, None),
    };
    let args = args.map(|a| {
        a.strip_prefix('(')
            .and_then(|a| a.strip_suffix(')'))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "The parameters of '{}' must be written in parentheses.",
                    truncate(name, 80)
                ))
            })
    });
    if name.eq_ignore_ascii_case("getAuditCategories") {
        match args.transpose()? {
            None | Some("") => Ok(Some(CATEGORIES.iter().map(|c| (*c).to_owned()).collect())),
            Some(_) => Err(ApiError::BadRequest(
                "getAuditCategories takes no parameters.".into(),
            )),
        }
    } else if name.eq_ignore_ascii_case("getAuditActivityTypes") {
        let category = category_parameter(args.transpose()?.unwrap_or(""))?;
        Ok(Some(Activity::types_of(&category)))
    } else {
        Ok(None)
    }
}

/// The `category='…'` of `getAuditActivityTypes` (a quote inside written `''`), its one
/// parameter, which is required.
fn category_parameter(args: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::BadRequest(
            "getAuditActivityTypes takes one parameter, category='<category>' (see getAuditCategories)."
                .into(),
        )
    };
    let (name, value) = args.split_once('=').ok_or_else(bad)?;
    if !name.trim().eq_ignore_ascii_case("category") {
        return Err(bad());
    }
    let quoted = value
        .trim()
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .ok_or_else(bad)?;
    if quoted.replace("''", "").contains('\'') {
        return Err(bad());
    }
    Ok(quoted.replace("''", "'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_read_from_the_segment() {
        assert_eq!(
            function("getAuditCategories()").unwrap(),
            Some(vec!["Device".to_owned(), "Enrollment".to_owned()])
        );
        assert!(function("GETAUDITCATEGORIES").unwrap().is_some());
        assert!(function("getAuditCategories(x=1)").is_err());
        let types = function("getAuditActivityTypes(category='device')")
            .unwrap()
            .unwrap();
        assert!(
            types.contains(&"wipe ManagedDevice".to_owned()),
            "{types:?}"
        );
        assert!(!types.iter().any(|t| t.contains("Enroll")), "{types:?}");
        assert_eq!(
            function("getAuditActivityTypes(category='Nothing ''here''')").unwrap(),
            Some(Vec::new())
        );
        for bad in [
            "getAuditActivityTypes",
            "getAuditActivityTypes()",
            "getAuditActivityTypes(kind='x')",
            "getAuditActivityTypes(category=x)",
            "getAuditActivityTypes(category='a'b')",
            "getAuditActivityTypes(category='x'",
        ] {
            assert!(function(bad).is_err(), "{bad}");
        }
        assert_eq!(
            function("8f1c2a4e-0000-4000-8000-00000000abcd").unwrap(),
            None
        );
    }
}
