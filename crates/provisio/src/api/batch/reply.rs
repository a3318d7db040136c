//! The answers of a batch's requests as the batch response carries them: `id`, `status`,
//! `headers` and `body`, the body a JSON value when the answer is JSON (docs/API.md, JSON
//! batching).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::api::middleware::{envelope, RequestIds};
use crate::api::reply::ODATA_JSON;
use crate::error::{default_for_status, ErrorBody};

/// What one request of the batch got.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Its status.
    #[serde(serialize_with = "status_code")]
    pub status: StatusCode,
    /// Its headers, by the names Graph writes them with.
    pub headers: Map<String, Value>,
    /// Its body, when it has one: JSON as JSON, text as a string, anything else base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

fn status_code<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

/// Headers of an answer that the batch response leaves out: they describe the HTTP message,
/// which the batch's own carries.
const LEFT_OUT: [&str; 5] = [
    "content-length",
    "date",
    "connection",
    "transfer-encoding",
    "vary",
];

/// Header names as Graph writes them in batch responses; others keep the lower case HTTP/2
/// gives every name. The Graph JavaScript client looks for `Content-Type` in exactly this case.
const NAMES: [&str; 8] = [
    "Content-Type",
    "Location",
    "ETag",
    "Retry-After",
    "OData-Version",
    "Preference-Applied",
    "WWW-Authenticate",
    "Cache-Control",
];

fn header_name(lower: &str) -> String {
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(lower))
        .map_or_else(|| lower.to_owned(), |n| (*n).to_owned())
}

impl Outcome {
    /// The outcome of an answer the service gave.
    pub async fn of(res: Response) -> Outcome {
        let (parts, body) = res.into_parts();
        let mut headers = Map::new();
        for name in parts.headers.keys() {
            if LEFT_OUT.contains(&name.as_str()) {
                continue;
            }
            let values: Vec<&str> = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            headers.insert(header_name(name.as_str()), Value::from(values.join(", ")));
        }
        // The service's own answers are bounded ($top, the body limit); nothing fails to read.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let body = (!bytes.is_empty()).then(|| encode(&parts.headers, &bytes));
        Outcome {
            status: parts.status,
            headers,
            body,
        }
    }

    /// An error answered for a request of the batch without sending it: the Graph envelope
    /// with the code of `status` and fresh request ids.
    pub fn error(status: StatusCode, message: String, request_headers: &HeaderMap) -> Outcome {
        let ids = RequestIds::new(request_headers);
        let body = ErrorBody {
            code: default_for_status(status).code,
            message,
        };
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), Value::from("application/json"));
        headers.insert("request-id".into(), Value::from(ids.request_id.clone()));
        headers.insert(
            "client-request-id".into(),
            Value::from(ids.client_request_id.clone()),
        );
        Outcome {
            status,
            headers,
            body: serde_json::value::to_raw_value(&envelope(&body, &ids)).ok(),
        }
    }
}

/// A body as the batch response holds it: JSON as itself, text (`text/*`, XML) as a JSON
/// string, anything else as a base64 string, as Graph does for images.
fn encode(headers: &HeaderMap, bytes: &[u8]) -> Box<RawValue> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = essence == "application/json" || essence.ends_with("+json");
    if json {
        if let Ok(raw) = std::str::from_utf8(bytes)
            .map_err(|_| ())
            .and_then(|text| RawValue::from_string(text.to_owned()).map_err(|_| ()))
        {
            return raw;
        }
    }
    let textual = essence.starts_with("text/") || essence.ends_with("xml") || json;
    let string = match std::str::from_utf8(bytes) {
        Ok(text) if textual => Value::from(text),
        _ => Value::from(base64::engine::general_purpose::STANDARD.encode(bytes)),
    };
    // A string always serialises; `null` would stand in otherwise.
    serde_json::value::to_raw_value(&string).unwrap_or_default()
}

/// One entry of the batch response.
#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    #[serde(flatten)]
    outcome: &'a Outcome,
}

/// The batch response: 200 with `{"responses": [...]}` in the order the requests finished.
pub fn batch_response(done: &[(String, Outcome)]) -> Response {
    #[derive(Serialize)]
    struct Responses<'a> {
        responses: Vec<Entry<'a>>,
    }
    let responses = Responses {
        responses: done
            .iter()
            .map(|(id, outcome)| Entry { id, outcome })
            .collect(),
    };
    match serde_json::to_vec(&responses) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON))],
            Body::from(bytes),
        )
            .into_response(),
        Err(e) => crate::error::ApiError::Internal(e.into()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(content_type: &str, bytes: &[u8]) -> String {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        encode(&h, bytes).get().to_owned()
    }

    #[test]
    fn bodies_are_json_text_or_base64() {
        assert_eq!(encoded(ODATA_JSON, br#"{"a": [1]}"#), r#"{"a": [1]}"#);
        assert_eq!(encoded("text/plain;charset=utf-8", b"42"), r#""42""#);
        assert_eq!(encoded("application/xml", b"<a/>"), r#""<a/>""#);
        assert_eq!(encoded("image/png", b"\x89PNG"), r#""iVBORw==""#);
        assert_eq!(encoded("application/json", b"{broken"), r#""{broken""#);
        assert_eq!(header_name("content-type"), "Content-Type");
        assert_eq!(header_name("odata-version"), "OData-Version");
        assert_eq!(header_name("request-id"), "request-id");
    }
}
