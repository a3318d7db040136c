//! The audit trail: Graph's beta `auditEvent`, one for every change the service makes (profiles,
//! their tokens and membership targets, managed devices, enrollments), written in the same
//! transaction as the change. This module holds the entity and its declaration (`members`), who
//! acts ([`Actor`]), the kinds of change ([`Activity`], with Graph's `category` and
//! `activityType` texts) and how an event is made from the rows a change reads and writes
//! ([`resource`]): the members that differ, as text, with every secret member shown as
//! [`MASK`]. docs/API.md, "Audit trail", says what clients see.

mod members;

use serde_json::{json, Map, Value};
use uuid::Uuid;

pub use members::{AUDIT_ACTOR, AUDIT_EVENTS, AUDIT_PROPERTY, AUDIT_RESOURCE, ROLE_SCOPE_TAG_INFO};

use super::entity::{Entity, EnumDecl, MemberType};
use super::layout::{Cell, Layout, Row};
use super::{MembershipTargetType, TenantId, Timestamp};

/// What an event shows instead of a secret's value (tokens, Wi-Fi passwords, QR payloads and
/// images, device credentials).
pub const MASK: &str = "********";

/// One stored audit event.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// The tenant whose data changed.
    pub tenant: TenantId,
    /// The event's id.
    pub id: Uuid,
    /// `displayName`: the activity type.
    pub display_name: String,
    /// `componentName`: the part of the service that made the change.
    pub component_name: String,
    /// `actor`: an `auditActor` object.
    pub actor: Value,
    /// `activity`: the activity type in words.
    pub activity: String,
    /// `activityDateTime`.
    pub at: Timestamp,
    /// `activityType`, e.g. `Create AndroidDeviceOwnerEnrollmentProfile`.
    pub activity_type: String,
    /// `activityOperationType`: `Create`, `Patch`, `Delete` or `Action`.
    pub operation_type: String,
    /// `activityResult`: `Success`, or `Failure` for a refusal worth recording.
    pub result: String,
    /// `correlationId`: the request's `client-request-id` when it is a GUID, else its
    /// `request-id`.
    pub correlation_id: Uuid,
    /// `resources`: `auditResource` objects.
    pub resources: Value,
    /// `category`.
    pub category: String,
}

impl Entity for AuditEvent {
    fn set() -> &'static super::EntitySet<Self> {
        &AUDIT_EVENTS
    }

    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self {
        AuditEvent {
            tenant,
            id,
            display_name: String::new(),
            component_name: String::new(),
            actor: Value::Null,
            activity: String::new(),
            at: now,
            activity_type: String::new(),
            operation_type: String::new(),
            result: String::new(),
            correlation_id: Uuid::nil(),
            resources: Value::Array(Vec::new()),
            category: String::new(),
        }
    }

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i64 {
        1
    }

    fn set_version(&mut self, _version: i64) {}

    fn touch(&mut self, _now: Timestamp) {}
}

/// Who made a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// What kind of caller.
    pub kind: ActorKind,
    /// A user's object id (`oid` of a delegated token).
    pub user_id: Option<String>,
    /// A user's principal name (`upn`, else `preferred_username`).
    pub user_principal_name: Option<String>,
    /// The client application (`appid` or `azp`).
    pub application_id: Option<String>,
    /// Its name (`app_displayname`), when the token carries it.
    pub application_name: Option<String>,
    /// An application's service principal (`oid` of an application token).
    pub service_principal: Option<String>,
    /// The client's network address.
    pub ip_address: Option<String>,
    /// The permissions the change was made with.
    pub permissions: Vec<String>,
}

/// `auditActor.type` (and `auditActorType`): the kinds of caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActorKind {
    /// A signed-in administrator (a delegated token): `ItPro`, as Intune writes it.
    User,
    /// An application acting as itself (an application token).
    Application,
    /// A device, through the device protocol with its enrollment token or secret.
    Device,
    /// The service itself (work no request asked for).
    #[default]
    Service,
}

impl ActorKind {
    /// The text `type` and `auditActorType` hold.
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::User => "ItPro",
            ActorKind::Application => "Application",
            ActorKind::Device => "Device",
            ActorKind::Service => "Service",
        }
    }
}

