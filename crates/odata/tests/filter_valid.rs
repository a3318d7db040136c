//! Table tests: valid `$filter` values, checked through their canonical printing and, for the
//! interesting cases, through the exact AST.

mod common;

use common::schema::{prop, SCHEMA};
use odata::{
    parse_filter, CompareOp, DateTimeUtc, ElementFilter, EnumValue, Filter, Lambda, Limits,
    StringFunction, Value,
};

fn parse(s: &str) -> Filter {
    parse_filter(s, &SCHEMA, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

const MODE: &str = "microsoft.graph.androidDeviceOwnerEnrollmentMode";

#[test]
fn canonical_printing_table() {
    let cases: &[(&str, &str)] = &[
        ("displayName eq 'Kiosk'", "displayName eq 'Kiosk'"),
        ("  displayName   eq\t'Kiosk'  ", "displayName eq 'Kiosk'"),
        ("'Kiosk' eq displayName", "displayName eq 'Kiosk'"),
        ("5 lt enrolledDeviceCount", "enrolledDeviceCount gt 5"),
        ("5 ge enrolledDeviceCount", "enrolledDeviceCount le 5"),
        ("displayName ne 'it''s'", "displayName ne 'it''s'"),
        ("displayName eq ''", "displayName eq ''"),
        ("displayName gt 'a' and displayName le 'm'", "displayName gt 'a' and displayName le 'm'"),
        ("a eq 1 or b eq 2", "a eq 1 or b eq 2"),
        ("enrolledDeviceCount eq -3", "enrolledDeviceCount eq -3"),
        ("enrolledDeviceCount eq +3", "enrolledDeviceCount eq 3"),
        ("enrolledDeviceCount ge 2147483647", "enrolledDeviceCount ge 2147483647"),
        ("enrolledDeviceCount ge -2147483648", "enrolledDeviceCount ge -2147483648"),
        ("configureWifi eq true", "configureWifi eq true"),
        ("configureWifi eq TRUE", "configureWifi eq true"),
        ("configureWifi ne False", "configureWifi ne false"),
        ("configureWifi", "configureWifi eq true"),
        ("not configureWifi", "not (configureWifi eq true)"),
        ("description eq null", "description eq null"),
        ("null ne description", "description ne null"),
        ("displayName eq null", "displayName eq null"),
        ("createdDateTime gt 2026-01-02T03:04:05Z", "createdDateTime gt 2026-01-02T03:04:05.0000000Z"),
        ("createdDateTime lt 2026-01-02T03:04:05.1234567+01:00", "createdDateTime lt 2026-01-02T02:04:05.1234567Z"),
        ("createdDateTime le 2026-01-02T03:04-08:00", "createdDateTime le 2026-01-02T11:04:00.0000000Z"),
        ("tokenExpirationDateTime eq 0001-01-01T00:00:00Z", "tokenExpirationDateTime eq 0001-01-01T00:00:00.0000000Z"),
        ("enrollmentMode eq 'corporateOwnedFullyManaged'", "enrollmentMode eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedFullyManaged'"),
        ("enrollmentMode eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedFullyManaged'", "enrollmentMode eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedFullyManaged'"),
        ("enrollmentMode eq graph.androidDeviceOwnerEnrollmentMode'corporateOwnedWorkProfile'", "enrollmentMode eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedWorkProfile'"),
        ("wifiSecurityType ne 'wpa'", "wifiSecurityType ne microsoft.graph.aospWifiSecurityType'wpa'"),
        ("enrollmentTokenType eq 'default'", "enrollmentTokenType eq microsoft.graph.androidDeviceOwnerEnrollmentTokenType'default'"),
        ("enrollmentMode ge 'corporateOwnedAOSPUserlessDevice'", "enrollmentMode ge microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedAOSPUserlessDevice'"),
        ("startswith(displayName,'Kiosk')", "startswith(displayName,'Kiosk')"),
        ("startswith( displayName , 'Kiosk' )", "startswith(displayName,'Kiosk')"),
        ("endswith(description,'x')", "endswith(description,'x')"),
        ("contains(tokenValue,'AB')", "contains(tokenValue,'AB')"),
        ("startswith(displayName,'K') eq true", "startswith(displayName,'K')"),
        ("startswith(displayName,'K') eq false", "not startswith(displayName,'K')"),
        ("startswith(displayName,'K') ne false", "startswith(displayName,'K')"),
        ("true eq startswith(displayName,'K')", "startswith(displayName,'K')"),
        ("not startswith(displayName,'K')", "not startswith(displayName,'K')"),
        ("not not startswith(displayName,'K')", "not not startswith(displayName,'K')"),
        ("(displayName eq 'a') eq false", "not (displayName eq 'a')"),
        ("enrolledDeviceCount gt 1 eq true", "enrolledDeviceCount gt 1"),
        ("id eq '0f8fad5b-d9cb-469f-a165-70867728950e'", "id eq '0f8fad5b-d9cb-469f-a165-70867728950e'"),
        ("displayName in ('a','b')", "displayName in ('a','b')"),
        ("displayName in ( 'a' , 'b' , 'c' )", "displayName in ('a','b','c')"),
        ("displayName in ('a')", "displayName in ('a')"),
        ("enrollmentMode in ('corporateOwnedFullyManaged','corporateOwnedWorkProfile')", "enrollmentMode in (microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedFullyManaged',microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedWorkProfile')"),
        ("enrolledDeviceCount in (1,2,-3)", "enrolledDeviceCount in (1,2,-3)"),
        ("not displayName in ('a')", "not displayName in ('a')"),
        ("roleScopeTagIds/any(t: t eq '0')", "roleScopeTagIds/any(t:t eq '0')"),
        ("roleScopeTagIds/any(t:t eq '0')", "roleScopeTagIds/any(t:t eq '0')"),
        ("roleScopeTagIds/any( tag : '0' eq tag )", "roleScopeTagIds/any(tag:tag eq '0')"),
        ("roleScopeTagIds/any(t: startswith(t,'x'))", "roleScopeTagIds/any(t:startswith(t,'x'))"),
        ("roleScopeTagIds/any(t: t in ('1','2') or not endswith(t,'9'))", "roleScopeTagIds/any(t:t in ('1','2') or not endswith(t,'9'))"),
        ("roleScopeTagIds/any(t: contains(t,'x') eq false)", "roleScopeTagIds/any(t:not contains(t,'x'))"),
        ("roleScopeTagIds/any()", "roleScopeTagIds/any()"),
        ("roleScopeTagIds/all(t: startswith(t,'x'))", "not roleScopeTagIds/any(t:not startswith(t,'x'))"),
        ("roleScopeTagIds/any( )", "roleScopeTagIds/any()"),
        ("not roleScopeTagIds/any()", "not roleScopeTagIds/any()"),
        ("roleScopeTagIds/any(displayName: displayName eq 'x')", "roleScopeTagIds/any(displayName:displayName eq 'x')"),
        ("a eq 1 and b eq 2 or c eq 3", "a eq 1 and b eq 2 or c eq 3"),
        ("a eq 1 and (b eq 2 or c eq 3)", "a eq 1 and (b eq 2 or c eq 3)"),
        ("(a eq 1 and b eq 2) and c eq 3", "(a eq 1 and b eq 2) and c eq 3"),
        ("a eq 1 or (b eq 2 or c eq 3)", "a eq 1 or (b eq 2 or c eq 3)"),
        ("((((a eq 1))))", "a eq 1"),
        ("not (a eq 1 or b eq 2)", "not (a eq 1 or b eq 2)"),
        ("displayName eq 'a&b=c+d%20'", "displayName eq 'a&b=c+d%20'"),
        ("displayName eq 'ünïcødé 😀'", "displayName eq 'ünïcødé 😀'"),
    ];
    for (input, expected) in cases {
        let input = input.replace("a eq 1", "displayName eq 'a'");
        let input = input.replace("b eq 2", "enrolledDeviceCount eq 2");
        let input = input.replace("c eq 3", "wifiHidden eq false");
        let expected = expected.replace("a eq 1", "displayName eq 'a'");
        let expected = expected.replace("b eq 2", "enrolledDeviceCount eq 2");
        let expected = expected.replace("c eq 3", "wifiHidden eq false");
        assert_eq!(parse(&input).to_string(), expected, "input: {input}");
        // The canonical text is a fixed point.
        assert_eq!(
            parse(&expected).to_string(),
            expected,
            "reparse of {expected}"
        );
    }
}

#[test]
fn exact_asts() {
    assert_eq!(
        parse("'x' lt displayName"),
        Filter::Compare {
            prop: prop("displayName"),
            op: CompareOp::Gt,
            value: Value::String("x".into())
        }
    );
    assert_eq!(
        parse("enrollmentMode eq 'corporateOwnedAOSPUserAssociatedDevice'"),
        Filter::Compare {
            prop: prop("enrollmentMode"),
            op: CompareOp::Eq,
            value: Value::Enum(EnumValue {
                type_name: MODE,
                member: "corporateOwnedAOSPUserAssociatedDevice",
                value: 4
            }),
        }
    );
    let t = DateTimeUtc::parse("2026-01-02T03:04:05.5Z").unwrap();
    assert_eq!(t.subsec_nanos(), 500_000_000);
    assert_eq!(
        parse("createdDateTime ge 2026-01-02T04:04:05.5+01:00"),
        Filter::Compare {
            prop: prop("createdDateTime"),
            op: CompareOp::Ge,
            value: Value::DateTime(t)
        }
    );
    assert_eq!(
        parse("tokenValue ne null"),
        Filter::IsNull {
            prop: prop("tokenValue"),
            negated: true
        }
    );
    assert_eq!(
        parse(
            "a eq 1 and b eq 2 and c eq 3"
                .replace("a eq 1", "configureWifi")
                .replace("b eq 2", "wifiHidden")
                .replace("c eq 3", "isTeamsDeviceProfile")
                .as_str()
        ),
        Filter::And(
            ["configureWifi", "wifiHidden", "isTeamsDeviceProfile"]
                .iter()
                .map(|n| Filter::Compare {
                    prop: prop(n),
                    op: CompareOp::Eq,
                    value: Value::Boolean(true)
                })
                .collect()
        )
    );
    assert_eq!(
        parse("roleScopeTagIds/any(t: t eq '0' or t eq '1')"),
        Filter::Any {
            prop: prop("roleScopeTagIds"),
            lambda: Some(Lambda {
                var: "t".into(),
                predicate: ElementFilter::Or(vec![
                    ElementFilter::Compare {
                        op: CompareOp::Eq,
                        value: "0".into()
                    },
                    ElementFilter::Compare {
                        op: CompareOp::Eq,
                        value: "1".into()
                    },
                ]),
            }),
        }
    );
    assert_eq!(
        parse("contains(displayName,'50%_off')"),
        Filter::StringMatch {
            func: StringFunction::Contains,
            prop: prop("displayName"),
            arg: "50%_off".into()
        }
    );
    assert_eq!(
        parse("enrolledDeviceCount in (1, 2)"),
        Filter::In {
            prop: prop("enrolledDeviceCount"),
            values: vec![Value::Int(1), Value::Int(2)]
        }
    );
}

#[test]
fn precedence_follows_odata() {
    // and binds tighter than or.
    let f = parse("configureWifi or wifiHidden and isTeamsDeviceProfile");
    let Filter::Or(items) = f else {
        panic!("expected or: {f:?}")
    };
    assert!(matches!(items[1], Filter::And(_)));
    // not binds tighter than and.
    let f = parse("not configureWifi and wifiHidden");
    let Filter::And(items) = f else {
        panic!("expected and: {f:?}")
    };
    assert!(matches!(items[0], Filter::Not(_)));
    // in binds tighter than not.
    assert!(
        matches!(parse("not displayName in ('a')"), Filter::Not(inner) if matches!(*inner, Filter::In { .. }))
    );
}

#[test]
fn depth_limit_is_inclusive() {
    let limits = Limits {
        max_depth: 10,
        ..Limits::DEFAULT
    };
    let ok = format!("{}configureWifi{}", "(".repeat(10), ")".repeat(10));
    parse_filter(&ok, &SCHEMA, &limits).unwrap();
    let nots = format!("{}configureWifi", "not ".repeat(9));
    parse_filter(&nots, &SCHEMA, &limits).unwrap();
    let too_deep = format!("{}configureWifi{}", "(".repeat(11), ")".repeat(11));
    let e = parse_filter(&too_deep, &SCHEMA, &limits).unwrap_err();
    assert_eq!(e.kind, odata::ErrorKind::Limit);
    assert!(e.to_string().contains("deeper than 10 levels"), "{e}");
}

#[test]
fn long_flat_chains_are_fine_up_to_the_condition_limit() {
    let chain = vec!["enrolledDeviceCount eq 1"; 100].join(" or ");
    let Filter::Or(items) = parse(&chain) else {
        panic!()
    };
    assert_eq!(items.len(), 100);
    // Without the limit, the parser takes a flat chain of any length.
    let roomy = Limits {
        max_conditions: usize::MAX,
        ..Limits::DEFAULT
    };
    let long = vec!["enrolledDeviceCount eq 1"; 500].join(" or ");
    let Ok(Filter::Or(items)) = parse_filter(&long, &SCHEMA, &roomy) else {
        panic!()
    };
    assert_eq!(items.len(), 500);
}

#[test]
fn more_conditions_than_the_limit_are_refused() {
    let limits = Limits::DEFAULT;
    let count = |f: &str| parse_filter(f, &SCHEMA, &limits);
    // Comparisons, `in` values, conditions inside any(), function calls: each counts.
    let over = [
        vec!["enrolledDeviceCount eq 1"; 101].join(" or "),
        format!("displayName in ({})", vec!["'x'"; 101].join(",")),
        format!(
            "roleScopeTagIds/any(t: {})",
            vec!["t eq 'a'"; 101].join(" or ")
        ),
        vec!["contains(displayName,'a')"; 101].join(" and "),
        format!(
            "{} and roleScopeTagIds/any(t: t eq 'a' or t eq 'b')",
            vec!["enrolledDeviceCount eq 1"; 99].join(" or ")
        ),
    ];
    for f in &over {
        let e = count(f).expect_err("over the limit");
        assert_eq!(e.kind, odata::ErrorKind::Limit, "{e}");
        assert!(e.to_string().contains("more than the 100 allowed"), "{e}");
    }
    let at = [
        format!("displayName in ({})", vec!["'x'"; 100].join(",")),
        format!(
            "{} and roleScopeTagIds/any()",
            vec!["enrolledDeviceCount eq 1"; 99].join(" or ")
        ),
    ];
    for f in &at {
        count(f).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn string_function_texts_longer_than_the_limit_are_refused() {
    let limits = Limits::DEFAULT;
    let at = "é".repeat(odata::MAX_TEXT_ARGUMENT);
    let over = format!("{at}x");
    for f in [
        format!("contains(displayName,'{at}')"),
        format!("roleScopeTagIds/any(t: startswith(t,'{at}'))"),
    ] {
        parse_filter(&f, &SCHEMA, &limits).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    for f in [
        format!("contains(displayName,'{over}')"),
        format!("endswith(description,'{over}') or displayName eq 'a'"),
        format!("roleScopeTagIds/any(t: startswith(t,'{over}'))"),
    ] {
        let e = parse_filter(&f, &SCHEMA, &limits).expect_err("over the limit");
        assert_eq!(e.kind, odata::ErrorKind::Limit, "{e}");
        assert!(
            e.to_string()
                .contains("257 characters long, more than the 256 allowed"),
            "{e}"
        );
    }
}
