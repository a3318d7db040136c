//! Capacity (M, fallback to L, too large), PNG properties and determinism.

use crate::common::{assert_layout, assert_roundtrip, custom_dpc, load_png};
use android_provisioning::{
    check_capacity, fits, payload, render_png, Dpc, EcLevel, PayloadRequest, QrError, Wifi,
    WifiSecurity, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES_AT_M,
};

/// Lower-case letters are byte-mode only, so `n` of them need exactly `n` bytes of capacity.
fn lowercase(n: usize) -> String {
    "abcdefghijklmnopqrstuvwxyz"
        .chars()
        .cycle()
        .take(n)
        .collect()
}

#[test]
fn byte_mode_boundaries_choose_m_then_l_then_too_large() {
    let at_m = lowercase(MAX_PAYLOAD_BYTES_AT_M);
    assert_eq!(check_capacity(&at_m), Ok(EcLevel::M));
    let image = assert_roundtrip(&at_m);
    assert_eq!((image.ec_level(), image.version()), (EcLevel::M, 40));

    let just_past_m = lowercase(MAX_PAYLOAD_BYTES_AT_M + 1);
    assert_eq!(check_capacity(&just_past_m), Ok(EcLevel::L));
    let image = render_png(&just_past_m).unwrap();
    assert_eq!(image.ec_level(), EcLevel::L);
    assert!(image.version() < 40, "L needs a smaller code than M here");

    let at_l = lowercase(MAX_PAYLOAD_BYTES);
    let image = assert_roundtrip(&at_l);
    assert_eq!((image.ec_level(), image.version()), (EcLevel::L, 40));
    assert!(fits(&at_l));

    let too_large = lowercase(MAX_PAYLOAD_BYTES + 1);
    assert!(!fits(&too_large));
    let expected = QrError::TooLarge {
        bytes: MAX_PAYLOAD_BYTES + 1,
        max_bytes: MAX_PAYLOAD_BYTES,
    };
    assert_eq!(render_png(&too_large), Err(expected.clone()));
    assert_eq!(check_capacity(&too_large), Err(expected));
}

fn with_token(token: &str) -> String {
    let custom = custom_dpc();
    let wifi = Wifi {
        ssid: "Warehouse",
        security: WifiSecurity::Wpa,
        password: Some("hunter22"),
        hidden: false,
    };
    payload(&PayloadRequest {
        dpc: Dpc::Custom(&custom),
        token,
        enrollment_mode: "corporateOwnedAOSPUserlessDevice",
        wifi: Some(wifi),
    })
}

#[test]
fn real_payloads_pick_the_right_level() {
    let normal = with_token("WINFPMWZHDMYATCYIHVK");
    let image = assert_roundtrip(&normal);
    assert_eq!(image.ec_level(), EcLevel::M);

    let only_at_l = with_token(&lowercase(2000));
    assert!(only_at_l.len() > MAX_PAYLOAD_BYTES_AT_M && only_at_l.len() < MAX_PAYLOAD_BYTES);
    let image = assert_roundtrip(&only_at_l);
    assert_eq!(image.ec_level(), EcLevel::L);

    let huge = with_token(&lowercase(3000));
    match render_png(&huge) {
        Err(QrError::TooLarge { bytes, max_bytes }) => {
            assert_eq!((bytes, max_bytes), (huge.len(), MAX_PAYLOAD_BYTES));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let message = render_png(&huge).unwrap_err().to_string();
    assert!(message.contains(&huge.len().to_string()), "{message}");
}

#[test]
fn png_properties() {
    let text = with_token("WINFPMWZHDMYATCYIHVK");
    let image = render_png(&text).unwrap();
    assert!(image.png().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_layout(&image);
    let pixels = load_png(image.png());
    let side = (image.modules() + 8) * 8;
    assert_eq!((pixels.width, pixels.height), (side, side));
    for (x, y) in [(0, 0), (side - 1, 0), (0, side - 1), (side - 1, side - 1)] {
        assert_eq!(pixels.at(x, y), 255, "corner ({x}, {y})");
    }
    // Both colours are present, and the three finder patterns sit where they must.
    let q = 32;
    let far = side - q - 1;
    assert_eq!(
        (pixels.at(q, q), pixels.at(far, q), pixels.at(q, far)),
        (0, 0, 0)
    );
    assert_eq!(pixels.at(q + 8, q + 8), 255, "finder ring");

    let base64 = image.png_base64();
    assert_eq!(base64.len() % 4, 0);
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&base64)
        .unwrap();
    assert_eq!(decoded, image.png());
}

#[test]
fn empty_and_tiny_contents_render() {
    for text in ["", "A", "0"] {
        let image = assert_roundtrip(text);
        assert_eq!((image.version(), image.ec_level()), (1, EcLevel::M));
        assert_eq!(image.width_px(), (21 + 8) * 8);
    }
}

#[test]
fn same_input_same_bytes() {
    let custom = custom_dpc();
    let wifi = Wifi {
        ssid: "無線 \"x\"",
        security: WifiSecurity::Wep,
        password: Some("abcde"),
        hidden: true,
    };
    let request = PayloadRequest {
        dpc: Dpc::Custom(&custom),
        token: "WINFPMWZHDMYATCYIHVK",
        enrollment_mode: "corporateOwnedAOSPUserAssociatedDevice",
        wifi: Some(wifi),
    };
    let text = payload(&request);
    let first = render_png(&text).unwrap();
    for _ in 0..3 {
        assert_eq!(payload(&request), text);
        let again = render_png(&text).unwrap();
        assert_eq!(again, first);
        assert_eq!(again.png_base64(), first.png_base64());
    }
    let other = render_png(&with_token("WINFPMWZHDMYATCYIHVJ")).unwrap();
    assert_ne!(other.png(), first.png());
}
