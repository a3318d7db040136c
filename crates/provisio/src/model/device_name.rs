//! Device names: the name a new managed device record gets. For now every record is named
//! `AndroidForWork-<serial>`; the expansion of the profile's `deviceNameTemplate` replaces this
//! module.

use crate::model::{EnrollmentMode, Timestamp};

/// What a device name may be made of.
#[derive(Debug, Clone, Copy)]
pub struct NameFacts<'a> {
    /// The serial number, when the device has a usable one.
    pub serial: Option<&'a str>,
    /// The profile's enrollment mode.
    pub mode: EnrollmentMode,
    /// When the record is created.
    pub enrolled: Timestamp,
    /// Only from a verified user ID token.
    pub user_principal_name: Option<&'a str>,
}

/// The device name for a new record.
pub fn device_name(
    _template: Option<&str>,
    facts: &NameFacts<'_>,
    _rng: &mut impl rand::Rng,
) -> String {
    format!("AndroidForWork-{}", facts.serial.unwrap_or("device"))
}
