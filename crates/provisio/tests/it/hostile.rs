//! A corpus of hostile bodies, each sent as a create and as a PATCH: every one gets a 4xx Graph
//! envelope (never a 5xx, never a dropped connection), and stored data does not change.

use provisio::model::entity::{MemberDecl, MemberType, Nullable};
use provisio::model::{Profile, PROFILES};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{ok_json, TestServer};

/// JSON values of every shape, to put where they do not belong.
fn shapes() -> Vec<(&'static str, Value)> {
    vec![
        ("number", json!(42)),
        ("float", json!(1.5)),
        ("bool", json!(true)),
        ("string", json!("x")),
        ("array", json!(["x"])),
        ("object", json!({"a": 1})),
        ("null", Value::Null),
    ]
}

/// Whether a value of `shape` is wrong for the member, by its declared type.
fn wrong_for(m: &MemberDecl<Profile>, shape: &str) -> bool {
    let nullable = m.nullable == Nullable::Yes;
    match m.ty {
        MemberType::String => shape != "string" && (shape != "null" || !nullable),
        MemberType::GuidString | MemberType::Guid | MemberType::DateTime | MemberType::Enum(_) => {
            true
        }
        MemberType::Int32 | MemberType::Int64 => shape != "number",
        MemberType::Boolean => shape != "bool",
        MemberType::StringCollection => shape != "array",
        MemberType::Image => shape != "null" && shape != "object",
        MemberType::Complex(_) => shape != "object" && (shape != "null" || !nullable),
        MemberType::ComplexCollection(_) => shape != "array",
    }
}

