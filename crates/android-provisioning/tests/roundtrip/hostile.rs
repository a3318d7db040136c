//! Hostile Wi-Fi values: each goes payload → PNG → rqrr and zbarimg, must come back byte for
//! byte, and the JSON must parse back to the original SSID and password.

use crate::common::{assert_roundtrip, custom_dpc};
use android_provisioning::{
    payload, Dpc, PayloadRequest, Wifi, WifiSecurity, KEY_WIFI_HIDDEN, KEY_WIFI_PASSWORD,
    KEY_WIFI_SECURITY_TYPE, KEY_WIFI_SSID,
};
use serde_json::Value;

/// SSIDs that break naive quoting, scanners' charset guessing or JSON consumers.
fn hostile_ssids() -> Vec<String> {
    let fixed = [
        r#""quoted""#,
        r"back\slash\",
        r#"{"json":"inject"}"#,
        "a;b;c;",
        "WIFI:S:evil;T:WPA;P:x;;",
        "a,b,c,",
        "key:value:",
        "😀📶🔒🏠",
        "無線LAN接続",
        "שלום עולם",
        "مرحبا بالعالم",
        "\u{202e}evil\u{202c}",
        "a\u{0}b\u{1}c\u{1f}d\u{7f}",
        "line\nbreak\r\ttab\u{8}\u{c}",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        "éééééééééééééééé",
        "😀😁😂🤣😃😄😅😆",
        "  spaced  ",
        r"\u0000",
        r#"\""#,
        "</script><b>x</b>",
        "%00%22%5C%u0041",
        "'single' \"double\" `tick`",
        "zero\u{200b}width\u{feff}bom",
        "e\u{301}a\u{308}",
        "null",
        " ",
        "\u{2028}\u{2029}",
        "Ω≈ç√∫",
        "🇩🇪🏳️‍🌈",
        r"\\\\\\",
        r#""""""#,
        "{}[]:,",
        "\u{10ffff}\u{10000}",
        "\u{d7ff}\u{e000}\u{fffd}\u{ffff}",
        "Café",
    ];
    fixed.iter().map(|s| (*s).to_owned()).collect()
}

/// Passwords: maximal printable ASCII, hex PSKs, quoting and whitespace traps.
fn hostile_passwords() -> Vec<String> {
    let printable: String = (' '..='~').collect();
    vec![
        printable[..63].to_owned(),
        printable[printable.len() - 63..].to_owned(),
        "0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123".to_owned(),
        r#"pass"word\"#.to_owned(),
        ";;;;;;;;".to_owned(),
        "        ".to_owned(),
        " leading and trailing ".to_owned(),
        r"\u0041\n\t".to_owned(),
        "pässwörd€😀".to_owned(),
        "12345".to_owned(),
    ]
}

#[test]
fn hostile_wifi_values_round_trip_through_both_decoders() {
    let custom = custom_dpc();
    let ssids = hostile_ssids();
    let passwords = hostile_passwords();
    assert!(ssids.len() >= 30, "the corpus must hold at least 30 SSIDs");
    let securities = [WifiSecurity::Wpa, WifiSecurity::Wep, WifiSecurity::None];
    let mut cases = 0;
    for (i, ssid) in ssids.iter().enumerate() {
        // Every password is used with several SSIDs, under both DPCs and every security type.
        let password = &passwords[i % passwords.len()];
        let security = securities[i % securities.len()];
        let dpc = if i % 2 == 0 {
            Dpc::AndroidDevicePolicy
        } else {
            Dpc::Custom(&custom)
        };
        let hidden = i % 4 < 2;
        let wifi = Wifi {
            ssid,
            security,
            password: Some(password),
            hidden,
        };
        let text = payload(&PayloadRequest {
            dpc,
            token: "QWERTYUIOPASDFGHJKLZ",
            enrollment_mode: "corporateOwnedAOSPUserlessDevice",
            wifi: Some(wifi),
        });
        assert!(text.is_ascii(), "payload is not ASCII: {text}");
        assert_roundtrip(&text);

        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(v[KEY_WIFI_SSID].as_str(), Some(ssid.as_str()), "{text}");
        assert_eq!(v[KEY_WIFI_SECURITY_TYPE].as_str(), Some(security.as_str()));
        assert_eq!(v[KEY_WIFI_HIDDEN], Value::Bool(hidden));
        if security == WifiSecurity::None {
            assert!(v.get(KEY_WIFI_PASSWORD).is_none(), "{text}");
        } else {
            assert_eq!(
                v[KEY_WIFI_PASSWORD].as_str(),
                Some(password.as_str()),
                "{text}"
            );
        }
        cases += 1;
    }
    assert_eq!(cases, ssids.len());
}

#[test]
fn every_hostile_password_round_trips() {
    let custom = custom_dpc();
    for (i, password) in hostile_passwords().iter().enumerate() {
        let security = if i % 2 == 0 {
            WifiSecurity::Wpa
        } else {
            WifiSecurity::Wep
        };
        let wifi = Wifi {
            ssid: "Corp",
            security,
            password: Some(password),
            hidden: false,
        };
        let text = payload(&PayloadRequest {
            dpc: Dpc::Custom(&custom),
            token: "T",
            enrollment_mode: "corporateOwnedAOSPUserlessDevice",
            wifi: Some(wifi),
        });
        assert_roundtrip(&text);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v[KEY_WIFI_PASSWORD].as_str(),
            Some(password.as_str()),
            "{text}"
        );
    }
}
