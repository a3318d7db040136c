//! The service's own limits on a request head, refused with the Graph envelope: more than
//! [`MAX_HEADERS`] header fields or [`MAX_HEADER_BYTES`] of them is 431, a request target longer
//! than [`MAX_TARGET_BYTES`] is 414.
//!
//! The HTTP library refuses heads too, but without a body (it writes a bare status line and
//! closes). Its limits are set well above these (`crate::net`), so that its refusals are left to
//! heads far past anything a client sends by mistake.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::error::ApiError;

/// Most header fields a request may have (HTTP/2 pseudo-headers not counted).
pub const MAX_HEADERS: usize = 100;
/// Most bytes of header fields a request may have, counted as HTTP/1.1 writes them
/// (`name: value` and a line end).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Longest request target (path and query) in bytes: twice the longest query option value
/// (16 KiB), so that a too-long option is named by the query's own 400.
pub const MAX_TARGET_BYTES: usize = 32 * 1024;

/// Refuses a request whose head is over the service's limits; passes the others on.
pub async fn check(req: Request, next: Next) -> Response {
    match refusal(&req) {
        Some(err) => err.into_response(),
        None => next.run(req).await,
    }
}

fn refusal(req: &Request) -> Option<ApiError> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Some(ApiError::UriTooLong(format!(
            "The request target is {target} bytes long; at most {MAX_TARGET_BYTES} are accepted."
        )));
    }
    let headers = req.headers();
    if headers.len() > MAX_HEADERS {
        return Some(ApiError::HeaderFieldsTooLarge(format!(
            "The request has {} header fields; at most {MAX_HEADERS} are accepted.",
            headers.len()
        )));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if bytes > MAX_HEADER_BYTES {
        return Some(ApiError::HeaderFieldsTooLarge(format!(
            "The request's header fields are {bytes} bytes long; at most {MAX_HEADER_BYTES} are accepted."
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;

    fn request(target: &str, headers: &[(String, String)]) -> Request {
        let mut b = Request::builder().uri(target);
        for (name, value) in headers {
            b = b.header(name, value);
        }
        b.body(Body::empty()).unwrap()
    }

    fn status(req: &Request) -> Option<StatusCode> {
        refusal(req).map(|e| e.status())
    }

    #[test]
    fn refuses_heads_over_each_limit_and_passes_those_at_it() {
        let at_limit = format!("/{}", "a".repeat(MAX_TARGET_BYTES - 1));
        assert_eq!(status(&request(&at_limit, &[])), None);
        let over = format!("{at_limit}b");
        assert_eq!(status(&request(&over, &[])), Some(StatusCode::URI_TOO_LONG));

        let many = |n: usize| -> Vec<(String, String)> {
            (0..n).map(|i| (format!("x-h{i}"), "v".into())).collect()
        };
        assert_eq!(status(&request("/", &many(MAX_HEADERS))), None);
        assert_eq!(
            status(&request("/", &many(MAX_HEADERS + 1))),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let big = |len: usize| vec![("x-big".to_owned(), "v".repeat(len))];
        let fits = MAX_HEADER_BYTES - "x-big".len() - 4;
        assert_eq!(status(&request("/", &big(fits))), None);
        assert_eq!(
            status(&request("/", &big(fits + 1))),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
    }
}
