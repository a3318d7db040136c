//! Table tests: invalid `$filter` values and the messages they must produce (substrings,
//! position, kind).

mod common;

use common::schema::SCHEMA;
use odata::{parse_filter, ErrorKind, Limits};

/// `(input, expected position, kind, substrings of the full message)`.
type Case = (
    &'static str,
    Option<usize>,
    ErrorKind,
    &'static [&'static str],
);

#[test]
fn error_table() {
    use ErrorKind::*;
    let cases: &[Case] = &[
        // Syntax.
        ("", Some(0), Syntax, &["$filter: expected a condition"]),
        ("   ", Some(0), Syntax, &["empty filter"]),
        ("displayName eq", Some(14), Syntax, &["expected a value after 'eq' at position 14"]),
        ("displayName eq 'x' and", Some(22), Syntax, &["expected a property, a value or '('"]),
        ("displayName eq 'x", Some(15), Syntax, &["unterminated string literal at position 15", "''"]),
        ("displayName eq 'x')", Some(18), Syntax, &["unbalanced ')'"]),
        ("(displayName eq 'x'", Some(19), Syntax, &["expected ')'"]),
        ("displayName  eq 'x' foo", Some(20), Syntax, &["expected 'and', 'or' or the end of the filter, found 'foo'"]),
        ("displayName EQ 'x'", Some(12), Syntax, &["found 'EQ'", "lower-case: write 'eq'"]),
        ("configureWifi AND wifiHidden", Some(14), Syntax, &["lower-case: write 'and'"]),
        ("displayName+eq+'x'", Some(11), Syntax, &["unexpected character '+'", "%20"]),
        ("displayName eq \"x\"", Some(15), Syntax, &["single quotes"]),
        ("displayName = 'x'", Some(12), Syntax, &["use the operators eq"]),
        ("displayName eq 'a' && wifiHidden", Some(19), Syntax, &["use the operators and, or, not"]),
        ("displayName in ['a']", Some(15), Syntax, &["unexpected character '['", "in ('a','b')"]),
        ("displayName in 'a'", Some(15), Syntax, &["expected '(' after 'in', found a literal"]),
        ("displayName in ()", Some(12), Syntax, &["'in' needs at least one value"]),
        ("displayName in ('a' 'b')", Some(20), Syntax, &["expected ',' or ')'"]),
        ("displayName eq 'a' eq true", Some(19), Syntax, &["cannot be chained"]),
        ("enrolledDeviceCount gt 1 gt 2", Some(25), Syntax, &["cannot be chained"]),
        ("displayName eq 1x", Some(15), Syntax, &["invalid literal '1x'"]),
        ("enrolledDeviceCount eq 99999999999999999999", Some(23), Syntax, &["out of range"]),
        ("createdDateTime gt 2026-02-30T00:00:00Z", Some(19), Syntax, &["invalid date-time", "day 30 does not exist"]),
        ("createdDateTime gt 2026-01-02T03:04:05", Some(19), Syntax, &["expected 'Z' or an offset"]),
        ("roleScopeTagIds/any(t t eq '0')", Some(22), Syntax, &["expected ':' after the variable 't'"]),
        ("roleScopeTagIds/any(not: not eq '0')", Some(20), Syntax, &["expected a variable name"]),
        ("roleScopeTagIds/any(t: t eq '0'", Some(31), Syntax, &["')' closing any("]),
        ("qrCodeImage/type eq 'image/png'", Some(0), NotAllowed, &["'qrCodeImage' cannot be used in $filter"]),
        ("roleScopeTagIds/x eq 'a'", Some(0), Type, &["'roleScopeTagIds' is a collection of strings; '/' after it can only introduce any() or all()"]),
        ("roleScopeTagIds/any(t: t/x eq 'a')", Some(25), Type, &["'t' is a string and has no properties"]),
        ("roleScopeTagIds/all()", Some(20), Syntax, &["all() needs a condition"]),
        ("displayName eq $it", Some(15), Syntax, &["$it and $this are not supported"]),
        ("displayName eq 'a' or", Some(21), Syntax, &["expected a property"]),
        ("startswith(displayName,'a'", Some(26), Syntax, &["expected ',' or ')'"]),
        ("startswith(displayName)", Some(0), Syntax, &["startswith takes 2 arguments, not 1"]),
        // Names and permissions.
        ("dispayName eq 'x'", Some(0), UnknownProperty, &["$filter: unknown property 'dispayName' at position 0", "did you mean 'displayName'?"]),
        ("DisplayName eq 'x'", Some(0), UnknownProperty, &["did you mean 'displayName'?"]),
        ("nonsense eq 'x'", Some(0), UnknownProperty, &["unknown property 'nonsense'"]),
        ("wifiPassword eq 'x'", Some(0), NotAllowed, &["'wifiPassword' cannot be used in $filter"]),
        ("deviceNameTemplate eq null", Some(0), NotAllowed, &["'deviceNameTemplate' cannot be used in $filter"]),
        ("qrCodeImage eq null", Some(0), NotAllowed, &["'qrCodeImage' cannot be used in $filter"]),
        ("startswith(wifiPassword,'a')", Some(11), NotAllowed, &["'wifiPassword' cannot be used"]),
        ("t eq '0'", Some(0), UnknownProperty, &["unknown property 't'"]),
        // Types.
        ("displayName eq 5", Some(15), Type, &["'displayName' is Edm.String and cannot be compared with the integer 5", "quote strings"]),
        ("id eq 0f8fad5b-d9cb-469f-a165-70867728950e", Some(6), Type, &["unquoted GUID", "quote ids"]),
        ("id eq af8fad5b-d9cb-469f-a165-70867728950e", Some(6), Type, &["quote ids, which are strings: 'af8fad5b"]),
        ("configureWifi eq 'true'", Some(17), Type, &["Edm.Boolean", "the string 'true'", "use true or false"]),
        ("configureWifi gt false", Some(14), Type, &["'gt' cannot be used with Boolean property 'configureWifi'"]),
        ("enrolledDeviceCount eq '5'", Some(23), Type, &["Edm.Int32", "without quotes"]),
        ("enrolledDeviceCount eq 2147483648", Some(23), Type, &["2147483648 is out of range for Edm.Int32"]),
        ("enrolledDeviceCount eq 1.5", Some(23), Type, &["decimal number 1.5", "whole number"]),
        ("createdDateTime gt '2026-01-02T03:04:05Z'", Some(19), Type, &["Edm.DateTimeOffset", "without quotes"]),
        ("createdDateTime gt 2026-01-02", Some(19), Type, &["the date 2026-01-02", "2026-01-02T00:00:00Z"]),
        ("enrollmentMode eq 'corporateOwnedFullyManage'", Some(18), Type, &["'corporateOwnedFullyManage' is not a member of microsoft.graph.androidDeviceOwnerEnrollmentMode", "did you mean 'corporateOwnedFullyManaged'?"]),
        ("enrollmentMode eq 'zzz'", Some(18), Type, &["members are: corporateOwnedDedicatedDevice, corporateOwnedFullyManaged"]),
        ("enrollmentMode eq 'CorporateOwnedFullyManaged'", Some(18), Type, &["did you mean 'corporateOwnedFullyManaged'?"]),
        ("enrollmentMode eq 1", Some(18), Type, &["cannot be compared with the integer 1", "member name"]),
        ("enrollmentMode eq microsoft.graph.aospWifiSecurityType'wpa'", Some(18), Type, &["microsoft.graph.aospWifiSecurityType literal 'wpa'"]),
        ("displayName eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedFullyManaged'", Some(15), Type, &["Edm.String"]),
        ("displayName eq guid'x'", Some(15), Type, &["typed literals such as guid'...' are not supported"]),
        ("displayName gt null", Some(12), Type, &["null can only be compared with eq or ne"]),
        ("displayName in ('a', null)", Some(21), Type, &["null cannot appear in an 'in' list", "displayName eq null"]),
        ("displayName in ('a', 1)", Some(21), Type, &["cannot be compared with the integer 1"]),
        ("displayName in ('a', wifiSsid)", Some(21), Type, &["only literals"]),
        ("'a' in ('a')", Some(0), Type, &["left side of 'in' must be a property"]),
        ("displayName eq wifiSsid", Some(0), Unsupported, &["comparing two properties"]),
        ("'a' eq 'b'", Some(0), Type, &["needs a property on one side"]),
        ("displayName", Some(0), Type, &["'displayName' is Edm.String, not a condition", "displayName eq ..."]),
        ("'x'", Some(0), Type, &["a literal alone is not a condition"]),
        ("true", Some(0), Type, &["a literal alone is not a condition"]),
        ("not displayName eq 'x'", Some(0), Type, &["'not' applies only to the operand right after it"]),
        ("startswith(displayName,'a') eq 'x'", Some(31), Type, &["only be compared with true or false"]),
        ("startswith(displayName,'a') gt true", Some(28), Type, &["'gt' cannot compare conditions"]),
        ("startswith(enrollmentMode,'a')", Some(11), Type, &["startswith needs a String property, but 'enrollmentMode' is microsoft.graph.androidDeviceOwnerEnrollmentMode"]),
        ("startswith(enrolledDeviceCount,'1')", Some(11), Type, &["Edm.Int32"]),
        ("startswith('a',displayName)", Some(11), Type, &["first argument of startswith must be a property"]),
        ("startswith(displayName,5)", Some(23), Type, &["second argument of startswith must be a quoted string"]),
        ("contains(roleScopeTagIds,'0')", Some(9), Type, &["collection and can only be filtered with any()"]),
        ("tolower(displayName) eq 'x'", Some(0), Unsupported, &["unknown function 'tolower'", "startswith, endswith, contains"]),
        ("substringof('x',displayName)", Some(0), Unsupported, &["use contains(property,'text')"]),
        ("roleScopeTagIds eq '0'", Some(0), Type, &["'roleScopeTagIds' is a collection", "roleScopeTagIds/any(t: t eq 'value')"]),
        ("roleScopeTagIds eq null", Some(0), Type, &["is a collection"]),
        ("displayName/any(t: t eq 'x')", Some(0), Type, &["any() applies to collections, but 'displayName' is Edm.String"]),
        ("roleScopeTagIds/any(t: x eq '0')", Some(23), Unsupported, &["only the variable 't' can be used, not 'x'"]),
        ("roleScopeTagIds/any(t: displayName eq '0')", Some(23), Unsupported, &["only the variable 't'"]),
        ("roleScopeTagIds/any(t: t eq 0)", Some(28), Type, &["'t' is a string and cannot be compared with the integer 0"]),
        ("roleScopeTagIds/any(t: t eq null)", Some(28), Type, &["never null"]),
        ("roleScopeTagIds/any(t: t)", Some(23), Type, &["'t' is a string, not a condition"]),
        ("roleScopeTagIds/any(t: t eq t)", Some(23), Unsupported, &["comparing two values"]),
        ("roleScopeTagIds/any(t: roleScopeTagIds/any(u: u eq '1'))", Some(23), Unsupported, &["cannot be nested"]),
        ("roleScopeTagIds/any(t: startswith(x,'1'))", Some(34), Unsupported, &["only the variable 't'"]),
    ];
    let mut failures = Vec::new();
    for (input, pos, kind, needles) in cases {
        match parse_filter(input, &SCHEMA, &Limits::DEFAULT) {
            Ok(f) => failures.push(format!("{input:?}: parsed as {f}")),
            Err(e) => {
                let text = e.to_string();
                if e.position != *pos
                    || e.kind != *kind
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
fn limits_are_enforced() {
    let limits = Limits {
        max_value_len: 20,
        ..Limits::DEFAULT
    };
    let e = parse_filter("displayName eq 'abcdefghij'", &SCHEMA, &limits).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
    assert_eq!(e.to_string(), "$filter: the value is longer than 20 bytes");
    let deep = format!("{}configureWifi{}", "(".repeat(5000), ")".repeat(5000));
    let e = parse_filter(&deep, &SCHEMA, &Limits::DEFAULT).unwrap_err();
    assert!(e.to_string().contains("deeper than 100 levels"), "{e}");
    let nots = format!("{}configureWifi", "not ".repeat(5000));
    assert_eq!(
        parse_filter(&nots, &SCHEMA, &Limits::DEFAULT)
            .unwrap_err()
            .kind,
        ErrorKind::Limit
    );
    // 100 nested groups parse, but folding `eq false` into `not` makes the AST 101 deep.
    let mut folded = "configureWifi eq true".to_owned();
    for _ in 0..100 {
        folded = format!("({folded}) eq false");
    }
    let e = parse_filter(&folded, &SCHEMA, &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
    let mut ok = "configureWifi eq true".to_owned();
    for _ in 0..99 {
        ok = format!("({ok}) eq false");
    }
    parse_filter(&ok, &SCHEMA, &Limits::DEFAULT).unwrap();
}
