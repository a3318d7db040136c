//! The entry points: [`parse_query`] reads a whole raw query string into [`QueryOptions`];
//! [`parse_filter`] reads one `$filter` value. Also the scalar options (`$top`, `$skip`,
//! `$count`, `$search`, `$skiptoken`) and [`QueryOptions::to_query_string`].

use crate::ast::{Filter, OrderBy, Select};
use crate::display::format_orderby;
use crate::error::{ErrorKind, QueryError};
use crate::list::{parse_orderby, parse_select};
use crate::percent::{decode, encode};
use crate::schema::Schema;

/// Bounds that keep parsing cheap and the service's queries sane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest `$top` accepted (the service's is 1000: docs/API.md, Queries).
    pub max_top: u32,
    /// The deepest nesting accepted in `$filter`: parentheses, `not`, function, `in` and
    /// `any` arguments each count one level, and so does each level of the resulting AST.
    pub max_depth: usize,
    /// The longest option value accepted, in bytes after percent-decoding.
    pub max_value_len: usize,
    /// The most conditions a `$filter` may hold: comparisons, `eq null` tests, function calls,
    /// each value of an `in (...)` list, and each condition inside (or a bare) `any()`. Each one
    /// is work for the database on every row it considers, so a query of thousands of them
    /// could hold a reader for seconds.
    pub max_conditions: usize,
}

impl Limits {
    /// `max_top` 1000, `max_depth` 100, `max_value_len` 16 KiB, `max_conditions` 100.
    pub const DEFAULT: Limits = Limits {
        max_top: 1000,
        max_depth: 100,
        max_value_len: 16 * 1024,
        max_conditions: 100,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Every OData option of a request, parsed and checked. Absent options are `None` (or empty /
/// `false`); defaults such as the page size are the service's to apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryOptions {
    /// `$filter`.
    pub filter: Option<Filter>,
    /// `$select`.
    pub select: Option<Select>,
    /// `$orderby` items, in order; empty when absent.
    pub orderby: Vec<OrderBy>,
    /// `$top`, within `0..=max_top` (0 asks for no entities, only `@odata.count`).
    pub top: Option<u32>,
    /// `$skip`, within `0..=i64::MAX`.
    pub skip: Option<u64>,
    /// `$skiptoken`, decoded but otherwise untouched (opaque; the service validates it).
    pub skiptoken: Option<String>,
    /// `$count=true`.
    pub count: bool,
    /// `$search` text with its quotes removed (and `\"`, `\\` unescaped).
    pub search: Option<String>,
}

impl QueryOptions {
    /// The options as a query string (without `?`), names with a literal `$`, in alphabetical
    /// order, values percent-encoded (`+` as `%2B`). Parsing it gives back equal options.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut add = |name: &str, value: String| parts.push(format!("${name}={}", encode(&value)));
        if self.count {
            add("count", "true".into());
        }
        if let Some(filter) = &self.filter {
            add("filter", filter.to_string());
        }
        if !self.orderby.is_empty() {
            add("orderby", format_orderby(&self.orderby));
        }
        if let Some(search) = &self.search {
            add(
                "search",
                format!("\"{}\"", search.replace('\\', "\\\\").replace('"', "\\\"")),
            );
        }
        if let Some(select) = &self.select {
            add("select", select.to_string());
        }
        if let Some(skip) = self.skip {
            add("skip", skip.to_string());
        }
        if let Some(token) = &self.skiptoken {
            add("skiptoken", token.clone());
        }
        if let Some(top) = self.top {
            add("top", top.to_string());
        }
        parts.join("&")
    }
}

/// The options this crate reads, by canonical name. `$format` is only recognised (a service
/// reads its value with [`option_value`] before it parses the rest).
const KNOWN: [&str; 10] = [
    "$filter",
    "$select",
    "$orderby",
    "$top",
    "$skip",
    "$skiptoken",
    "$count",
    "$search",
    "$expand",
    "$format",
];

/// Parses a `$filter` value (already percent-decoded) against `schema`.
pub fn parse_filter(value: &str, schema: &Schema, limits: &Limits) -> Result<Filter, QueryError> {
    check_length("$filter", value, limits)?;
    let expr = crate::parser::parse(value, limits.max_depth)?;
    crate::check::check(&expr, schema, limits)
}

fn check_length(option: &str, value: &str, limits: &Limits) -> Result<(), QueryError> {
    if value.len() > limits.max_value_len {
        return Err(QueryError::whole(
            ErrorKind::Limit,
            option,
            format!("the value is longer than {} bytes", limits.max_value_len),
        ));
    }
    Ok(())
}

/// Parses the raw query string of a request (the part after `?`; a leading `?` is skipped).
///
/// Names are case-insensitive and may carry a literal `$`, a `%24`, or no `$` at all (as
/// Graph's beta endpoint allows); values are percent-decoded strictly, with `+` a literal plus.
/// Parameters that are not OData options and have no `$` are ignored; an unknown `$` option, a
/// repeated option or `$expand` is an error.
pub fn parse_query(
    raw: &str,
    schema: &Schema,
    limits: &Limits,
) -> Result<QueryOptions, QueryError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = QueryOptions::default();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let Some(option) = option_name(raw_name)? else {
            continue;
        };
        if seen.contains(&option) {
            return Err(QueryError::whole(
                ErrorKind::Option,
                option,
                "the option appears more than once",
            ));
        }
        seen.push(option);
        let value = decode(raw_value).map_err(|(pos, message)| {
            QueryError::new(ErrorKind::Encoding, option, pos, message)
                .with_hint("percent-encode the value as UTF-8 (%XX)")
        })?;
        check_length(option, &value, limits)?;
        match option {
            "$filter" => out.filter = Some(parse_filter(&value, schema, limits)?),
            "$select" => out.select = Some(parse_select(&value, schema)?),
            "$orderby" => out.orderby = parse_orderby(&value, schema)?,
            "$top" => out.top = Some(parse_top(&value, limits)?),
            "$skip" => out.skip = Some(parse_skip(&value)?),
            "$skiptoken" if value.is_empty() => {
                return Err(QueryError::new(
                    ErrorKind::Syntax,
                    option,
                    0,
                    "expected a skip token",
                ));
            }
            "$skiptoken" => out.skiptoken = Some(value),
            "$count" => out.count = parse_count(&value)?,
            "$search" => out.search = Some(parse_search(&value)?),
            "$format" => {}
            _ => {
                return Err(QueryError::whole(
                    ErrorKind::Unsupported,
                    option,
                    "the entity has no navigation properties to expand",
                ));
            }
        }
    }
    Ok(out)
}

