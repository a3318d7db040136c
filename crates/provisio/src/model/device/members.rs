//! The declaration of `managedDevice`: the official members this service fills, in the order of
//! Graph's metadata, then `enrollmentProfileId`, this service's own; and the columns the service
//! keeps that are no member (the device's identity, its credential hash, whether a newer record
//! replaced it).

use std::sync::LazyLock;

use uuid::Uuid;

use super::enums::{
    COMPLIANCE_STATE, DEVICE_ENROLLMENT_TYPE, DEVICE_REGISTRATION_STATE, DEVICE_TYPE,
    MANAGED_DEVICE_OWNER_TYPE, MANAGEMENT_AGENT_TYPE, MANAGEMENT_STATE, OWNER_TYPE,
};
use super::ManagedDevice;
use crate::model::entity::{
    id_member, EntitySet, HiddenColumn, Input, MemberDecl, MemberType, Nullable, OnCreate, Owned,
    Query, Secret, Val,
};
use crate::model::layout::Layout;
use crate::model::profile::convert::{boolean, opt_str, opt_text, put, text, text_rule, time};
use crate::model::rules;

/// The operating system every managed device reports.
pub const OPERATING_SYSTEM: &str = "Android";

/// A read-only, nullable text member, filterable and sortable (through `key`, case-insensitively,
/// when it has one).
macro_rules! text_member {
    ($name:literal, $column:literal, $key:expr, $field:ident) => {
        MemberDecl {
            name: $name,
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: $column,
            key: $key,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| opt_str(d.$field.as_deref()),
            set: |d, v| put(&mut d.$field, opt_text(v)),
        }
    };
}

/// A read-only enum member, filterable and sortable.
macro_rules! enum_member {
    ($name:literal, $column:literal, $decl:expr, $default:literal, $field:ident) => {
        MemberDecl {
            name: $name,
            ty: MemberType::Enum(&$decl),
            nullable: Nullable::No,
            column: $column,
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Enum($default),
            get: |d| Val::Int(d.$field),
            set: |d, v| put(&mut d.$field, int(v)),
        }
    };
}

/// A read-only enum member whose value is the same for every device.
macro_rules! fixed_enum_member {
    ($name:literal, $column:literal, $decl:expr, $value:literal) => {
        MemberDecl {
            name: $name,
            ty: MemberType::Enum(&$decl),
            nullable: Nullable::No,
            column: $column,
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |_| Val::Int($value),
            set: |_, _| Ok(()),
        }
    };
}

fn int(v: Owned) -> Result<i64, String> {
    match v {
        Owned::Int(n) => Ok(n),
        other => Err(format!("{other:?} is no integer")),
    }
}

fn uuid(v: Owned) -> Result<Uuid, String> {
    match v {
        Owned::Uuid(u) => Ok(u),
        Owned::Str(s) => Uuid::try_parse(&s).map_err(|e| format!("{s:?} is no GUID: {e}")),
        other => Err(format!("{other:?} is no GUID")),
    }
}

