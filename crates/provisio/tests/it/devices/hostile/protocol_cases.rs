//! The device protocol's own hostile cases, each aimed at one defect of an otherwise valid
//! request: the answer must be the one that defect calls for.

use serde_json::{json, Value};

use super::{Case, Scene, BAD, CHECK, CHECKIN, ENROLL, MEDIA, TOKEN, TOO_LARGE};
use crate::devices::Device;

/// The body limit of every endpoint.
const MAX_BODY: usize = 1024 * 1024;

/// Every device-protocol case.
pub fn all(sc: &Scene) -> Vec<Case> {
    let mut out = enroll_members(sc);
    out.extend(identities(sc));
    out.extend(credential_hashes_and_tokens(sc));
    out
}

/// A valid enrollment of a device not enrolled yet: each case breaks one thing in it.
pub fn fresh(sc: &Scene) -> Value {
    Device::new("HOSTILE-NEW").body(&sc.token)
}

pub fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, member) = pointer.rsplit_once('/').expect("a pointer");
    let parent = body.pointer_mut(parent).expect("parent member");
    parent
        .as_object_mut()
        .expect("an object")
        .insert(member.to_owned(), value);
    body
}

fn device_with(sc: &Scene, member: &str, value: Value) -> Value {
    let mut body = fresh(sc);
    body["device"][member] = value;
    body
}

/// `body` as JSON padded with spaces to exactly `len` bytes.
fn padded(body: &Value, len: usize) -> Vec<u8> {
    let text = body.to_string();
    let pad = len - text.len();
    format!("{{{}{}", " ".repeat(pad), &text[1..]).into_bytes()
}

