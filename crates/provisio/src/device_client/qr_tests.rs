#![allow(clippy::unwrap_used, clippy::expect_used)]

use android_provisioning::{
    payload, render_png, CustomDpc, CustomDpcSettings, Dpc, PayloadRequest,
};
use serde_json::{json, Value};

use super::*;

const TOKEN: &str = "WINFPMWZHDMYATCYIHVK";

fn own_dpc() -> CustomDpc {
    CustomDpc::new(&CustomDpcSettings {
        component_name: "com.example.dpc/.AdminReceiver",
        download_url: "https://example.com/dpc.apk",
        signature_checksum: "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
        token_extras_key: "com.example.dpc.TOKEN",
        enrollment_url_extras_key: "com.example.dpc.SERVER",
        enrollment_url: "https://mdm.example.com/",
    })
    .unwrap()
}

/// The text of the PNG the service would draw for `text`, read back by the client.
fn round_trip(text: &str) -> String {
    let png = render_png(text).unwrap().png().to_vec();
    decode_png(&png).unwrap()
}

/// The own DPC's payload with its extras bundle changed by `edit`.
fn own_payload_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let dpc = own_dpc();
    let text = payload(&PayloadRequest {
        dpc: Dpc::Custom(&dpc),
        token: TOKEN,
        enrollment_mode: "corporateOwnedDedicatedDevice",
        wifi: None,
    });
    let mut json: Value = serde_json::from_str(&text).unwrap();
    edit(json[KEY_ADMIN_EXTRAS_BUNDLE].as_object_mut().unwrap());
    json.to_string()
}

fn error_of(text: &str, keys: ExtrasKeys<'_>) -> String {
    format!("{:#}", read_code(text, keys).unwrap_err())
}

#[test]
fn a_google_dpc_code_gives_its_token_and_needs_a_server() {
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: "corporateOwnedDedicatedDevice",
        wifi: None,
    });
    let decoded = round_trip(&text);
    assert_eq!(decoded, text);
    let code = read_code(&decoded, ExtrasKeys::default()).unwrap();
    assert_eq!(code.kind, CodeKind::AndroidDevicePolicy);
    assert_eq!(code.token.expose(), TOKEN);
    assert_eq!(code.token_key, ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY);
    assert_eq!(code.url, Found::Missing);
    assert_eq!(code.mode, None);
    let err = code.server_url(None).unwrap_err().to_string();
    assert!(
        err.contains("Google's Android Device Policy") && err.contains("--server"),
        "{err}"
    );
    assert_eq!(
        code.server_url(Some("http://127.0.0.1:8080")).unwrap(),
        "http://127.0.0.1:8080"
    );
    let err = code.server_url(Some("ftp://x")).unwrap_err().to_string();
    assert!(err.contains("--server must be an http(s) URL"), "{err}");
}

#[test]
fn an_own_dpc_code_gives_token_and_url_under_the_operators_keys() {
    let dpc = own_dpc();
    let text = payload(&PayloadRequest {
        dpc: Dpc::Custom(&dpc),
        token: TOKEN,
        enrollment_mode: "corporateOwnedDedicatedDevice",
        wifi: None,
    });
    let code = read_code(&round_trip(&text), ExtrasKeys::default()).unwrap();
    assert_eq!(code.kind, CodeKind::OwnDpc);
    assert_eq!(code.token.expose(), TOKEN);
    assert_eq!(code.token_key, "com.example.dpc.TOKEN");
    assert_eq!(
        code.url,
        Found::One {
            key: "com.example.dpc.SERVER".into(),
            value: "https://mdm.example.com/".into()
        }
    );
    assert_eq!(code.server_url(None).unwrap(), "https://mdm.example.com/");
    // --server wins over the code's URL.
    assert_eq!(
        code.server_url(Some("http://localhost:1")).unwrap(),
        "http://localhost:1"
    );
    assert_eq!(
        code.keys,
        [
            "com.example.dpc.TOKEN",
            "com.example.dpc.SERVER",
            KEY_ENROLLMENT_MODE,
            KEY_PROTOCOL_VERSION
        ]
    );
    assert_eq!(code.mode.as_deref(), Some("corporateOwnedDedicatedDevice"));
}

#[test]
fn the_mode_and_protocol_version_extras_are_read_when_present() {
    let text = own_payload_with(|extras| {
        extras.insert(
            KEY_ENROLLMENT_MODE.into(),
            json!("corporateOwnedAOSPUserlessDevice"),
        );
        extras.insert(KEY_PROTOCOL_VERSION.into(), json!("1"));
    });
    let code = read_code(&round_trip(&text), ExtrasKeys::default()).unwrap();
    assert_eq!(
        code.mode.as_deref(),
        Some("corporateOwnedAOSPUserlessDevice")
    );
    assert_eq!(code.token.expose(), TOKEN);
    assert_eq!(code.server_url(None).unwrap(), "https://mdm.example.com/");

    let newer = own_payload_with(|extras| {
        extras.insert(KEY_PROTOCOL_VERSION.into(), json!("2"));
    });
    let err = error_of(&newer, ExtrasKeys::default());
    assert!(err.contains("protocol version 2"), "{err}");
}

