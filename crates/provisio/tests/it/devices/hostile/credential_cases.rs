//! Forged credentials and headers of the device protocol, replayed idempotency keys, check-in
//! bodies, and acknowledgements of commands that are not the caller's.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::protocol_cases::{fresh, with};
use super::{ack, Case, Scene, BAD, CHECKIN, ENROLL};
use crate::devices::Device;

const CREDENTIAL: (StatusCode, &str) = (StatusCode::UNAUTHORIZED, "InvalidDeviceCredential");
const REUSED: (StatusCode, &str) = (StatusCode::UNPROCESSABLE_ENTITY, "IdempotencyKeyReused");

/// Every case of this file.
pub fn all(sc: &Scene) -> Vec<Case> {
    let mut out = headers(sc);
    out.extend(checkin_and_ack(sc));
    out
}

/// Forged `Authorization: Device` and `Idempotency-Key` headers, and replayed keys.
fn headers(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    let unknown = Device::new("nobody");
    let ten_kb = format!("Device {}", "s".repeat(10 * 1024));
    let forged: Vec<(&str, Vec<u8>)> = vec![
        (
            "Bearer scheme",
            format!("Bearer {}", sc.d1.secret).into_bytes(),
        ),
        ("Basic scheme", b"Basic ZGV2aWNlOnNlY3JldA==".to_vec()),
        ("empty", Vec::new()),
        ("scheme only", b"Device".to_vec()),
        ("scheme and space", b"Device ".to_vec()),
        (
            "extra spaces, unknown secret",
            format!("Device   {}", unknown.secret).into_bytes(),
        ),
        ("10 KB secret", ten_kb.into_bytes()),
        ("non-ASCII bytes", b"Device \xff\xfe\x80secret".to_vec()),
        ("UTF-8 secret", "Device sécrèt-ключ".as_bytes().to_vec()),
        (
            "tab inside",
            format!("Device {}\t{}", &sc.d1.secret[..8], &sc.d1.secret[8..]).into_bytes(),
        ),
        (
            "the stored hash as the secret",
            format!("Device {}", sc.d1.credential_hash()).into_bytes(),
        ),
        (
            "secret with a suffix",
            format!("Device {}x", sc.d1.secret).into_bytes(),
        ),
        (
            "upper-case secret",
            format!("Device {}", sc.d1.secret.to_uppercase()).into_bytes(),
        ),
    ];
    for (name, value) in &forged {
        let c = Case::json(format!("checkin: {name}"), CHECKIN, &json!({}));
        out.push(c.with("authorization", value).want(CREDENTIAL));
        let c = Case::raw(format!("ack: {name}"), ack(&sc.wipe), Vec::new());
        out.push(c.with("authorization", value).want(CREDENTIAL));
    }
    let c = Case::json("checkin: no Authorization", CHECKIN, &json!({}));
    out.push(c.want(CREDENTIAL));
    let c = Case::raw("ack: no Authorization", ack(&sc.wipe), Vec::new());
    out.push(c.want(CREDENTIAL));
    for path in [CHECKIN.to_owned(), ack(&sc.wipe)] {
        let twice = Case::json(
            format!("{path}: Authorization twice"),
            path.clone(),
            &json!({}),
        )
        .device(&sc.d1);
        out.push(twice.device(&sc.d1).want(CREDENTIAL));
        let mixed = Case::json(
            format!("{path}: a forged and a real Authorization"),
            path,
            &json!({}),
        );
        let mixed = mixed.with("authorization", b"Device forged").device(&sc.d1);
        out.push(mixed.want(CREDENTIAL));
    }
    let c = Case::json("enroll: Bearer Authorization", ENROLL, &fresh(sc));
    out.push(c.with("authorization", b"Bearer x").want(CREDENTIAL));
    // Idempotency keys.
    for (name, key) in [
        ("201 characters", "k".repeat(201).into_bytes()),
        ("10 KB", "k".repeat(10 * 1024).into_bytes()),
        ("a tab inside", b"key\tkey".to_vec()),
        ("non-ASCII bytes", b"key-\xe9\xff".to_vec()),
        ("UTF-8", "clé-🔑".as_bytes().to_vec()),
        ("empty", Vec::new()),
    ] {
        let c = Case::json(format!("Idempotency-Key {name}"), ENROLL, &fresh(sc));
        out.push(c.with("idempotency-key", &key).bad("Idempotency-Key"));
    }
    let c = Case::json("Idempotency-Key twice", ENROLL, &fresh(sc))
        .with("idempotency-key", b"a")
        .with("idempotency-key", b"b");
    out.push(c.bad("Idempotency-Key"));
    // The key `keyed` enrolled with, again with another body for the same device.
    let base = sc.keyed.body(&sc.token);
    let mut replays = vec![
        (
            "osVersion",
            with(base.clone(), "/device/osVersion", json!("15")),
        ),
        (
            "securityPatchLevel",
            with(
                base.clone(),
                "/device/securityPatchLevel",
                json!("2027-01-01"),
            ),
        ),
        (
            "credentialHash",
            with(
                base.clone(),
                "/credentialHash",
                json!(Device::new("x").credential_hash()),
            ),
        ),
        (
            "imei added",
            with(base.clone(), "/device/imei", json!("356938035643809")),
        ),
        (
            "wifiMacAddress added",
            with(
                base.clone(),
                "/device/wifiMacAddress",
                json!("02:00:00:00:00:01"),
            ),
        ),
    ];
    let mut user = base.clone();
    user["userIdToken"] = json!("eyJ.eyJ.sig");
    replays.push(("userIdToken added", user));
    for (name, body) in replays {
        let c = Case::json(format!("replayed key, other {name}"), ENROLL, &body);
        out.push(c.with("idempotency-key", b"replay-key").want(REUSED));
    }
    out
}

