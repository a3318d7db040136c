//! Extractors that reject with [`ApiError`], so a malformed request gets the same envelope as
//! any other failure: the JSON body and the profile id in the path.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::IntoResponse as _;
use serde_json::Value;

use crate::error::ApiError;
use crate::model::{input::truncate, json::parse_strict, ProfileId};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request body that must be JSON (`Content-Type: application/json`, any parameters, UTF-8),
/// parsed strictly: duplicate keys are refused. An empty body is `None`.
#[derive(Debug)]
pub struct JsonBody(pub Option<Value>);

impl JsonBody {
    /// The body, or a 400 when it is empty.
    pub fn required(self) -> Result<Value, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::BadRequest("The request body is empty; a JSON object is required.".into())
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.into_response().status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "The request body is larger than the limit of {MAX_BODY_BYTES} bytes."
                ))
            } else {
                ApiError::BadRequest("The request body could not be read.".into())
            }
        })?;
        if bytes.is_empty() {
            return Ok(JsonBody(None));
        }
        check_json_content_type(content_type.as_deref())?;
        let value = parse_strict(&bytes).map_err(ApiError::BadRequest)?;
        Ok(JsonBody(Some(value)))
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

/// The `{id}` of a profile path, percent-decoded and checked to be a GUID.
#[derive(Debug, Clone, Copy)]
pub struct ProfilePath(pub ProfileId);

impl<S: Send + Sync> FromRequestParts<S> for ProfilePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::BadRequest("The id in the path is not valid UTF-8 text.".into())
            })?;
        ProfileId::parse(&raw).map(ProfilePath).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "'{}' is not a valid androidDeviceOwnerEnrollmentProfile id; ids are GUIDs such as 8f1c2a4e-0000-4000-8000-00000000abcd.",
                truncate(&raw, 80)
            ))
        })
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