#[test]
fn two_token_like_values_are_ambiguous_until_the_key_is_named() {
    let text = own_payload_with(|extras| {
        extras.insert(
            "com.example.dpc.ASSET_TAG".into(),
            json!("ABCDEFGHIJKLMNOPQRST"),
        );
    });
    let err = error_of(&text, ExtrasKeys::default());
    assert!(
        err.contains("several admin extras values look like an enrollment token")
            && err.contains("com.example.dpc.TOKEN, com.example.dpc.ASSET_TAG")
            && err.contains("--token-key"),
        "{err}"
    );
    let keys = ExtrasKeys {
        token: Some("com.example.dpc.ASSET_TAG"),
        url: None,
    };
    let code = read_code(&text, keys).unwrap();
    assert_eq!(code.token.expose(), "ABCDEFGHIJKLMNOPQRST");
}

#[test]
fn a_missing_token_names_the_keys_present_and_never_a_value() {
    let text = own_payload_with(|extras| {
        extras.insert("com.example.dpc.TOKEN".into(), json!("short"));
    });
    let err = error_of(&text, ExtrasKeys::default());
    assert!(
        err.contains("no admin extras value of the QR code is an enrollment token")
            && err.contains("keys present: com.example.dpc.TOKEN, com.example.dpc.SERVER")
            && !err.contains("short"),
        "{err}"
    );
    let named = ExtrasKeys {
        token: Some("com.example.dpc.NOPE"),
        url: None,
    };
    let err = error_of(&text, named);
    assert!(
        err.contains("no text value under com.example.dpc.NOPE (--token-key)"),
        "{err}"
    );
    let malformed = ExtrasKeys {
        token: Some("com.example.dpc.TOKEN"),
        url: None,
    };
    let err = error_of(&text, malformed);
    assert!(err.contains("is not an enrollment token"), "{err}");
}

#[test]
fn urls_that_are_missing_or_several_need_a_flag() {
    let two = own_payload_with(|extras| {
        extras.insert(
            "com.example.dpc.SUPPORT".into(),
            json!("https://help.example.com"),
        );
    });
    let code = read_code(&two, ExtrasKeys::default()).unwrap();
    let err = code.server_url(None).unwrap_err().to_string();
    assert!(
        err.contains("com.example.dpc.SERVER, com.example.dpc.SUPPORT")
            && err.contains("--url-key"),
        "{err}"
    );
    assert!(code.server_url(Some("https://other.example")).is_ok());
    let keyed = ExtrasKeys {
        token: None,
        url: Some("com.example.dpc.SERVER"),
    };
    let code = read_code(&two, keyed).unwrap();
    assert_eq!(code.server_url(None).unwrap(), "https://mdm.example.com/");
    let not_url = ExtrasKeys {
        token: None,
        url: Some("com.example.dpc.TOKEN"),
    };
    assert!(error_of(&two, not_url).contains("is not an http(s) URL"));

    let none = own_payload_with(|extras| {
        extras.remove("com.example.dpc.SERVER");
    });
    let code = read_code(&none, ExtrasKeys::default()).unwrap();
    let err = code.server_url(None).unwrap_err().to_string();
    assert!(
        err.contains("no admin extras value of the QR code is an http(s) URL"),
        "{err}"
    );
}

#[test]
fn text_that_is_not_an_enrollment_code_is_refused() {
    let err = error_of("hello", ExtrasKeys::default());
    assert!(err.contains("not an Android provisioning code"), "{err}");
    let err = error_of("{\"a\":1}", ExtrasKeys::default());
    assert!(err.contains("not an enrollment code"), "{err}");
}

/// Encodes 8-bit pixels of `channels` samples each as a PNG of that colour type.
fn encode(width: u32, height: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(data)
        .unwrap();
    out
}

#[test]
fn an_rgba_image_of_the_code_reads_the_same() {
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: "corporateOwnedDedicatedDevice",
        wifi: None,
    });
    let pixels = qr_check::load_png(render_png(&text).unwrap().png());
    // Dark modules in opaque blue, light ones transparent: luma and alpha both matter.
    let rgba: Vec<u8> = pixels
        .luma
        .iter()
        .flat_map(|&l| {
            if l == 0 {
                [0, 0, 120, 255]
            } else {
                [0, 0, 0, 0]
            }
        })
        .collect();
    let (w, h) = (pixels.width as u32, pixels.height as u32);
    let png = encode(w, h, png::ColorType::Rgba, &rgba);
    assert_eq!(decode_png(&png).unwrap(), text);
}

#[test]
fn images_without_a_code_or_not_png_are_refused() {
    let blank = encode(64, 64, png::ColorType::Grayscale, &[255; 64 * 64]);
    let err = decode_png(&blank).unwrap_err().to_string();
    assert_eq!(err, "no QR code found in the image");
    let err = decode_png(b"GIF89a").unwrap_err().to_string();
    assert_eq!(err, "not a PNG image");
}
