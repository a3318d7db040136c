//! The profile entity and its declaration: the 23 members of
//! `androidDeviceOwnerEnrollmentProfile` in response order, each with its column, its input rule
//! and what queries may do with it. Adding a member is a field here, its entry in [`PROFILES`],
//! and a migration for both databases.

use std::sync::LazyLock;

use uuid::Uuid;

use super::entity::{
    id_member, Entity, EntitySet, HiddenColumn, Input, MemberDecl, MemberType, Nullable, OnCreate,
    Owned, Query, Val,
};
use super::layout::Layout;
use super::rules::{self, InvalidInput};
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

const READ_ONLY: Input = Input::ReadOnly;

const SETTABLE: Input = Input::Settable {
    check: None,
    required: false,
};

/// Stores a setter's converted value in its field.
fn put<T>(field: &mut T, value: Result<T, String>) -> Result<(), String> {
    *field = value?;
    Ok(())
}

fn text(v: Owned) -> Result<String, String> {
    match v {
        Owned::Str(s) => Ok(s),
        other => Err(format!("{other:?} is no text")),
    }
}

fn opt_text(v: Owned) -> Result<Option<String>, String> {
    match v {
        Owned::Null => Ok(None),
        other => text(other).map(Some),
    }
}

fn boolean(v: Owned) -> Result<bool, String> {
    match v {
        Owned::Bool(b) => Ok(b),
        other => Err(format!("{other:?} is no Boolean")),
    }
}

fn int32(v: Owned) -> Result<i32, String> {
    match v {
        Owned::Int(n) => i32::try_from(n).map_err(|_| format!("{n} is no 32-bit integer")),
        other => Err(format!("{other:?} is no integer")),
    }
}

fn time(v: Owned) -> Result<Timestamp, String> {
    match v {
        Owned::Time(t) => Ok(t),
        other => Err(format!("{other:?} is no date-time")),
    }
}

fn opt_str(v: Option<&str>) -> Val<'_> {
    v.map_or(Val::Null, Val::Str)
}

/// Runs `rule` on a text value (null passes: whether null is allowed is the member's own
/// nullability).
fn text_rule(v: &Owned, rule: fn(&str) -> Result<(), InvalidInput>) -> Result<(), InvalidInput> {
    v.text().map_or(Ok(()), rule)
}