impl Actor {
    /// A device calling from `ip`.
    pub fn device(ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::Device,
            ip_address: ip,
            ..Actor::default()
        }
    }

    /// The `auditActor` object.
    pub fn json(&self) -> Value {
        json!({
            "@odata.type": "#microsoft.graph.auditActor",
            "type": self.kind.name(),
            "auditActorType": self.kind.name(),
            "userPermissions": self.permissions,
            "applicationId": self.application_id,
            "applicationDisplayName": self.application_name,
            "userPrincipalName": self.user_principal_name,
            "servicePrincipalName": self.service_principal,
            "ipAddress": self.ip_address,
            "userId": self.user_id,
            "remoteTenantId": null,
            "remoteUserId": null,
            "userRoleScopeTags": [],
        })
    }
}

/// A kind of change, and how Graph's members name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// A profile or record created through the API.
    Create,
    /// A PATCH.
    Patch,
    /// A DELETE.
    Delete,
    /// `createToken`.
    CreateToken,
    /// `revokeToken`.
    RevokeToken,
    /// `setEnrollmentTimeDeviceMembershipTarget`.
    SetMembershipTarget,
    /// `clearEnrollmentTimeDeviceMembershipTarget`.
    ClearMembershipTarget,
    /// `retire` queued.
    Retire,
    /// `wipe` queued.
    Wipe,
    /// A device enrolled and got a new record; no earlier record of it was current.
    Enroll,
    /// A device proved it is the one of its current record, which was refreshed.
    ReEnroll,
    /// A device enrolled without proof of its current record: a new record supersedes it.
    Supersede,
    /// A device acknowledged `retire`: its record is removed.
    AcknowledgeRetire,
    /// A device acknowledged `wipe`.
    AcknowledgeWipe,
    /// An enrollment refused because its token's enrollments came faster than the cap.
    EnrollmentRateCapExceeded,
}

/// The categories events have.
pub const CATEGORIES: [&str; 2] = ["Device", "Enrollment"];

impl Activity {
    /// Every kind, in the order `getAuditActivityTypes` lists them.
    pub const ALL: [Activity; 15] = [
        Activity::Create,
        Activity::Patch,
        Activity::Delete,
        Activity::CreateToken,
        Activity::RevokeToken,
        Activity::SetMembershipTarget,
        Activity::ClearMembershipTarget,
        Activity::EnrollmentRateCapExceeded,
        Activity::Enroll,
        Activity::ReEnroll,
        Activity::Supersede,
        Activity::Retire,
        Activity::Wipe,
        Activity::AcknowledgeRetire,
        Activity::AcknowledgeWipe,
    ];

    /// The verb of `activityType` and its `activityOperationType`.
    fn verb(self) -> (&'static str, &'static str) {
        match self {
            Activity::Create => ("Create", "Create"),
            Activity::Patch => ("Patch", "Patch"),
            Activity::Delete => ("Delete", "Delete"),
            Activity::CreateToken => ("createToken", "Action"),
            Activity::RevokeToken => ("revokeToken", "Action"),
            Activity::SetMembershipTarget => ("setEnrollmentTimeDeviceMembershipTarget", "Action"),
            Activity::ClearMembershipTarget => {
                ("clearEnrollmentTimeDeviceMembershipTarget", "Action")
            }
            Activity::Retire => ("retire", "Action"),
            Activity::Wipe => ("wipe", "Action"),
            Activity::Enroll => ("Enroll", "Create"),
            Activity::ReEnroll => ("Re-enroll", "Patch"),
            Activity::Supersede => ("Supersede", "Create"),
            Activity::AcknowledgeRetire => ("Acknowledge retire", "Delete"),
            Activity::AcknowledgeWipe => ("Acknowledge wipe", "Patch"),
            Activity::EnrollmentRateCapExceeded => ("Enrollment rate cap exceeded", "Action"),
        }
    }

