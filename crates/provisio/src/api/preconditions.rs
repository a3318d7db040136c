//! `If-Match` (docs/API.md, ETags and lost updates): the entity tags a request names, read into
//! the versions they stand for ([`IfMatch`]). Tags compare weakly (a `W/` prefix is ignored), as
//! OData 4.01 Protocol section 8.2.4 asks of services whose weak ETags depend only on the
//! entity's state.

use axum::http::{header, HeaderMap};

use crate::error::ApiError;
use crate::model::input::truncate;
use crate::model::IfMatch;

/// The condition of a request's `If-Match` headers: none (no header, or `*`), or the versions
/// its tags name. A malformed header is 400.
pub fn if_match(headers: &HeaderMap) -> Result<IfMatch, ApiError> {
    let values: Vec<&str> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .collect();
    if values.is_empty() {
        return Ok(IfMatch::ANY);
    }
    let joined = values.join(",");
    let tags: Vec<&str> = joined
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags == ["*"] {
        return Ok(IfMatch::ANY);
    }
    let mut versions = Vec::with_capacity(tags.len());
    for tag in &tags {
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        let inner = opaque
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|t| !t.contains('"'));
        let Some(inner) = inner else {
            return Err(ApiError::BadRequest(format!(
                "If-Match '{}' is not a list of entity tags: send the entity's @odata.etag (or \
                 its ETag header) as it came, e.g. If-Match: W/\"3\", or * for any version.",
                truncate(&joined, 100)
            )));
        };
        // A tag that names no version of this service matches nothing.
        if let Ok(v) = inner.parse::<i64>() {
            versions.push(v);
        }
    }
    if versions.is_empty() && tags.is_empty() {
        return Err(ApiError::BadRequest(
            "If-Match is empty: send the entity's @odata.etag, or * for any version.".into(),
        ));
    }
    Ok(IfMatch::versions(versions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parse(values: &[&str]) -> Result<IfMatch, ApiError> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        }
        if_match(&h)
    }

    #[test]
    fn tags_become_versions_compared_weakly() {
        assert_eq!(parse(&[]).unwrap(), IfMatch::ANY);
        assert_eq!(parse(&["*"]).unwrap(), IfMatch::ANY);
        assert_eq!(parse(&["W/\"3\""]).unwrap(), IfMatch::versions(vec![3]));
        assert_eq!(parse(&["\"3\""]).unwrap(), IfMatch::versions(vec![3]));
        assert_eq!(
            parse(&["W/\"3\", \"5\"", "W/\"x\""]).unwrap(),
            IfMatch::versions(vec![3, 5])
        );
        // Another server's tag: a condition nothing meets.
        assert!(!parse(&["W/\"JzEtVGFzayAgQEBAQEBAQEBAQEBAQEBAWCc=\""])
            .unwrap()
            .allows(1));
    }

    #[test]
    fn malformed_headers_are_400() {
        for bad in ["3", "W/3", "\"3", "", "W/\"3\"\""] {
            let e = parse(&[bad]).unwrap_err();
            assert!(matches!(e, ApiError::BadRequest(_)), "{bad:?}: {e}");
        }
    }
}
