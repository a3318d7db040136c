//! Property tests: random type-correct ASTs print to text that parses back to the same AST,
//! directly and through a percent-encoded query string; arbitrary input never panics.

mod common;

use common::audit;
use common::schema::SCHEMA;
use common::strategies::{
    audit_filter, audit_orderby, filter, orderby_option, query_options, select_option,
};
use odata::{format_orderby, parse_filter, parse_orderby, parse_query, parse_select, Limits};
use proptest::prelude::*;

/// Printing may lengthen literals (enums get their type name), so the re-parse allows it.
const ROOMY: Limits = Limits {
    max_value_len: usize::MAX,
    ..Limits::DEFAULT
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn filter_print_parse_is_identity(f in filter()) {
        let text = f.to_string();
        let back = parse_filter(&text, &SCHEMA, &ROOMY);
        prop_assert_eq!(back.as_ref().ok(), Some(&f), "text: {} error: {:?}", text, back.as_ref().err());
    }

    #[test]
    fn audit_filter_with_paths_print_parse_is_identity(f in audit_filter()) {
        let text = f.to_string();
        let back = parse_filter(&text, &audit::SCHEMA, &ROOMY);
        prop_assert_eq!(back.as_ref().ok(), Some(&f), "text: {} error: {:?}", text, back.as_ref().err());
    }

    #[test]
    fn audit_orderby_with_paths_print_parse_is_identity(o in audit_orderby()) {
        prop_assume!(!o.is_empty());
        prop_assert_eq!(parse_orderby(&format_orderby(&o), &audit::SCHEMA).ok(), Some(o));
    }

    #[test]
    fn select_print_parse_is_identity(s in select_option()) {
        prop_assert_eq!(parse_select(&s.to_string(), &SCHEMA).ok(), Some(s));
    }

    #[test]
    fn orderby_print_parse_is_identity(o in orderby_option()) {
        prop_assume!(!o.is_empty());
        prop_assert_eq!(parse_orderby(&format_orderby(&o), &SCHEMA).ok(), Some(o));
    }

    #[test]
    fn query_string_round_trips(q in query_options()) {
        let raw = q.to_query_string();
        let back = parse_query(&raw, &SCHEMA, &ROOMY);
        prop_assert_eq!(back.as_ref().ok(), Some(&q), "raw: {} error: {:?}", raw, back.as_ref().err());
    }

    #[test]
    fn arbitrary_filters_never_panic(s in "\\PC{0,64}") {
        let _ = parse_filter(&s, &SCHEMA, &Limits::DEFAULT);
    }

    #[test]
    fn token_soup_never_panics_and_reprints_stably(
        words in proptest::collection::vec(proptest::sample::select(vec![
            "displayName", "enrollmentMode", "roleScopeTagIds", "configureWifi", "createdDateTime",
            "enrolledDeviceCount", "t", "eq", "ne", "gt", "and", "or", "not", "in", "(", ")", ",",
            "'a'", "'corporateOwnedFullyManaged'", "1", "-1", "true", "null", "/any(", "t:",
            "startswith(", "2026-01-02T03:04:05Z", "microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedWorkProfile'",
        ]), 0..24)
    ) {
        let s = words.join(" ");
        if let Ok(f) = parse_filter(&s, &SCHEMA, &Limits::DEFAULT) {
            let again = parse_filter(&f.to_string(), &SCHEMA, &ROOMY);
            prop_assert_eq!(again.ok(), Some(f));
        }
    }

    #[test]
    fn audit_token_soup_never_panics_and_reprints_stably(
        words in proptest::collection::vec(proptest::sample::select(vec![
            "actor", "/", "userPrincipalName", "type", "actor/type", "actor/userPermissions",
            "resources", "/any(", "/all(", "r:", "r", "r/resourceId", "r/displayName", "displayName",
            "activityDateTime", "eq", "ne", "gt", "and", "or", "not", "in", "(", ")", ",", "'a'",
            "null", "true", "startswith(", "2026-01-02T03:04:05Z", "actor/userRoleScopeTags",
        ]), 0..24)
    ) {
        let s = words.join(" ");
        if let Ok(f) = parse_filter(&s, &audit::SCHEMA, &Limits::DEFAULT) {
            let again = parse_filter(&f.to_string(), &audit::SCHEMA, &ROOMY);
            prop_assert_eq!(again.ok(), Some(f));
        }
    }

    #[test]
    fn arbitrary_query_strings_never_panic(s in "[$%a-z0-9=&'() +,]{0,80}") {
        let _ = parse_query(&s, &SCHEMA, &Limits::DEFAULT);
    }
}
