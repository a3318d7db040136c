//! Unit tests of the payload bytes: exact strings, key order, escaping, booleans and the
//! password rule, for every DPC and Wi-Fi combination.

use crate::*;
use serde_json::Value;

const ADP_HEAD: &str = concat!(
    r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver","#,
    r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg","#,
    r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://play.google.com/managed/downloadManagingApp?identifier=setup""#,
);
const ADP_TAIL: &str = concat!(
    r#","android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"#,
    r#""com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"WINFPMWZHDMYATCYIHVK"}}"#,
);
const TOKEN: &str = "WINFPMWZHDMYATCYIHVK";
const GMS_MODE: &str = "corporateOwnedDedicatedDevice";
const AOSP_MODE: &str = "corporateOwnedAOSPUserlessDevice";

fn custom() -> CustomDpc {
    CustomDpc::new(&CustomDpcSettings {
        component_name: "com.example.dpc/.AdminReceiver",
        download_url: "https://dpc.example.com/dpc.apk",
        signature_checksum: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        token_extras_key: "com.example.dpc.TOKEN",
        enrollment_url_extras_key: "com.example.dpc.ENROLLMENT_URL",
        enrollment_url: "https://mdm.example.com/enroll",
    })
    .unwrap()
}

fn wifi(security: WifiSecurity, password: Option<&str>, hidden: bool) -> Wifi<'_> {
    Wifi {
        ssid: "Corp",
        security,
        password,
        hidden,
    }
}

#[test]
fn google_mode_without_wifi_is_the_spec_example_compacted() {
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: GMS_MODE,
        wifi: None,
    });
    assert_eq!(text, format!("{ADP_HEAD}{ADP_TAIL}"));
}

#[test]
fn google_mode_with_wpa_wifi() {
    let w = wifi(WifiSecurity::Wpa, Some("s3cret pass"), true);
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: GMS_MODE,
        wifi: Some(w),
    });
    let wifi_part = concat!(
        r#","android.app.extra.PROVISIONING_WIFI_SSID":"Corp","#,
        r#""android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"WPA","#,
        r#""android.app.extra.PROVISIONING_WIFI_PASSWORD":"s3cret pass","#,
        r#""android.app.extra.PROVISIONING_WIFI_HIDDEN":true"#,
    );
    assert_eq!(text, format!("{ADP_HEAD}{wifi_part}{ADP_TAIL}"));
}

#[test]
fn open_network_never_carries_a_password() {
    let w = wifi(WifiSecurity::None, Some("ignored"), false);
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: GMS_MODE,
        wifi: Some(w),
    });
    let wifi_part = concat!(
        r#","android.app.extra.PROVISIONING_WIFI_SSID":"Corp","#,
        r#""android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"NONE","#,
        r#""android.app.extra.PROVISIONING_WIFI_HIDDEN":false"#,
    );
    assert_eq!(text, format!("{ADP_HEAD}{wifi_part}{ADP_TAIL}"));
    assert!(!text.contains("ignored"));
}

#[test]
fn aosp_mode_with_escaped_wep_wifi() {
    let dpc = custom();
    let w = Wifi {
        ssid: "Café \"5G\"",
        security: WifiSecurity::Wep,
        password: Some(r"a\b😀"),
        hidden: false,
    };
    let text = payload(&PayloadRequest {
        dpc: Dpc::Custom(&dpc),
        token: "ABC",
        enrollment_mode: AOSP_MODE,
        wifi: Some(w),
    });
    let expected = concat!(
        r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.example.dpc/.AdminReceiver","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://dpc.example.com/dpc.apk","#,
        r#""android.app.extra.PROVISIONING_WIFI_SSID":"Caf\u00e9 \"5G\"","#,
        r#""android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"WEP","#,
        r#""android.app.extra.PROVISIONING_WIFI_PASSWORD":"a\\b\ud83d\ude00","#,
        r#""android.app.extra.PROVISIONING_WIFI_HIDDEN":false,"#,
        r#""android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.example.dpc.TOKEN":"ABC","#,
        r#""com.example.dpc.ENROLLMENT_URL":"https://mdm.example.com/enroll","#,
        r#""provisio.enrollmentMode":"corporateOwnedAOSPUserlessDevice","#,
        r#""provisio.protocolVersion":"1"}}"#,
    );
    assert_eq!(text, expected);
}

