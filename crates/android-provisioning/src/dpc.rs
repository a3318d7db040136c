//! The device policy controller (DPC) named in a payload: Google's Android Device Policy app for
//! the Google Mobile Services modes, or an operator-configured app for AOSP devices.
//!
//! [`CustomDpc`] values only come out of [`CustomDpc::new`], which validates and normalises the
//! operator's settings once (at configuration load), so building a payload never fails.

use crate::payload::{KEY_ENROLLMENT_MODE, KEY_PROTOCOL_VERSION};
use crate::validate::{self, ConfigError, DpcSetting};

/// Component name of Google's Android Device Policy device-admin receiver.
pub const ANDROID_DEVICE_POLICY_COMPONENT: &str =
    "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver";

/// URL-safe base64 (no padding) SHA-256 of Android Device Policy's signing certificate.
pub const ANDROID_DEVICE_POLICY_SIGNATURE_CHECKSUM: &str =
    "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg";

/// Where a device being provisioned downloads Android Device Policy.
pub const ANDROID_DEVICE_POLICY_DOWNLOAD_LOCATION: &str =
    "https://play.google.com/managed/downloadManagingApp?identifier=setup";

/// Admin-extras key under which Android Device Policy reads the enrollment token.
pub const ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY: &str =
    "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN";

/// Which DPC the device downloads and hands the token to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dpc<'a> {
    /// Google's Android Device Policy (the `corporateOwned*` modes that have Google services):
    /// the constants `ANDROID_DEVICE_POLICY_*` of this module.
    AndroidDevicePolicy,
    /// The operator's own DPC (the AOSP modes, and the others when the service is set to use it
    /// everywhere); the extras bundle carries the token, the service's enrollment URL, the
    /// enrollment mode and the protocol version.
    Custom(&'a CustomDpc),
}

/// The raw operator settings for an AOSP DPC, as read from configuration, before validation.
///
/// Surrounding whitespace of every value is ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomDpcSettings<'a> {
    /// Device-admin receiver, `package/.Class` or `package/package.Class`.
    pub component_name: &'a str,
    /// `https://` URL of the DPC's APK.
    pub download_url: &'a str,
    /// SHA-256 of the APK's signing certificate, base64 (URL-safe or standard alphabet, with or
    /// without padding).
    pub signature_checksum: &'a str,
    /// Admin-extras key under which the DPC reads the enrollment token.
    pub token_extras_key: &'a str,
    /// Admin-extras key under which the DPC reads [`enrollment_url`](Self::enrollment_url).
    pub enrollment_url_extras_key: &'a str,
    /// The service's public URL where the DPC redeems the token: `https://`, or `http://` only
    /// for a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub enrollment_url: &'a str,
}

/// A validated, normalised AOSP DPC configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDpc {
    component_name: String,
    download_url: String,
    signature_checksum: String,
    token_extras_key: String,
    enrollment_url_extras_key: String,
    enrollment_url: String,
}

impl CustomDpc {
    /// Validates the settings and normalises them.
    ///
    /// - `component_name`: `package/.Class` or `package/package.Class`, Java identifiers
    ///   (`$` allowed in class names), a package of at least two segments.
    /// - `download_url`: an absolute `https://` URL with a host and no credentials; stored in
    ///   its canonical form (`url` crate serialisation, e.g. a lower-cased host).
    /// - `signature_checksum`: base64 of exactly 32 bytes, in either alphabet, padded or not;
    ///   stored as URL-safe base64 without padding. A hex digest is refused with a hint that
    ///   shows its base64 form.
    /// - the two extras keys: non-empty, without control characters, different from each
    ///   other and from the fixed keys [`KEY_ENROLLMENT_MODE`] and [`KEY_PROTOCOL_VERSION`]
    ///   (they share one JSON object).
    /// - `enrollment_url`: like `download_url`, but `http://` is also accepted for a loopback
    ///   host, so that a laboratory set-up can run without TLS.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first setting that is wrong ([`ConfigError::setting`]).
    pub fn new(settings: &CustomDpcSettings<'_>) -> Result<Self, ConfigError> {
        let component_name = validate::component_name(settings.component_name)?;
        let download_url = validate::url(settings.download_url, DpcSetting::DownloadUrl)?;
        let signature_checksum = validate::signature_checksum(settings.signature_checksum)?;
        let token_extras_key =
            validate::extras_key(settings.token_extras_key, DpcSetting::TokenExtrasKey)?;
        let enrollment_url_extras_key = validate::extras_key(
            settings.enrollment_url_extras_key,
            DpcSetting::EnrollmentUrlExtrasKey,
        )?;
        if token_extras_key == enrollment_url_extras_key {
            return Err(ConfigError::new(
                DpcSetting::EnrollmentUrlExtrasKey,
                "must differ from token_extras_key",
            ));
        }
        for (key, setting) in [
            (&token_extras_key, DpcSetting::TokenExtrasKey),
            (
                &enrollment_url_extras_key,
                DpcSetting::EnrollmentUrlExtrasKey,
            ),
        ] {
            if [KEY_ENROLLMENT_MODE, KEY_PROTOCOL_VERSION].contains(&key.as_str()) {
                return Err(ConfigError::new(
                    setting,
                    "is a key the service itself writes into the extras bundle; choose another",
                ));
            }
        }
        let enrollment_url = validate::url(settings.enrollment_url, DpcSetting::EnrollmentUrl)?;
        Ok(Self {
            component_name,
            download_url,
            signature_checksum,
            token_extras_key,
            enrollment_url_extras_key,
            enrollment_url,
        })
    }

    /// The device-admin component name, as configured.
    pub fn component_name(&self) -> &str {
        &self.component_name
    }

    /// The APK download URL, in canonical form.
    pub fn download_url(&self) -> &str {
        &self.download_url
    }

    /// The signing-certificate checksum, URL-safe base64 without padding.
    pub fn signature_checksum(&self) -> &str {
        &self.signature_checksum
    }

    /// The admin-extras key for the enrollment token.
    pub fn token_extras_key(&self) -> &str {
        &self.token_extras_key
    }

    /// The admin-extras key for the enrollment URL.
    pub fn enrollment_url_extras_key(&self) -> &str {
        &self.enrollment_url_extras_key
    }

    /// The service's public enrollment URL, in canonical form.
    pub fn enrollment_url(&self) -> &str {
        &self.enrollment_url
    }
}

impl Dpc<'_> {
    /// Component name, signature checksum and download location, in payload order.
    pub(crate) fn admin_fields(&self) -> [&str; 3] {
        match self {
            Dpc::AndroidDevicePolicy => [
                ANDROID_DEVICE_POLICY_COMPONENT,
                ANDROID_DEVICE_POLICY_SIGNATURE_CHECKSUM,
                ANDROID_DEVICE_POLICY_DOWNLOAD_LOCATION,
            ],
            Dpc::Custom(c) => [&c.component_name, &c.signature_checksum, &c.download_url],
        }
    }
}
