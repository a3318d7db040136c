//! `OData-MaxVersion` (OData 4.01 Part 1: Protocol, §8.2.7): a client names the highest OData
//! version whose responses it can read, and the service answers with the greatest version it
//! supports up to that one. This service speaks 4.0 only (every response says `OData-Version:
//! 4.0`), so a maximum of 4.0 or above is served as usual and one below 4.0 (an OData 1.0 to 3.0
//! client) is refused: 406 `NotAcceptable`, because the header negotiates the response as the
//! `Accept` headers do (§8.3.8 has responses that depend on it name it in `Vary`, as content
//! negotiation does). A value that is not a version (`DIGIT+ "." DIGIT+`, OData ABNF) is 400.
//! The layer sits where the response format is negotiated: after the token (401) and the
//! request limits (429), before the handlers (403 and the rest). docs/API.md, "OData
//! conventions".
//!
//! Hand-written: the check is a comparison of two numbers, smaller than any dependency.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::error::ApiError;

/// The one OData version the service speaks, as its responses' `OData-Version` header says.
pub const ODATA_VERSION: &str = "4.0";

/// The request header.
const MAX_VERSION: &str = "odata-maxversion";

/// Refuses requests under `/beta` whose `OData-MaxVersion` is below 4.0 (406) or malformed
/// (400); every other request passes unchanged.
pub async fn check_max_version(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/beta" && !path.starts_with("/beta/") {
        return next.run(req).await;
    }
    for value in req.headers().get_all(MAX_VERSION) {
        if let Err(e) = admits(value.to_str().unwrap_or("")) {
            return e.into_response();
        }
    }
    next.run(req).await
}

/// Whether a response of version 4.0 may answer a request with this `OData-MaxVersion`.
fn admits(value: &str) -> Result<(), ApiError> {
    let value = value.trim();
    let major = value
        .split_once('.')
        .filter(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
        .map(|(major, _)| major.trim_start_matches('0'));
    let Some(major) = major else {
        return Err(ApiError::BadRequest(format!(
            "The OData-MaxVersion header '{}' is not a version such as '{ODATA_VERSION}'.",
            crate::model::input::truncate(value, 20)
        )));
    };
    // Decimal comparison with 4.0: only the whole part decides (3.99 < 4.0 <= 4.01).
    if major.len() > 1 || major >= "4" {
        return Ok(());
    }
    Err(ApiError::NotAcceptable(format!(
        "The service answers with OData version {ODATA_VERSION} only, above the request's \
         OData-MaxVersion '{value}'. Send OData-MaxVersion: {ODATA_VERSION} or higher."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_four_pass_lower_ones_are_406_and_garbage_is_400() {
        for ok in ["4.0", "4.01", " 4.0 ", "04.0", "5.0", "10.0", "4.00"] {
            assert!(admits(ok).is_ok(), "{ok}");
        }
        for low in ["3.0", "2.0", "1.0", "0.9", "3.99", "00.1"] {
            let e = admits(low).unwrap_err();
            assert_eq!(e.status_and_code().1, "NotAcceptable", "{low}");
            assert!(e.to_string().contains(ODATA_VERSION), "{e}");
        }
        for bad in [
            "",
            "4",
            "four",
            "4.",
            ".0",
            "4.0;NetFx",
            "-4.0",
            "4.0.1",
            "4,0",
        ] {
            let e = admits(bad).unwrap_err();
            assert_eq!(e.status_and_code().1, "BadRequest", "{bad}");
        }
    }
}
