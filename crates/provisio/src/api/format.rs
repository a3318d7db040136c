//! Response formats (docs/API.md, Response formats): the JSON a request asks for, with `$format`
//! or `Accept` (OData 4.01 Protocol sections 8.2.1 and 11.2.11; JSON Format section 3), and how
//! much control information it wants (`odata.metadata`, JSON Format section 3.1). Everything the
//! service answers under `/beta` is JSON, except `$metadata` (XML) and `/$count` (plain text),
//! which this layer leaves alone; a request that accepts no JSON the service can write is 406
//! `NotAcceptable` (Protocol section 9.2.3) before its handler runs.
//!
//! Hand-written: the part of the `Accept` grammar (RFC 9110, section 12.5.1) needed here is a
//! comma-separated list of media ranges with `;`-separated parameters and a `q` weight, a few
//! dozen lines; the OData rules on top of it (which parameters a JSON range may carry, `$format`
//! overriding `Accept`) are the service's own either way.

use axum::extract::{FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::model::input::truncate;
use crate::model::output::Metadata;

/// The JSON a request asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Format {
    /// How much control information.
    pub metadata: Metadata,
    /// `IEEE754Compatible=true`: `Edm.Int64` numbers (here only `@odata.count`) as strings
    /// (JSON Format section 3.2).
    pub ieee754: bool,
}

impl Format {
    /// The `Content-Type` of a JSON body in this format.
    pub fn content_type(self) -> HeaderValue {
        if self == Format::default() {
            return HeaderValue::from_static(super::reply::ODATA_JSON);
        }
        let text = format!(
            "application/json;odata.metadata={};odata.streaming=true;IEEE754Compatible={};charset=utf-8",
            self.metadata.name(),
            self.ieee754
        );
        HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(super::reply::ODATA_JSON))
    }
}

/// The format of the request, as [`negotiate`] stored it (the default when it did not run).
impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Format>()
            .copied()
            .unwrap_or_default())
    }
}