/// The members of `managedDevice` this service serves, in response order.
pub static DEVICES: EntitySet<ManagedDevice> = EntitySet {
    name: "managedDevices",
    type_name: "managedDevice",
    table: "managed_devices",
    search: &["deviceName", "managedDeviceName", "serialNumber"],
    // What the device reports at each check-in: no edit, so writing them changes no version and
    // an admin's PATCH (computed from an earlier read) never writes them back.
    counters: &["lastSyncDateTime", "osVersion", "androidSecurityPatchLevel"],
    a_noun: "a managed device",
    check: |_| Ok(()),
    derived: LazyLock::new(|| Layout::of(&DEVICES)),
    hidden: &[
        HiddenColumn {
            column: "identity_kind",
            ty: MemberType::Int64,
            get: |d| Val::Int(d.identity.kind),
            set: |d, v| put(&mut d.identity.kind, int(v)),
        },
        HiddenColumn {
            column: "identity_a",
            ty: MemberType::String,
            get: |d| Val::Str(&d.identity.a),
            set: |d, v| put(&mut d.identity.a, text(v)),
        },
        HiddenColumn {
            column: "identity_b",
            ty: MemberType::String,
            get: |d| Val::Str(&d.identity.b),
            set: |d, v| put(&mut d.identity.b, text(v)),
        },
        HiddenColumn {
            column: "identity_c",
            ty: MemberType::String,
            get: |d| Val::Str(&d.identity.c),
            set: |d, v| put(&mut d.identity.c, text(v)),
        },
        HiddenColumn {
            column: "credential_hash",
            ty: MemberType::String,
            get: |d| Val::Str(&d.credential_hash),
            set: |d, v| put(&mut d.credential_hash, text(v)),
        },
        HiddenColumn {
            column: "superseded",
            ty: MemberType::Boolean,
            get: |d| Val::Bool(d.superseded),
            set: |d, v| put(&mut d.superseded, boolean(v)),
        },
    ],
    members: &[
        id_member(),
        text_member!(
            "androidSecurityPatchLevel",
            "security_patch_level",
            None,
            security_patch_level
        ),
        fixed_enum_member!("complianceState", "compliance_state", COMPLIANCE_STATE, 0),
        enum_member!(
            "deviceEnrollmentType",
            "device_enrollment_type",
            DEVICE_ENROLLMENT_TYPE,
            "unknown",
            enrollment_type
        ),
        MemberDecl {
            name: "deviceName",
            ty: MemberType::String,
            nullable: Nullable::NotHere,
            column: "device_name",
            key: Some("device_name_key"),
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| Val::Str(&d.device_name),
            set: |d, v| put(&mut d.device_name, text(v)),
        },
        fixed_enum_member!(
            "deviceRegistrationState",
            "device_registration_state",
            DEVICE_REGISTRATION_STATE,
            2
        ),
        enum_member!(
            "deviceType",
            "device_type",
            DEVICE_TYPE,
            "unknown",
            device_type
        ),
        MemberDecl {
            name: "enrolledDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "enrolled_at",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| Val::Time(d.enrolled),
            set: |d, v| put(&mut d.enrolled, time(v)),
        },
        text_member!(
            "enrollmentProfileName",
            "enrollment_profile_name",
            Some("enrollment_profile_name_key"),
            enrollment_profile_name
        ),
        text_member!("imei", "imei", None, imei),
        MemberDecl {
            name: "lastSyncDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "last_sync_at",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| Val::Time(d.last_sync),
            set: |d, v| put(&mut d.last_sync, time(v)),
        },
        MemberDecl {
            name: "managedDeviceName",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "managed_device_name",
            key: Some("managed_device_name_key"),
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::managed_device_name)),
                required: false,
            },
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| opt_str(d.managed_device_name.as_deref()),
            set: |d, v| put(&mut d.managed_device_name, opt_text(v)),
        },
        fixed_enum_member!(
            "managedDeviceOwnerType",
            "managed_device_owner_type",
            MANAGED_DEVICE_OWNER_TYPE,
            1
        ),
        fixed_enum_member!(
            "managementAgent",
            "management_agent",
            MANAGEMENT_AGENT_TYPE,
            2
        ),
        enum_member!(
            "managementState",
            "management_state",
            MANAGEMENT_STATE,
            "managed",
            management_state
        ),
        text_member!(
            "manufacturer",
            "manufacturer",
            Some("manufacturer_key"),
            manufacturer
        ),
        text_member!("meid", "meid", None, meid),
        text_member!("model", "model", Some("model_key"), model),
        // Graph leaves `notes` out of lists unless it is selected.
        MemberDecl {
            name: "notes",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "notes",
            key: None,
            input: Input::Settable {
                check: Some(|v| text_rule(v, rules::device_notes)),
                required: false,
            },
            query: Query::SelectOnly,
            listed: false,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| opt_str(d.notes.as_deref()),
            set: |d, v| put(&mut d.notes, opt_text(v)),
        },
        MemberDecl {
            name: "operatingSystem",
            ty: MemberType::String,
            nullable: Nullable::NotHere,
            column: "operating_system",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |_| Val::Str(OPERATING_SYSTEM),
            set: |_, _| Ok(()),
        },
        text_member!("osVersion", "os_version", None, os_version),
        fixed_enum_member!("ownerType", "owner_type", OWNER_TYPE, 1),
        MemberDecl {
            name: "roleScopeTagIds",
            ty: MemberType::StringCollection,
            nullable: Nullable::NotHere,
            column: "role_scope_tag_ids",
            key: Some("role_scope_tag_keys"),
            input: Input::ReadOnly,
            query: Query::Filter,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Strings(&["0"]),
            get: |d| Val::Strings(&d.role_scope_tag_ids),
            set: |d, v| match v {
                Owned::Strings(tags) => put(&mut d.role_scope_tag_ids, Ok(tags)),
                other => Err(format!("{other:?} is no collection of strings")),
            },
        },
        text_member!(
            "serialNumber",
            "serial_number",
            Some("serial_number_key"),
            serial_number
        ),
        text_member!(
            "userPrincipalName",
            "user_principal_name",
            Some("user_principal_name_key"),
            user_principal_name
        ),
        text_member!("wiFiMacAddress", "wifi_mac_address", None, wifi_mac_address),
        MemberDecl {
            name: "enrollmentProfileId",
            ty: MemberType::GuidString,
            nullable: Nullable::No,
            column: "enrollment_profile_id",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| Val::Uuid(d.enrollment_profile_id),
            set: |d, v| put(&mut d.enrollment_profile_id, uuid(v)),
        },
    ],
};
