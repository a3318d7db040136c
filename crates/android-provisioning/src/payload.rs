//! The provisioning payload (`qrCodeContent`): one compact, ASCII-only JSON object of Android's
//! `android.app.extra.PROVISIONING_*` extras, in a fixed key order.

use crate::dpc::{Dpc, ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY};
use crate::json::push_str_literal;

/// `PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME`.
pub const KEY_COMPONENT_NAME: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";
/// `PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM`.
pub const KEY_SIGNATURE_CHECKSUM: &str =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM";
/// `PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION`.
pub const KEY_DOWNLOAD_LOCATION: &str =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION";
/// `PROVISIONING_WIFI_SSID`.
pub const KEY_WIFI_SSID: &str = "android.app.extra.PROVISIONING_WIFI_SSID";
/// `PROVISIONING_WIFI_SECURITY_TYPE`.
pub const KEY_WIFI_SECURITY_TYPE: &str = "android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE";
/// `PROVISIONING_WIFI_PASSWORD`.
pub const KEY_WIFI_PASSWORD: &str = "android.app.extra.PROVISIONING_WIFI_PASSWORD";
/// `PROVISIONING_WIFI_HIDDEN`.
pub const KEY_WIFI_HIDDEN: &str = "android.app.extra.PROVISIONING_WIFI_HIDDEN";
/// `PROVISIONING_ADMIN_EXTRAS_BUNDLE`.
pub const KEY_ADMIN_EXTRAS_BUNDLE: &str = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
/// Admin-extras key of a [`Dpc::Custom`] payload that carries the profile's enrollment mode.
pub const KEY_ENROLLMENT_MODE: &str = "provisio.enrollmentMode";
/// Admin-extras key of a [`Dpc::Custom`] payload that carries [`PROTOCOL_VERSION`].
pub const KEY_PROTOCOL_VERSION: &str = "provisio.protocolVersion";
/// The version of the device protocol a [`Dpc::Custom`] payload's DPC speaks, written as a
/// string under [`KEY_PROTOCOL_VERSION`].
pub const PROTOCOL_VERSION: &str = "1";

/// Wi-Fi security type, written as `"NONE"`, `"WPA"` or `"WEP"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WifiSecurity {
    /// Open network (Graph `none`); no password is ever written.
    #[default]
    None,
    /// WPA/WPA2/WPA3 personal (Graph `wpa`).
    Wpa,
    /// WEP (Graph `wep`).
    Wep,
}

impl WifiSecurity {
    /// The value Android expects in `PROVISIONING_WIFI_SECURITY_TYPE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Wpa => "WPA",
            Self::Wep => "WEP",
        }
    }
}

/// The network a device joins during provisioning.
///
/// Values are written exactly as given (escaped, never trimmed or checked): the service
/// validates `wifiSsid` and `wifiPassword` before calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wifi<'a> {
    /// The SSID, unquoted.
    pub ssid: &'a str,
    /// The security type.
    pub security: WifiSecurity,
    /// The passphrase or key; written only when `security` is not [`WifiSecurity::None`].
    pub password: Option<&'a str>,
    /// Whether the network does not broadcast its SSID (a JSON boolean in the payload).
    pub hidden: bool,
}

/// Everything a payload depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadRequest<'a> {
    /// The DPC to install and hand the token to.
    pub dpc: Dpc<'a>,
    /// The enrollment token (`tokenValue`).
    pub token: &'a str,
    /// The profile's enrollment mode, by its Graph member name (`corporateOwnedDedicatedDevice`,
    /// ...). Written for a [`Dpc::Custom`] only, under [`KEY_ENROLLMENT_MODE`]; Android Device
    /// Policy's extras carry the token alone.
    pub enrollment_mode: &'a str,
    /// The Wi-Fi network, or `None` for no Wi-Fi key at all. The caller passes `None` when
    /// `configureWifi` is false or `wifiSsid` is null, whatever the other Wi-Fi members say.
    pub wifi: Option<Wifi<'a>>,
}

/// Builds `qrCodeContent`: compact JSON, pure ASCII, the same bytes for the same request.
///
/// Keys, in this order: component name, signature checksum, download location; then, when
/// `wifi` is set, SSID, security type, password (only when the security type is not `NONE` and
/// a password is given) and hidden (a JSON boolean); then the admin extras bundle, which holds
/// the token (under the DPC's token key) and, for a [`Dpc::Custom`], then the enrollment URL
/// (under its enrollment-URL key), the enrollment mode ([`KEY_ENROLLMENT_MODE`]) and the
/// protocol version ([`KEY_PROTOCOL_VERSION`], the string [`PROTOCOL_VERSION`]). Non-ASCII text
/// is escaped as described in the crate docs.
pub fn payload(req: &PayloadRequest<'_>) -> String {
    let mut out = String::with_capacity(512);
    out.push('{');
    let [component, checksum, location] = req.dpc.admin_fields();
    push_member(&mut out, KEY_COMPONENT_NAME, component);
    out.push(',');
    push_member(&mut out, KEY_SIGNATURE_CHECKSUM, checksum);
    out.push(',');
    push_member(&mut out, KEY_DOWNLOAD_LOCATION, location);
    if let Some(wifi) = &req.wifi {
        out.push(',');
        push_member(&mut out, KEY_WIFI_SSID, wifi.ssid);
        out.push(',');
        push_member(&mut out, KEY_WIFI_SECURITY_TYPE, wifi.security.as_str());
        if let (false, Some(password)) = (wifi.security == WifiSecurity::None, wifi.password) {
            out.push(',');
            push_member(&mut out, KEY_WIFI_PASSWORD, password);
        }
        out.push(',');
        push_str_literal(&mut out, KEY_WIFI_HIDDEN);
        out.push_str(if wifi.hidden { ":true" } else { ":false" });
    }
    out.push(',');
    push_str_literal(&mut out, KEY_ADMIN_EXTRAS_BUNDLE);
    out.push_str(":{");
    match req.dpc {
        Dpc::AndroidDevicePolicy => {
            push_member(&mut out, ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY, req.token);
        }
        Dpc::Custom(custom) => {
            push_member(&mut out, custom.token_extras_key(), req.token);
            out.push(',');
            push_member(
                &mut out,
                custom.enrollment_url_extras_key(),
                custom.enrollment_url(),
            );
            out.push(',');
            push_member(&mut out, KEY_ENROLLMENT_MODE, req.enrollment_mode);
            out.push(',');
            push_member(&mut out, KEY_PROTOCOL_VERSION, PROTOCOL_VERSION);
        }
    }
    out.push_str("}}");
    out
}

/// Appends `"key":"value"`.
fn push_member(out: &mut String, key: &str, value: &str) {
    push_str_literal(out, key);
    out.push(':');
    push_str_literal(out, value);
}
