//! Extractors that reject with [`ApiError`], so a malformed request gets the same envelope as
//! any other failure: the JSON body and the profile id in the path.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts};
use http_body_util::BodyExt as _;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::model::{input::truncate, json::parse_strict, Entity, Profile, ProfileId};
use crate::net::body::is_body_timeout;
use crate::store::EntityId;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request body read up to [`MAX_BODY_BYTES`], parsed only when the handler asks, so that an
/// unknown id is reported (404) before a bad body (400). It must be JSON
/// (`Content-Type: application/json`, any parameters, UTF-8) and is parsed strictly: duplicate
/// keys are refused.
#[derive(Debug)]
pub struct JsonBody {
    bytes: Bytes,
    content_type: Option<String>,
}

impl JsonBody {
    /// The parsed body; `None` when it is empty.
    pub fn optional(&self) -> Result<Option<Value>, ApiError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        check_json_content_type(self.content_type.as_deref())?;
        let value = parse_strict(&self.bytes).map_err(ApiError::BadRequest)?;
        match nul_at(&value, &mut Vec::new()) {
            None => Ok(Some(value)),
            Some(at) => Err(ApiError::BadRequest(format!(
                "The text at '{at}' contains the character U+0000, which no value may hold."
            ))),
        }
    }

    /// The parsed body, or a 400 when it is empty.
    pub fn required(&self) -> Result<Value, ApiError> {
        self.optional()?.ok_or_else(|| {
            ApiError::BadRequest("The request body is empty; a JSON object is required.".into())
        })
    }
}

/// Where a key or string of `v` holds U+0000, as a path such as `roleScopeTagIds/0`. No member
/// may hold it: it ends strings in C, PostgreSQL cannot store it, and Android's setup wizard
/// would read a truncated value.
fn nul_at(v: &Value, path: &mut Vec<String>) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => Some(path.join("/")),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push(i.to_string());
            let found = nul_at(item, path);
            path.pop();
            found
        }),
        Value::Object(members) => members.iter().find_map(|(key, item)| {
            path.push(truncate(&key.replace('\0', "\\u0000"), 64));
            let found = match key.contains('\0') {
                true => Some(path.join("/")),
                false => nul_at(item, path),
            };
            path.pop();
            found
        }),
        _ => None,
    }
}

/// How much of an oversized body is read and thrown away so that the client, still sending, gets
/// the 413 answer instead of a reset connection. Larger bodies are cut off at once.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || {
            ApiError::PayloadTooLarge(format!(
                "The request body is larger than the limit of {MAX_BODY_BYTES} bytes (1 MiB)."
            ))
        };
        if declared.is_some_and(|n| n > DRAIN_LIMIT) {
            return Err(too_large());
        }
        let mut body = req.into_body();
        let mut buf = Vec::new();
        let mut total: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| match is_body_timeout(&e) {
                true => ApiError::RequestTimeout(format!(
                    "The request body did not arrive in time: {e}."
                )),
                false => ApiError::BadRequest("The request body could not be read.".into()),
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total += data.len() as u64;
            if total > DRAIN_LIMIT {
                return Err(too_large());
            }
            if total <= MAX_BODY_BYTES as u64 {
                buf.extend_from_slice(&data);
            }
        }
        if total > MAX_BODY_BYTES as u64 {
            return Err(too_large());
        }
        Ok(JsonBody {
            bytes: Bytes::from(buf),
            content_type,
        })
    }
}

/// `application/json` with optional parameters; a charset, when given, must be UTF-8.
fn check_json_content_type(ct: Option<&str>) -> Result<(), ApiError> {
    let Some(ct) = ct else {
        return Err(ApiError::UnsupportedMediaType(
            "The request has a body but no Content-Type; send it as application/json.".into(),
        ));
    };
    let mut parts = ct.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type '{}' is not supported; send the body as application/json.",
            truncate(ct, 100)
        )));
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"');
            if name.trim().eq_ignore_ascii_case("charset")
                && !value.eq_ignore_ascii_case("utf-8")
                && !value.eq_ignore_ascii_case("utf8")
            {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "charset '{}' is not supported; send the body as UTF-8.",
                    truncate(value, 40)
                )));
            }
        }
    }
    Ok(())
}

/// `raw`, the id of a `type_name` entity taken from a path, as a GUID (hyphenated, in either
/// case); otherwise the 400 that says so.
pub fn path_guid(raw: &str, type_name: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw)
        .ok()
        .filter(|_| raw.len() == 36)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "'{}' is not a valid {type_name} id; ids are GUIDs such as 8f1c2a4e-0000-4000-8000-00000000abcd.",
                truncate(raw, 80)
            ))
        })
}

/// The `{id}` of an entity's path, percent-decoded and checked to be a GUID (400 naming the
/// entity type otherwise).
#[derive(Debug, Clone, Copy)]
pub struct IdPath<I>(pub I);

impl<S: Send + Sync, I: EntityId> FromRequestParts<S> for IdPath<I> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::BadRequest("The id in the path is not valid UTF-8 text.".into())
            })?;
        let type_name = <I::Entity as Entity>::set().layout().type_name;
        path_guid(&raw, type_name).map(|id| IdPath(I::from_uuid(id)))
    }
}

/// The caller and the profile of its tenant that the path names, read before anything else of
/// the request: the permission is checked (403), then the id (400), then that the profile
/// exists (404), all before a handler reads the body, so an unknown id is 404 whatever was sent.
/// Every handler of an existing profile that takes a body starts from it.
#[derive(Debug, Clone)]
pub struct ExistingProfile {
    /// Who asks, and for which tenant.
    pub caller: Principal,
    /// The profile as stored when the request arrived.
    pub profile: Profile,
}

impl FromRequestParts<super::AppState> for ExistingProfile {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::AppState,
    ) -> Result<Self, ApiError> {
        let caller = Principal::from_request_parts(parts, state).await?;
        let IdPath(id) = IdPath::<ProfileId>::from_request_parts(parts, state).await?;
        let profile = state.profiles.get(caller.tenant, id).await?;
        Ok(ExistingProfile { caller, profile })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_rules() {
        assert!(check_json_content_type(Some("application/json")).is_ok());
        assert!(check_json_content_type(Some("Application/JSON; charset=utf-8")).is_ok());
        assert!(check_json_content_type(Some("application/json;odata.metadata=minimal")).is_ok());
        assert!(check_json_content_type(Some("text/plain")).is_err());
        assert!(check_json_content_type(Some("application/json; charset=latin1")).is_err());
        assert!(check_json_content_type(None).is_err());
    }
}
