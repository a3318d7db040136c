//! The declaration of `androidDeviceOwnerEnrollmentProfile`: its 23 members in response order,
//! each with its column, its input rule and what queries may do with it, and the two columns the
//! service keeps that are no member (the membership target).

use std::sync::LazyLock;

use uuid::Uuid;

use super::{MembershipTarget, Profile, Token};
use crate::model::entity::{
    id_member, EntitySet, HiddenColumn, Input, MemberDecl, MemberType, Nullable, OnCreate, Owned,
    Query, Secret, Val,
};
use crate::model::layout::Layout;
use crate::model::rules;
use crate::model::{
    EnrollmentMode, EnrollmentTokenType, MembershipTargetType, Sensitive, Timestamp,
    WifiSecurityType,
};

use super::convert::{
    boolean, int32, opt_str, opt_text, put, text, text_rule, time, READ_ONLY, SETTABLE,
};

/// The member that holds the enrollment token, which devices present and which is looked up
/// through its keyed hash.
pub const TOKEN_VALUE: &str = "tokenValue";

/// The count of devices the current token enrolled: a counter, which `createToken` resets.
pub const TOKEN_USAGE_COUNT: &str = "enrollmentTokenUsageCount";

/// The members of `androidDeviceOwnerEnrollmentProfile`, in response order.
pub static PROFILES: EntitySet<Profile> = EntitySet {
    name: "androidDeviceOwnerEnrollmentProfiles",
    type_name: "androidDeviceOwnerEnrollmentProfile",
    table: "enrollment_profiles",
    search: &["displayName", "description"],
    counters: &["enrolledDeviceCount", TOKEN_USAGE_COUNT],
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
        HiddenColumn {
            column: "token_id",
            ty: MemberType::String,
            get: |p| p.token.as_ref().map_or(Val::Null, |t| Val::Uuid(t.id)),
            set: |p, v| {
                if let (Some(t), Some(id)) = (p.token.as_mut(), opt_text(v)?) {
                    t.id = Uuid::try_parse(&id).map_err(|e| format!("token_id {id:?}: {e}"))?;
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
            default: OnCreate::Service,
            get: |p| Val::Time(p.last_modified),
            set: |p, v| put(&mut p.last_modified, time(v)),
        },
        MemberDecl {
            name: TOKEN_VALUE,
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "token_value",
            key: Some("token_value_hash"),
            input: READ_ONLY,
            query: Query::Filter,
            listed: true,
            secret: Secret::Sealed,
            default: OnCreate::Service,
            get: |p| opt_str(p.token.as_ref().map(|t| t.value.expose())),
            set: |p, v| {
                p.token = opt_text(v)?.map(|value| Token {
                    id: Uuid::nil(),
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
            default: OnCreate::Int(0),
            get: |p| Val::Int(p.enrolled_device_count.into()),
            set: |p, v| put(&mut p.enrolled_device_count, int32(v)),
        },
        MemberDecl {
            name: TOKEN_USAGE_COUNT,
            ty: MemberType::Int32,
            nullable: Nullable::No,
            column: "token_usage_count",
            key: None,
            input: READ_ONLY,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
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
            query: Query::SelectOnly,
            listed: true,
            secret: Secret::Sealed,
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
            secret: Secret::Sealed,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::Sealed,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
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
            secret: Secret::No,
            default: OnCreate::Service,
            get: |p| opt_str(p.device_name_template.as_deref()),
            set: |p, v| put(&mut p.device_name_template, opt_text(v)),
        },
    ],
};
