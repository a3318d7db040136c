//! Reading a `$batch` body into its steps (docs/API.md, JSON batching): the shape Graph
//! documents, checked whole before any request runs, so that a malformed batch changes nothing.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::model::input::truncate;

/// Most requests one batch may hold, as in Graph.
pub const MAX_REQUESTS: usize = 20;

/// Longest request id accepted, in characters.
const MAX_ID_CHARS: usize = 128;

/// The methods an inner request may use, as in Graph.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PATCH,
    Method::PUT,
    Method::DELETE,
];

/// Headers of an inner request that are not the client's to set: the token, the host and the
/// forwarding headers come from the outer request, the framing from the body.
const OUTER_HEADERS: [&str; 13] = [
    "authorization",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
];

/// One request of a batch, checked.
#[derive(Debug)]
pub struct Step {
    /// The client's id for it.
    pub id: String,
    /// Its method.
    pub method: Method,
    /// Its `url`, as sent (checked when it runs, see [`super::target`]).
    pub url: String,
    /// Its headers, less those in [`OUTER_HEADERS`].
    pub headers: HeaderMap,
    /// Its body as bytes: JSON written out, or a base64 string decoded.
    pub body: Option<Bytes>,
    /// The positions of the steps it depends on.
    pub depends_on: Vec<usize>,
}

fn bad(message: String) -> ApiError {
    ApiError::BadRequest(message)
}

/// The steps of a batch body, or a 400 naming what is wrong.
pub fn steps(body: &Value) -> Result<Vec<Step>, ApiError> {
    let top = body
        .as_object()
        .ok_or_else(|| bad("The batch must be a JSON object with a 'requests' array.".into()))?;
    if let Some(other) = top.keys().find(|k| *k != "requests") {
        return Err(bad(format!(
            "The batch has the member '{}'; only 'requests' is accepted.",
            truncate(other, 64)
        )));
    }
    let requests = match top.get("requests") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad("The batch's 'requests' must be an array.".into())),
        None => return Err(bad("The batch has no 'requests' array.".into())),
    };
    if requests.is_empty() {
        return Err(bad("The batch's 'requests' array is empty.".into()));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(bad(format!(
            "The batch holds {} requests; at most {MAX_REQUESTS} are accepted.",
            requests.len()
        )));
    }
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for (i, item) in requests.iter().enumerate() {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && id.chars().count() <= MAX_ID_CHARS)
            .ok_or_else(|| {
                bad(format!(
                    "Request {i} of the batch has no 'id': each request needs a string of 1 to {MAX_ID_CHARS} characters."
                ))
            })?;
        if positions.insert(id, i).is_some() {
            return Err(bad(format!(
                "The id '{}' is used by more than one request of the batch.",
                truncate(id, 64)
            )));
        }
    }
    let steps = requests
        .iter()
        .map(|item| step(item, &positions))
        .collect::<Result<Vec<_>, _>>()?;
    check_acyclic(&steps)?;
    Ok(steps)
}

fn step(item: &Value, positions: &HashMap<&str, usize>) -> Result<Step, ApiError> {
    let fields = item
        .as_object()
        .ok_or_else(|| bad("Each request of the batch must be a JSON object.".into()))?;
    let id = fields.get("id").and_then(Value::as_str).unwrap_or_default();
    let shown = truncate(id, 64);
    let known = ["id", "method", "url", "headers", "body", "dependsOn"];
    if let Some(other) = fields.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!(
            "Request '{shown}' has the member '{}'; a request has only {}.",
            truncate(other, 64),
            known.join(", ")
        )));
    }
    let method = fields
        .get("method")
        .and_then(Value::as_str)
        .and_then(|m| METHODS.iter().find(|k| k.as_str().eq_ignore_ascii_case(m)))
        .cloned()
        .ok_or_else(|| {
            bad(format!(
                "Request '{shown}' needs a 'method': one of GET, POST, PATCH, PUT, DELETE."
            ))
        })?;
    let url = fields
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            bad(format!(
                "Request '{shown}' needs a 'url' relative to the version, such as '/deviceManagement/androidDeviceOwnerEnrollmentProfiles'."
            ))
        })?
        .to_owned();
    let headers = headers(fields, &shown)?;
    let body = body(fields, &headers, &shown)?;
    let depends_on = depends_on(fields, positions, &shown)?;
    Ok(Step {
        id: id.to_owned(),
        method,
        url,
        headers,
        body,
        depends_on,
    })
}

fn headers(fields: &Map<String, Value>, shown: &str) -> Result<HeaderMap, ApiError> {
    let map = match fields.get("headers") {
        None | Some(Value::Null) => return Ok(HeaderMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(bad(format!(
                "The 'headers' of request '{shown}' must be an object of header names and string values."
            )))
        }
    };
    let mut out = HeaderMap::with_capacity(map.len());
    for (name, value) in map {
        let parsed_name = HeaderName::from_bytes(name.as_bytes()).ok();
        let parsed_value = value.as_str().and_then(|v| HeaderValue::from_str(v).ok());
        let (Some(name), Some(value)) = (parsed_name, parsed_value) else {
            return Err(bad(format!(
                "The header '{}' of request '{shown}' is not a valid header name with a string value.",
                truncate(name, 64)
            )));
        };
        if !OUTER_HEADERS.contains(&name.as_str()) {
            out.append(name, value);
        }
    }
    Ok(out)
}

