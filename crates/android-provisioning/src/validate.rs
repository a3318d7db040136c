//! Validation and normalisation of the operator's AOSP DPC settings, and the error that names
//! the setting at fault.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use url::{Host, Url};

/// One setting of [`CustomDpcSettings`](crate::CustomDpcSettings), to say which one is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DpcSetting {
    /// `component_name`.
    ComponentName,
    /// `download_url`.
    DownloadUrl,
    /// `signature_checksum`.
    SignatureChecksum,
    /// `token_extras_key`.
    TokenExtrasKey,
    /// `enrollment_url_extras_key`.
    EnrollmentUrlExtrasKey,
    /// `enrollment_url`.
    EnrollmentUrl,
}

impl DpcSetting {
    /// The setting's field name in [`CustomDpcSettings`](crate::CustomDpcSettings), e.g.
    /// `"download_url"`; the service maps it to its own configuration key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ComponentName => "component_name",
            Self::DownloadUrl => "download_url",
            Self::SignatureChecksum => "signature_checksum",
            Self::TokenExtrasKey => "token_extras_key",
            Self::EnrollmentUrlExtrasKey => "enrollment_url_extras_key",
            Self::EnrollmentUrl => "enrollment_url",
        }
    }
}

impl std::fmt::Display for DpcSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AOSP DPC setting that is missing or malformed.
///
/// Displays as ``invalid AOSP DPC setting `download_url`: must use https (got "http://x")``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid AOSP DPC setting `{setting}`: {reason}")]
pub struct ConfigError {
    setting: DpcSetting,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(setting: DpcSetting, reason: impl Into<String>) -> Self {
        Self {
            setting,
            reason: reason.into(),
        }
    }

    /// The setting at fault.
    pub fn setting(&self) -> DpcSetting {
        self.setting
    }

    /// What is wrong with it, without the setting's name.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Trims `raw`, refusing an empty value or one with control characters.
fn clean(raw: &str, setting: DpcSetting) -> Result<&str, ConfigError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(ConfigError::new(setting, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(ConfigError::new(
            setting,
            format!("must not contain control characters (got {value:?})"),
        ));
    }
    Ok(value)
}

/// `package/.Class` or `package/package.Class`.
pub(crate) fn component_name(raw: &str) -> Result<String, ConfigError> {
    let setting = DpcSetting::ComponentName;
    let value = clean(raw, setting)?;
    let bad = || {
        ConfigError::new(
            setting,
            format!(
                "must be `package/.Class` or `package/package.Class`, \
                 e.g. `com.example.dpc/.AdminReceiver` (got {value:?})"
            ),
        )
    };
    let (package, class) = value.split_once('/').ok_or_else(bad)?;
    let package_ok = package.split('.').count() >= 2 && package.split('.').all(is_package_segment);
    let class_ok = match class.strip_prefix('.') {
        Some(relative) => relative.split('.').all(is_class_segment),
        None => class.split('.').count() >= 2 && class.split('.').all(is_class_segment),
    };
    if package_ok && class_ok {
        Ok(value.to_owned())
    } else {
        Err(bad())
    }
}

/// An Android package-name segment: an ASCII letter, then letters, digits or `_`.
fn is_package_segment(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Java identifier in ASCII: a letter, `_` or `$`, then also digits.
fn is_class_segment(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// An absolute https URL with a host and no credentials (http allowed for a loopback
/// `enrollment_url`), returned in canonical form.
pub(crate) fn url(raw: &str, setting: DpcSetting) -> Result<String, ConfigError> {
    let value = clean(raw, setting)?;
    let parsed = Url::parse(value).map_err(|e| {
        ConfigError::new(setting, format!("is not an absolute URL ({e}): {value:?}"))
    })?;
    let loopback = match parsed.host() {
        None => {
            return Err(ConfigError::new(
                setting,
                format!("must have a host (got {value:?})"),
            ))
        }
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
    };
    let scheme_ok = match parsed.scheme() {
        "https" => true,
        "http" => loopback && setting == DpcSetting::EnrollmentUrl,
        _ => false,
    };
    if !scheme_ok {
        let rule = if setting == DpcSetting::EnrollmentUrl {
            "must use https (http only for a loopback host)"
        } else {
            "must use https"
        };
        return Err(ConfigError::new(setting, format!("{rule} (got {value:?})")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigError::new(
            setting,
            "must not carry a user name or password",
        ));
    }
    Ok(parsed.into())
}

/// Base64 decoder for the URL-safe alphabet that accepts canonical padding or none.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Base64 of a SHA-256 in either alphabet, padded or not → URL-safe base64 without padding.
pub(crate) fn signature_checksum(raw: &str) -> Result<String, ConfigError> {
    let setting = DpcSetting::SignatureChecksum;
    let value = clean(raw, setting)?;
    let hex: String = value.chars().filter(|c| *c != ':').collect();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let hint = match decode_hex(&hex) {
            Some(bytes) => format!("; its base64 form is {}", URL_SAFE_NO_PAD.encode(bytes)),
            None => String::new(),
        };
        return Err(ConfigError::new(
            setting,
            format!("must be the URL-safe base64 of the SHA-256, not hex{hint}"),
        ));
    }
    let url_safe = value.replace('+', "-").replace('/', "_");
    match LENIENT_URL_SAFE.decode(url_safe) {
        Ok(bytes) if bytes.len() == 32 => Ok(URL_SAFE_NO_PAD.encode(bytes)),
        Ok(bytes) => Err(ConfigError::new(
            setting,
            format!("must be a SHA-256 (32 bytes), got {} bytes", bytes.len()),
        )),
        Err(e) => Err(ConfigError::new(
            setting,
            format!("is not valid base64: {e}"),
        )),
    }
}

/// Decodes an even-length hex string.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// A non-empty admin-extras key without control characters.
pub(crate) fn extras_key(raw: &str, setting: DpcSetting) -> Result<String, ConfigError> {
    clean(raw, setting).map(str::to_owned)
}
