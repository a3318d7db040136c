//! How responses are shaped and guarded (docs/API.md, Response formats; ETags and lost
//! updates): `$format` and `Accept` with the three metadata levels on every kind of JSON
//! response, on the store the suite runs against, and ETags that stop lost updates while
//! devices enroll and check in.

mod etags;
mod formats;

use reqwest::{Method, Response};
use serde_json::Value;

use crate::common::TestServer;

/// Sends a request of `s`'s client with extra headers and, when given, a JSON body.
pub async fn send(
    s: &TestServer,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Response {
    let mut req = s.client.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    req.send().await.expect("request")
}

/// The `ETag` header of a response.
pub fn etag_of(res: &Response) -> String {
    res.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag header")
        .to_owned()
}
