//! From a profile and its token to `qrCodeContent` and `qrCodeImage`: which device policy
//! controller the mode needs, which Wi-Fi keys apply, and the PNG. Also the `[aosp_dpc]`
//! settings ([`AospDpcSettings`]) that name the operator's own controller for AOSP modes, since
//! they only matter to the QR payload.

use android_provisioning::{
    payload, render_png, CustomDpc, Dpc, PayloadRequest, QrError, Wifi, WifiSecurity,
};
use anyhow::bail;
use clap::Args;
use serde::Deserialize;

use crate::error::ApiError;
use crate::model::{Profile, WifiSecurityType};

/// The operator's own DPC app for AOSP modes (TOML table `[aosp_dpc]`, flags `--aosp-dpc-*`,
/// variables `PROVISIO_AOSP_DPC_*`). All of `component_name`, `download_url`,
/// `signature_checksum`, `token_extras_key` and `enrollment_url_extras_key` must be set for AOSP
/// tokens; `enrollment_url` defaults to `public_base_url`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AospDpcSettings {
    /// AOSP DPC: component name of its device admin receiver, e.g. com.example.dpc/.AdminReceiver.
    #[arg(
        long = "aosp-dpc-component-name",
        env = "PROVISIO_AOSP_DPC_COMPONENT_NAME",
        value_name = "COMPONENT"
    )]
    pub component_name: Option<String>,
    /// AOSP DPC: https URL of its APK.
    #[arg(
        long = "aosp-dpc-download-url",
        env = "PROVISIO_AOSP_DPC_DOWNLOAD_URL",
        value_name = "URL"
    )]
    pub download_url: Option<String>,
    /// AOSP DPC: SHA-256 of its signing certificate, URL-safe base64.
    #[arg(
        long = "aosp-dpc-signature-checksum",
        env = "PROVISIO_AOSP_DPC_SIGNATURE_CHECKSUM",
        value_name = "BASE64"
    )]
    pub signature_checksum: Option<String>,
    /// AOSP DPC: admin-extras key that carries the enrollment token.
    #[arg(
        long = "aosp-dpc-token-extras-key",
        env = "PROVISIO_AOSP_DPC_TOKEN_EXTRAS_KEY",
        value_name = "KEY"
    )]
    pub token_extras_key: Option<String>,
    /// AOSP DPC: admin-extras key that carries the enrollment URL.
    #[arg(
        long = "aosp-dpc-enrollment-url-extras-key",
        env = "PROVISIO_AOSP_DPC_ENROLLMENT_URL_EXTRAS_KEY",
        value_name = "KEY"
    )]
    pub enrollment_url_extras_key: Option<String>,
    /// AOSP DPC: URL it contacts to enroll [default: the public base URL].
    #[arg(
        long = "aosp-dpc-enrollment-url",
        env = "PROVISIO_AOSP_DPC_ENROLLMENT_URL",
        value_name = "URL"
    )]
    pub enrollment_url: Option<String>,
}

impl AospDpcSettings {
    /// The setting names, as written in the TOML file's `[aosp_dpc]` table.
    pub const REQUIRED: [&'static str; 5] = [
        "aosp_dpc.component_name",
        "aosp_dpc.download_url",
        "aosp_dpc.signature_checksum",
        "aosp_dpc.token_extras_key",
        "aosp_dpc.enrollment_url_extras_key",
    ];

    fn values(&self) -> [&Option<String>; 5] {
        [
            &self.component_name,
            &self.download_url,
            &self.signature_checksum,
            &self.token_extras_key,
            &self.enrollment_url_extras_key,
        ]
    }

    /// The configured DPC, `Ok(None)` when none of it is set, or an error naming what is missing
    /// or wrong.
    pub fn build(&self, public_base_url: Option<&str>) -> anyhow::Result<Option<CustomDpc>> {
        let values = self.values();
        if values.iter().all(|v| v.is_none()) && self.enrollment_url.is_none() {
            return Ok(None);
        }
        let missing: Vec<&str> = Self::REQUIRED
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            bail!(
                "the AOSP DPC is partly configured; also set {}",
                missing.join(", ")
            );
        }
        let Some(enrollment_url) = self.enrollment_url.as_deref().or(public_base_url) else {
            bail!("the AOSP DPC needs aosp_dpc.enrollment_url (or public_base_url) so devices know where to enroll");
        };
        let get = |v: &Option<String>| v.clone().unwrap_or_default();
        let dpc = CustomDpc::new(&android_provisioning::CustomDpcSettings {
            component_name: &get(&self.component_name),
            download_url: &get(&self.download_url),
            signature_checksum: &get(&self.signature_checksum),
            token_extras_key: &get(&self.token_extras_key),
            enrollment_url_extras_key: &get(&self.enrollment_url_extras_key),
            enrollment_url,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Some(dpc))
    }
}

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
