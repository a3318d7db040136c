//! Table tests for `parse_query` (names, encoding, repetition, scalar options) and for the
//! `$select` / `$orderby` parsers.

mod common;

use common::schema::{prop, SCHEMA};
use odata::{
    parse_orderby, parse_query, parse_select, Direction, ErrorKind, Filter, Limits, OrderBy,
    QueryOptions, Select,
};

fn q(raw: &str) -> QueryOptions {
    parse_query(raw, &SCHEMA, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
}

fn qerr(raw: &str) -> odata::QueryError {
    match parse_query(raw, &SCHEMA, &Limits::DEFAULT) {
        Ok(o) => panic!("{raw:?} parsed: {o:?}"),
        Err(e) => e,
    }
}

#[test]
fn empty_and_ignored() {
    assert_eq!(q(""), QueryOptions::default());
    assert_eq!(q("?"), QueryOptions::default());
    assert_eq!(q("&&"), QueryOptions::default());
    assert_eq!(q("api-version=1&foo&bar=%zz"), QueryOptions::default());
    assert_eq!(q("?$top=5").top, Some(5));
}

#[test]
fn option_names_are_case_insensitive_and_dollar_optional() {
    for raw in [
        "$top=7", "%24top=7", "%24TOP=7", "$Top=7", "top=7", "TOP=7", "%74op=7",
    ] {
        assert_eq!(q(raw).top, Some(7), "{raw}");
    }
    let o = q("$FILTER=configureWifi&%24Select=id&OrderBy=displayName%20desc&$COUNT=TRUE");
    assert!(o.filter.is_some());
    assert_eq!(o.select, Some(Select::Properties(vec![prop("id")])));
    assert_eq!(
        o.orderby,
        vec![OrderBy {
            prop: prop("displayName"),
            direction: Direction::Desc
        }]
    );
    assert!(o.count);
}

#[test]
fn values_are_percent_decoded_and_plus_is_literal() {
    let o = q("$filter=displayName%20eq%20'a+b%2Bc'");
    assert_eq!(o.filter.unwrap().to_string(), "displayName eq 'a+b+c'");
    let o = q("$filter=createdDateTime%20gt%202026-01-02T03:04:05+01:00");
    assert_eq!(
        o.filter.unwrap().to_string(),
        "createdDateTime gt 2026-01-02T02:04:05.0000000Z"
    );
    let o = q("$filter=displayName eq 'caf%C3%A9'");
    assert_eq!(o.filter.unwrap().to_string(), "displayName eq 'café'");
    let e = qerr("$filter=displayName+eq+'x'");
    assert!(e.to_string().contains("encode spaces as %20"), "{e}");
}

#[test]
fn encoding_errors() {
    let e = qerr("$filter=displayName%20eq%20%ZZ");
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert_eq!(e.position, Some(19));
    assert_eq!(e.to_string(), "$filter: malformed percent-encoding '%ZZ' at position 19; percent-encode the value as UTF-8 (%XX)");
    let e = qerr("$search=%FF%FE");
    assert!(
        e.to_string()
            .starts_with("$search: the decoded value is not valid UTF-8 at position 0"),
        "{e}"
    );
    let e = qerr("%24fil%zzter=x");
    assert_eq!(e.kind, ErrorKind::Encoding);
}

#[test]
fn repeated_unknown_and_expand() {
    let e = qerr("$top=1&$TOP=2");
    assert_eq!(e.to_string(), "$top: the option appears more than once");
    assert_eq!(
        qerr("filter=configureWifi&$filter=wifiHidden").kind,
        ErrorKind::Option
    );
    // `$format` is recognised (the service reads it), once at most.
    assert_eq!(q("$format=json"), QueryOptions::default());
    assert_eq!(
        qerr("$format=json&$format=xml").to_string(),
        "$format: the option appears more than once"
    );
    assert_eq!(
        odata::option_value("$top=1&%24FORMAT=application%2Fjson", "$format").unwrap(),
        Some("application/json".to_owned())
    );
    assert_eq!(odata::option_value("$top=1", "$format").unwrap(), None);
    let e = qerr("$FooBar=1");
    assert!(e.to_string().contains("$search, $format"), "{e}");
    assert!(e.to_string().starts_with("$foobar:"), "{e}");
    for raw in ["$expand=x", "$expand=", "expand=*"] {
        let e = qerr(raw);
        assert_eq!(
            e.to_string(),
            "$expand: the entity has no navigation properties to expand"
        );
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }
}

#[test]
fn top_and_skip() {
    assert_eq!(q("$top=1").top, Some(1));
    assert_eq!(q("$top=1000").top, Some(1000));
    assert_eq!(q("$top=%201000%20").top, Some(1000));
    assert_eq!(q("$top=0001").top, Some(1));
    assert_eq!(q("$top=0").top, Some(0));
    assert_eq!(q("$top=000").top, Some(0));
    for (raw, needle) in [
        ("$top=1001", "$top must be between 0 and 1000, not 1001"),
        ("$top=-1", "$top must be between 0 and 1000, not -1"),
        (
            "$top=99999999999999999999999",
            "$top must be between 0 and 1000",
        ),
        ("$top=", "expected a whole number, found ''"),
        ("$top=ten", "expected a whole number, found 'ten'"),
        ("$top=1.5", "expected a whole number"),
        ("$top=+5", "expected a whole number"),
    ] {
        let e = qerr(raw);
        assert!(e.to_string().contains(needle), "{raw}: {e}");
    }
    assert_eq!(qerr("$top=5000").kind, ErrorKind::Limit);
    let limits = Limits {
        max_top: 50,
        ..Limits::DEFAULT
    };
    let e = parse_query("$top=51", &SCHEMA, &limits).unwrap_err();
    assert!(e.to_string().contains("between 0 and 50"), "{e}");
    assert_eq!(q("$skip=0").skip, Some(0));
    assert_eq!(q("$skip=9223372036854775807").skip, Some(i64::MAX as u64));
    assert_eq!(qerr("$skip=9223372036854775808").kind, ErrorKind::Limit);
    assert_eq!(qerr("$skip=-1").kind, ErrorKind::Limit);
    assert_eq!(qerr("$skip=x").kind, ErrorKind::Syntax);
}

#[test]
fn count_search_skiptoken() {
    assert!(q("$count=true").count);
    assert!(!q("$count=false").count);
    assert!(q("$count=True").count);
    assert!(qerr("$count=yes")
        .to_string()
        .contains("expected true or false, found 'yes'"));
    assert!(qerr("$count=")
        .to_string()
        .contains("expected true or false"));
    assert_eq!(
        q("$search=%22kiosk%20devices%22").search.as_deref(),
        Some("kiosk devices")
    );
    assert_eq!(q("$search=kiosk").search.as_deref(), Some("kiosk"));
    assert_eq!(
        q("$search=%22a%5C%22b%5C%5Cc%22").search.as_deref(),
        Some("a\"b\\c")
    );
    assert_eq!(q("$search=a+b").search.as_deref(), Some("a+b"));
    for (raw, needle) in [
        ("$search=", "expected search text"),
        ("$search=%22%22", "between the quotes"),
        ("$search=%22abc", "unterminated search phrase"),
        ("$search=%22a%22b%22", "unexpected '\"' inside"),
        ("$search=%22a%5Cb%22", "must be followed by"),
    ] {
        let e = qerr(raw);
        assert!(e.to_string().contains(needle), "{raw}: {e}");
    }
    assert_eq!(
        q("$skiptoken=abc%3D%3D").skiptoken.as_deref(),
        Some("abc==")
    );
    assert!(qerr("$skiptoken=")
        .to_string()
        .contains("expected a skip token"));
}

#[test]
fn value_length_limit() {
    let limits = Limits {
        max_value_len: 10,
        ..Limits::DEFAULT
    };
    let e = parse_query("$search=abcdefghijk", &SCHEMA, &limits).unwrap_err();
    assert_eq!(e.to_string(), "$search: the value is longer than 10 bytes");
}

#[test]
fn select_table() {
    let sel = |s: &str| parse_select(s, &SCHEMA);
    assert_eq!(sel("*").unwrap(), Select::All);
    assert_eq!(sel("id,*").unwrap(), Select::All);
    assert_eq!(
        sel(" id , displayName,id ,qrCodeImage").unwrap(),
        Select::Properties(vec![prop("id"), prop("displayName"), prop("qrCodeImage")])
    );
    assert_eq!(
        sel("wifiPassword").unwrap(),
        Select::Properties(vec![prop("wifiPassword")])
    );
    for (input, pos, needle) in [
        ("", 0, "$select: expected a property name at position 0"),
        ("id,", 3, "expected a property name"),
        ("id,,displayName", 3, "expected a property name"),
        (
            "id,dispayName",
            3,
            "unknown property 'dispayName' at position 3; did you mean 'displayName'?",
        ),
        ("id+displayName", 0, "encode spaces as %20"),
        (
            "roleScopeTagIds/any()",
            0,
            "selecting a part of a property is not supported",
        ),
    ] {
        let e = sel(input).unwrap_err();
        assert_eq!(e.position, Some(pos), "{input}");
        assert!(e.to_string().contains(needle), "{input}: {e}");
    }
}

#[test]
fn select_respects_selectable() {
    static PROPS: [odata::Property; 2] = [
        odata::Property::new("id", odata::PropertyType::String),
        odata::Property::new("secret", odata::PropertyType::String).not_selectable(),
    ];
    static S: odata::Schema = odata::Schema {
        entity_type: "t",
        properties: &PROPS,
    };
    let e = parse_select("id,secret", &S).unwrap_err();
    assert_eq!(
        e.to_string(),
        "$select: 'secret' cannot be selected at position 3"
    );
    assert_eq!(e.kind, ErrorKind::NotAllowed);
}

#[test]
fn orderby_table() {
    let ob = |s: &str| parse_orderby(s, &SCHEMA);
    let asc = |n| OrderBy {
        prop: prop(n),
        direction: Direction::Asc,
    };
    let desc = |n| OrderBy {
        prop: prop(n),
        direction: Direction::Desc,
    };
    assert_eq!(ob("displayName").unwrap(), vec![asc("displayName")]);
    assert_eq!(ob("displayName asc").unwrap(), vec![asc("displayName")]);
    assert_eq!(
        ob(" enrollmentMode  desc , id ").unwrap(),
        vec![desc("enrollmentMode"), asc("id")]
    );
    assert_eq!(
        ob("createdDateTime desc,configureWifi").unwrap(),
        vec![desc("createdDateTime"), asc("configureWifi")]
    );
    for (input, pos, needle) in [
        ("wifiPassword", 0, "$orderby: 'wifiPassword' cannot be sorted at position 0"),
        ("id,deviceNameTemplate desc", 3, "'deviceNameTemplate' cannot be sorted"),
        ("qrCodeImage", 0, "'qrCodeImage' cannot be sorted"),
        ("roleScopeTagIds", 0, "'roleScopeTagIds' is a collection (Collection(Edm.String)) and cannot be sorted"),
        ("displayName DESC", 12, "expected asc or desc, found 'DESC' at position 12; operators and keywords are lower-case: write 'desc'"),
        ("displayName descending", 12, "expected asc or desc"),
        ("displayName desc id", 17, "expected ',' before 'id'"),
        ("displayName,displayName desc", 12, "'displayName' appears more than once"),
        ("displayName+desc", 0, "encode spaces as %20"),
        ("dispayName", 0, "did you mean 'displayName'?"),
        ("", 0, "expected a property to sort by"),
        ("id,", 3, "expected a property to sort by"),
    ] {
        let e = ob(input).unwrap_err();
        assert_eq!(e.position, Some(pos), "{input}: {e}");
        assert!(e.to_string().contains(needle), "{input}: {e}");
    }
}

#[test]
fn to_query_string_round_trips() {
    let raw = "$filter=startswith(displayName,'a%26b')%20and%20createdDateTime%20gt%202026-01-02T03:04:05%2B01:00\
               &$select=id,displayName&$orderby=enrollmentMode%20desc,id&$top=10&$skip=5\
               &$skiptoken=a%2Bb%3D&$count=true&$search=%22x%20y%22";
    let o = q(raw);
    let printed = o.to_query_string();
    assert_eq!(
        printed,
        "$count=true&$filter=startswith(displayName,'a%26b')%20and%20createdDateTime%20gt%202026-01-02T02:04:05.0000000Z\
         &$orderby=enrollmentMode%20desc,id&$search=%22x%20y%22&$select=id,displayName&$skip=5&$skiptoken=a%2Bb%3D&$top=10"
    );
    assert_eq!(q(&printed), o);
    assert!(matches!(o.filter, Some(Filter::And(_))));
    assert_eq!(QueryOptions::default().to_query_string(), "");
}