/// The percent-decoded value of the option `name` (canonical, e.g. `$format`) in a raw query
/// string, under the same name rules as [`parse_query`] (any case, `$`, `%24` or no `$`);
/// `None` when absent. Other options are not checked.
pub fn option_value(raw: &str, name: &str) -> Result<Option<String>, QueryError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
        if matches!(option_name(raw_name), Ok(Some(option)) if option == name) {
            return decode(raw_value).map(Some).map_err(|(pos, message)| {
                QueryError::new(ErrorKind::Encoding, name, pos, message)
                    .with_hint("percent-encode the value as UTF-8 (%XX)")
            });
        }
    }
    Ok(None)
}

/// The canonical name of an OData option, `None` for a parameter to ignore.
fn option_name(raw_name: &str) -> Result<Option<&'static str>, QueryError> {
    let dollar = raw_name.starts_with('$')
        || raw_name
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("%24"));
    let name = match decode(raw_name) {
        Ok(name) => name.to_ascii_lowercase(),
        Err(_) if !dollar => return Ok(None),
        Err((pos, message)) => {
            return Err(QueryError::new(
                ErrorKind::Encoding,
                raw_name,
                pos,
                format!("in the option name: {message}"),
            ));
        }
    };
    let bare = name.strip_prefix('$').unwrap_or(&name);
    if let Some(known) = KNOWN.iter().find(|k| &k[1..] == bare) {
        return Ok(Some(known));
    }
    if !name.starts_with('$') {
        return Ok(None);
    }
    Err(
        QueryError::whole(ErrorKind::Option, &name, "unknown system query option").with_hint(
            "supported: $filter, $select, $orderby, $top, $skip, $skiptoken, $count, $search, $format",
        ),
    )
}

fn parse_top(value: &str, limits: &Limits) -> Result<u32, QueryError> {
    let range = format!("$top must be between 0 and {}", limits.max_top);
    let n = parse_integer("$top", value, &range)?;
    if n > u64::from(limits.max_top) {
        return Err(QueryError::new(
            ErrorKind::Limit,
            "$top",
            0,
            format!("{range}, not {}", value.trim()),
        ));
    }
    u32::try_from(n).map_err(|_| QueryError::new(ErrorKind::Limit, "$top", 0, range))
}

fn parse_skip(value: &str) -> Result<u64, QueryError> {
    let range = "$skip must be between 0 and 9223372036854775807";
    let n = parse_integer("$skip", value, range)?;
    if n > i64::MAX as u64 {
        return Err(QueryError::new(ErrorKind::Limit, "$skip", 0, range));
    }
    Ok(n)
}

/// A non-negative decimal integer (surrounding whitespace allowed); out of `u64` range is
/// reported with `range`.
fn parse_integer(option: &str, value: &str, range: &str) -> Result<u64, QueryError> {
    let t = value.trim();
    let lead = value.len() - value.trim_start().len();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QueryError::new(
            ErrorKind::Syntax,
            option,
            lead,
            format!("expected a whole number, found '{t}'"),
        ));
    }
    if t.starts_with('-') {
        return Err(QueryError::new(
            ErrorKind::Limit,
            option,
            lead,
            format!("{range}, not {t}"),
        ));
    }
    t.parse::<u64>()
        .map_err(|_| QueryError::new(ErrorKind::Limit, option, lead, format!("{range}, not {t}")))
}

fn parse_count(value: &str) -> Result<bool, QueryError> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        v => Err(QueryError::new(
            ErrorKind::Syntax,
            "$count",
            0,
            format!("expected true or false, found '{v}'"),
        )),
    }
}

/// `"quoted text"` (with `\"` and `\\` escapes) or bare text; never empty.
fn parse_search(value: &str) -> Result<String, QueryError> {
    let err =
        |pos: usize, message: &str| QueryError::new(ErrorKind::Syntax, "$search", pos, message);
    let t = value.trim();
    let lead = value.len() - value.trim_start().len();
    let Some(inner) = t.strip_prefix('"') else {
        if t.is_empty() {
            return Err(err(0, "expected search text"));
        }
        return Ok(t.to_owned());
    };
    let mut out = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => out.push(e),
                _ => return Err(err(lead + 1 + i, "'\\' must be followed by '\"' or '\\'")),
            },
            '"' if i + 1 == inner.len() => {
                if out.is_empty() {
                    return Err(err(lead, "expected search text between the quotes"));
                }
                return Ok(out);
            }
            '"' => {
                return Err(err(
                    lead + 1 + i,
                    "unexpected '\"' inside the search phrase",
                ))
            }
            c => out.push(c),
        }
    }
    Err(err(lead, "unterminated search phrase").with_hint("close the phrase with \""))
}