    /// The entity type the change is about, as `activityType` names it, when it is always the
    /// same (the API's create, PATCH and DELETE name the set they act on).
    fn subject(self) -> Option<&'static str> {
        match self {
            Activity::Create | Activity::Patch | Activity::Delete => None,
            Activity::CreateToken
            | Activity::RevokeToken
            | Activity::SetMembershipTarget
            | Activity::ClearMembershipTarget
            | Activity::EnrollmentRateCapExceeded => Some(PROFILE_TYPE),
            _ => Some(DEVICE_TYPE),
        }
    }

    /// `activityType` for a change of an entity of `type_name` (in Graph's spelling, e.g.
    /// `androidDeviceOwnerEnrollmentProfile`): `Create AndroidDeviceOwnerEnrollmentProfile`.
    pub fn activity_type(self, type_name: &str) -> String {
        let subject = self.subject().unwrap_or(type_name);
        let mut chars = subject.chars();
        let upper: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        format!("{} {upper}", self.verb().0)
    }

    /// `category` and `componentName` for a change of an entity of `type_name`.
    pub fn category(self, type_name: &str) -> (&'static str, &'static str) {
        match self.subject().unwrap_or(type_name) {
            PROFILE_TYPE => ("Enrollment", "Enrollment"),
            _ => match self {
                Activity::Enroll | Activity::ReEnroll | Activity::Supersede => {
                    ("Enrollment", "Enrollment")
                }
                _ => ("Device", "Devices"),
            },
        }
    }

    /// Every `activityType` of `category` (compared case-insensitively); none for a category
    /// the service does not write.
    pub fn types_of(category: &str) -> Vec<String> {
        let mut out = Vec::new();
        for a in Activity::ALL {
            let subjects = match a.subject() {
                Some(s) => vec![s],
                None => vec![PROFILE_TYPE, DEVICE_TYPE],
            };
            for s in subjects {
                // The API creates no managed devices: records come from enrollments.
                if a == Activity::Create && s == DEVICE_TYPE {
                    continue;
                }
                let t = a.activity_type(s);
                if a.category(s).0.eq_ignore_ascii_case(category) && !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }
}

/// The profile's entity type.
const PROFILE_TYPE: &str = "androidDeviceOwnerEnrollmentProfile";
/// The managed device's entity type.
const DEVICE_TYPE: &str = "managedDevice";

/// What an event records of one changed entity: its layout and its row before and after the
/// change (none before a create, none after a delete).
#[derive(Clone, Copy, Debug)]
pub struct Changed<'a> {
    /// The entity set.
    pub layout: &'a Layout,
    /// The row as it was.
    pub before: Option<&'a Row>,
    /// The row as it is now.
    pub after: Option<&'a Row>,
}

/// A member's value in a row as the text `oldValue` and `newValue` hold: enum members by name,
/// date-times, GUIDs and collections as stored (collections and complex values as JSON), and
/// secrets as [`MASK`].
fn shown(layout: &Layout, member: usize, row: &Row) -> Option<String> {
    let m = &layout.members[member];
    let cell = row.0.get(m.column)?;
    if matches!(cell, Cell::Null) {
        return None;
    }
    if m.sealed {
        return Some(MASK.to_owned());
    }
    Some(match (cell, m.ty) {
        (Cell::Int(n), MemberType::Enum(e)) => e.name_of(*n).map_or(n.to_string(), str::to_owned),
        (Cell::Int(n), _) => n.to_string(),
        (Cell::Bool(b), _) => b.to_string(),
        (Cell::Text(s), _) => s.clone(),
        (Cell::Blob(_), _) | (Cell::Null, _) => MASK.to_owned(),
    })
}

/// Stored columns that are no member but whose changes an event shows: (column, the name the
/// event gives it, whether it is a secret, the enum its numbers stand for).
const HIDDEN_SHOWN: [(&str, &str, bool, Option<EnumDecl>); 4] = [
    (
        "membership_target_type",
        "enrollmentTimeDeviceMembershipTarget/targetType",
        false,
        Some(MembershipTargetType::DECL),
    ),
    (
        "membership_target_id",
        "enrollmentTimeDeviceMembershipTarget/targetId",
        false,
        None,
    ),
    ("credential_hash", "deviceCredential", true, None),
    ("superseded", "superseded", false, None),
];

/// The value of column `at` of a row, unless it is NULL.
fn stored(row: Option<&Row>, at: usize) -> Option<&Cell> {
    row.and_then(|r| r.0.get(at))
        .filter(|c| !matches!(c, Cell::Null))
}

