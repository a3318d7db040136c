//! The profile entity: what every part of the service reads and writes. Its declaration (the
//! members, in `members`) says how it is shown, read, stored and queried. Adding a member is a
//! field here, its entry in [`PROFILES`], and a migration for both databases.

pub(crate) mod convert;
mod members;

use uuid::Uuid;

pub use members::{PROFILES, TOKEN_USAGE_COUNT, TOKEN_VALUE};

use super::entity::{Entity, EntitySet};
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
    /// Names this token (not the value) in the redemption ledger: a new one per `createToken`.
    pub id: Uuid,
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
        let mut p = PROFILES.new_entity(tenant, id.0, now);
        p.display_name = display_name;
        p
    }

    /// `tokenCreationDateTime`: the token's, or `0001-01-01T00:00:00Z` when there is none.
    pub fn token_created(&self) -> Timestamp {
        self.token.as_ref().map_or(Timestamp::MIN, |t| t.created)
    }

    /// `tokenExpirationDateTime`: the token's, or `0001-01-01T00:00:00Z` when there is none.
    pub fn token_expires(&self) -> Timestamp {
        self.token.as_ref().map_or(Timestamp::MIN, |t| t.expires)
    }
}

impl Entity for Profile {
    fn set() -> &'static EntitySet<Self> {
        &PROFILES
    }

    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self {
        Profile {
            tenant,
            id: ProfileId(id),
            version: 1,
            display_name: String::new(),
            description: None,
            enrollment_mode: EnrollmentMode::CorporateOwnedDedicatedDevice,
            enrollment_token_type: EnrollmentTokenType::Default,
            created: now,
            last_modified: now,
            token: None,
            enrolled_device_count: 0,
            token_usage_count: 0,
            role_scope_tag_ids: Vec::new(),
            wifi: Wifi::default(),
            is_teams_device_profile: false,
            device_name_template: None,
            membership_target: None,
        }
    }

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn id(&self) -> Uuid {
        self.id.0
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn set_version(&mut self, version: i64) {
        self.version = version;
    }

    /// `lastModifiedDateTime` becomes `now`, and never goes backwards even when clocks of several
    /// processes disagree.
    fn touch(&mut self, now: Timestamp) {
        self.last_modified = if now > self.last_modified {
            now
        } else {
            self.last_modified.next_tick()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_three_distinct_members_twelve_settable_and_defaults_that_fit() {
        let mut names: Vec<_> = PROFILES.members.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 23);
        assert_eq!(PROFILES.members.iter().filter(|m| m.settable()).count(), 12);
        let tenant = TenantId(Uuid::from_u128(1));
        let now = Timestamp::parse("2026-11-22T10:15:30Z").unwrap();
        let p = Profile::new(tenant, ProfileId(Uuid::from_u128(2)), "N".into(), now);
        assert_eq!(p.role_scope_tag_ids, ["0"]);
        assert!(p.wifi.configure && !p.wifi.hidden && !p.is_teams_device_profile);
        assert_eq!(
            p.enrollment_mode,
            EnrollmentMode::CorporateOwnedDedicatedDevice
        );
        assert_eq!(p.wifi.security, WifiSecurityType::None);
        assert_eq!((p.version, p.created, p.last_modified), (1, now, now));
    }
}