/// Settles the format of every request under `/beta` that answers JSON, stores it for the
/// handler, or answers 406.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let json = (path == "/beta" || path.starts_with("/beta/"))
        && path != "/beta/$metadata"
        && !path.ends_with("/$count");
    if json {
        match choose(req.uri().query(), req.headers()) {
            Ok(format) => {
                req.extensions_mut().insert(format);
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

/// The format `$format` (which wins) or `Accept` asks for; no `Accept`, `*/*` and
/// `application/*` are the default (minimal metadata).
pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    if let Some(value) = query
        .map(|q| odata::option_value(q, "$format"))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .flatten()
    {
        if value.trim().eq_ignore_ascii_case("json") {
            return Ok(Format::default());
        }
        return match Range::parse(&value) {
            Some(range) if range.is_json() => range.format().map_err(|why| {
                not_acceptable(format!(
                    "$format '{}' cannot be served: {why}.",
                    truncate(&value, 100)
                ))
            }),
            _ => Err(not_acceptable(format!(
                "$format '{}' is not supported: this service answers JSON only ($format=json or \
                 $format=application/json with odata.metadata=minimal, full or none).",
                truncate(&value, 100)
            ))),
        };
    }
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    let accept = accept.join(",");
    if accept.trim().is_empty() {
        return Ok(Format::default());
    }
    let mut best: Option<(f32, u8, Format)> = None;
    let mut refused = None;
    for range in split_outside_quotes(&accept, ',').filter_map(Range::parse) {
        if range.q <= 0.0 {
            continue;
        }
        let (specific, format) = match (range.kind.as_str(), range.subtype.as_str()) {
            ("*", "*") | ("application", "*") => (0, Format::default()),
            _ if range.is_json() => match range.format() {
                Ok(format) => (1, format),
                Err(why) => {
                    refused.get_or_insert(why);
                    continue;
                }
            },
            _ => continue,
        };
        if best.is_none_or(|(q, s, _)| range.q > q || (range.q == q && specific > s)) {
            best = Some((range.q, specific, format));
        }
    }
    best.map(|(_, _, format)| format).ok_or_else(|| {
        let why = refused.map_or_else(
            || "names no JSON media type".to_owned(),
            |why| format!("asks for application/json, but {why}"),
        );
        not_acceptable(format!(
            "The Accept header '{}' {why}: this service answers application/json \
             (odata.metadata=minimal, full or none).",
            truncate(&accept, 100)
        ))
    })
}

fn not_acceptable(message: String) -> ApiError {
    ApiError::NotAcceptable(message)
}

/// One media range of `Accept` (or the value of `$format`): type, subtype (lower case), its
/// parameters other than `q` (names lower case), and its weight.
#[derive(Debug)]
struct Range {
    kind: String,
    subtype: String,
    params: Vec<(String, String)>,
    q: f32,
}

impl Range {
    /// `type/subtype;name=value;...`; `None` when it is no media range.
    fn parse(text: &str) -> Option<Range> {
        let mut parts = split_outside_quotes(text, ';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let token = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
        if !token(kind) || !token(subtype) {
            return None;
        }
        let mut range = Range {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: Vec::new(),
            q: 1.0,
        };
        for param in parts {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().trim_matches('"').to_owned();
            if name == "q" {
                range.q = value
                    .parse()
                    .ok()
                    .filter(|q: &f32| (0.0..=1.0).contains(q))?;
            } else if !name.is_empty() {
                range.params.push((name, value));
            }
        }
        Some(range)
    }

    fn is_json(&self) -> bool {
        self.kind == "application" && self.subtype == "json"
    }

    /// The format an `application/json` range asks for, or why the service cannot write it:
    /// OData's parameters (with or without the 4.0 `odata.` prefix) and `charset`, each with a
    /// value the service supports (Protocol section 8.2.1: unknown or unsupported format
    /// parameters are refused).
    fn format(&self) -> Result<Format, String> {
        let mut format = Format::default();
        for (name, value) in &self.params {
            let bare = name.strip_prefix("odata.").unwrap_or(name);
            let v = value.to_ascii_lowercase();
            let ok = match (bare, v.as_str()) {
                ("metadata", "minimal") => Some(Metadata::Minimal),
                ("metadata", "full") => Some(Metadata::Full),
                ("metadata", "none") => Some(Metadata::None),
                ("streaming" | "exponentialdecimals", "true" | "false") => None,
                ("ieee754compatible", "true" | "false") => {
                    format.ieee754 = v == "true";
                    None
                }
                ("charset", "utf-8" | "utf8") => None,
                _ => {
                    return Err(format!(
                        "its parameter '{}={}' is not supported",
                        truncate(name, 40),
                        truncate(value, 40)
                    ))
                }
            };
            if let Some(metadata) = ok {
                format.metadata = metadata;
            }
        }
        Ok(format)
    }
}

/// `text` split at `sep`, except inside double quotes.
fn split_outside_quotes(text: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut start = 0;
    let mut cuts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                cuts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    cuts.push(&text[start..]);
    cuts.into_iter().filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_accept(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn level(query: Option<&str>, accept: &[&str]) -> Result<Metadata, String> {
        choose(query, &with_accept(accept))
            .map(|f| f.metadata)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn json_and_its_wildcards_are_accepted_with_their_level() {
        assert_eq!(level(None, &[]), Ok(Metadata::Minimal));
        assert_eq!(level(None, &["*/*"]), Ok(Metadata::Minimal));
        assert_eq!(level(None, &["application/*"]), Ok(Metadata::Minimal));
        assert_eq!(
            level(None, &["application/json;odata.metadata=none"]),
            Ok(Metadata::None)
        );
        assert_eq!(
            level(None, &["Application/JSON; Metadata=FULL; charset=utf-8"]),
            Ok(Metadata::Full)
        );
        assert_eq!(
            level(
                None,
                &["application/xml", "application/json;odata.metadata=none"]
            ),
            Ok(Metadata::None)
        );
        // The highest weight wins; at equal weights the explicit JSON range.
        assert_eq!(
            level(
                None,
                &["application/json;odata.metadata=full;q=0.5, application/json;odata.metadata=none"]
            ),
            Ok(Metadata::None)
        );
        assert_eq!(
            level(None, &["*/*, application/json;odata.metadata=none"]),
            Ok(Metadata::None)
        );
        let ieee = choose(
            None,
            &with_accept(&["application/json;IEEE754Compatible=true"]),
        );
        assert!(ieee.unwrap().ieee754);
    }

    #[test]
    fn what_is_not_json_is_406() {
        for accept in [
            "application/xml",
            "application/atom+xml",
            "text/html, text/plain;q=0.9",
            "application/json;q=0",
            "application/json;odata=verbose",
            "application/json;odata.metadata=everything",
            "application/json;charset=latin1",
        ] {
            let e = choose(None, &with_accept(&[accept])).unwrap_err();
            assert!(matches!(e, ApiError::NotAcceptable(_)), "{accept}: {e}");
        }
        let e = level(None, &["application/json;odata=verbose"]).unwrap_err();
        assert!(e.contains("'odata=verbose' is not supported"), "{e}");
    }

    #[test]
    fn format_overrides_accept() {
        assert_eq!(
            level(Some("$format=json"), &["application/xml"]),
            Ok(Metadata::Minimal)
        );
        assert_eq!(level(Some("$format=JSON"), &[]), Ok(Metadata::Minimal));
        assert_eq!(
            level(Some("$format=application/json;odata.metadata=none"), &[]),
            Ok(Metadata::None)
        );
        assert_eq!(
            level(
                Some("%24format=application%2Fjson%3Bodata.metadata%3Dfull"),
                &[]
            ),
            Ok(Metadata::Full)
        );
        for bad in [
            "$format=xml",
            "$format=atom",
            "$format=application/xml",
            "$format=json;odata.metadata=none",
        ] {
            let e = level(Some(bad), &["application/json"]).unwrap_err();
            assert!(e.contains("$format"), "{bad}: {e}");
        }
    }

    #[test]
    fn quoted_parameters_and_odd_ranges() {
        assert_eq!(
            level(None, &["application/json;odata.metadata=\"none\""]),
            Ok(Metadata::None)
        );
        assert!(level(None, &["garbage"]).is_err());
        assert!(level(None, &["application/json;q=2"]).is_err());
    }
}
