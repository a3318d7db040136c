//! Hostile Wi-Fi values through the API: every QR code, in every mode, decodes byte for byte to
//! `qrCodeContent`, and the payload gives back exactly what was stored.

use serde_json::{json, Value};

use crate::tokens::{create_token, get_and_check_qr, with_dpc};

/// (ssid, security, password): at least 30 values that break naive escaping.
fn corpus() -> Vec<(String, &'static str, Option<String>)> {
    let mut v: Vec<(String, &'static str, Option<String>)> = [
        "\"quoted\"",
        "back\\slash",
        "{braces}",
        "semi;colon",
        "co:lon",
        "com,ma",
        "emoji 😀📶",
        "中文网络",
        "שלום",
        "مرحبا",
        "  leading",
        "trailing  ",
        "tab\there",
        "new\nline",
        "nul-ish \\u0000",
        "'single'",
        "<tag>&amp;",
        "%20percent",
        "slash/path",
        "WIFI:S:x;T:WPA;;",
        "Ünïcödé",
        "ÉCOLE-5G",
        "\u{202e}rtl override",
        "zero\u{200b}width",
        "a",
    ]
    .iter()
    .map(|s| (s.to_string(), "none", None))
    .collect();
    v.push(("s".repeat(32), "none", None));
    v.push(("é".repeat(16), "none", None));
    v.push(("net".into(), "wpa", Some("p\"a\\s;s:w{o}r,d".into())));
    v.push(("net".into(), "wpa", Some("x".repeat(63))));
    v.push((
        "net".into(),
        "wpa",
        Some("0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789".into()),
    ));
    v.push(("net".into(), "wpa", Some(" spaces around ".into())));
    v.push(("net".into(), "wep", Some("\"\\;:{".into())));
    v.push((
        "net".into(),
        "wep",
        Some("0123456789abcdef0123456789abcdef".into()),
    ));
    v.push((
        "😀😀😀😀😀😀😀😀".into(),
        "wpa",
        Some("~!@#$%^&*()_+`-=[]|".into()),
    ));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_wifi_values_round_trip_in_every_mode() {
    let s = with_dpc().await;
    let corpus = corpus();
    assert!(corpus.len() >= 30);
    let modes = [
        "corporateOwnedDedicatedDevice",
        "corporateOwnedFullyManaged",
        "corporateOwnedWorkProfile",
        "corporateOwnedAOSPUserlessDevice",
        "corporateOwnedAOSPUserAssociatedDevice",
    ];
    let mut ids = Vec::new();
    for mode in modes {
        let p = s
            .create(json!({"displayName": mode, "enrollmentMode": mode}))
            .await;
        let id = p["id"].as_str().unwrap().to_owned();
        create_token(&s, &id, 3600).await;
        ids.push(id);
    }
    for (i, (ssid, security, password)) in corpus.iter().enumerate() {
        // Every value in every mode would be 170 decodes; spread the corpus over the modes, and
        // give each mode the first and last values too.
        let targets: Vec<&String> = if i == 0 || i == corpus.len() - 1 {
            ids.iter().collect()
        } else {
            vec![&ids[i % ids.len()]]
        };
        for id in targets {
            let body = json!({"wifiSsid": ssid, "wifiSecurityType": security, "wifiPassword": password, "configureWifi": true});
            let res = s.patch_json(&s.item(id), &body).await;
            assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT, "{ssid:?}");
            let p = get_and_check_qr(&s, id).await;
            let payload: Value =
                serde_json::from_str(p["qrCodeContent"].as_str().unwrap()).unwrap();
            assert_eq!(
                payload["android.app.extra.PROVISIONING_WIFI_SSID"],
                ssid.as_str()
            );
            let expected_pw = if *security == "none" {
                Value::Null
            } else {
                json!(password)
            };
            assert_eq!(
                payload
                    .get("android.app.extra.PROVISIONING_WIFI_PASSWORD")
                    .cloned()
                    .unwrap_or(Value::Null),
                expected_pw
            );
        }
    }
    s.stop().await;
}
