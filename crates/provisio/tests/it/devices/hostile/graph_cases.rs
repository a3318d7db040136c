//! Hostile requests on the Graph managed devices: ids that are not a device of the caller's
//! tenant, `$filter` and other query options that do not type-check, and PATCH bodies.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{Case, Scene, BAD, MEDIA, NOT_FOUND, TOO_LARGE};

const DEVICES: &str = "/beta/deviceManagement/managedDevices";

/// Every Graph case.
pub fn all(sc: &Scene) -> Vec<Case> {
    let mut out = ids(sc);
    out.extend(queries());
    out.extend(patches(sc));
    out
}

/// Each way of addressing one device, with `id`.
fn each_operation(name: &str, id: &str, want: (StatusCode, &'static str)) -> Vec<Case> {
    let url = format!("{DEVICES}/{id}");
    [
        (Method::GET, url.clone()),
        (Method::PATCH, url.clone()),
        (Method::DELETE, url.clone()),
        (Method::POST, format!("{url}/retire")),
        (Method::POST, format!("{url}/wipe")),
    ]
    .into_iter()
    .map(|(method, path)| {
        Case::json(format!("{method} {name}"), path, &json!({}))
            .method(method)
            .want(want)
    })
    .collect()
}

fn ids(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    for (name, id) in [
        ("a word", "x".to_owned()),
        ("a number", "1".to_owned()),
        ("a GUID in braces", format!("{{{}}}", sc.d1_id)),
        ("a GUID without hyphens", sc.d1_id.replace('-', "")),
        ("a GUID with a g", format!("{}g", &sc.d1_id[..35])),
        ("a GUID and a space", format!("{}%20", sc.d1_id)),
        ("invalid UTF-8", "%FF%FE".to_owned()),
        ("NUL", "%00".to_owned()),
        ("OData key syntax", format!("('{}')", sc.d1_id)),
        ("2,000 characters", "7".repeat(2000)),
    ] {
        out.extend(each_operation(&format!("id {name}"), &id, BAD));
    }
    for (name, id) in [
        ("unknown", uuid::Uuid::new_v4().to_string()),
        ("a profile's", sc.profile.clone()),
        ("another tenant's device", sc.other_device_id.clone()),
        ("a command's", sc.wipe.clone()),
        ("nil", uuid::Uuid::nil().to_string()),
    ] {
        out.extend(each_operation(&format!("{name} id"), &id, NOT_FOUND));
    }
    out
}

/// Query options that must be refused, on the list and on `$count`.
fn queries() -> Vec<Case> {
    let long = format!("serialNumber eq '{}'", "x".repeat(20_000));
    let deep = format!(
        "{}serialNumber eq 'x'{}",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let filters = [
        "foo eq 1",
        "serialNumber eq 5",
        "serialNumber eq null or",
        "serialNumber eq 'unterminated",
        "enrolledDateTime eq 'yesterday'",
        "enrolledDateTime gt 2026-13-01T00:00:00Z",
        "managementState eq 'bogus'",
        "managementState eq 3",
        "enrollmentProfileId eq 5",
        "credentialHash eq 'x'",
        "credential_hash eq 'x'",
        "superseded eq false",
        "identity_a eq 'x'",
        "notes eq 'x'",
        "startswith(serialNumber)",
        "contains(serialNumber, 5)",
        "roleScopeTagIds eq '0'",
        "roleScopeTagIds/any(t: t eq 0)",
        "serialNumber eq 'a\u{0}b'",
        "deviceName in ()",
        long.as_str(),
        deep.as_str(),
    ];
    let mut out = Vec::new();
    for f in filters {
        let shown: String = f.chars().take(60).collect();
        for path in [DEVICES.to_owned(), format!("{DEVICES}/$count")] {
            let url = format!("{path}?$filter={}", encode(f));
            out.push(
                Case::raw(format!("GET {path} $filter={shown}"), url, Vec::new())
                    .method(Method::GET)
                    .want(BAD),
            );
        }
    }
    for option in [
        "$orderby=credentialHash",
        "$orderby=notes",
        "$orderby=serialNumber sideways",
        "$select=credentialHash",
        "$select=superseded",
        "$top=-1",
        "$top=abc",
        "$top=99999999999999999999",
        "$skip=-1",
        "$skiptoken=not-a-token",
        "$expand=commands",
        "$count=maybe",
        "$search=%22a",
        "$filter=",
    ] {
        out.push(
            Case::raw(
                format!("GET {option}"),
                format!("{DEVICES}?{option}"),
                Vec::new(),
            )
            .method(Method::GET)
            .want(BAD),
        );
    }
    // A format other than JSON is not acceptable (docs/API.md, Response formats).
    out.push(
        Case::raw(
            "GET $format=xml",
            format!("{DEVICES}?$format=xml"),
            Vec::new(),
        )
        .method(Method::GET)
        .want((StatusCode::NOT_ACCEPTABLE, "NotAcceptable")),
    );
    out
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// PATCH bodies a device refuses.
fn patches(sc: &Scene) -> Vec<Case> {
    let url = format!("{DEVICES}/{}", sc.d1_id);
    let patch = |name: &str, body: Value| {
        Case::json(format!("PATCH {name}"), url.clone(), &body).method(Method::PATCH)
    };
    let mut out = Vec::new();
    for (member, v) in [
        ("notes", json!(5)),
        ("notes", json!(["x"])),
        ("notes", json!({"text": "x"})),
        ("notes", json!(true)),
        ("managedDeviceName", json!(7)),
        ("managedDeviceName", json!({})),
        ("managedDeviceName", json!([])),
        ("notes", json!("n".repeat(4001))),
        ("managedDeviceName", json!("m".repeat(257))),
        ("notes", json!("a\u{0}b")),
        ("serialNumber", json!(5)),
        ("managementState", json!("bogus")),
        ("enrolledDateTime", json!("yesterday")),
        ("roleScopeTagIds", json!("0")),
        ("enrollmentProfileId", json!(5)),
        ("id", json!("x")),
        ("credentialHash", json!("0".repeat(64))),
        ("superseded", json!(true)),
        ("commands", json!([])),
    ] {
        let shown: String = v.to_string().chars().take(30).collect();
        out.push(patch(&format!("{member} = {shown}"), json!({ member: v })).bad(member));
    }
    out.push(patch("empty body", json!(null)).want(BAD));
    out.push(patch("array body", json!([{"notes": "x"}])).want(BAD));
    out.push(
        patch(
            "other entity type",
            json!({"@odata.type": "#microsoft.graph.user", "notes": "x"}),
        )
        .want(BAD),
    );
    out.push(
        Case::raw(
            "PATCH 10 MB notes",
            url.clone(),
            format!("{{\"notes\":\"{}\"}}", "n".repeat(10 * 1024 * 1024)).into_bytes(),
        )
        .method(Method::PATCH)
        .want(TOO_LARGE),
    );
    out.push(
        Case::raw(
            "PATCH duplicate notes",
            url.clone(),
            br#"{"notes":"a","notes":"b"}"#.to_vec(),
        )
        .method(Method::PATCH)
        .want(BAD),
    );
    out.push(
        Case::raw(
            "PATCH as text/plain",
            url.clone(),
            br#"{"notes":"a"}"#.to_vec(),
        )
        .untyped()
        .with("content-type", b"text/plain")
        .method(Method::PATCH)
        .want(MEDIA),
    );
    // Action parameters: unknown, or of the wrong type.
    for (action, body, member) in [
        ("retire", json!({"keepUserData": true}), "keepUserData"),
        ("wipe", json!({"keepUserData": "yes"}), "keepUserData"),
        ("wipe", json!({"macOsUnlockCode": 1234}), "macOsUnlockCode"),
        ("wipe", json!([]), "object"),
    ] {
        out.push(
            Case::json(format!("{action} {body}"), format!("{url}/{action}"), &body).bad(member),
        );
    }
    out
}

/// A PATCH of read-only members only, with values of the right types: Graph ignores them.
pub fn read_only_members(sc: &Scene) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "serialNumber": "FORGED",
        "deviceName": "forged",
        "managementState": "retirePending",
        "enrollmentProfileId": sc.other_profile,
        "enrolledDateTime": "2001-01-01T00:00:00Z",
        "roleScopeTagIds": ["9"],
        "imei": "356938035643809",
        "operatingSystem": "iOS",
    })
}