fn body(
    fields: &Map<String, Value>,
    headers: &HeaderMap,
    shown: &str,
) -> Result<Option<Bytes>, ApiError> {
    let body = match fields.get("body") {
        None | Some(Value::Null) => return Ok(None),
        Some(body) => body,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or_default().to_ascii_lowercase())
        .ok_or_else(|| {
            bad(format!(
                "Request '{shown}' has a body but no Content-Type header; add \"headers\": {{\"Content-Type\": \"application/json\"}}."
            ))
        })?;
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let json = essence == "application/json" || essence.ends_with("+json");
    match body {
        Value::String(text) if !json => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(|bytes| Some(Bytes::from(bytes)))
            .map_err(|_| {
                bad(format!(
                    "The body of request '{shown}' is a string sent as '{}', so it must be base64.",
                    truncate(essence, 64)
                ))
            }),
        other => Ok(Some(Bytes::from(other.to_string()))),
    }
}

fn depends_on(
    fields: &Map<String, Value>,
    positions: &HashMap<&str, usize>,
    shown: &str,
) -> Result<Vec<usize>, ApiError> {
    let ids = match fields.get("dependsOn") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(ids)) => ids,
        Some(_) => {
            return Err(bad(format!(
                "The 'dependsOn' of request '{shown}' must be an array of request ids."
            )))
        }
    };
    ids.iter()
        .map(|id| {
            let id = id.as_str().ok_or_else(|| {
                bad(format!(
                    "The 'dependsOn' of request '{shown}' must hold request ids (strings)."
                ))
            })?;
            positions.get(id).copied().ok_or_else(|| {
                bad(format!(
                    "Request '{shown}' depends on '{}', which is no request of the batch.",
                    truncate(id, 64)
                ))
            })
        })
        .collect()
}

/// Refuses a batch whose `dependsOn` goes round in a circle (a request depending on itself
/// included): its requests could never run.
fn check_acyclic(steps: &[Step]) -> Result<(), ApiError> {
    // Kahn's algorithm: whatever is never freed lies on or behind a cycle.
    let mut waiting: Vec<usize> = steps.iter().map(|s| s.depends_on.len()).collect();
    let mut ready: Vec<usize> = (0..steps.len()).filter(|&i| waiting[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        for (j, step) in steps.iter().enumerate() {
            for _ in step.depends_on.iter().filter(|&&d| d == i) {
                waiting[j] -= 1;
                if waiting[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    if done == steps.len() {
        return Ok(());
    }
    let stuck = (0..steps.len()).find(|&i| waiting[i] > 0).unwrap_or(0);
    Err(bad(format!(
        "The 'dependsOn' of the batch's requests form a cycle, so request '{}' could never run.",
        truncate(&steps[stuck].id, 64)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(body: Value) -> String {
        match steps(&body) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    fn get(id: &str, deps: &[&str]) -> Value {
        json!({"id": id, "method": "GET", "url": "/deviceManagement/managedDevices", "dependsOn": deps})
    }

    #[test]
    fn reads_the_documented_shape() {
        let steps = steps(&json!({"requests": [
            get("1", &[]),
            {"id": "2", "method": "post", "url": "/x", "dependsOn": ["1"],
             "headers": {"Content-Type": "application/json", "Authorization": "Bearer other", "Prefer": "return=minimal"},
             "body": {"displayName": "A"}},
            {"id": "3", "method": "PUT", "url": "/y", "headers": {"content-type": "image/png"}, "body": "iVBORw=="},
        ]}))
        .unwrap();
        assert_eq!(steps[1].method, Method::POST);
        assert_eq!(steps[1].depends_on, [0]);
        let names: Vec<_> = steps[1].headers.keys().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "prefer"],
            "the inner token is dropped"
        );
        assert_eq!(
            steps[1].body.as_deref(),
            Some(&br#"{"displayName":"A"}"#[..])
        );
        assert_eq!(steps[2].body.as_deref(), Some(&b"\x89PNG"[..]));
    }

    #[test]
    fn refuses_malformed_batches_naming_the_fault() {
        let many: Vec<Value> = (0..21).map(|i| get(&i.to_string(), &[])).collect();
        assert!(message(json!({"requests": many})).contains("21 requests"));
        assert!(message(json!([])).contains("JSON object"));
        assert!(message(json!({"requests": []})).contains("empty"));
        assert!(message(json!({"requests": [get("1", &[]), get("1", &[])]})).contains("'1'"));
        assert!(message(json!({"requests": [get("1", &["9"])]})).contains("'9'"));
        assert!(message(json!({"requests": [get("1", &["1"])]})).contains("cycle"));
        let cycle = json!({"requests": [get("a", &["c"]), get("b", &["a"]), get("c", &["b"]), get("d", &[])]});
        assert!(message(cycle).contains("cycle"));
        let no_type = json!({"requests": [{"id": "1", "method": "POST", "url": "/x", "body": {}}]});
        assert!(message(no_type).contains("Content-Type"));
        let method = json!({"requests": [{"id": "1", "method": "TRACE", "url": "/x"}]});
        assert!(message(method).contains("'method'"));
        let extra = json!({"requests": [get("1", &[])], "atomicityGroup": "g"});
        assert!(message(extra).contains("atomicityGroup"));
        let header = json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": {"a b": "c"}}]});
        assert!(message(header).contains("'a b'"));
        let not_base64 = json!({"requests": [{"id": "1", "method": "PUT", "url": "/x", "headers": {"Content-Type": "text/plain"}, "body": "%%"}]});
        assert!(message(not_base64).contains("base64"));
    }

    #[test]
    fn a_diamond_is_no_cycle() {
        let diamond = json!({"requests": [get("a", &[]), get("b", &["a"]), get("c", &["a"]), get("d", &["b", "c"])]});
        assert_eq!(steps(&diamond).unwrap()[3].depends_on, [1, 2]);
    }
}