/// The members of `androidDeviceOwnerEnrollmentProfile`, in response order.
pub static PROFILES: EntitySet<Profile> = EntitySet {
    name: "androidDeviceOwnerEnrollmentProfiles",
    type_name: "androidDeviceOwnerEnrollmentProfile",
    table: "enrollment_profiles",
    search: &["displayName", "description"],
    a_noun: "a profile",
    check: rules::whole_profile,
    derived: LazyLock::new(|| Layout::of(&PROFILES)),
    hidden: &[
        HiddenColumn {
            column: "membership_target_type",
            ty: MemberType::Enum(&MembershipTargetType::DECL),
            get: |p| {
                p.membership_target
                    .as_ref()
                    .map_or(Val::Null, |t| Val::Int(t.target_type.value()))
            },
            set: |p, v| {
                if v != Owned::Null {
                    let target_type = MembershipTargetType::from_owned(v)?;
                    p.membership_target
                        .get_or_insert_with(|| MembershipTarget {
                            target_type,
                            target_id: String::new(),
                        })
                        .target_type = target_type;
                }
                Ok(())
            },
        },
        HiddenColumn {
            column: "membership_target_id",
            ty: MemberType::String,
            get: |p| opt_str(p.membership_target.as_ref().map(|t| t.target_id.as_str())),
            set: |p, v| {
                match (p.membership_target.as_mut(), opt_text(v)?) {
                    (Some(t), Some(id)) => t.target_id = id,
                    // A type without an id, or an id without a type, is no target.
                    _ => p.membership_target = None,
                }
                Ok(())
            },
        },
    ],
    members: &[
        id_member(),
        MemberDecl {
            name: "accountId",
            // Any text (or null) in a body is accepted and ignored; the owning tenant is shown.
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "tenant_id",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Uuid(p.tenant.0),
            set: |_, _| Ok(()),
        },
        MemberDecl {
            name: "displayName",
            ty: MemberType::String,
            nullable: Nullable::NotHere,
            column: "display_name",
            key: Some("display_name_key"),
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::display_name)),
                required: true,
            },
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Str(&p.display_name),
            set: |p, v| put(&mut p.display_name, text(v)),
        },
        MemberDecl {
            name: "description",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "description",
            key: Some("description_key"),
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::description)),
                required: false,
            },
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.description.as_deref()),
            set: |p, v| put(&mut p.description, opt_text(v)),
        },
        MemberDecl {
            name: "enrollmentMode",
            ty: MemberType::Enum(&EnrollmentMode::DECL),
            nullable: Nullable::No,
            column: "enrollment_mode",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Enum("corporateOwnedDedicatedDevice"),
            get: |p| Val::Int(p.enrollment_mode.value()),
            set: |p, v| put(&mut p.enrollment_mode, EnrollmentMode::from_owned(v)),
        },
        MemberDecl {
            name: "enrollmentTokenType",
            ty: MemberType::Enum(&EnrollmentTokenType::DECL),
            nullable: Nullable::No,
            column: "enrollment_token_type",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Enum("default"),
            get: |p| Val::Int(p.enrollment_token_type.value()),
            set: |p, v| {
                put(
                    &mut p.enrollment_token_type,
                    EnrollmentTokenType::from_owned(v),
                )
            },
        },
        MemberDecl {
            name: "createdDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "created_at",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Time(p.created),
            set: |p, v| put(&mut p.created, time(v)),
        },
        MemberDecl {
            name: "lastModifiedDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "last_modified_at",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Time(p.last_modified),
            set: |p, v| put(&mut p.last_modified, time(v)),
        },
        MemberDecl {
            name: "tokenValue",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "token_value",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.token.as_ref().map(|t| t.value.expose())),
            set: |p, v| {
                p.token = opt_text(v)?.map(|value| Token {
                    value: Sensitive::new(value),
                    created: Timestamp::MIN,
                    expires: Timestamp::MIN,
                    qr_content: Sensitive::default(),
                    qr_png: Vec::new(),
                });
                Ok(())
            },
        },
        MemberDecl {
            name: "tokenCreationDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "token_created_at",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Time(p.token_created()),
            set: |p, v| {
                let t = time(v)?;
                if let Some(token) = p.token.as_mut() {
                    token.created = t;
                }
                Ok(())
            },
        },
        MemberDecl {
            name: "tokenExpirationDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "token_expires_at",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| Val::Time(p.token_expires()),
            set: |p, v| {
                let t = time(v)?;
                if let Some(token) = p.token.as_mut() {
                    token.expires = t;
                }
                Ok(())
            },
        },
        MemberDecl {
            name: "enrolledDeviceCount",
            ty: MemberType::Int32,
            nullable: Nullable::No,
            column: "enrolled_device_count",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Int(0),
            get: |p| Val::Int(p.enrolled_device_count.into()),
            set: |p, v| put(&mut p.enrolled_device_count, int32(v)),
        },
        MemberDecl {
            name: "enrollmentTokenUsageCount",
            ty: MemberType::Int32,
            nullable: Nullable::No,
            column: "token_usage_count",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Int(0),
            get: |p| Val::Int(p.token_usage_count.into()),
            set: |p, v| put(&mut p.token_usage_count, int32(v)),
        },
        MemberDecl {
            name: "qrCodeContent",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "qr_code_content",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.token.as_ref().map(|t| t.qr_content.expose())),
            set: |p, v| {
                if let (Some(token), Some(content)) = (p.token.as_mut(), opt_text(v)?) {
                    token.qr_content = Sensitive::new(content);
                }
                Ok(())
            },
        },
        MemberDecl {
            name: "qrCodeImage",
            ty: MemberType::Image,
            nullable: Nullable::Yes,
            column: "qr_code_png",
            key: None,
            input: READ_ONLY,
            query: Query::SelectOnly,
            listed: false,
            default: OnCreate::Service,
            get: |p| {
                p.token
                    .as_ref()
                    .map_or(Val::Null, |t| Val::Bytes(&t.qr_png))
            },
            set: |p, v| {
                if let (Some(token), Owned::Bytes(png)) = (p.token.as_mut(), v) {
                    token.qr_png = png;
                }
                Ok(())
            },
        },
        MemberDecl {
            name: "roleScopeTagIds",
            ty: MemberType::StringCollection,
            nullable: Nullable::NotHere,
            column: "role_scope_tag_ids",
            key: Some("role_scope_tag_keys"),
            input: Input::Settable {
                check: Some(|v| match v {
                    Owned::Strings(tags) => rules::role_scope_tag_ids(tags),
                    _ => Ok(()),
                }),
                required: false,
            },
            query: Query::Filter,
            listed: true,
            default: OnCreate::Strings(&["0"]),
            get: |p| Val::Strings(&p.role_scope_tag_ids),
            set: |p, v| match v {
                Owned::Strings(tags) => put(&mut p.role_scope_tag_ids, Ok(tags)),
                other => Err(format!("{other:?} is no collection of strings")),
            },
        },
        MemberDecl {
            name: "configureWifi",
            ty: MemberType::Boolean,
            nullable: Nullable::No,
            column: "configure_wifi",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Bool(true),
            get: |p| Val::Bool(p.wifi.configure),
            set: |p, v| put(&mut p.wifi.configure, boolean(v)),
        },
        MemberDecl {
            name: "wifiSsid",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "wifi_ssid",
            key: Some("wifi_ssid_key"),
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::wifi_ssid)),
                required: false,
            },
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.wifi.ssid.as_deref()),
            set: |p, v| put(&mut p.wifi.ssid, opt_text(v)),
        },
        MemberDecl {
            name: "wifiPassword",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "wifi_password",
            key: None,
            input: SETTABLE,
            query: Query::SelectOnly,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.wifi.password.as_ref().map(Sensitive::expose)),
            set: |p, v| {
                put(
                    &mut p.wifi.password,
                    opt_text(v).map(|s| s.map(Sensitive::new)),
                )
            },
        },
        MemberDecl {
            name: "wifiSecurityType",
            ty: MemberType::Enum(&WifiSecurityType::DECL),
            nullable: Nullable::No,
            column: "wifi_security_type",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Enum("none"),
            get: |p| Val::Int(p.wifi.security.value()),
            set: |p, v| put(&mut p.wifi.security, WifiSecurityType::from_owned(v)),
        },
        MemberDecl {
            name: "wifiHidden",
            ty: MemberType::Boolean,
            nullable: Nullable::No,
            column: "wifi_hidden",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Bool(false),
            get: |p| Val::Bool(p.wifi.hidden),
            set: |p, v| put(&mut p.wifi.hidden, boolean(v)),
        },
        MemberDecl {
            name: "isTeamsDeviceProfile",
            ty: MemberType::Boolean,
            nullable: Nullable::No,
            column: "is_teams_device_profile",
            key: None,
            input: SETTABLE,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Bool(false),
            get: |p| Val::Bool(p.is_teams_device_profile),
            set: |p, v| put(&mut p.is_teams_device_profile, boolean(v)),
        },
        MemberDecl {
            name: "deviceNameTemplate",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "device_name_template",
            key: None,
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::device_name_template)),
                required: false,
            },
            query: Query::SelectOnly,
            listed: true,
            default: OnCreate::Service,
            get: |p| opt_str(p.device_name_template.as_deref()),
            set: |p, v| put(&mut p.device_name_template, opt_text(v)),
        },
    ],
};

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