/// The display member of an entity set: what `auditResource.displayName` shows.
fn display_member(layout: &Layout) -> Option<usize> {
    ["displayName", "deviceName"]
        .iter()
        .find_map(|n| layout.member(n))
}

/// The `auditResource` of a change: the entity's type, id and display name, and each member
/// whose value differs between before and after (every member with a value, for a create or
/// a delete), old and new as text; and the changes of the stored columns that are no member
/// but matter (a membership target, a device's credential, shown as [`MASK`]).
pub fn resource(c: Changed<'_>) -> Value {
    let layout = c.layout;
    let Some(current) = c.after.or(c.before) else {
        return Value::Null;
    };
    let mut modified = Vec::new();
    for i in 0..layout.members.len() {
        if layout.members[i].name == "id" {
            continue;
        }
        let old = c.before.and_then(|r| shown(layout, i, r));
        let new = c.after.and_then(|r| shown(layout, i, r));
        let changed = match (c.before, c.after) {
            (Some(b), Some(a)) => {
                b.0.get(layout.members[i].column) != a.0.get(layout.members[i].column)
            }
            _ => old.is_some() || new.is_some(),
        };
        if changed {
            modified.push(property(
                layout.members[i].name,
                old.as_deref(),
                new.as_deref(),
            ));
        }
    }
    for (column, name, secret, decl) in HIDDEN_SHOWN {
        let Some(at) = layout.columns.iter().position(|c| c.name == column) else {
            continue;
        };
        let (old, new) = (stored(c.before, at), stored(c.after, at));
        let changed = match (c.before, c.after) {
            (Some(_), Some(_)) => old != new,
            _ => old.is_some() || new.is_some(),
        };
        if changed {
            let text = |v: Option<&Cell>| {
                v.map(|v| match (v, secret) {
                    (_, true) => MASK.to_owned(),
                    (Cell::Text(s), false) => s.clone(),
                    (Cell::Int(n), false) => decl
                        .and_then(|d| d.name_of(*n))
                        .map_or_else(|| n.to_string(), str::to_owned),
                    (Cell::Bool(b), false) => b.to_string(),
                    (Cell::Blob(_) | Cell::Null, false) => MASK.to_owned(),
                })
            };
            modified.push(property(name, text(old).as_deref(), text(new).as_deref()));
        }
    }
    let display = display_member(layout).and_then(|i| shown(layout, i, current));
    json!({
        "@odata.type": "#microsoft.graph.auditResource",
        "displayName": display,
        "modifiedProperties": modified,
        "type": layout.type_name,
        "auditResourceType": layout.type_name,
        "resourceId": current.id(),
    })
}

fn property(name: &str, old: Option<&str>, new: Option<&str>) -> Value {
    let mut p = Map::new();
    p.insert(
        "@odata.type".into(),
        Value::from("#microsoft.graph.auditProperty"),
    );
    p.insert("displayName".into(), Value::from(name));
    p.insert("oldValue".into(), old.map_or(Value::Null, Value::from));
    p.insert("newValue".into(), new.map_or(Value::Null, Value::from));
    Value::Object(p)
}

/// Where an event comes from: who acted, in which request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Who acted.
    pub actor: Actor,
    /// The request's correlation id (see [`AuditEvent::correlation_id`]).
    pub correlation_id: Uuid,
}

impl AuditEvent {
    /// A new event of `tenant`: `activity` on the entity set named `type_name`, by `origin`,
    /// with `resources` (from [`resource`]).
    pub fn new(
        tenant: TenantId,
        origin: &Origin,
        activity: Activity,
        type_name: &str,
        resources: Vec<Value>,
        success: bool,
    ) -> Self {
        let activity_type = activity.activity_type(type_name);
        let (category, component) = activity.category(type_name);
        AuditEvent {
            tenant,
            id: Uuid::new_v4(),
            display_name: activity_type.clone(),
            component_name: component.to_owned(),
            actor: origin.actor.json(),
            activity: activity_type.clone(),
            at: Timestamp::now(),
            activity_type,
            operation_type: activity.verb().1.to_owned(),
            result: (if success { "Success" } else { "Failure" }).to_owned(),
            correlation_id: origin.correlation_id,
            resources: Value::Array(resources),
            category: category.to_owned(),
        }
    }
}
