//! createToken and revokeToken, the QR code they produce (decoded by two independent decoders),
//! and PATCHes that redraw it.

use base64::Engine as _;
use provisio::provisioning::AospDpcSettings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{expect_error, ok_json, TestServer};

/// Settings of an AOSP DPC, with a download URL of `url_len` characters.
pub fn aosp_dpc(url_len: usize) -> AospDpcSettings {
    let base = "https://dpc.example.com/";
    AospDpcSettings {
        component_name: Some("com.example.dpc/.AdminReceiver".into()),
        download_url: Some(format!(
            "{base}{}",
            "a".repeat(url_len.saturating_sub(base.len()))
        )),
        signature_checksum: Some("I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg".into()),
        token_extras_key: Some("com.example.dpc.EXTRA_TOKEN".into()),
        enrollment_url_extras_key: Some("com.example.dpc.EXTRA_ENROLLMENT_URL".into()),
        enrollment_url: Some("https://mdm.example.com".into()),
        all_modes: false,
    }
}

pub async fn with_dpc() -> TestServer {
    TestServer::start_with(|s| s.aosp_dpc = aosp_dpc(40)).await
}

pub async fn create_token(s: &TestServer, id: &str, seconds: i64) -> reqwest::Response {
    s.post_json(
        &format!("{}/createToken", s.item(id)),
        &json!({"tokenValidityInSeconds": seconds}),
    )
    .await
}