/// Check-in bodies, and acknowledgements of commands that are not the caller's.
fn checkin_and_ack(sc: &Scene) -> Vec<Case> {
    let mut out = Vec::new();
    for (name, body, member) in [
        (
            "osVersion 65",
            json!({"osVersion": "1".repeat(65)}),
            "osVersion",
        ),
        ("osVersion number", json!({"osVersion": 14}), "osVersion"),
        (
            "securityPatchLevel array",
            json!({"securityPatchLevel": ["2026"]}),
            "securityPatchLevel",
        ),
        (
            "securityPatchLevel 33",
            json!({"securityPatchLevel": "2".repeat(33)}),
            "securityPatchLevel",
        ),
        (
            "osVersion control",
            json!({"osVersion": "14\u{7}"}),
            "osVersion",
        ),
        (
            "osVersion NUL",
            json!({"osVersion": "14\u{0}"}),
            "osVersion",
        ),
        (
            "unknown member",
            json!({"osVersion": "14", "lastSyncDateTime": "2030-01-01T00:00:00Z"}),
            "lastSyncDateTime",
        ),
        ("body array", json!([{"osVersion": "14"}]), "object"),
        ("body null", Value::Null, "object"),
    ] {
        out.push(
            Case::json(format!("checkin: {name}"), CHECKIN, &body)
                .device(&sc.d1)
                .bad(member),
        );
        out.push(
            Case::json(format!("ack: {name}"), ack(&sc.wipe), &body)
                .device(&sc.d1)
                .want(BAD),
        );
    }
    let bad_ids = [
        "x".to_owned(),
        "00000000-0000-0000-0000-00000000000g".to_owned(),
        sc.wipe.replace('-', ""),
        format!("{{{}}}", sc.wipe),
        format!("urn:uuid:{}", sc.wipe),
        format!("{} ", sc.wipe).replace(' ', "%20"),
        "%FF%FE".to_owned(),
        "%00".to_owned(),
        "9".repeat(2000),
    ];
    for id in bad_ids {
        let c = Case::raw(
            format!("ack id {}", &id[..id.len().min(40)]),
            ack(&id),
            Vec::new(),
        );
        out.push(c.device(&sc.d1).want(BAD));
    }
    for (name, id) in [
        ("an unknown command", uuid::Uuid::new_v4().to_string()),
        ("another device's command", sc.retire.clone()),
        ("another tenant's command", sc.other_command.clone()),
        ("the device's own record id", sc.d1_id.clone()),
        ("another tenant's device id", sc.other_device_id.clone()),
    ] {
        let c = Case::raw(format!("ack {name}"), ack(&id), Vec::new());
        out.push(c.device(&sc.d1).want(super::NOT_FOUND));
    }
    // d2 may not acknowledge d1's wipe either.
    let c = Case::raw("ack of another device's wipe", ack(&sc.wipe), Vec::new());
    out.push(c.device(&sc.d2).want(super::NOT_FOUND));
    out
}
