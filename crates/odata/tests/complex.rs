//! Table tests for complex members: paths into a complex member (`actor/userPrincipalName`) in
//! `$filter` and `$orderby`, lambdas over a collection of complex values
//! (`resources/any(r: r/resourceId eq 'x')`), `all()`, `$select` of complex members, and the
//! errors for each. The auditEvent-shaped fixture is in `common/audit.rs`.

mod common;

use common::audit::{nested, prop, SCHEMA};
use odata::{
    format_orderby, parse_filter, parse_orderby, parse_query, parse_select, CompareOp,
    ComplexLambda, ComplexType, Direction, EnumType, ErrorKind, Filter, Limits, OrderBy, Property,
    PropertyType, Schema, Select, StringFunction, Value,
};

fn parse(s: &str) -> Filter {
    parse_filter(s, &SCHEMA, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn canonical_printing_of_paths_and_lambdas() {
    let cases: &[(&str, &str)] = &[
        (
            "actor/userPrincipalName eq 'x'",
            "actor/userPrincipalName eq 'x'",
        ),
        (
            "actor/userPrincipalName  eq 'x'",
            "actor/userPrincipalName eq 'x'",
        ),
        (
            "'x' lt actor/userPrincipalName",
            "actor/userPrincipalName gt 'x'",
        ),
        (
            "startswith(actor/userPrincipalName,'a')",
            "startswith(actor/userPrincipalName,'a')",
        ),
        (
            "endswith(actor/userPrincipalName,'@contoso.com')",
            "endswith(actor/userPrincipalName,'@contoso.com')",
        ),
        (
            "contains(actor/applicationDisplayName,'Intune') eq false",
            "not contains(actor/applicationDisplayName,'Intune')",
        ),
        (
            "actor/type in ('ItPro', 'Application')",
            "actor/type in ('ItPro','Application')",
        ),
        ("actor/ipAddress eq null", "actor/ipAddress eq null"),
        ("null ne actor/applicationId", "actor/applicationId ne null"),
        (
            "actor/userPrincipalName eq 'a' and activityDateTime gt 2026-01-02T03:04:05Z",
            "actor/userPrincipalName eq 'a' and activityDateTime gt 2026-01-02T03:04:05.0000000Z",
        ),
        ("not (actor/type eq 'ItPro')", "not (actor/type eq 'ItPro')"),
        (
            "resources/any(r: r/resourceId eq 'x')",
            "resources/any(r:r/resourceId eq 'x')",
        ),
        (
            "resources/any( res : 'x' eq res/resourceId )",
            "resources/any(res:res/resourceId eq 'x')",
        ),
        (
            "resources/any(r: r/displayName eq 'a' and startswith(r/type,'b'))",
            "resources/any(r:r/displayName eq 'a' and startswith(r/type,'b'))",
        ),
        (
            "resources/any(r: not (r/resourceId in ('1','2')) or r/displayName eq null)",
            "resources/any(r:not r/resourceId in ('1','2') or r/displayName eq null)",
        ),
        (
            "resources/any(r: (r/type eq 'a' or r/type eq 'b') and r/displayName ne null)",
            "resources/any(r:(r/type eq 'a' or r/type eq 'b') and r/displayName ne null)",
        ),
        (
            "resources/any(r: r/resourceId eq 'x') eq false",
            "not resources/any(r:r/resourceId eq 'x')",
        ),
        ("resources/any()", "resources/any()"),
        ("not resources/any()", "not resources/any()"),
        (
            "resources/all(r: r/type eq 'x')",
            "not resources/any(r:not (r/type eq 'x'))",
        ),
        (
            "resources/all(r: startswith(r/displayName,'a'))",
            "not resources/any(r:not startswith(r/displayName,'a'))",
        ),
        (
            "resources/any(displayName: displayName/displayName eq 'x') and displayName eq 'x'",
            "resources/any(displayName:displayName/displayName eq 'x') and displayName eq 'x'",
        ),
        (
            "resources/any(r: r/resourceId eq 'x') or actor/userPrincipalName eq 'y'",
            "resources/any(r:r/resourceId eq 'x') or actor/userPrincipalName eq 'y'",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input).to_string(), *expected, "input: {input}");
        assert_eq!(
            parse(expected).to_string(),
            *expected,
            "reparse of {expected}"
        );
    }
}

#[test]
fn a_path_is_a_nested_reference_distinct_from_top_level_members() {
    let upn = nested("actor", "userPrincipalName");
    assert_eq!(
        parse("actor/userPrincipalName eq 'x'"),
        Filter::Compare {
            prop: upn,
            op: CompareOp::Eq,
            value: Value::String("x".into()),
        }
    );
    assert_eq!(upn.name(), "");
    assert_eq!(upn.path(), "actor/userPrincipalName");
    assert_eq!(upn.to_string(), "actor/userPrincipalName");
    assert_eq!(upn.parent().map(|p| p.name), Some("actor"));
    assert_eq!(upn.member().name, "actor");
    assert_eq!(upn.def().name, "userPrincipalName");
    assert_eq!(upn.ty(), PropertyType::String);
    assert_eq!(format!("{upn:?}"), "PropRef(\"actor/userPrincipalName\")");
    // Top-level references are as before.
    let top = prop("displayName");
    assert_eq!(
        (top.name(), top.path(), top.parent()),
        ("displayName", "displayName".to_owned(), None)
    );
    assert_eq!(top.member().name, "displayName");
    // An element property shares its leaf name with a top-level member, but is not it, and its
    // name() finds no member.
    let element = nested("resources", "displayName");
    assert_ne!(element, top);
    assert_eq!(element.name(), "");
    assert!(SCHEMA.property(element.name()).is_none());
    assert_eq!(element.path(), "resources/displayName");
}

#[test]
fn lambdas_over_complex_values_have_element_properties() {
    assert_eq!(
        parse("resources/any(r: r/resourceId eq 'x' or startswith(r/displayName,'Kiosk'))"),
        Filter::AnyComplex {
            prop: prop("resources"),
            lambda: Some(ComplexLambda {
                var: "r".into(),
                predicate: Box::new(Filter::Or(vec![
                    Filter::Compare {
                        prop: nested("resources", "resourceId"),
                        op: CompareOp::Eq,
                        value: Value::String("x".into()),
                    },
                    Filter::StringMatch {
                        func: StringFunction::StartsWith,
                        prop: nested("resources", "displayName"),
                        arg: "Kiosk".into(),
                    },
                ])),
            }),
        }
    );
    assert_eq!(
        parse("resources/any()"),
        Filter::AnyComplex {
            prop: prop("resources"),
            lambda: None
        }
    );
    // all(r: p) is not any(r: not p).
    assert_eq!(
        parse("resources/all(r: r/type eq 'x')"),
        Filter::Not(Box::new(Filter::AnyComplex {
            prop: prop("resources"),
            lambda: Some(ComplexLambda {
                var: "r".into(),
                predicate: Box::new(Filter::Not(Box::new(Filter::Compare {
                    prop: nested("resources", "type"),
                    op: CompareOp::Eq,
                    value: Value::String("x".into()),
                }))),
            }),
        }))
    );
    // all() costs two AST levels more than any(): the two `not`s.
    let limits = |max_depth| Limits {
        max_depth,
        ..Limits::DEFAULT
    };
    let all = "resources/all(r: r/type eq 'x')";
    assert_eq!(
        parse_filter(all, &SCHEMA, &limits(3)).unwrap_err().kind,
        ErrorKind::Limit
    );
    parse_filter(all, &SCHEMA, &limits(4)).unwrap();
    parse_filter("resources/any(r: r/type eq 'x')", &SCHEMA, &limits(2)).unwrap();
}

#[test]
fn all_over_a_string_collection_is_not_any_not() {
    use common::schema::SCHEMA as PROFILE;
    let f = parse_filter(
        "roleScopeTagIds/all(t: t eq '0')",
        &PROFILE,
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!(f.to_string(), "not roleScopeTagIds/any(t:not (t eq '0'))");
    assert_eq!(
        parse_filter(&f.to_string(), &PROFILE, &Limits::DEFAULT).unwrap(),
        f
    );
}

/// `(input, expected position, kind, substrings of the full message)`.
type Case = (&'static str, usize, ErrorKind, &'static [&'static str]);

fn check_errors(
    option: &str,
    cases: &[Case],
    run: impl Fn(&str) -> Result<String, odata::QueryError>,
) {
    let mut failures = Vec::new();
    for (input, pos, kind, needles) in cases {
        match run(input) {
            Ok(v) => failures.push(format!("{input:?}: accepted as {v}")),
            Err(e) => {
                let text = e.to_string();
                if e.position != Some(*pos)
                    || e.kind != *kind
                    || e.option != option
                    || needles.iter().any(|n| !text.contains(n))
                {
                    failures.push(format!(
                        "{input:?}: got {:?} {:?} {text:?}",
                        e.position, e.kind
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn filter_errors_on_paths_and_lambdas() {
    use ErrorKind::*;
    let cases: &[Case] = &[
        ("actor/userPrincipleName eq 'x'", 6, UnknownProperty, &["unknown property 'userPrincipleName' in microsoft.graph.auditActor at position 6", "did you mean 'userPrincipalName'?"]),
        ("actr/userPrincipalName eq 'x'", 0, UnknownProperty, &["unknown property 'actr'", "did you mean 'actor'?"]),
        ("displayName/length eq 1", 0, Type, &["'displayName' is Edm.String and has no properties", "'/' can only follow a complex property"]),
        ("actor eq 'x'", 0, Type, &["'actor' is of complex type microsoft.graph.auditActor and cannot be compared", "compare one of its properties, e.g. actor/type eq ..."]),
        ("actor eq null", 0, Type, &["'actor' is of complex type"]),
        ("actor", 0, Type, &["'actor' is of complex type"]),
        ("actor in ('x')", 0, Type, &["'actor' is of complex type"]),
        ("startswith(actor,'a')", 11, Type, &["'actor' is of complex type"]),
        ("actor/remoteUserId eq 'x'", 6, NotAllowed, &["'actor/remoteUserId' cannot be used in $filter"]),
        ("actor/userPermissions eq 'x'", 6, Unsupported, &["'actor/userPermissions' is Collection(Edm.String); only scalar properties inside a complex value can be filtered"]),
        ("actor/userRoleScopeTags eq null", 6, Unsupported, &["Collection(microsoft.graph.roleScopeTagInfo)"]),
        ("actor/userPermissions/any(p: p eq 'x')", 6, Unsupported, &["any() over 'actor/userPermissions' is not supported"]),
        ("actor/type/length eq 1", 11, Type, &["'actor/type' is Edm.String and has no property 'length'"]),
        ("actor/userPrincipalName eq 5", 27, Type, &["'actor/userPrincipalName' is Edm.String and cannot be compared with the integer 5"]),
        ("actor/userPrincipalName gt null", 24, Type, &["null can only be compared with eq or ne"]),
        ("actor/type in ('a', null)", 20, Type, &["use actor/type eq null"]),
        ("actor/ eq 'x'", 7, Syntax, &["expected a property name or any(...) after '/', found 'eq'"]),
        ("actor/'x' eq 'a'", 6, Syntax, &["expected a property name or any(...) after '/'"]),
        ("actor/any(a: a eq 'x')", 0, Type, &["any() applies to collections, but 'actor' is microsoft.graph.auditActor"]),
        ("actor/all(a: a eq 'x')", 0, Type, &["all() applies to collections"]),
        ("actor/userPrincipalName eq actor/type", 0, Unsupported, &["comparing two properties"]),
        ("resources eq 'x'", 0, Type, &["'resources' is a collection and can only be filtered with any() or all()", "e.g. resources/any(x: x/displayName eq 'value')"]),
        ("resources/resourceId eq 'x'", 0, Type, &["'resources' is a collection; its elements can only be filtered with any() or all()", "resources/any(x: x/displayName"]),
        ("resources/any(r: r/resourceID eq 'x')", 19, UnknownProperty, &["unknown property 'resourceID' in microsoft.graph.auditResource", "did you mean 'resourceId'?"]),
        ("resources/any(r: r eq 'x')", 17, Type, &["'r' is an element of Collection(microsoft.graph.auditResource) and cannot be used whole", "e.g. r/displayName eq"]),
        ("resources/any(r: r)", 17, Type, &["cannot be used whole"]),
        ("resources/any(r: x/resourceId eq 'x')", 17, Unsupported, &["only the variable 'r' can be used, not 'x'"]),
        ("resources/any(r: displayName eq 'x')", 17, Unsupported, &["only the variable 'r' can be used, not 'displayName'"]),
        ("resources/any(r: actor/type eq 'x')", 17, Unsupported, &["not 'actor'"]),
        ("resources/any(r: r/modifiedProperties/any(p: p/newValue eq 'x'))", 19, Unsupported, &["any() over 'r/modifiedProperties' is not supported"]),
        ("resources/any(r: resources/any(s: s/type eq 'x'))", 17, Unsupported, &["any() cannot be nested"]),
        ("resources/any(r: resources/all(s: s/type eq 'x'))", 17, Unsupported, &["all() cannot be nested"]),
        ("resources/any(r: r/modifiedProperties eq null)", 19, Unsupported, &["only scalar properties inside a complex value"]),
        ("resources/any(r: r/resourceId eq 1)", 33, Type, &["'r/resourceId' is Edm.String and cannot be compared with the integer 1"]),
        ("resources/any(r: r/resourceId/x eq 'a')", 30, Type, &["'r/resourceId' is Edm.String and has no property 'x'"]),
        ("resources/all()", 14, Syntax, &["all() needs a condition", "write resources/all(x: ...)"]),
        ("resources/all(r: r/type eq 'x'", 30, Syntax, &["expected ')' closing all("]),
        ("resources/any(any: any/type eq 'x')", 14, Syntax, &["expected a variable name"]),
        ("startswith(r/displayName,'a')", 11, UnknownProperty, &["unknown property 'r'"]),
    ];
    check_errors("$filter", cases, |s| {
        parse_filter(s, &SCHEMA, &Limits::DEFAULT).map(|f| f.to_string())
    });
}

#[test]
fn orderby_by_paths() {
    let o = parse_orderby("actor/userPrincipalName desc, activityDateTime", &SCHEMA).unwrap();
    assert_eq!(
        o,
        vec![
            OrderBy {
                prop: nested("actor", "userPrincipalName"),
                direction: Direction::Desc
            },
            OrderBy {
                prop: prop("activityDateTime"),
                direction: Direction::Asc
            },
        ]
    );
    assert_eq!(
        format_orderby(&o),
        "actor/userPrincipalName desc,activityDateTime"
    );
    assert_eq!(
        parse_orderby("actor/type,actor/userId desc", &SCHEMA).map(|o| format_orderby(&o)),
        Ok("actor/type,actor/userId desc".to_owned())
    );
}

#[test]
fn orderby_errors_on_complex_members() {
    use ErrorKind::*;
    let cases: &[Case] = &[
        ("resources", 0, NotAllowed, &["'resources' is a collection (Collection(microsoft.graph.auditResource)) and cannot be sorted"]),
        ("resources/type", 0, NotAllowed, &["'resources' is a collection"]),
        ("actor", 0, Type, &["'actor' is of complex type microsoft.graph.auditActor and cannot be sorted as a whole", "e.g. actor/type"]),
        ("actor/userPrincipleName", 6, UnknownProperty, &["unknown property 'userPrincipleName' in microsoft.graph.auditActor", "did you mean 'userPrincipalName'?"]),
        ("id, actor/usrPrincipalName desc", 10, UnknownProperty, &["did you mean 'userPrincipalName'?"]),
        ("actor/ipAddress", 6, NotAllowed, &["'actor/ipAddress' cannot be sorted at position 6"]),
        ("actor/userPermissions", 6, NotAllowed, &["'actor/userPermissions' cannot be sorted (Collection(Edm.String) is not sortable)"]),
        ("displayName/x", 0, Type, &["'displayName' is Edm.String and has no properties"]),
        ("actor/type/x", 11, Unsupported, &["paths go one level deep"]),
        ("actor/type,actor/type desc", 11, Syntax, &["'actor/type' appears more than once"]),
    ];
    check_errors("$orderby", cases, |s| {
        parse_orderby(s, &SCHEMA).map(|o| format_orderby(&o))
    });
}

#[test]
fn select_takes_complex_members_whole() {
    assert_eq!(
        parse_select("actor,resources,id", &SCHEMA).unwrap(),
        Select::Properties(vec![prop("actor"), prop("resources"), prop("id")])
    );
    use ErrorKind::*;
    let cases: &[Case] = &[
        (
            "actor/userPrincipalName",
            0,
            Unsupported,
            &[
                "'actor/userPrincipalName': selecting a part of a property is not supported",
                "select the whole property: 'actor'",
            ],
        ),
        (
            "id, resources/resourceId",
            4,
            Unsupported,
            &["select the whole property: 'resources'"],
        ),
        ("actr/type", 0, UnknownProperty, &["did you mean 'actor'?"]),
    ];
    check_errors("$select", cases, |s| {
        parse_select(s, &SCHEMA).map(|s| s.to_string())
    });
}

#[test]
fn whole_query_with_paths_round_trips() {
    let raw = "$filter=actor/userPrincipalName eq 'a/b' and resources/all(r: r/type ne 'x')\
               &$orderby=actor/userPrincipalName desc&$select=actor,resources&$top=5";
    let q = parse_query(raw, &SCHEMA, &Limits::DEFAULT).unwrap();
    assert_eq!(
        q.filter.as_ref().map(ToString::to_string).as_deref(),
        Some("actor/userPrincipalName eq 'a/b' and not resources/any(r:not (r/type ne 'x'))")
    );
    assert_eq!(q.orderby[0].prop, nested("actor", "userPrincipalName"));
    let again = parse_query(&q.to_query_string(), &SCHEMA, &Limits::DEFAULT).unwrap();
    assert_eq!(again, q);
}

/// A schema with a top-level `type` next to `inner/type`, and every scalar type inside the
/// complex type.
mod shadowing {
    use super::*;

    pub static LEVEL: EnumType = EnumType {
        type_name: "test.level",
        members: &[("low", 0), ("high", 1)],
    };

    pub static INNER: ComplexType = ComplexType {
        type_name: "test.inner",
        properties: &[
            Property::new("type", PropertyType::String),
            Property::new("count", PropertyType::Int64).not_null(),
            Property::new("small", PropertyType::Int32),
            Property::new("flag", PropertyType::Boolean),
            Property::new("level", PropertyType::Enum(&LEVEL)),
            Property::new("when", PropertyType::DateTimeOffset),
        ],
    };

    pub static PROPS: [Property; 3] = [
        Property::new("type", PropertyType::String),
        Property::new("inner", PropertyType::Complex(&INNER)),
        Property::new("hidden", PropertyType::Complex(&INNER))
            .not_filterable()
            .not_sortable(),
    ];

    pub static SCHEMA: Schema = Schema {
        entity_type: "test.entity",
        properties: &PROPS,
    };
}

#[test]
fn a_path_never_stands_for_the_top_level_member_of_the_same_name() {
    use shadowing::SCHEMA as S;
    let f = parse_filter("type eq 'a' and inner/type eq 'a'", &S, &Limits::DEFAULT).unwrap();
    let Filter::And(items) = &f else {
        panic!("{f:?}")
    };
    let [Filter::Compare { prop: top, .. }, Filter::Compare { prop: path, .. }] = items.as_slice()
    else {
        panic!("{f:?}")
    };
    assert_ne!(top, path);
    assert_eq!(top.name(), "type");
    assert_eq!(path.name(), "");
    assert_eq!(path.def().name, "type");
    assert_eq!(f.to_string(), "type eq 'a' and inner/type eq 'a'");
    let o = parse_orderby("type,inner/type desc", &S).unwrap();
    assert_ne!(o[0].prop, o[1].prop);
    assert_eq!(format_orderby(&o), "type,inner/type desc");
}

#[test]
fn every_scalar_type_works_inside_a_complex_member() {
    use shadowing::SCHEMA as S;
    let cases: &[(&str, &str)] = &[
        (
            "inner/count eq 9223372036854775807",
            "inner/count eq 9223372036854775807",
        ),
        ("inner/count in (1, -2)", "inner/count in (1,-2)"),
        ("inner/flag", "inner/flag eq true"),
        ("not inner/flag", "not (inner/flag eq true)"),
        ("inner/level ge 'high'", "inner/level ge test.level'high'"),
        (
            "inner/when lt 2026-01-02T03:04:05+01:00",
            "inner/when lt 2026-01-02T02:04:05.0000000Z",
        ),
        ("inner/count eq null", "inner/count eq null"),
    ];
    for (input, expected) in cases {
        let f =
            parse_filter(input, &S, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(f.to_string(), *expected, "input: {input}");
        assert_eq!(parse_filter(expected, &S, &Limits::DEFAULT), Ok(f));
    }
    use ErrorKind::*;
    let cases: &[Case] = &[
        (
            "inner/small eq 2147483648",
            15,
            Type,
            &["2147483648 is out of range for Edm.Int32 property 'inner/small'"],
        ),
        (
            "inner/flag gt true",
            11,
            Type,
            &["'gt' cannot be used with Boolean property 'inner/flag'"],
        ),
        (
            "inner/level eq 'medium'",
            15,
            Type,
            &["'medium' is not a member of test.level"],
        ),
        (
            "inner/count",
            0,
            Type,
            &[
                "'inner/count' is Edm.Int64, not a condition",
                "inner/count eq ...",
            ],
        ),
        (
            "startswith(inner/count,'1')",
            11,
            Type,
            &["startswith needs a String property, but 'inner/count' is Edm.Int64"],
        ),
        (
            "hidden/type eq 'a'",
            0,
            NotAllowed,
            &["'hidden' cannot be used in $filter"],
        ),
    ];
    check_errors("$filter", cases, |s| {
        parse_filter(s, &S, &Limits::DEFAULT).map(|f| f.to_string())
    });
    let e = parse_orderby("hidden/type", &S).unwrap_err();
    assert_eq!(
        (e.kind, e.to_string().contains("'hidden' cannot be sorted")),
        (ErrorKind::NotAllowed, true),
        "{e}"
    );
    assert_eq!(
        parse_select("hidden", &S).map(|s| s.to_string()),
        Ok("hidden".to_owned())
    );
}

#[test]
fn complex_types_name_themselves() {
    use common::audit::{AUDIT_ACTOR, AUDIT_RESOURCE};
    assert_eq!(
        PropertyType::Complex(&AUDIT_ACTOR).edm_name(),
        "microsoft.graph.auditActor"
    );
    assert_eq!(
        PropertyType::ComplexCollection(&AUDIT_RESOURCE).edm_name(),
        "Collection(microsoft.graph.auditResource)"
    );
    assert_eq!(AUDIT_ACTOR.short_name(), "auditActor");
    assert_eq!(
        AUDIT_ACTOR.property("userPrincipalName").map(|p| p.name),
        Some("userPrincipalName")
    );
    assert_eq!(
        AUDIT_ACTOR.suggest("userprincipalname"),
        Some("userPrincipalName")
    );
    assert_ne!(AUDIT_ACTOR, AUDIT_RESOURCE);
    // The defaults: a complex member may be filtered and sorted through paths; a collection
    // of complex values may be filtered through any()/all() but never sorted.
    let actor = prop("actor").def();
    let resources = prop("resources").def();
    assert_eq!((actor.filterable, actor.sortable), (true, true));
    assert_eq!((resources.filterable, resources.sortable), (true, false));
    assert!(format!("{AUDIT_ACTOR:?}").contains("userPrincipalName"));
}