/// Each entry is invalid on its own, as a create body and as a PATCH body.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: String, v: Value| out.push((name, v.to_string().into_bytes()));

    // A wrong JSON type at every member. (For date, GUID and enum members even a string is wrong
    // here: "x" is none of those.)
    for m in PROFILES.members {
        for (shape, v) in shapes() {
            if wrong_for(m, shape) {
                add(format!("{} as {shape}", m.name), json!({ m.name: v }));
            }
        }
    }
    // Values of the right type that break a rule.
    for (name, v) in [
        (
            "enrollmentMode lower-case",
            json!({"enrollmentMode": "corporateownedfullymanaged"}),
        ),
        ("enrollmentMode number", json!({"enrollmentMode": 1})),
        (
            "enrollmentMode numeric string",
            json!({"enrollmentMode": "1"}),
        ),
        (
            "enrollmentTokenType unknown",
            json!({"enrollmentTokenType": "shared"}),
        ),
        ("wifiSecurityType WPA", json!({"wifiSecurityType": "WPA"})),
        ("displayName blank", json!({"displayName": " \t\n "})),
        ("displayName 300", json!({"displayName": "n".repeat(300)})),
        ("description 2000", json!({"description": "d".repeat(2000)})),
        ("wifiSsid 33 bytes", json!({"wifiSsid": "s".repeat(33)})),
        ("wifiSsid 11 emoji", json!({"wifiSsid": "😀".repeat(11)})),
        ("wifiSsid empty", json!({"wifiSsid": ""})),
        (
            "wpa password 7",
            json!({"wifiSecurityType": "wpa", "wifiPassword": "1234567"}),
        ),
        (
            "wpa password 64 non-hex",
            json!({"wifiSecurityType": "wpa", "wifiPassword": "z".repeat(64)}),
        ),
        (
            "wpa password non-ascii",
            json!({"wifiSecurityType": "wpa", "wifiPassword": "pässwörd123"}),
        ),
        (
            "wep key 6",
            json!({"wifiSecurityType": "wep", "wifiPassword": "123456"}),
        ),
        (
            "template unknown token",
            json!({"deviceNameTemplate": "{{IMEI}}"}),
        ),
        (
            "template rand 0",
            json!({"deviceNameTemplate": "{{rand:0}}"}),
        ),
        (
            "template unclosed",
            json!({"deviceNameTemplate": "{{SERIAL"}),
        ),
        ("template 64", json!({"deviceNameTemplate": "t".repeat(64)})),
        ("tags 101", json!({"roleScopeTagIds": vec!["0"; 101]})),
        (
            "tags 100000",
            json!({"roleScopeTagIds": vec!["0"; 100_000]}),
        ),
        ("tag empty", json!({"roleScopeTagIds": [""]})),
        ("tag number", json!({"roleScopeTagIds": [0]})),
        ("tag null", json!({"roleScopeTagIds": [null]})),
        ("tag nested", json!({"roleScopeTagIds": [["0"]]})),
        ("tag 129", json!({"roleScopeTagIds": ["t".repeat(129)]})),
        (
            "int32 overflow",
            json!({"enrolledDeviceCount": 2_147_483_648_i64}),
        ),
        (
            "int32 underflow",
            json!({"enrollmentTokenUsageCount": -2_147_483_649_i64}),
        ),
        ("u64 max", json!({"enrolledDeviceCount": u64::MAX})),
        (
            "date no zone",
            json!({"createdDateTime": "2017-01-01T00:00:00"}),
        ),
        (
            "date nonsense",
            json!({"lastModifiedDateTime": "yesterday"}),
        ),
        (
            "date year 0",
            json!({"tokenCreationDateTime": "0000-01-01T00:00:00Z"}),
        ),
        (
            "date month 13",
            json!({"tokenExpirationDateTime": "2017-13-01T00:00:00Z"}),
        ),
        ("id not guid", json!({"id": "x"})),
        (
            "qrCodeImage bad base64",
            json!({"qrCodeImage": {"type": "image/png", "value": "***"}}),
        ),
        (
            "qrCodeImage unknown member",
            json!({"qrCodeImage": {"bogus": 1}}),
        ),
        (
            "odata.type other",
            json!({"@odata.type": "#microsoft.graph.user"}),
        ),
        ("odata.type number", json!({"@odata.type": 5})),
        ("unknown member", json!({"foo": "bar"})),
        ("unknown member case", json!({"DisplayName": "x"})),
        ("unknown member empty", json!({"": 1})),
        ("unknown long member", json!({ "m".repeat(10_000): 1 })),
        (
            "nulls everywhere",
            Value::Object(
                PROFILES
                    .members
                    .iter()
                    .map(|m| (m.name.to_owned(), Value::Null))
                    .collect(),
            ),
        ),
    ] {
        add(name.to_owned(), v);
    }
    // Bodies that are not an object.
    for (name, v) in [
        ("array", json!([])),
        ("array of object", json!([{"displayName": "x"}])),
        ("string", json!("displayName")),
        ("number", json!(1)),
        ("null", Value::Null),
        ("true", json!(true)),
    ] {
        add(format!("body {name}"), v);
    }
    // Raw bytes that are not valid JSON, or not JSON we accept.
    let raw: Vec<(&str, Vec<u8>)> = vec![
        (
            "deep arrays",
            format!(
                "{{\"displayName\":{}{}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .into_bytes(),
        ),
        (
            "deep objects",
            format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
        ),
        ("deep array body", "[".repeat(500_000).into_bytes()),
        (
            "10 MB string",
            format!("{{\"displayName\":\"{}\"}}", "x".repeat(10 * 1024 * 1024)).into_bytes(),
        ),
        ("2 MB of spaces", vec![b' '; 2 * 1024 * 1024]),
        (
            "invalid utf-8 in string",
            b"{\"displayName\":\"\xff\xfe\"}".to_vec(),
        ),
        ("invalid utf-8 in key", b"{\"\xc3\x28\":1}".to_vec()),
        ("lone surrogate", br#"{"displayName":"\ud800"}"#.to_vec()),
        ("overlong utf-8", b"{\"displayName\":\"\xc0\xaf\"}".to_vec()),
        (
            "duplicate keys",
            br#"{"displayName":"a","displayName":"b"}"#.to_vec(),
        ),
        (
            "duplicate nested keys",
            br#"{"qrCodeImage":{"type":"a","type":"b"}}"#.to_vec(),
        ),
        ("huge number", br#"{"enrolledDeviceCount":1e400}"#.to_vec()),
        (
            "huge integer literal",
            format!("{{\"enrolledDeviceCount\":{}}}", "9".repeat(5000)).into_bytes(),
        ),
        (
            "negative zero float",
            br#"{"enrolledDeviceCount":-0.0}"#.to_vec(),
        ),
        ("NaN", br#"{"enrolledDeviceCount":NaN}"#.to_vec()),
        ("Infinity", br#"{"enrolledDeviceCount":Infinity}"#.to_vec()),
        ("hex number", br#"{"enrolledDeviceCount":0x10}"#.to_vec()),
        ("trailing comma", br#"{"displayName":"x",}"#.to_vec()),
        ("single quotes", br#"{'displayName':'x'}"#.to_vec()),
        ("comments", br#"{"displayName":"x" /* c */}"#.to_vec()),
        ("trailing garbage", br#"{"displayName":"x"} x"#.to_vec()),
        (
            "two objects",
            br#"{"displayName":"x"}{"displayName":"y"}"#.to_vec(),
        ),
        ("unterminated string", br#"{"displayName":"x"#.to_vec()),
        (
            "control char in string",
            b"{\"displayName\":\"a\x01b\"}".to_vec(),
        ),
        ("nul byte", b"{\"displayName\":\"x\"}\x00".to_vec()),
        ("bom", b"\xef\xbb\xbf{\"displayName\":\"x\"}".to_vec()),
        (
            "utf-16",
            "{\"displayName\":\"x\"}"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
        ),
        ("only whitespace", b" \n\t ".to_vec()),
        ("bare word", b"displayName".to_vec()),
    ];
    for (name, bytes) in raw {
        out.push((name.to_owned(), bytes));
    }
    out
}

async fn send(
    s: &TestServer,
    method: reqwest::Method,
    url: &str,
    body: &[u8],
) -> (StatusCode, String, bool) {
    let res = s
        .client
        .request(method, url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("the server answers (no dropped connection)");
    let status = res.status();
    let has_ids =
        res.headers().contains_key("request-id") && res.headers().contains_key("client-request-id");
    (status, res.text().await.unwrap_or_default(), has_ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_4xx_envelopes_and_change_nothing() {
    let s = TestServer::start().await;
    let existing = s
        .create(json!({"displayName": "keep me", "wifiSsid": "net", "description": "d"}))
        .await;
    let id = existing["id"].as_str().unwrap().to_owned();
    let before_one = ok_json(s.get(&s.item(&id)).await).await;
    let before_all = s.list_all().await;

    let corpus = corpus();
    assert!(corpus.len() >= 200, "corpus has {} bodies", corpus.len());
    let mut failures = Vec::new();
    for (name, body) in &corpus {
        for (method, url) in [
            (reqwest::Method::POST, s.collection()),
            (reqwest::Method::PATCH, s.item(&id)),
        ] {
            let (status, text, has_ids) = send(&s, method.clone(), &url, body).await;
            let envelope: Option<Value> = serde_json::from_str(&text).ok();
            let ok = status.is_client_error()
                && has_ids
                && envelope.as_ref().is_some_and(|e| {
                    e["error"]["code"].is_string() && e["error"]["message"].is_string()
                });
            if !ok {
                failures.push(format!(
                    "{method} {name}: {status} {}",
                    &text[..text.len().min(200)]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        corpus.len() * 2,
        failures.join("\n")
    );
    assert_eq!(
        ok_json(s.get(&s.item(&id)).await).await,
        before_one,
        "the profile is unchanged"
    );
    assert_eq!(s.list_all().await, before_all, "nothing was created");
    s.stop().await;
}

/// U+0000 is refused everywhere a client can put text, with the same 400 on every backend
/// (PostgreSQL cannot store it at all), and nothing is stored or changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_are_refused_in_bodies_and_queries() {
    let s = TestServer::start().await;
    let existing = s.create(json!({"displayName": "keep me"})).await;
    let id = existing["id"].as_str().unwrap().to_owned();
    let before = s.list_all().await;
    let bodies = [
        (json!({"displayName": "a\u{0}b"}), "displayName"),
        (json!({"description": "\u{0}"}), "description"),
        (json!({"wifiSsid": "net\u{0}"}), "wifiSsid"),
        (json!({"wifiPassword": "pass\u{0}word"}), "wifiPassword"),
        (
            json!({"roleScopeTagIds": ["0", "a\u{0}"]}),
            "roleScopeTagIds/1",
        ),
        (
            json!({"deviceNameTemplate": "{{SERIAL}}\u{0}"}),
            "deviceNameTemplate",
        ),
        (json!({"x\u{0}y": 1}), "x\\u0000y"),
    ];
    for (body, at) in &bodies {
        for (method, url) in [
            (reqwest::Method::POST, s.collection()),
            (reqwest::Method::PATCH, s.item(&id)),
        ] {
            let (status, text, _) =
                send(&s, method.clone(), &url, body.to_string().as_bytes()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {body}: {text}");
            let envelope: Value = serde_json::from_str(&text).unwrap();
            let message = envelope["error"]["message"].as_str().unwrap();
            assert!(message.contains(&format!("'{at}'")), "{message}");
            assert!(message.contains("U+0000"), "{message}");
        }
    }
    let (status, text, _) = send(
        &s,
        reqwest::Method::POST,
        &format!("{}/createToken", s.item(&id)),
        json!({"tokenValidityInSeconds": 3600, "x": "\u{0}"})
            .to_string()
            .as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "createToken: {text}");
    assert!(text.contains("'x'") && text.contains("U+0000"), "{text}");
    for query in [
        "$filter=displayName%20eq%20%27a%00b%27",
        "$search=%22a%00%22",
        "$filter=roleScopeTagIds/any(t:t%20eq%20%27%00%27)",
    ] {
        let res = s.get(&format!("{}?{query}", s.collection())).await;
        crate::common::expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    assert_eq!(s.list_all().await, before, "nothing was created or changed");
    s.stop().await;
}