/// Sizes, and every member with every wrong JSON type.
fn enroll_members(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    let huge = json!("x".repeat(10 * 1024 * 1024));
    for (name, pointer) in [
        ("serial", "/device/serialNumber"),
        ("credentialHash", "/credentialHash"),
        ("enrollmentToken", "/enrollmentToken"),
        ("model", "/device/model"),
    ] {
        let body = with(fresh(sc), pointer, huge.clone());
        out.push(Case::json(format!("10 MB {name}"), ENROLL, &body).want(TOO_LARGE));
    }
    let mut body = fresh(sc);
    body["userIdToken"] = huge.clone();
    out.push(Case::json("10 MB userIdToken", ENROLL, &body).want(TOO_LARGE));
    out.push(
        Case::json(
            "check: 10 MB token",
            CHECK,
            &json!({"enrollmentToken": huge}),
        )
        .want(TOO_LARGE),
    );
    let long_serial = device_with(sc, "serialNumber", json!("S".repeat(100_000)));
    out.push(
        Case::raw(
            "1 MiB body, 100 KB serial",
            ENROLL,
            padded(&long_serial, MAX_BODY),
        )
        .bad("device/serialNumber"),
    );
    out.push(
        Case::raw(
            "1 MiB + 1 byte body",
            ENROLL,
            padded(&long_serial, MAX_BODY + 1),
        )
        .want(TOO_LARGE),
    );
    let long_maker = device_with(sc, "manufacturer", json!("m".repeat(100_000)));
    out.push(
        Case::raw(
            "1 MiB body, 100 KB manufacturer",
            ENROLL,
            padded(&long_maker, MAX_BODY),
        )
        .bad("device/manufacturer"),
    );
    // One character over each member's limit.
    for (member, max) in [
        ("serialNumber", 128),
        ("imei", 32),
        ("meid", 32),
        ("enterpriseSpecificId", 256),
        ("manufacturer", 128),
        ("model", 128),
        ("osVersion", 64),
        ("securityPatchLevel", 32),
        ("wifiMacAddress", 64),
    ] {
        let body = device_with(sc, member, json!("7".repeat(max + 1)));
        out.push(
            Case::json(format!("{member} {}", max + 1), ENROLL, &body)
                .bad(&format!("device/{member}")),
        );
    }
    let mut body = fresh(sc);
    body["userIdToken"] = json!("t".repeat(16 * 1024 + 1));
    out.push(Case::json("userIdToken 16 KiB + 1", ENROLL, &body).bad("userIdToken"));
    let body = with(fresh(sc), "/enrollmentToken", json!("A".repeat(257)));
    out.push(Case::json("enrollmentToken 257", ENROLL, &body).bad("enrollmentToken"));
    // Wrong types, everywhere.
    let shapes = [
        ("number", json!(7)),
        ("array", json!(["x"])),
        ("object", json!({"x": 1})),
        ("bool", json!(false)),
    ];
    for (shape, v) in &shapes {
        for top in ["enrollmentToken", "credentialHash", "device", "userIdToken"] {
            if *shape == "object" && top == "device" {
                continue;
            }
            let mut body = fresh(sc);
            body[top] = v.clone();
            out.push(Case::json(format!("{top} as {shape}"), ENROLL, &body).bad(top));
        }
        for member in [
            "serialNumber",
            "imei",
            "meid",
            "enterpriseSpecificId",
            "manufacturer",
            "model",
            "osVersion",
            "securityPatchLevel",
            "wifiMacAddress",
        ] {
            let body = device_with(sc, member, v.clone());
            out.push(
                Case::json(format!("device/{member} as {shape}"), ENROLL, &body)
                    .bad(&format!("device/{member}")),
            );
        }
        out.push(
            Case::json(
                format!("check: token as {shape}"),
                CHECK,
                &json!({"enrollmentToken": v}),
            )
            .bad("enrollmentToken"),
        );
    }
    for required in ["enrollmentToken", "credentialHash", "device"] {
        let null = with(fresh(sc), &format!("/{required}"), Value::Null);
        out.push(Case::json(format!("{required} null"), ENROLL, &null).bad(required));
        let mut missing = fresh(sc);
        missing.as_object_mut().unwrap().remove(required);
        out.push(Case::json(format!("{required} missing"), ENROLL, &missing).bad(required));
    }
    out.push(
        Case::json(
            "check: token null",
            CHECK,
            &json!({"enrollmentToken": null}),
        )
        .bad("enrollmentToken"),
    );
    out.push(Case::json("check: empty object", CHECK, &json!({})).bad("enrollmentToken"));
    // Members the protocol does not have.
    let mut body = fresh(sc);
    body["deviceId"] = json!("x");
    out.push(Case::json("unknown member", ENROLL, &body).bad("deviceId"));
    out.push(
        Case::json(
            "unknown device member",
            ENROLL,
            &device_with(sc, "brand", json!("x")),
        )
        .bad("device/brand"),
    );
    let check = json!({"enrollmentToken": sc.token, "mode": 1});
    out.push(Case::json("check: unknown member", CHECK, &check).bad("mode"));
    // Text no member may hold.
    for (name, text) in [
        ("NUL", "R58\u{0}N"),
        ("SOH", "R58\u{1}N"),
        ("newline", "R58\nN"),
        ("tab", "R58\tN"),
        ("DEL", "R58\u{7f}N"),
        ("C1 CSI", "R58\u{9b}N"),
        ("escape sequence", "\u{1b}[2JR58N"),
    ] {
        let body = device_with(sc, "serialNumber", json!(text));
        out.push(
            Case::json(format!("serial with {name}"), ENROLL, &body).bad("device/serialNumber"),
        );
        let body = device_with(sc, "osVersion", json!(text));
        out.push(
            Case::json(format!("osVersion with {name}"), ENROLL, &body).bad("device/osVersion"),
        );
    }
    // Bodies the JSON reader refuses.
    let token = &sc.token;
    for (name, raw) in [
        (
            "duplicate token",
            format!(r#"{{"enrollmentToken":"{token}","enrollmentToken":"{token}"}}"#),
        ),
        (
            "duplicate serial",
            fresh(sc).to_string().replace(
                r#""serialNumber":"HOSTILE-NEW""#,
                r#""serialNumber":"A","serialNumber":"B""#,
            ),
        ),
        (
            "NUL escape in a key",
            fresh(sc)
                .to_string()
                .replace("\"model\"", r#""mo\u0000del""#),
        ),
        (
            "lone surrogate serial",
            fresh(sc).to_string().replace("HOSTILE-NEW", r"\udc00"),
        ),
    ] {
        out.push(Case::raw(name, ENROLL, raw.into_bytes()).want(BAD));
    }
    for (name, v) in [
        ("array body", json!([fresh(sc)])),
        ("string body", json!(sc.token)),
        (
            "device as array of facts",
            with(fresh(sc), "/device", json!([{"serialNumber": "X1"}])),
        ),
    ] {
        out.push(Case::json(name, ENROLL, &v).want(BAD));
    }
    out.push(Case::raw("empty body", ENROLL, Vec::new()).want(BAD));
    out.push(Case::raw("check: empty body", CHECK, Vec::new()).want(BAD));
    // Content types.
    let body = fresh(sc).to_string().into_bytes();
    for path in [CHECK, ENROLL, CHECKIN] {
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "application/jsonx",
            "multipart/form-data; boundary=x",
        ] {
            let mut c = Case::raw(format!("{path} as {ct}"), path, body.clone()).untyped();
            c = c.with("content-type", ct.as_bytes()).device(&sc.d1);
            out.push(c.want(MEDIA));
        }
        let c = Case::raw(format!("{path} without a content type"), path, body.clone());
        out.push(c.untyped().device(&sc.d1).want(MEDIA));
    }
    out
}

/// Placeholder serials and other facts that identify nothing.
fn identities(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    let none = "no usable identity";
    for serial in [
        "unknown",
        "UNKNOWN",
        " Unknown ",
        "0123456789ABCDEF",
        "0123456789abcdef",
        "0000000",
        "1111",
        "9",
        "",
        "   ",
        "null",
        "SERIAL",
    ] {
        let body = device_with(sc, "serialNumber", json!(serial));
        out.push(Case::json(format!("serial {serial:?}"), ENROLL, &body).bad(none));
    }
    let mut body = device_with(sc, "serialNumber", json!("unknown"));
    body["device"]["imei"] = json!("000000000000000");
    out.push(Case::json("placeholder serial and IMEI", ENROLL, &body).bad(none));
    let mut body = device_with(sc, "serialNumber", json!("unknown"));
    body["device"]["enterpriseSpecificId"] = json!("  ");
    out.push(Case::json("blank enterpriseSpecificId", ENROLL, &body).bad(none));
    let body = with(
        fresh(sc),
        "/device",
        json!({"manufacturer": "samsung", "model": "x"}),
    );
    out.push(Case::json("no serial, IMEI or id", ENROLL, &body).bad(none));
    out.push(
        Case::json(
            "empty device",
            ENROLL,
            &with(fresh(sc), "/device", json!({})),
        )
        .bad(none),
    );
    out
}

/// Credential hashes that are not 64 hexadecimal digits, and tokens that are not a token.
fn credential_hashes_and_tokens(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    let hex = "0123456789abcdef".repeat(4);
    for (name, hash) in [
        ("63 hex digits", hex[..63].to_owned()),
        ("65 hex digits", format!("{hex}0")),
        ("empty", String::new()),
        ("non-hex", "g".repeat(64)),
        ("0x prefix", format!("0x{}", &hex[..62])),
        ("space inside", format!("{} {}", &hex[..31], &hex[..32])),
        ("Arabic-Indic digits", "٠١٢٣٤٥٦٧".repeat(8)),
        ("fullwidth digits", "０１２３".repeat(16)),
        ("combining accents", "a\u{301}".repeat(32)),
        ("RTL mark", format!("\u{200f}{}", &hex[..63])),
        ("emoji", "😀".repeat(64)),
    ] {
        let body = with(fresh(sc), "/credentialHash", json!(hash));
        out.push(Case::json(format!("credentialHash {name}"), ENROLL, &body).bad("credentialHash"));
    }
    let token = sc.token.as_str();
    for (name, t) in [
        ("lower-case", token.to_lowercase()),
        ("leading space", format!(" {token}")),
        ("trailing space", format!("{token} ")),
        ("space inside", format!("{} {}", &token[..10], &token[10..])),
        ("19 letters", token[..19].to_owned()),
        ("21 letters", format!("{token}A")),
        ("digits", "1".repeat(20)),
        (
            "fullwidth letters",
            token
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                .collect::<String>(),
        ),
        ("RTL mark", format!("\u{200f}{token}")),
        ("combining", format!("{}\u{301}", &token[..19])),
        ("emoji", "😀".repeat(20)),
        ("empty", String::new()),
    ] {
        let body = with(fresh(sc), "/enrollmentToken", json!(t));
        out.push(Case::json(format!("token {name}"), ENROLL, &body).want(TOKEN));
        let body = json!({"enrollmentToken": t});
        out.push(Case::json(format!("check: token {name}"), CHECK, &body).want(TOKEN));
    }
    out
}
