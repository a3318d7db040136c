//! Shared helpers: decode a PNG with two independent QR decoders (rqrr in process, zbarimg as
//! a separate program), check the PNG's layout, and build DPC fixtures.

use android_provisioning::{render_png, CustomDpc, CustomDpcSettings, QrImage};
pub use qr_check::{decode_rqrr, decode_zbar, load_png};

/// Renders `text`, checks the PNG layout, and checks that both decoders read back `text`
/// byte for byte. Returns the image.
pub fn assert_roundtrip(text: &str) -> QrImage {
    let image = render_png(text).expect("render");
    assert_layout(&image);
    let by_rqrr = decode_rqrr(image.png());
    assert!(
        by_rqrr == text.as_bytes(),
        "rqrr read {:?}\nexpected {text:?}",
        String::from_utf8_lossy(&by_rqrr)
    );
    let by_zbar = decode_zbar(image.png());
    assert!(
        by_zbar == text.as_bytes(),
        "zbarimg read {:?}\nexpected {text:?}",
        String::from_utf8_lossy(&by_zbar)
    );
    image
}

/// Size `(modules + 8) × 8` square, a white quiet zone of 4 modules, and every module an
/// 8 × 8 block of one colour.
pub fn assert_layout(image: &QrImage) {
    assert_eq!(image.modules(), 17 + 4 * usize::from(image.version()));
    let pixels = load_png(image.png());
    let side = (image.modules() + 8) * 8;
    assert_eq!((pixels.width, pixels.height), (side, side));
    assert_eq!(image.width_px(), side);
    let quiet = 4 * 8;
    for y in 0..side {
        for x in 0..side {
            let in_quiet_zone = x < quiet || y < quiet || x >= side - quiet || y >= side - quiet;
            if in_quiet_zone {
                assert_eq!(
                    pixels.at(x, y),
                    255,
                    "quiet zone pixel ({x}, {y}) is not white"
                );
            }
            assert_eq!(
                pixels.at(x, y),
                pixels.at(x / 8 * 8, y / 8 * 8),
                "module block at ({x}, {y})"
            );
        }
    }
    // The top-left finder pattern starts right after the quiet zone: black.
    assert_eq!(pixels.at(quiet, quiet), 0, "finder pattern corner");
}

/// A valid AOSP DPC configuration.
pub fn custom_dpc() -> CustomDpc {
    CustomDpc::new(&CustomDpcSettings {
        component_name: "com.example.dpc/.AdminReceiver",
        download_url: "https://dpc.example.com/releases/dpc-4.2.1.apk",
        signature_checksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        token_extras_key: "com.example.dpc.EXTRA_ENROLLMENT_TOKEN",
        enrollment_url_extras_key: "com.example.dpc.EXTRA_ENROLLMENT_URL",
        enrollment_url: "https://mdm.example.com/enroll",
    })
    .expect("valid DPC settings")
}
