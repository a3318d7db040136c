//! The managed device: the record an enrollment leaves, shown through Graph as the official beta
//! `managedDevice` (the members this service fills, docs/DEVICES.md) plus one member of its own,
//! `enrollmentProfileId`. Its declaration is in `members`; the enum types are Graph's, with
//! every member the metadata lists.

mod enums;
mod identity;
mod members;

use uuid::Uuid;

pub use enums::{
    COMPLIANCE_STATE, DEVICE_ENROLLMENT_TYPE, DEVICE_REGISTRATION_STATE, DEVICE_TYPE,
    MANAGED_DEVICE_OWNER_TYPE, MANAGEMENT_AGENT_TYPE, MANAGEMENT_STATE, OWNER_TYPE,
};
pub use identity::{is_placeholder, Identity, IdentityError, PLACEHOLDER_SERIALS};
pub use members::DEVICES;

use super::entity::Entity;
use super::{EnrollmentMode, TenantId, Timestamp};

/// A managed device's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(pub Uuid);

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl DeviceId {
    /// Parses a GUID in its hyphenated form, in either case.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 36)
            .then(|| Uuid::try_parse(s).ok())
            .flatten()
            .map(Self)
    }
}

/// `managementState` values the service sets.
pub mod management_state {
    /// `managed`.
    pub const MANAGED: i64 = 0;
    /// `retirePending`: a retire waits for the device's next check-in.
    pub const RETIRE_PENDING: i64 = 1;
    /// `wipePending`: a wipe waits for the device's next check-in.
    pub const WIPE_PENDING: i64 = 3;
    /// `retireIssued`: the device received the retire.
    pub const RETIRE_ISSUED: i64 = 7;
    /// `wipeIssued`: the device acknowledged the wipe.
    pub const WIPE_ISSUED: i64 = 8;
}

/// A managed device as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedDevice {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The record's id.
    pub id: Uuid,
    /// Bumped by every stored change.
    pub version: i64,
    /// `deviceName`: the profile's template expanded when the record was created.
    pub device_name: String,
    /// `managedDeviceName`: set by admins.
    pub managed_device_name: Option<String>,
    /// `enrolledDateTime`.
    pub enrolled: Timestamp,
    /// `lastSyncDateTime`: the last enrollment or check-in.
    pub last_sync: Timestamp,
    /// `osVersion`.
    pub os_version: Option<String>,
    /// `androidSecurityPatchLevel`.
    pub security_patch_level: Option<String>,
    /// `serialNumber`.
    pub serial_number: Option<String>,
    /// `imei`.
    pub imei: Option<String>,
    /// `meid`.
    pub meid: Option<String>,
    /// `manufacturer`.
    pub manufacturer: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `wiFiMacAddress`.
    pub wifi_mac_address: Option<String>,
    /// `deviceType` (a value of [`DEVICE_TYPE`]).
    pub device_type: i64,
    /// `deviceEnrollmentType` (a value of [`DEVICE_ENROLLMENT_TYPE`]).
    pub enrollment_type: i64,
    /// `enrollmentProfileName`: the profile's name when the device enrolled.
    pub enrollment_profile_name: Option<String>,
    /// `managementState` (see [`management_state`]).
    pub management_state: i64,
    /// `userPrincipalName`: only from a verified user ID token.
    pub user_principal_name: Option<String>,
    /// `roleScopeTagIds`: the profile's when the device enrolled.
    pub role_scope_tag_ids: Vec<String>,
    /// `notes`: set by admins.
    pub notes: Option<String>,
    /// `enrollmentProfileId`: the profile whose token enrolled it (this service's own member).
    pub enrollment_profile_id: Uuid,
    /// Who the device is, within its tenant (see [`Identity`]).
    pub identity: Identity,
    /// Lower-case hex SHA-256 of the secret the device keeps; a check-in proves it.
    pub credential_hash: String,
    /// Replaced by a newer record of the same device: still listed, no longer counted.
    pub superseded: bool,
}

impl ManagedDevice {
    /// `deviceType` for a profile's mode: `androidEnterprise` for the modes with Google
    /// services, `androidnGMS` for AOSP.
    pub fn device_type_of(mode: EnrollmentMode) -> i64 {
        match mode.is_aosp() {
            true => 20,
            false => 18,
        }
    }

    /// `deviceEnrollmentType` for a profile's mode.
    pub fn enrollment_type_of(mode: EnrollmentMode) -> i64 {
        match mode {
            EnrollmentMode::CorporateOwnedDedicatedDevice => 15,
            EnrollmentMode::CorporateOwnedFullyManaged => 16,
            EnrollmentMode::CorporateOwnedWorkProfile => 17,
            EnrollmentMode::CorporateOwnedAospUserAssociatedDevice => 18,
            EnrollmentMode::CorporateOwnedAospUserlessDevice => 19,
        }
    }
}

impl ManagedDevice {
    /// Takes the facts a device reports again (its name, enrollment and what admins set stay).
    pub fn refresh_from(&mut self, reported: &ManagedDevice, now: Timestamp) {
        self.os_version = reported.os_version.clone();
        self.security_patch_level = reported.security_patch_level.clone();
        self.imei = reported.imei.clone();
        self.meid = reported.meid.clone();
        self.wifi_mac_address = reported.wifi_mac_address.clone();
        self.credential_hash = reported.credential_hash.clone();
        self.last_sync = now;
    }
}

impl Entity for ManagedDevice {
    fn set() -> &'static super::EntitySet<Self> {
        &DEVICES
    }

    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self {
        ManagedDevice {
            tenant,
            id,
            version: 1,
            device_name: String::new(),
            managed_device_name: None,
            enrolled: now,
            last_sync: now,
            os_version: None,
            security_patch_level: None,
            serial_number: None,
            imei: None,
            meid: None,
            manufacturer: None,
            model: None,
            wifi_mac_address: None,
            device_type: 255,
            enrollment_type: 0,
            enrollment_profile_name: None,
            management_state: management_state::MANAGED,
            user_principal_name: None,
            role_scope_tag_ids: Vec::new(),
            notes: None,
            enrollment_profile_id: Uuid::nil(),
            identity: Identity::default(),
            credential_hash: String::new(),
            superseded: false,
        }
    }

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn set_version(&mut self, version: i64) {
        self.version = version;
    }

    fn touch(&mut self, _now: Timestamp) {}
}
