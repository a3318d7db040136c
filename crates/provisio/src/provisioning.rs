//! From a profile and its token to `qrCodeContent` and `qrCodeImage`: which device policy
//! controller the mode needs, which Wi-Fi keys apply, and the PNG. Also the `[aosp_dpc]`
//! settings ([`AospDpcSettings`]) that name the operator's own controller, for the AOSP modes
//! and, with `aosp_dpc.all_modes`, for every mode, since they only matter to the QR payload.

use android_provisioning::{
    payload, render_png, CustomDpc, Dpc, PayloadRequest, QrError, Wifi, WifiSecurity,
};
use anyhow::bail;
use clap::{ArgAction, Args};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;
use crate::model::{EnrollmentMode, Profile, WifiSecurityType};

/// The operator's own DPC app (TOML table `[aosp_dpc]`, flags `--aosp-dpc-*`, variables
/// `PROVISIO_AOSP_DPC_*`): always used by the AOSP modes, and by the Google Mobile Services
/// modes too when `all_modes` is set. All of `component_name`, `download_url`,
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
    /// AOSP DPC: use it for the Google Mobile Services modes too (dedicated, fully managed, work
    /// profile) instead of Google's Android Device Policy, so that those devices enroll against
    /// this service; needs the AOSP DPC configured [default: false].
    #[arg(
        long = "aosp-dpc-all-modes",
        env = "PROVISIO_AOSP_DPC_ALL_MODES",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    #[serde(default)]
    pub all_modes: bool,
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
            if self.all_modes {
                bail!(
                    "aosp_dpc.all_modes uses the AOSP DPC for every mode, but none is configured; also set {}",
                    Self::REQUIRED.join(", ")
                );
            }
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
    /// Whether the Google Mobile Services modes use `aosp_dpc` too.
    all_modes: bool,
}

/// A QR code: its text and its PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// `qrCodeContent`.
    pub content: String,
    /// `qrCodeImage` as PNG bytes.
    pub png: Vec<u8>,
}

/// A token of the right length that stands in for real ones where only the shape of a payload
/// matters (the capacity check, the fingerprint).
const SAMPLE_TOKEN: &str = "AAAAAAAAAAAAAAAAAAAA";

impl QrCodes {
    /// QR codes for Google's Android Device Policy and, when configured, the operator's DPC:
    /// for the AOSP modes, and for every mode when `all_modes` (which needs the DPC). Refuses a
    /// DPC whose settings alone, with the longest mode name, leave no room in a QR code for a
    /// token.
    pub fn new(aosp_dpc: Option<CustomDpc>, all_modes: bool) -> anyhow::Result<Self> {
        if let Some(dpc) = &aosp_dpc {
            let longest = EnrollmentMode::MEMBERS
                .iter()
                .map(|(name, _)| *name)
                .max_by_key(|name| name.len())
                .unwrap_or_default();
            let sample = payload(&PayloadRequest {
                dpc: Dpc::Custom(dpc),
                token: SAMPLE_TOKEN,
                enrollment_mode: longest,
                wifi: None,
            });
            if !android_provisioning::fits(&sample) {
                anyhow::bail!(
                    "the AOSP DPC settings make a QR payload of {} bytes, more than a QR code holds; shorten aosp_dpc.download_url or the extras keys",
                    sample.len()
                );
            }
        } else if all_modes {
            anyhow::bail!("aosp_dpc.all_modes needs the AOSP DPC configured");
        }
        Ok(QrCodes {
            aosp_dpc,
            all_modes,
        })
    }

    /// The controller a profile in `mode` names: the configured DPC for the AOSP modes (when
    /// there is one; [`check_mode`](Self::check_mode) refuses them otherwise) and, with
    /// `all_modes`, for every mode; Google's Android Device Policy for the others.
    fn dpc_for(&self, mode: EnrollmentMode) -> Dpc<'_> {
        match &self.aosp_dpc {
            Some(custom) if mode.is_aosp() || self.all_modes => Dpc::Custom(custom),
            _ => Dpc::AndroidDevicePolicy,
        }
    }

    /// A digest of everything that decides a payload besides the profile and its token: which
    /// controller each mode names, the controller's settings, and the payload format itself
    /// (it hashes a sample payload per mode). Equal fingerprints draw equal codes; settings
    /// are not secret, and the digest reveals none of them anyway.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for &(name, value) in EnrollmentMode::MEMBERS {
            let Some(mode) = EnrollmentMode::from_value(value) else {
                continue;
            };
            let text = if mode.is_aosp() && self.aosp_dpc.is_none() {
                String::from("-")
            } else {
                payload(&PayloadRequest {
                    dpc: self.dpc_for(mode),
                    token: SAMPLE_TOKEN,
                    enrollment_mode: name,
                    wifi: None,
                })
            };
            hash.update((text.len() as u64).to_be_bytes());
            hash.update(text.as_bytes());
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
        let dpc = self.dpc_for(p.enrollment_mode);
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
        Ok(payload(&PayloadRequest {
            dpc,
            token,
            enrollment_mode: p.enrollment_mode.name(),
            wifi,
        }))
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

#[cfg(test)]
#[path = "provisioning_tests.rs"]
mod tests;
