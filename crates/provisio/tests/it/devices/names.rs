//! Device names made from the profile's template when a device enrolls (docs/API.md, "Device
//! names"); the expansion itself is tested case by case in `model::device_name`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

/// Enrolls `body` with `template` on a fresh profile and returns the name it got.
async fn name_for(s: &TestServer, template: Value, device: Value) -> String {
    let p = s
        .create(json!({
            "displayName": "Names",
            "enrollmentMode": "corporateOwnedFullyManaged",
            "deviceNameTemplate": template,
        }))
        .await;
    let token = new_token(s, p["id"].as_str().unwrap()).await;
    let d = Device::new("unused");
    let mut body = d.body(&token);
    body["device"] = device;
    let res = enroll_with(s, &body, &[]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let e = ok_json(res).await;
    let listed = all_devices(s).await;
    let md = listed
        .iter()
        .find(|m| m["id"] == e["managedDeviceId"])
        .expect("the new record is listed");
    assert_eq!(md["deviceName"], e["deviceName"]);
    e["deviceName"].as_str().unwrap().to_owned()
}

fn device(serial: &str, esid: Option<&str>) -> Value {
    json!({
        "serialNumber": serial,
        "enterpriseSpecificId": esid,
        "imei": "356938035643809",
        "manufacturer": "samsung",
        "model": "SM-G991B",
    })
}

#[tokio::test]
async fn enrolled_devices_are_named_from_the_template() {
    let s = TestServer::start().await;
    let name = name_for(
        &s,
        json!("WH {{SERIALLAST4DIGITS}}_{{rand:3}}"),
        device("R58N12345XY", None),
    )
    .await;
    let (head, digits) = name.split_at("WH-45XY-".len());
    assert_eq!(head, "WH-45XY-", "{name}");
    assert!(
        digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    // The serial names the device also when the enterprise-specific id identifies it.
    let name = name_for(&s, json!("K-{{SERIAL}}"), device("R58N777", Some("ESID-1"))).await;
    assert_eq!(name, "K-R58N777");
    // A placeholder serial names nothing.
    let name = name_for(&s, json!("K-{{SERIAL}}"), device("unknown", None)).await;
    assert_eq!(name, "K");
    // No verified user: the user tokens are empty, so the default name is used.
    let name = name_for(&s, json!("{{UPNPREFIX}}"), device("R58N888", None)).await;
    assert_default(&name);
    // No template: the default name.
    let name = name_for(&s, Value::Null, device("R58N999", None)).await;
    assert_default(&name);
}

/// `AndroidForWork-` and the enrollment's UTC minute, `yyyyMMddTHHmmZ`.
fn assert_default(name: &str) {
    let date = name
        .strip_prefix("AndroidForWork-")
        .unwrap_or_else(|| panic!("{name}"));
    let b = date.as_bytes();
    assert_eq!(b.len(), 14, "{name}");
    assert!(
        b[..8].iter().chain(&b[9..13]).all(u8::is_ascii_digit),
        "{name}"
    );
    assert_eq!((b[8], b[13]), (b'T', b'Z'), "{name}");
    assert!(date.starts_with("20"), "{name}");
}
