//! Snapshots of the SQL and bound values the compiler writes for each dialect. A change here is
//! a change in what the databases run: review the diff.

use super::*;
use crate::model::{Entity as _, Profile, ProfileId, TenantId};
use uuid::Uuid;

fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(0x1111))
}

fn layout() -> &'static Layout {
    Profile::set().layout()
}

fn parse(raw: &str) -> odata::QueryOptions {
    odata::parse_query(raw, &layout().schema, &odata::Limits::DEFAULT).expect("valid query")
}

fn list_query(raw: &str, after: Option<Cursor>) -> ListQuery {
    let o = parse(raw);
    ListQuery {
        criteria: Criteria {
            filter: o.filter,
            search: o.search,
        },
        order: o.orderby,
        after,
        skip: o.skip.unwrap_or(0),
        limit: o.top.unwrap_or(100) + 1,
        include_unlisted: false,
    }
}

/// Both dialects' SQL and values; the long column list of a page's `SELECT` is shortened to
/// `SELECT <columns>` (one snapshot keeps it whole).
fn both(f: impl Fn(Dialect) -> Compiled) -> String {
    let mut out = String::new();
    for (name, d) in [("sqlite", Dialect::Sqlite), ("postgres", Dialect::Postgres)] {
        let c = f(d);
        let sql = match c.sql.split_once(" FROM \"enrollment_profiles\" ") {
            Some((cols, rest)) if cols.contains("display_name_key") => {
                format!("SELECT <columns> FROM \"enrollment_profiles\" {rest}")
            }
            _ => c.sql.clone(),
        };
        out.push_str(&format!("-- {name}\n{sql}\n{:?}\n", c.values.0));
    }
    out
}

fn full(f: impl Fn(Dialect) -> Compiled) -> String {
    let c = f(Dialect::Sqlite);
    format!("{}\n{:?}\n", c.sql, c.values.0)
}

fn page(raw: &str, after: Option<Cursor>) -> String {
    let q = list_query(raw, after);
    both(|d| select(layout(), tenant(), &q, d).expect("compiles"))
}

fn text(s: &str) -> KeyValue {
    KeyValue::Text(s.into())
}

const ID: &str = "0000000a-0000-4000-8000-000000000001";

#[test]
fn first_page_without_options() {
    insta::assert_snapshot!(page("", None));
}

#[test]
fn strings_compare_lower_cased() {
    insta::assert_snapshot!(page(
        "$filter=displayName eq 'ÉCOLE' and accountId eq 'ABC'",
        None
    ));
}

#[test]
fn startswith_is_an_index_range_and_like_escapes_wildcards() {
    insta::assert_snapshot!(page(
        "$filter=startswith(displayName,'Kiosk%25_') or endswith(description,'50%25') or contains(wifiSsid,'a_b\\c')",
        None
    ));
}

#[test]
fn negation_is_pushed_down_with_null_rules() {
    insta::assert_snapshot!(page(
        "$filter=not (description eq 'x' and enrolledDeviceCount gt 3) and description ne 'y'",
        None
    ));
}

#[test]
fn negated_functions_and_in_include_nulls() {
    insta::assert_snapshot!(page(
        "$filter=not startswith(description,'a') and not (wifiSsid in ('n1','N2')) and description ne null",
        None
    ));
}

#[test]
fn enums_dates_booleans_and_ascii_lowered_columns() {
    insta::assert_snapshot!(page(
        "$filter=enrollmentMode in ('corporateOwnedFullyManaged', microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedWorkProfile') and createdDateTime ge 2026-01-01T00:00:00+01:00 and configureWifi eq false and tokenValue ne null and wifiSsid eq 'AbC'",
        None
    ));
}

#[test]
fn any_walks_the_lower_cased_tags() {
    insta::assert_snapshot!(page(
        "$filter=roleScopeTagIds/any(t: t eq 'Tag' or startswith(t,'É')) and not roleScopeTagIds/any()",
        None
    ));
}

#[test]
fn search_matches_name_or_description() {
    insta::assert_snapshot!(page("$search=\"Front Desk\"&$top=10", None));
}

