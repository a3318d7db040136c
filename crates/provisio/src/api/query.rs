//! The query string of a list request: option names in any case, with a literal or encoded `$`;
//! values percent-decoded with `+` kept as a plus.

use percent_encoding::percent_decode_str;

use crate::error::ApiError;
use crate::model::input::truncate;

/// Default page size of a list.
pub const DEFAULT_PAGE: u32 = 100;
/// Largest `$top`.
pub const MAX_TOP: u32 = 1000;

/// The query options a list understands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// `$top`: the page size asked for.
    pub top: Option<u32>,
    /// `$skiptoken`: where the page starts.
    pub skiptoken: Option<String>,
}

/// Splits a raw query string into (name, value) pairs, names as sent and values decoded.
pub fn pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    ApiError::BadRequest(format!(
                        "The query option '{}' is not valid percent-encoded UTF-8.",
                        truncate(name, 40)
                    ))
                })
        };
        out.push((decode(name)?, decode(value)?));
    }
    Ok(out)
}

/// Reads the options of a list request.
pub fn list_options(raw: Option<&str>) -> Result<ListOptions, ApiError> {
    let mut opts = ListOptions::default();
    for (name, value) in pairs(raw.unwrap_or(""))? {
        let Some(option) = name.strip_prefix('$') else {
            continue;
        };
        match option.to_ascii_lowercase().as_str() {
            "top" => {
                if opts.top.is_some() {
                    return Err(ApiError::BadRequest(
                        "The query option '$top' is given more than once.".into(),
                    ));
                }
                let top = value.trim().parse::<u32>().ok().filter(|t| (1..=MAX_TOP).contains(t)).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "The value '{}' of $top is not valid; use a whole number from 1 to {MAX_TOP}.",
                        truncate(&value, 40)
                    ))
                })?;
                opts.top = Some(top);
            }
            "skiptoken" => opts.skiptoken = Some(value),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "The query option '${}' is not supported.",
                    truncate(option, 40)
                )))
            }
        }
    }
    Ok(opts)
}

/// The query string for the next page: every option as sent, with `$skiptoken` replaced.
pub fn with_skiptoken(raw: Option<&str>, token: &str) -> String {
    let mut kept: Vec<&str> = raw
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            let name = percent_decode_str(name).decode_utf8_lossy();
            !name.eq_ignore_ascii_case("$skiptoken")
        })
        .collect();
    let last = format!("$skiptoken={token}");
    kept.push(&last);
    kept.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_any_case_and_encoded_dollar() {
        let o = list_options(Some("%24TOP=5&$SkipToken=abc&foo=bar")).unwrap();
        assert_eq!(
            o,
            ListOptions {
                top: Some(5),
                skiptoken: Some("abc".into())
            }
        );
        for bad in [
            "$top=0",
            "$top=1001",
            "$top=-1",
            "$top=x",
            "$top=1&$top=2",
            "$bogus=1",
            "$top=%ff",
        ] {
            assert!(list_options(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn plus_is_literal() {
        assert_eq!(
            pairs("a=x+y%2Bz").unwrap(),
            vec![("a".to_owned(), "x+y+z".to_owned())]
        );
    }

    #[test]
    fn next_query_replaces_skiptoken() {
        assert_eq!(
            with_skiptoken(Some("$top=2&%24skiptoken=old"), "new"),
            "$top=2&$skiptoken=new"
        );
        assert_eq!(with_skiptoken(None, "t"), "$skiptoken=t");
    }
}
