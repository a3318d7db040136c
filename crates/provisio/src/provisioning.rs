//! From a profile and its token to `qrCodeContent` and `qrCodeImage`: which device policy
//! controller the mode needs, which Wi-Fi keys apply, and the PNG.

use android_provisioning::{
    payload, render_png, CustomDpc, Dpc, PayloadRequest, QrError, Wifi, WifiSecurity,
};

use crate::config::AospDpcSettings;
use crate::error::ApiError;
use crate::model::{Profile, WifiSecurityType};

/// Draws provisioning QR codes for the configured controllers.
#[derive(Debug, Clone, Default)]
pub struct QrCodes {
    aosp_dpc: Option<CustomDpc>,
}

/// A QR code: its text and its PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// `qrCodeContent`.
    pub content: String,
    /// `qrCodeImage` as PNG bytes.
    pub png: Vec<u8>,
}

impl QrCodes {
    /// QR codes for Google's Android Device Policy and, when configured, the operator's AOSP DPC.
    /// Refuses a DPC whose settings alone leave no room in a QR code for a token.
    pub fn new(aosp_dpc: Option<CustomDpc>) -> anyhow::Result<Self> {
        if let Some(dpc) = &aosp_dpc {
            let sample = payload(&PayloadRequest {
                dpc: Dpc::Custom(dpc),
                token: "AAAAAAAAAAAAAAAAAAAA",
                wifi: None,
            });
            if !android_provisioning::fits(&sample) {
                anyhow::bail!(
                    "the AOSP DPC settings make a QR payload of {} bytes, more than a QR code holds; shorten aosp_dpc.download_url or the extras keys",
                    sample.len()
                );
            }
        }
        Ok(QrCodes { aosp_dpc })
    }

    /// Whether a token can be made for a profile in this mode: AOSP modes need the AOSP DPC.
    pub fn check_mode(&self, p: &Profile) -> Result<(), ApiError> {
        if p.enrollment_mode.is_aosp() && self.aosp_dpc.is_none() {
            return Err(ApiError::Conflict(format!(
                "{} profiles need the AOSP device policy controller, which is not configured on this server. Set {} (or the matching PROVISIO_AOSP_DPC_* variables or --aosp-dpc-* flags).",
                p.enrollment_mode.name(),
                AospDpcSettings::REQUIRED.join(", ")
            )));
        }
        Ok(())
    }

    /// The payload text for `p` with token `token`.
    pub fn content(&self, p: &Profile, token: &str) -> Result<String, ApiError> {
        self.check_mode(p)?;
        let dpc = match (&self.aosp_dpc, p.enrollment_mode.is_aosp()) {
            (Some(custom), true) => Dpc::Custom(custom),
            _ => Dpc::AndroidDevicePolicy,
        };
        let wifi = match (&p.wifi.ssid, p.wifi.configure) {
            (Some(ssid), true) => Some(Wifi {
                ssid,
                security: match p.wifi.security {
                    WifiSecurityType::None => WifiSecurity::None,
                    WifiSecurityType::Wpa => WifiSecurity::Wpa,
                    WifiSecurityType::Wep => WifiSecurity::Wep,
                },
                password: p.wifi.password.as_ref().map(|s| s.expose()),
                hidden: p.wifi.hidden,
            }),
            _ => None,
        };
        Ok(payload(&PayloadRequest { dpc, token, wifi }))
    }

    /// The payload and its PNG. A payload too large for any QR code is a 400 that names what to
    /// shorten.
    pub fn draw(&self, p: &Profile, token: &str) -> Result<Drawn, ApiError> {
        let content = self.content(p, token)?;
        match render_png(&content) {
            Ok(image) => Ok(Drawn {
                content,
                png: image.into_png(),
            }),
            Err(QrError::TooLarge { bytes, max_bytes }) => {
                let what = if p.wifi.configure && p.wifi.ssid.is_some() {
                    "Shorten wifiSsid or wifiPassword, or set configureWifi to false"
                } else {
                    "Shorten the configured AOSP DPC settings (download URL, extras keys, enrollment URL)"
                };
                Err(ApiError::BadRequest(format!(
                    "The QR code payload would be {bytes} bytes, more than a QR code holds ({max_bytes}). {what}."
                )))
            }
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!(
                "drawing the QR code: {other}"
            ))),
        }
    }
}
