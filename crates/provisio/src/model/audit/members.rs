//! The declaration of `auditEvent` and its complex types, as Graph's beta metadata has them:
//! every member of the entity in the order of Graph's JSON representation, and every property
//! of `auditActor`, `auditResource`, `auditProperty` and `roleScopeTagInfo`.

use std::sync::LazyLock;

use uuid::Uuid;

use super::AuditEvent;
use crate::model::entity::{
    id_member, ComplexDecl, EntitySet, Field, Input, MemberDecl, MemberType, Nullable, OnCreate,
    Owned, Query, Secret, Val,
};
use crate::model::layout::Layout;
use crate::model::profile::convert::{put, text, time};

/// A nullable `Edm.String` property of a complex type.
const fn string(name: &'static str) -> Field {
    Field {
        name,
        ty: MemberType::String,
        nullable: true,
    }
}

/// `roleScopeTagInfo`, the type of `auditActor.userRoleScopeTags`.
pub static ROLE_SCOPE_TAG_INFO: ComplexDecl = ComplexDecl {
    name: "roleScopeTagInfo",
    properties: &[string("displayName"), string("roleScopeTagId")],
};

/// `auditActor`: who made a change.
pub static AUDIT_ACTOR: ComplexDecl = ComplexDecl {
    name: "auditActor",
    properties: &[
        string("applicationDisplayName"),
        string("applicationId"),
        string("auditActorType"),
        string("ipAddress"),
        string("remoteTenantId"),
        string("remoteUserId"),
        string("servicePrincipalName"),
        string("type"),
        string("userId"),
        Field {
            name: "userPermissions",
            ty: MemberType::StringCollection,
            nullable: true,
        },
        string("userPrincipalName"),
        Field {
            name: "userRoleScopeTags",
            ty: MemberType::ComplexCollection(&ROLE_SCOPE_TAG_INFO),
            nullable: true,
        },
    ],
};

/// `auditProperty`: one changed member, with its old and new value as text.
pub static AUDIT_PROPERTY: ComplexDecl = ComplexDecl {
    name: "auditProperty",
    properties: &[
        string("displayName"),
        string("newValue"),
        string("oldValue"),
    ],
};

/// `auditResource`: what a change changed.
pub static AUDIT_RESOURCE: ComplexDecl = ComplexDecl {
    name: "auditResource",
    properties: &[
        string("auditResourceType"),
        string("displayName"),
        Field {
            name: "modifiedProperties",
            ty: MemberType::ComplexCollection(&AUDIT_PROPERTY),
            nullable: true,
        },
        string("resourceId"),
        string("type"),
    ],
};

/// A member the service sets and clients only read: listed, not secret.
macro_rules! member {
    ($name:literal, $ty:expr, $nullable:expr, $column:literal, $key:expr, $query:expr, $get:expr, $set:expr) => {
        MemberDecl {
            name: $name,
            ty: $ty,
            nullable: $nullable,
            column: $column,
            key: $key,
            input: Input::ReadOnly,
            query: $query,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: $get,
            set: $set,
        }
    };
}

/// A text member that is never null here (Graph declares it nullable), filterable and
/// sortable: through its lower-cased `key` column when it has one, else through SQL's
/// `lower()` (the service writes these values, all ASCII).
macro_rules! text_member {
    ($name:literal, $column:literal, $key:expr, $field:ident) => {
        member!(
            $name,
            MemberType::String,
            Nullable::NotHere,
            $column,
            $key,
            Query::FilterSort,
            |e| Val::Str(&e.$field),
            |e, v| put(&mut e.$field, text(v))
        )
    };
}

fn json(v: Owned) -> Result<serde_json::Value, String> {
    match v {
        Owned::Json(j) => Ok(j),
        Owned::Null => Ok(serde_json::Value::Null),
        other => Err(format!("{other:?} is no JSON value")),
    }
}

fn guid(v: Owned) -> Result<Uuid, String> {
    match v {
        Owned::Uuid(u) => Ok(u),
        other => Err(format!("{other:?} is no GUID")),
    }
}

/// The audit trail: one event per change, never written through the API.
pub static AUDIT_EVENTS: EntitySet<AuditEvent> = EntitySet {
    name: "auditEvents",
    type_name: "auditEvent",
    table: "audit_events",
    search: &[],
    counters: &[],
    a_noun: "an audit event",
    check: |_| Ok(()),
    hidden: &[],
    derived: LazyLock::new(|| Layout::of(&AUDIT_EVENTS)),
    members: &[
        id_member(),
        text_member!("displayName", "display_name", None, display_name),
        text_member!("componentName", "component_name", None, component_name),
        // The actor with its texts lower-cased in `actor_key`, for `$filter=actor/...`.
        member!(
            "actor",
            MemberType::Complex(&AUDIT_ACTOR),
            Nullable::Yes,
            "actor",
            Some("actor_key"),
            Query::FilterSort,
            |e| Val::Json(e.actor.clone()),
            |e, v| put(&mut e.actor, json(v))
        ),
        text_member!("activity", "activity", None, activity),
        member!(
            "activityDateTime",
            MemberType::DateTime,
            Nullable::No,
            "activity_at",
            None,
            Query::FilterSort,
            |e| Val::Time(e.at),
            |e, v| put(&mut e.at, time(v))
        ),
        text_member!(
            "activityType",
            "activity_type",
            Some("activity_type_key"),
            activity_type
        ),
        text_member!(
            "activityOperationType",
            "operation_type",
            None,
            operation_type
        ),
        text_member!("activityResult", "result", None, result),
        member!(
            "correlationId",
            MemberType::Guid,
            Nullable::No,
            "correlation_id",
            None,
            Query::FilterSort,
            |e| Val::Uuid(e.correlation_id),
            |e, v| put(&mut e.correlation_id, guid(v))
        ),
        member!(
            "resources",
            MemberType::ComplexCollection(&AUDIT_RESOURCE),
            Nullable::NotHere,
            "resources",
            None,
            Query::SelectOnly,
            |e| Val::Json(e.resources.clone()),
            |e, v| put(&mut e.resources, json(v))
        ),
        text_member!("category", "category", Some("category_key"), category),
    ],
};