/// Reads the profile and checks that its QR image says exactly its qrCodeContent, with both
/// decoders; returns the profile.
pub async fn get_and_check_qr(s: &TestServer, id: &str) -> Value {
    let p = ok_json(s.get(&s.item(id)).await).await;
    let content = p["qrCodeContent"].as_str().expect("qrCodeContent");
    assert!(content.is_ascii(), "{content}");
    let image = &p["qrCodeImage"];
    assert_eq!(image["@odata.type"], "microsoft.graph.mimeContent");
    assert_eq!(image["type"], "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(image["value"].as_str().unwrap())
        .expect("padded base64");
    assert_eq!(qr_check::decode_rqrr(&png), content.as_bytes(), "rqrr");
    assert_eq!(qr_check::decode_zbar(&png), content.as_bytes(), "zbarimg");
    p
}

#[tokio::test]
async fn create_token_sets_every_token_member() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({"displayName": "t", "enrollmentMode": "corporateOwnedFullyManaged"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let res = create_token(&s, id, 3600).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let t = get_and_check_qr(&s, id).await;
    let token = t["tokenValue"].as_str().unwrap();
    assert_eq!(token.len(), 20);
    assert!(token.bytes().all(|b| b.is_ascii_uppercase()), "{token}");
    let created =
        provisio::model::Timestamp::parse(t["tokenCreationDateTime"].as_str().unwrap()).unwrap();
    let expires =
        provisio::model::Timestamp::parse(t["tokenExpirationDateTime"].as_str().unwrap()).unwrap();
    assert_eq!(created.plus_seconds(3600), Some(expires));
    assert!(t["lastModifiedDateTime"].as_str() > p["lastModifiedDateTime"].as_str());
    assert_eq!(t["enrollmentTokenUsageCount"], 0);
    let payload: Value = serde_json::from_str(t["qrCodeContent"].as_str().unwrap()).unwrap();
    // Android Device Policy's extras carry the token alone: no URL, mode or version.
    assert_eq!(
        payload["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"],
        json!({"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token})
    );
    assert_eq!(
        payload["android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME"],
        "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"
    );

    // A new token replaces the old one, and its QR code with it.
    assert_eq!(
        create_token(&s, id, 7200).await.status(),
        StatusCode::NO_CONTENT
    );
    let t2 = get_and_check_qr(&s, id).await;
    assert_ne!(t2["tokenValue"], t["tokenValue"]);
    assert_ne!(t2["qrCodeContent"], t["qrCodeContent"]);
    s.stop().await;
}

#[tokio::test]
async fn validity_limits_and_body_rules() {
    let s = with_dpc().await;
    let mut ids = std::collections::HashMap::new();
    for mode in [
        "corporateOwnedDedicatedDevice",
        "corporateOwnedFullyManaged",
        "corporateOwnedWorkProfile",
        "corporateOwnedAOSPUserlessDevice",
        "corporateOwnedAOSPUserAssociatedDevice",
    ] {
        let p = s
            .create(json!({"displayName": mode, "enrollmentMode": mode}))
            .await;
        ids.insert(mode, p["id"].as_str().unwrap().to_owned());
    }
    for (mode, max) in [
        ("corporateOwnedDedicatedDevice", 2_049_840_000_i64),
        ("corporateOwnedFullyManaged", i64::from(i32::MAX)),
        ("corporateOwnedWorkProfile", i64::from(i32::MAX)),
        ("corporateOwnedAOSPUserlessDevice", 7_776_000),
        ("corporateOwnedAOSPUserAssociatedDevice", 7_776_000),
    ] {
        let id = &ids[mode];
        assert_eq!(
            create_token(&s, id, max).await.status(),
            StatusCode::NO_CONTENT,
            "{mode} max"
        );
        assert_eq!(
            create_token(&s, id, 60).await.status(),
            StatusCode::NO_CONTENT,
            "{mode} min"
        );
        let msg = expect_error(
            create_token(&s, id, 59).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(msg.contains("60"), "{msg}");
        if max < i64::from(i32::MAX) {
            let msg = expect_error(
                create_token(&s, id, max + 1).await,
                StatusCode::BAD_REQUEST,
                "BadRequest",
            )
            .await;
            assert!(msg.contains(&max.to_string()), "{mode}: {msg}");
        }
        get_and_check_qr(&s, id).await;
    }
    let id = &ids["corporateOwnedFullyManaged"];
    let url = format!("{}/createToken", s.item(id));
    for body in [
        json!({}),
        json!({"tokenValidityInSeconds": null}),
        json!({"tokenValidityInSeconds": "3600"}),
        json!({"tokenValidityInSeconds": 3600.5}),
        json!({"tokenValidityInSeconds": 2_147_483_648_i64}),
        json!({"tokenValidityInSeconds": 3600, "extra": 1}),
        json!([3600]),
    ] {
        expect_error(
            s.post_json(&url, &body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }
    expect_error(
        s.send(Method::POST, &url, None).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn checks_come_in_order_404_then_400_then_409() {
    let s = TestServer::start().await; // no AOSP DPC configured
    let unknown = "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8";
    expect_error(
        s.post_json(
            &format!("{}/createToken", s.item(unknown)),
            &json!({"bad": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let p = s
        .create(
            json!({"displayName": "aosp", "enrollmentMode": "corporateOwnedAOSPUserlessDevice"}),
        )
        .await;
    let id = p["id"].as_str().unwrap();
    expect_error(
        create_token(&s, id, 10).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    let msg = expect_error(
        create_token(&s, id, 3600).await,
        StatusCode::CONFLICT,
        "Conflict",
    )
    .await;
    for key in AospDpcSettings::REQUIRED {
        assert!(msg.contains(key), "{msg}");
    }
    assert_eq!(
        ok_json(s.get(&s.item(id)).await).await,
        ok_json(s.get(&s.item(id)).await).await
    );
    assert_eq!(
        ok_json(s.get(&s.item(id)).await).await["tokenValue"],
        Value::Null
    );
    s.stop().await;
}

#[tokio::test]
async fn aosp_codes_name_the_configured_dpc_and_the_enrollment_url() {
    let s = with_dpc().await;
    let p = s
        .create(
            json!({"displayName": "a", "enrollmentMode": "corporateOwnedAOSPUserAssociatedDevice",
        "wifiSsid": "Lab", "wifiSecurityType": "wpa", "wifiPassword": "password1"}),
        )
        .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        create_token(&s, id, 3600).await.status(),
        StatusCode::NO_CONTENT
    );
    let t = get_and_check_qr(&s, id).await;
    let payload: Value = serde_json::from_str(t["qrCodeContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        payload["android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME"],
        "com.example.dpc/.AdminReceiver"
    );
    let extras = &payload["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"];
    assert_eq!(
        *extras,
        json!({
            "com.example.dpc.EXTRA_TOKEN": t["tokenValue"],
            "com.example.dpc.EXTRA_ENROLLMENT_URL": "https://mdm.example.com/",
            "provisio.enrollmentMode": "corporateOwnedAOSPUserAssociatedDevice",
            "provisio.protocolVersion": "1",
        })
    );
    // In this order, as the payload rules say.
    assert!(t["qrCodeContent"].as_str().unwrap().ends_with(
        r#""com.example.dpc.EXTRA_ENROLLMENT_URL":"https://mdm.example.com/","provisio.enrollmentMode":"corporateOwnedAOSPUserAssociatedDevice","provisio.protocolVersion":"1"}}"#
    ));
    assert_eq!(payload["android.app.extra.PROVISIONING_WIFI_SSID"], "Lab");
    assert_eq!(
        payload["android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE"],
        "WPA"
    );
    assert_eq!(
        payload["android.app.extra.PROVISIONING_WIFI_PASSWORD"],
        "password1"
    );
    assert_eq!(payload["android.app.extra.PROVISIONING_WIFI_HIDDEN"], false);
    s.stop().await;
}

#[tokio::test]
async fn revoke_clears_the_token_and_is_idempotent() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "r"})).await;
    let id = p["id"].as_str().unwrap();
    create_token(&s, id, 3600).await;
    let with_token = ok_json(s.get(&s.item(id)).await).await;
    // The Python SDK sends no body and no content type.
    let res = s
        .client
        .post(format!("{}/revokeToken", s.item(id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let r = ok_json(s.get(&s.item(id)).await).await;
    for m in ["tokenValue", "qrCodeContent", "qrCodeImage"] {
        assert_eq!(r[m], Value::Null, "{m}");
    }
    assert_eq!(r["tokenCreationDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(r["tokenExpirationDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(
        r["enrollmentTokenUsageCount"],
        with_token["enrollmentTokenUsageCount"]
    );
    assert_eq!(r["enrolledDeviceCount"], with_token["enrolledDeviceCount"]);
    assert!(r["lastModifiedDateTime"].as_str() > with_token["lastModifiedDateTime"].as_str());
    // The JavaScript client sends Content-Type: application/json with an empty body.
    let res = s
        .client
        .post(format!("{}/revokeToken", s.item(id)))
        .header("content-type", "application/json")
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok_json(s.get(&s.item(id)).await).await,
        r,
        "a second revoke changes nothing"
    );
    expect_error(
        s.post_json(
            &format!("{}/revokeToken", s.item(id)),
            &json!({"now": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_create_token_leaves_one_consistent_token() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({"displayName": "race", "wifiSsid": "net"}))
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    for round in 0..3 {
        let calls = (0..12).map(|i| {
            let client = s.client.clone();
            let url = format!("{}/createToken", s.item(&id));
            async move {
                client
                    .post(url)
                    .json(&json!({"tokenValidityInSeconds": 3600 + i}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        });
        let statuses = futures_util::future::join_all(calls).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::NO_CONTENT),
            "round {round}: {statuses:?}"
        );
        let t = get_and_check_qr(&s, &id).await;
        let token = t["tokenValue"].as_str().unwrap();
        assert!(
            t["qrCodeContent"].as_str().unwrap().contains(token),
            "QR code from the same call as the token"
        );
        let created =
            provisio::model::Timestamp::parse(t["tokenCreationDateTime"].as_str().unwrap())
                .unwrap();
        let expires =
            provisio::model::Timestamp::parse(t["tokenExpirationDateTime"].as_str().unwrap())
                .unwrap();
        let validity = (expires.as_datetime() - created.as_datetime()).whole_seconds();
        assert!(
            (3600..3612).contains(&validity),
            "dates from one call: {validity}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn patch_redraws_only_when_the_payload_changes() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({"displayName": "p", "wifiSsid": "one"}))
        .await;
    let id = p["id"].as_str().unwrap();
    create_token(&s, id, 3600).await;
    let before = get_and_check_qr(&s, id).await;

    // Members the payload does not use leave the QR members byte for byte.
    for body in [
        json!({"description": "x"}),
        json!({"displayName": "q", "roleScopeTagIds": ["1"]}),
        json!({"wifiPassword": "ignored with none"}),
        json!({"enrollmentTokenType": "deviceStaging"}),
    ] {
        assert_eq!(
            s.patch_json(&s.item(id), &body).await.status(),
            StatusCode::NO_CONTENT
        );
        let after = ok_json(s.get(&s.item(id)).await).await;
        assert_eq!(after["qrCodeContent"], before["qrCodeContent"], "{body}");
        assert_eq!(after["qrCodeImage"], before["qrCodeImage"], "{body}");
    }
    // Members it uses redraw it, in the same write.
    let mut last = before["qrCodeContent"].clone();
    for body in [
        json!({"wifiSsid": "two"}),
        json!({"wifiHidden": true}),
        json!({"wifiSecurityType": "wep", "wifiPassword": "abcde"}),
        json!({"configureWifi": false}),
        json!({"enrollmentMode": "corporateOwnedWorkProfile", "configureWifi": true}),
    ] {
        assert_eq!(
            s.patch_json(&s.item(id), &body).await.status(),
            StatusCode::NO_CONTENT
        );
        let after = get_and_check_qr(&s, id).await;
        assert_ne!(after["qrCodeContent"], last, "{body}");
        assert_eq!(after["tokenValue"], before["tokenValue"], "the token stays");
        last = after["qrCodeContent"].clone();
    }
    let off = ok_json(s.get(&s.item(id)).await).await;
    assert!(off["qrCodeContent"]
        .as_str()
        .unwrap()
        .contains("PROVISIONING_WIFI_SSID"));
    s.patch_json(&s.item(id), &json!({"configureWifi": false}))
        .await;
    let off = ok_json(s.get(&s.item(id)).await).await;
    assert!(
        !off["qrCodeContent"].as_str().unwrap().contains("WIFI"),
        "configureWifi false: no Wi-Fi keys"
    );

    // Switching to an AOSP mode without an AOSP DPC is refused, and nothing changes.
    let msg = expect_error(
        s.patch_json(
            &s.item(id),
            &json!({"enrollmentMode": "corporateOwnedAOSPUserlessDevice"}),
        )
        .await,
        StatusCode::CONFLICT,
        "Conflict",
    )
    .await;
    assert!(msg.contains("aosp_dpc"), "{msg}");
    assert_eq!(ok_json(s.get(&s.item(id)).await).await, off);
    s.stop().await;
}

#[tokio::test]
async fn a_payload_too_large_for_a_qr_code_names_the_member() {
    // A DPC whose download URL leaves little room: the payload fits without Wi-Fi only.
    let s = TestServer::start_with(|c| c.aosp_dpc = aosp_dpc(2_300)).await;
    let p = s
        .create(json!({"displayName": "big", "enrollmentMode": "corporateOwnedAOSPUserlessDevice"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let res = create_token(&s, id, 3600).await;
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );
    let before = get_and_check_qr(&s, id).await;
    let msg = expect_error(
        s.patch_json(&s.item(id), &json!({"wifiSsid": "😀".repeat(8), "wifiSecurityType": "wpa", "wifiPassword": "p".repeat(63)})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(msg.contains("wifiSsid"), "{msg}");
    assert_eq!(ok_json(s.get(&s.item(id)).await).await, before);
    s.stop().await;
}

#[tokio::test]
async fn lists_carry_the_qr_image_only_when_selected() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "listed"})).await;
    let id = p["id"].as_str().unwrap();
    create_token(&s, id, 3600).await;
    let one = get_and_check_qr(&s, id).await;
    let plain = ok_json(s.get(&s.collection()).await).await;
    assert!(plain["value"][0].get("qrCodeImage").is_none());
    assert_eq!(plain["value"][0]["qrCodeContent"], one["qrCodeContent"]);
    let url = format!("{}?$select=id,qrCodeImage", s.collection());
    let selected = ok_json(s.get(&url).await).await;
    assert_eq!(selected["value"][0]["qrCodeImage"], one["qrCodeImage"]);
    assert!(selected["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("(id,qrCodeImage)"));
    s.stop().await;
}
