//! The stored profile: what every part of the service reads and writes.

use super::{
    EnrollmentMode, EnrollmentTokenType, MembershipTargetType, ProfileId, Sensitive, TenantId,
    Timestamp, WifiSecurityType,
};

/// An enrollment profile as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The owning tenant; shown as `accountId`.
    pub tenant: TenantId,
    /// The profile's id.
    pub id: ProfileId,
    /// Bumped by every stored change; conditional writes compare it.
    pub version: i64,
    /// `displayName`.
    pub display_name: String,
    /// `description`.
    pub description: Option<String>,
    /// `enrollmentMode`.
    pub enrollment_mode: EnrollmentMode,
    /// `enrollmentTokenType`.
    pub enrollment_token_type: EnrollmentTokenType,
    /// `createdDateTime`.
    pub created: Timestamp,
    /// `lastModifiedDateTime`.
    pub last_modified: Timestamp,
    /// The current enrollment token with its QR code, if one was created and not revoked.
    pub token: Option<Token>,
    /// `enrolledDeviceCount`.
    pub enrolled_device_count: i32,
    /// `enrollmentTokenUsageCount`.
    pub token_usage_count: i32,
    /// `roleScopeTagIds`.
    pub role_scope_tag_ids: Vec<String>,
    /// The Wi-Fi members.
    pub wifi: Wifi,
    /// `isTeamsDeviceProfile`.
    pub is_teams_device_profile: bool,
    /// `deviceNameTemplate`.
    pub device_name_template: Option<String>,
    /// The enrollment-time device membership target, if one is set.
    pub membership_target: Option<MembershipTarget>,
}

/// An enrollment token and the QR code that carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// `tokenValue`: 20 upper-case letters.
    pub value: Sensitive,
    /// `tokenCreationDateTime`.
    pub created: Timestamp,
    /// `tokenExpirationDateTime`.
    pub expires: Timestamp,
    /// `qrCodeContent`: the provisioning JSON (it contains the token).
    pub qr_content: Sensitive,
    /// `qrCodeImage`: the PNG bytes.
    pub qr_png: Vec<u8>,
}

/// The Wi-Fi network a device joins while it provisions.
#[derive(Clone, Debug, PartialEq)]
pub struct Wifi {
    /// `configureWifi` (default true).
    pub configure: bool,
    /// `wifiSsid`.
    pub ssid: Option<String>,
    /// `wifiPassword`.
    pub password: Option<Sensitive>,
    /// `wifiSecurityType`.
    pub security: WifiSecurityType,
    /// `wifiHidden`.
    pub hidden: bool,
}

impl Default for Wifi {
    fn default() -> Self {
        Wifi {
            configure: true,
            ssid: None,
            password: None,
            security: WifiSecurityType::None,
            hidden: false,
        }
    }
}

/// An enrollment-time device membership target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipTarget {
    /// `targetType`.
    pub target_type: MembershipTargetType,
    /// `targetId`: a group id (GUID, lower case).
    pub target_id: String,
}

impl Profile {
    /// A profile with every default of a create: what a client gets when it sends only a name.
    pub fn new(tenant: TenantId, id: ProfileId, display_name: String, now: Timestamp) -> Self {
        Profile {
            tenant,
            id,
            version: 1,
            display_name,
            description: None,
            enrollment_mode: EnrollmentMode::CorporateOwnedDedicatedDevice,
            enrollment_token_type: EnrollmentTokenType::Default,
            created: now,
            last_modified: now,
            token: None,
            enrolled_device_count: 0,
            token_usage_count: 0,
            role_scope_tag_ids: vec!["0".to_owned()],
            wifi: Wifi::default(),
            is_teams_device_profile: false,
            device_name_template: None,
            membership_target: None,
        }
    }

    /// `tokenCreationDateTime`: the token's, or `0001-01-01T00:00:00Z` when there is none.
    pub fn token_created(&self) -> Timestamp {
        self.token.as_ref().map_or(Timestamp::MIN, |t| t.created)
    }

    /// `tokenExpirationDateTime`: the token's, or `0001-01-01T00:00:00Z` when there is none.
    pub fn token_expires(&self) -> Timestamp {
        self.token.as_ref().map_or(Timestamp::MIN, |t| t.expires)
    }

    /// Records a change: `lastModifiedDateTime` becomes `now`, and never goes backwards even when
    /// clocks of several processes disagree.
    pub fn touch(&mut self, now: Timestamp) {
        self.last_modified = if now > self.last_modified {
            now
        } else {
            self.last_modified.next_tick()
        };
    }
}
