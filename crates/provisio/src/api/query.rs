//! The OData query options of a request (docs/API.md, Queries): parsed and checked by the `odata` crate
//! against the entity's schema, then turned into what the store runs, with the signed keyset
//! position of `$skiptoken` and the `@odata.nextLink` of the next page.

use odata::{format_orderby, Limits, QueryOptions, Select};
use percent_encoding::percent_decode_str;

use super::paging::SkipTokens;
use super::routes::ROOT;
use crate::error::ApiError;
use crate::model::layout::Layout;
use crate::model::{Entity, Profile, Selection};
use crate::store::{Criteria, Cursor, ListQuery};

/// Default page size of a list.
pub const DEFAULT_PAGE: u32 = 100;

/// Parses a raw query string (without `?`). A malformed or unknown option is 400 with the
/// parser's message, which names the option and the position of the offending text; so is a
/// sealed member used other than for equality (the message names the member, not the value).
pub fn parse(raw: Option<&str>) -> Result<QueryOptions, ApiError> {
    parse_for::<Profile>(raw)
}

/// [`parse`] against the schema of `E`'s entity set.
pub fn parse_for<E: Entity>(raw: Option<&str>) -> Result<QueryOptions, ApiError> {
    let layout = E::set().layout();
    let raw = raw.unwrap_or("");
    // No stored value holds U+0000 (request bodies may not carry it), and PostgreSQL refuses it
    // even as a value to compare with.
    if percent_decode_str(raw).any(|b| b == 0) {
        return Err(ApiError::BadRequest(
            "The query contains the character U+0000 (%00), which no value may hold.".into(),
        ));
    }
    let options = odata::parse_query(raw, &layout.schema, &Limits::DEFAULT)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(filter) = &options.filter {
        crate::store::seal::check_filter(layout, filter).map_err(ApiError::BadRequest)?;
    }
    Ok(options)
}

/// The members a response shows: those `$select` names, or `default` without `$select`.
/// `$select=*` is every member, the QR image included.
pub fn selection(select: Option<&Select>, default: Selection) -> Selection {
    selection_in(Profile::set().layout(), select, default)
}

/// [`selection`] among the members of `layout`.
pub fn selection_in(layout: &Layout, select: Option<&Select>, default: Selection) -> Selection {
    match select {
        None => default,
        Some(Select::All) => Selection::All,
        Some(Select::Properties(props)) => {
            Selection::of_names(layout, props.iter().map(|p| p.name()))
        }
    }
}

/// A list request, ready for the store.
#[derive(Debug)]
pub struct ListRequest {
    /// What the store fetches: one row more than the page, to know whether more remain.
    pub query: ListQuery,
    /// The page size (`$top`, or [`DEFAULT_PAGE`]).
    pub page: u32,
    /// The members each entity shows.
    pub selection: Selection,
    /// Whether `@odata.count` was asked for.
    pub count: bool,
    /// What a skip token is bound to: the options that decide which rows come in which order.
    fingerprint: String,
    /// The collection's path, which next links start with.
    path: String,
}

impl ListRequest {
    /// Reads the options of a list. A `$skiptoken` must have been issued for the same
    /// `$filter`, `$orderby` and `$search` (400 otherwise); with one, `$skip` is not applied
    /// again (the token's position already lies past the skipped rows).
    pub fn new(opts: QueryOptions, tokens: &SkipTokens) -> Result<Self, ApiError> {
        Self::of::<Profile>(opts, tokens)
    }

    /// [`ListRequest::new`] for a list of `E`'s entity set.
    pub fn of<E: Entity>(opts: QueryOptions, tokens: &SkipTokens) -> Result<Self, ApiError> {
        let layout = E::set().layout();
        let fingerprint = serde_json::json!([
            opts.filter.as_ref().map(ToString::to_string),
            format_orderby(&opts.orderby),
            opts.search,
        ])
        .to_string();
        let after = match &opts.skiptoken {
            Some(token) => {
                let cursor: Cursor = tokens.decode(&fingerprint, token)?;
                if !cursor.fits(layout, &opts.orderby) {
                    return Err(SkipTokens::invalid());
                }
                Some(cursor)
            }
            None => None,
        };
        let page = opts.top.unwrap_or(DEFAULT_PAGE);
        let selection = selection_in(layout, opts.select.as_ref(), Selection::Listed);
        let include_unlisted = selection.includes_unlisted(layout);
        Ok(ListRequest {
            query: ListQuery {
                skip: if after.is_some() {
                    0
                } else {
                    opts.skip.unwrap_or(0)
                },
                after,
                criteria: Criteria {
                    filter: opts.filter,
                    search: opts.search,
                },
                order: opts.orderby,
                limit: page.saturating_add(1),
                include_unlisted,
            },
            page,
            selection,
            count: opts.count,
            fingerprint,
            path: format!("{ROOT}/{}", E::set().name),
        })
    }

    /// Cuts `rows` (fetched with [`ListRequest::query`]) to the page and returns the absolute
    /// link to the next page when more rows remain: the request's own query string with
    /// `$skiptoken` replaced by the position after the page's last row.
    /// `after` gives the position after a row.
    pub fn next_link<T>(
        &self,
        rows: &mut Vec<T>,
        after: impl FnOnce(&T) -> anyhow::Result<Cursor>,
        tokens: &SkipTokens,
        base: &str,
        raw_query: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        if rows.len() <= self.page as usize {
            return Ok(None);
        }
        rows.truncate(self.page as usize);
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        let cursor = after(last)?;
        let token = tokens.encode(&self.fingerprint, &cursor);
        Ok(Some(format!(
            "{base}{}?{}",
            self.path,
            with_skiptoken(raw_query, &token)
        )))
    }
}

/// The query string for the next page: every option as sent, with `$skiptoken` (in any of the
/// spellings the parser accepts) replaced.
pub fn with_skiptoken(raw: Option<&str>, token: &str) -> String {
    let mut kept: Vec<&str> = raw
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            let name = percent_decode_str(name).decode_utf8_lossy();
            let name = name.strip_prefix('$').unwrap_or(&name);
            !name.eq_ignore_ascii_case("skiptoken")
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
    fn next_query_replaces_skiptoken_in_every_spelling() {
        assert_eq!(
            with_skiptoken(Some("$top=2&%24skiptoken=old"), "new"),
            "$top=2&$skiptoken=new"
        );
        assert_eq!(
            with_skiptoken(Some("skipToken=old&$filter=a%20eq%201"), "t"),
            "$filter=a%20eq%201&$skiptoken=t"
        );
        assert_eq!(with_skiptoken(None, "t"), "$skiptoken=t");
    }

    #[test]
    fn parse_errors_are_bad_requests_naming_the_option() {
        let e = parse(Some("$filter=dispayName eq 'x'")).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, ApiError::BadRequest(_)));
        assert!(msg.contains("did you mean 'displayName'"), "{msg}");
        assert!(parse(Some("$expand=x")).is_err());
        assert!(parse(Some("%24TOP=5&foo=bar")).is_ok_and(|o| o.top == Some(5)));
    }

    #[test]
    fn select_names_members_in_response_order() {
        let opts = parse(Some("$select=displayName,id")).unwrap();
        let ix = |name| Profile::set().layout().member(name).unwrap();
        assert_eq!(
            selection(opts.select.as_ref(), Selection::All),
            Selection::Only(vec![ix("id"), ix("displayName")])
        );
    }
}
