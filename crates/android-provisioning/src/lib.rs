#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]
//! Android device-owner provisioning QR codes: the payload text (`qrCodeContent`) and its PNG
//! (`qrCodeImage`), as described in the project's `docs/QR.md`.
//!
//! A pure crate: no I/O, no async, no knowledge of Graph types. The service maps a profile to a
//! [`PayloadRequest`], calls [`payload()`], then [`render_png`] on the result.
//!
//! ```
//! use android_provisioning::{
//!     payload, render_png, Dpc, EcLevel, PayloadRequest, Wifi, WifiSecurity,
//! };
//!
//! let wifi = Wifi { ssid: "Café", security: WifiSecurity::Wpa, password: Some("p\"w"), hidden: false };
//! let text = payload(&PayloadRequest {
//!     dpc: Dpc::AndroidDevicePolicy,
//!     token: "WINFPMWZHDMYATCYIHVK",
//!     enrollment_mode: "corporateOwnedFullyManaged", // written for a custom DPC only
//!     wifi: Some(wifi), // None when configureWifi is false or wifiSsid is null
//! });
//! assert!(text.is_ascii());
//! assert!(text.contains(r#""android.app.extra.PROVISIONING_WIFI_SSID":"Caf\u00e9""#));
//! let image = render_png(&text)?;
//! assert_eq!(image.ec_level(), EcLevel::M);
//! let base64 = image.png_base64(); // qrCodeImage.value
//! # assert!(base64.starts_with("iVBORw0KGgo"));
//! # Ok::<(), android_provisioning::QrError>(())
//! ```
//!
//! # Public API
//! - Payload: [`payload()`]`(&PayloadRequest) -> String`, with [`PayloadRequest`] `{ dpc, token,
//!   enrollment_mode, wifi }`, [`Dpc`] `{ AndroidDevicePolicy, Custom(&CustomDpc) }`, [`Wifi`]
//!   `{ ssid, security, password, hidden }` and [`WifiSecurity`] `{ None, Wpa, Wep }`. Pass
//!   `wifi: None` when `configureWifi` is false or `wifiSsid` is null. The mode is the Graph
//!   member name as a string (the crate knows no Graph types); a custom DPC's extras carry it
//!   under [`KEY_ENROLLMENT_MODE`] with [`PROTOCOL_VERSION`] under [`KEY_PROTOCOL_VERSION`].
//! - AOSP DPC configuration: [`CustomDpc::new`]`(&CustomDpcSettings) -> Result<CustomDpc,
//!   ConfigError>`; [`ConfigError::setting`] says which [`DpcSetting`] is wrong.
//! - Image: [`render_png`]`(&str) -> Result<QrImage, QrError>`; [`QrImage`] gives the PNG
//!   bytes, its base64, the [`EcLevel`], the version and the size; [`check_capacity`] and
//!   [`fits`] answer "would it fit, at which level" without drawing;
//!   [`QrError::TooLarge`] when it fits at neither M nor L.
//!
//! # Payload bytes
//! Compact JSON (no whitespace), keys in the order of docs/QR.md (How it is written), booleans as JSON
//! booleans. Only ASCII: `"` and `\` are backslash-escaped; `\b \t \n \f \r` use their short
//! escapes; other control characters and DEL become `\u00XX`; every non-ASCII character becomes
//! `\uXXXX` with **lowercase** hex digits, and characters beyond U+FFFF a surrogate pair
//! (`😀` → `\ud83d\ude00`); `/` is not escaped. The same request always gives the same bytes.
//!
//! # Image
//! Error correction M, or L when the text does not fit at M; smallest version that fits, with
//! the optimal mix of numeric, alphanumeric and byte segments (all by the `qrcode` crate); the
//! mask pattern `qrcode` would choose, found by a faster scorer of its own penalty rules (see
//! the `mask` and `penalty` modules; a test checks the matrices are identical); a 4-module
//! white quiet zone; 8 × 8 px per module; black on white; a PNG of bit depth 1, grayscale,
//! `Up` filter, fast deflate. Deterministic for a given build (the PNG crate's deflate output
//! may change between its versions; the decoded pixels do not). `benches/qr.rs` measures the
//! cost; the figures are in docs/BENCHMARKS.md, "QR codes".

mod dpc;
mod json;
mod mask;
mod payload;
mod penalty;
mod qr;
mod validate;

#[cfg(test)]
mod payload_tests;
#[cfg(test)]
mod validate_tests;

pub use dpc::{
    CustomDpc, CustomDpcSettings, Dpc, ANDROID_DEVICE_POLICY_COMPONENT,
    ANDROID_DEVICE_POLICY_DOWNLOAD_LOCATION, ANDROID_DEVICE_POLICY_SIGNATURE_CHECKSUM,
    ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY,
};
pub use payload::{
    payload, PayloadRequest, Wifi, WifiSecurity, KEY_ADMIN_EXTRAS_BUNDLE, KEY_COMPONENT_NAME,
    KEY_DOWNLOAD_LOCATION, KEY_ENROLLMENT_MODE, KEY_PROTOCOL_VERSION, KEY_SIGNATURE_CHECKSUM,
    KEY_WIFI_HIDDEN, KEY_WIFI_PASSWORD, KEY_WIFI_SECURITY_TYPE, KEY_WIFI_SSID, PROTOCOL_VERSION,
};
pub use qr::{
    check_capacity, fits, render_matrix, render_png, EcLevel, QrError, QrImage, QrMatrix,
    MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES_AT_M, PIXELS_PER_MODULE, QUIET_ZONE_MODULES,
};
pub use validate::{ConfigError, DpcSetting};