#[test]
fn keyset_on_one_direction_is_a_row_value() {
    insta::assert_snapshot!(page(
        "$orderby=displayName",
        Some(Cursor(vec![text("kiosk 7"), text(ID)]))
    ));
}

#[test]
fn keyset_with_mixed_directions_and_nulls_is_expanded() {
    insta::assert_snapshot!(page(
        "$orderby=description desc,enrollmentMode,createdDateTime desc",
        Some(Cursor(vec![
            KeyValue::Null,
            KeyValue::Int(2),
            text("2026-01-01T00:00:00.0000000Z"),
            text(ID)
        ]))
    ));
}

#[test]
fn keyset_ascending_from_a_null() {
    insta::assert_snapshot!(page(
        "$orderby=wifiSsid&$filter=wifiHidden",
        Some(Cursor(vec![KeyValue::Null, text(ID)]))
    ));
}

#[test]
fn keyset_on_id_alone() {
    insta::assert_snapshot!(page(
        "$orderby=id desc,displayName",
        Some(Cursor(vec![text(ID)]))
    ));
}

#[test]
fn skip_and_image() {
    let mut q = list_query("$skip=20&$top=5", None);
    q.include_unlisted = true;
    insta::assert_snapshot!(full(
        |d| select(layout(), tenant(), &q, d).expect("compiles")
    ));
    q.include_unlisted = false;
    let without = full(|d| select(layout(), tenant(), &q, d).expect("compiles"));
    assert!(without.contains("NULL AS \"qr_code_png\""), "{without}");
}

#[test]
fn count_of_matches() {
    let o = parse("$filter=enrolledDeviceCount ge 1&$search=kiosk");
    let criteria = Criteria {
        filter: o.filter,
        search: o.search,
    };
    insta::assert_snapshot!(both(
        |d| count(layout(), tenant(), &criteria, d).expect("compiles")
    ));
}

#[test]
fn a_cursor_of_another_order_is_refused() {
    let q = list_query("$orderby=displayName", Some(Cursor(vec![text(ID)])));
    assert!(select(layout(), tenant(), &q, Dialect::Sqlite).is_err());
    let wrong_type = Cursor(vec![KeyValue::Int(1), text(ID)]);
    assert!(!wrong_type.fits(layout(), &parse("$orderby=displayName").orderby));
    assert!(wrong_type.fits(layout(), &parse("$orderby=enrolledDeviceCount").orderby));
    let null = Cursor(vec![KeyValue::Null, text(ID)]);
    assert!(!null.fits(layout(), &parse("$orderby=displayName").orderby));
    assert!(null.fits(layout(), &parse("$orderby=description").orderby));
}

#[test]
fn user_text_never_reaches_the_sql() {
    let evil = "x'); DROP TABLE enrollment_profiles; --";
    let raw = format!(
        "$filter=displayName eq '{}' or contains(description,'{}')&$search=\"{}\"",
        evil.replace('\'', "''"),
        evil.replace('\'', "''"),
        evil
    );
    let q = list_query(&raw, None);
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let c = select(layout(), tenant(), &q, d).expect("compiles");
        assert!(!c.sql.contains("DROP"), "{}", c.sql);
        assert!(!c.sql.to_lowercase().contains("x'"), "{}", c.sql);
    }
}

#[test]
fn cursor_after_a_profile_uses_the_stored_keys() {
    let now = crate::model::Timestamp::parse("2026-11-22T10:15:30Z").expect("ts");
    let id = ProfileId::parse(ID).expect("id");
    let mut p = crate::model::Profile::new(tenant(), id, "Straße ÉCOLE".into(), now);
    p.description = None;
    let order = parse("$orderby=displayName desc,description,createdDateTime").orderby;
    let c = Cursor::after(&order, &p).expect("cursor");
    assert_eq!(
        c.0,
        vec![
            text("straße école"),
            KeyValue::Null,
            text("2026-11-22T10:15:30.0000000Z"),
            text(ID)
        ]
    );
    assert!(c.fits(layout(), &order));
}
