//! The audit trail: Graph's beta `auditEvent`, one for every change the service makes (profiles,
//! their tokens and membership targets, managed devices, enrollments), written in the same
//! transaction as the change. This module holds the entity and its declaration (`members`), who
//! acts ([`Actor`]), the kinds of change ([`Activity`], with Graph's `category` and
//! `activityType` texts) and how an event is made from the rows a change reads and writes
//! ([`resource`]): the members that differ, as text, with every secret member shown as
//! [`MASK`]. docs/API.md, "Audit trail", says what clients see.

mod activity;
mod members;
mod resource;

use serde_json::{json, Value};
use uuid::Uuid;

pub use activity::{Activity, CATEGORIES};
pub use members::{AUDIT_ACTOR, AUDIT_EVENTS, AUDIT_PROPERTY, AUDIT_RESOURCE, ROLE_SCOPE_TAG_INFO};
pub use resource::{resource, Changed};

use super::entity::Entity;
use super::{TenantId, Timestamp};

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