/// Every DPC × Wi-Fi combination: parse back, check values, key order and types.
#[test]
fn every_combination_parses_back_in_order() {
    let dpc = custom();
    let wifis = [
        None,
        Some(wifi(WifiSecurity::None, None, false)),
        Some(wifi(WifiSecurity::None, Some("pw-ignored"), true)),
        Some(wifi(WifiSecurity::Wpa, Some("password1"), false)),
        Some(wifi(WifiSecurity::Wpa, None, true)),
        Some(wifi(WifiSecurity::Wep, Some("abcde"), true)),
        Some(wifi(WifiSecurity::Wep, None, false)),
    ];
    for dpc in [Dpc::AndroidDevicePolicy, Dpc::Custom(&dpc)] {
        for w in wifis {
            let text = payload(&PayloadRequest {
                dpc,
                token: TOKEN,
                enrollment_mode: GMS_MODE,
                wifi: w,
            });
            assert!(
                text.is_ascii() && !text.contains(char::is_whitespace),
                "{text}"
            );
            let v: Value = serde_json::from_str(&text).unwrap();
            let mut keys = vec![
                KEY_COMPONENT_NAME,
                KEY_SIGNATURE_CHECKSUM,
                KEY_DOWNLOAD_LOCATION,
            ];
            if let Some(w) = w {
                keys.extend([KEY_WIFI_SSID, KEY_WIFI_SECURITY_TYPE]);
                let with_password = w.security != WifiSecurity::None && w.password.is_some();
                if with_password {
                    keys.push(KEY_WIFI_PASSWORD);
                    assert_eq!(v[KEY_WIFI_PASSWORD], w.password.unwrap());
                }
                keys.push(KEY_WIFI_HIDDEN);
                assert_eq!(v[KEY_WIFI_SSID], w.ssid);
                assert_eq!(v[KEY_WIFI_SECURITY_TYPE], w.security.as_str());
                assert_eq!(v[KEY_WIFI_HIDDEN], Value::Bool(w.hidden));
            }
            keys.push(KEY_ADMIN_EXTRAS_BUNDLE);
            let object = v.as_object().unwrap();
            assert_eq!(object.len(), keys.len(), "{text}");
            let positions: Vec<usize> = keys
                .iter()
                .map(|k| text.find(&format!("\"{k}\":")).unwrap())
                .collect();
            assert!(
                positions.windows(2).all(|p| p[0] < p[1]),
                "key order in {text}"
            );
            let extras = object[KEY_ADMIN_EXTRAS_BUNDLE].as_object().unwrap();
            match dpc {
                Dpc::AndroidDevicePolicy => {
                    assert_eq!(extras.len(), 1);
                    assert_eq!(extras[ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY], TOKEN);
                }
                Dpc::Custom(c) => {
                    assert_eq!(extras.len(), 4);
                    assert_eq!(extras[c.token_extras_key()], TOKEN);
                    assert_eq!(extras[c.enrollment_url_extras_key()], c.enrollment_url());
                    assert_eq!(extras[KEY_ENROLLMENT_MODE], GMS_MODE);
                    assert_eq!(extras[KEY_PROTOCOL_VERSION], Value::from("1"));
                    assert!(text.ends_with(concat!(
                        r#""com.example.dpc.ENROLLMENT_URL":"https://mdm.example.com/enroll","#,
                        r#""provisio.enrollmentMode":"corporateOwnedDedicatedDevice","#,
                        r#""provisio.protocolVersion":"1"}}"#
                    )));
                }
            }
        }
    }
}

/// Android Device Policy's extras hold the token alone, whatever the mode; a custom DPC's carry
/// the mode it is given, as a string, and the protocol version as the string "1".
#[test]
fn the_mode_and_version_go_to_a_custom_dpc_only() {
    let dpc = custom();
    for mode in [
        GMS_MODE,
        AOSP_MODE,
        "corporateOwnedAOSPUserAssociatedDevice",
    ] {
        let google = payload(&PayloadRequest {
            dpc: Dpc::AndroidDevicePolicy,
            token: TOKEN,
            enrollment_mode: mode,
            wifi: None,
        });
        assert_eq!(google, format!("{ADP_HEAD}{ADP_TAIL}"));
        let own = payload(&PayloadRequest {
            dpc: Dpc::Custom(&dpc),
            token: TOKEN,
            enrollment_mode: mode,
            wifi: None,
        });
        let v: Value = serde_json::from_str(&own).unwrap();
        let extras = &v[KEY_ADMIN_EXTRAS_BUNDLE];
        assert_eq!(extras[KEY_ENROLLMENT_MODE], mode);
        assert_eq!(extras[KEY_PROTOCOL_VERSION], PROTOCOL_VERSION);
        assert!(extras[KEY_PROTOCOL_VERSION].is_string());
        assert!(own.ends_with(&format!(
            r#""provisio.enrollmentMode":"{mode}","provisio.protocolVersion":"1"}}}}"#
        )));
    }
}

#[test]
fn same_request_same_bytes() {
    let dpc = custom();
    let req = PayloadRequest {
        dpc: Dpc::Custom(&dpc),
        token: TOKEN,
        enrollment_mode: AOSP_MODE,
        wifi: Some(Wifi {
            ssid: "無線 😀",
            security: WifiSecurity::Wpa,
            password: Some("x\"y"),
            hidden: true,
        }),
    };
    let first = payload(&req);
    for _ in 0..3 {
        assert_eq!(payload(&req.clone()), first);
    }
}

#[test]
fn security_type_names() {
    assert_eq!(WifiSecurity::None.as_str(), "NONE");
    assert_eq!(WifiSecurity::Wpa.as_str(), "WPA");
    assert_eq!(WifiSecurity::Wep.as_str(), "WEP");
}
