//! Test fixture shaped like Graph's `microsoft.graph.auditEvent`: a complex member `actor`
//! (`microsoft.graph.auditActor`) and a collection of complex values `resources`
//! (`Collection(microsoft.graph.auditResource)`), next to ordinary scalar members.

#![allow(dead_code)]

use odata::{ComplexType, Property, PropertyType, Schema};

use PropertyType::{DateTimeOffset, StringCollection};
const STRING: PropertyType = PropertyType::String;

/// `microsoft.graph.roleScopeTagInfo` (inside `auditActor.userRoleScopeTags`).
pub static ROLE_SCOPE_TAG_INFO: ComplexType = ComplexType {
    type_name: "microsoft.graph.roleScopeTagInfo",
    properties: &[
        Property::new("displayName", STRING),
        Property::new("roleScopeTagId", STRING),
    ],
};

/// `microsoft.graph.auditActor`. `remoteUserId` is kept out of `$filter` and `ipAddress` out of
/// `$orderby`, so that the tests can see the flags of a complex type's properties at work.
pub static AUDIT_ACTOR: ComplexType = ComplexType {
    type_name: "microsoft.graph.auditActor",
    properties: &[
        Property::new("type", STRING),
        Property::new("userPermissions", StringCollection),
        Property::new("applicationId", STRING),
        Property::new("applicationDisplayName", STRING),
        Property::new("userPrincipalName", STRING),
        Property::new("servicePrincipalName", STRING),
        Property::new("ipAddress", STRING).not_sortable(),
        Property::new("userId", STRING),
        Property::new(
            "userRoleScopeTags",
            PropertyType::ComplexCollection(&ROLE_SCOPE_TAG_INFO),
        ),
        Property::new("remoteTenantId", STRING),
        Property::new("remoteUserId", STRING).not_filterable(),
    ],
};

/// `microsoft.graph.auditProperty` (inside `auditResource.modifiedProperties`).
pub static AUDIT_PROPERTY: ComplexType = ComplexType {
    type_name: "microsoft.graph.auditProperty",
    properties: &[
        Property::new("displayName", STRING),
        Property::new("oldValue", STRING),
        Property::new("newValue", STRING),
    ],
};

/// `microsoft.graph.auditResource`.
pub static AUDIT_RESOURCE: ComplexType = ComplexType {
    type_name: "microsoft.graph.auditResource",
    properties: &[
        Property::new("displayName", STRING),
        Property::new(
            "modifiedProperties",
            PropertyType::ComplexCollection(&AUDIT_PROPERTY),
        ),
        Property::new("type", STRING),
        Property::new("auditResourceType", STRING),
        Property::new("resourceId", STRING),
    ],
};

/// The members of `auditEvent`.
pub static PROPERTIES: [Property; 12] = [
    Property::new("id", STRING).not_null(),
    Property::new("displayName", STRING),
    Property::new("componentName", STRING),
    Property::new("actor", PropertyType::Complex(&AUDIT_ACTOR)),
    Property::new("activity", STRING),
    Property::new("activityDateTime", DateTimeOffset).not_null(),
    Property::new("activityType", STRING),
    Property::new("activityOperationType", STRING),
    Property::new("activityResult", STRING),
    Property::new("correlationId", STRING).not_null(),
    Property::new(
        "resources",
        PropertyType::ComplexCollection(&AUDIT_RESOURCE),
    ),
    Property::new("category", STRING),
];

/// The entity's schema.
pub static SCHEMA: Schema = Schema {
    entity_type: "microsoft.graph.auditEvent",
    properties: &PROPERTIES,
};

/// The top-level member called `name`, which must exist.
pub fn prop(name: &str) -> odata::PropRef {
    SCHEMA
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

/// `member/name`: a property of the complex type of the top-level `member` (a path for a
/// complex member, an element property for a collection of complex values).
pub fn nested(member: &str, name: &str) -> odata::PropRef {
    let parent = prop(member).def();
    let def = parent
        .ty
        .complex_type()
        .and_then(|c| c.property(name))
        .unwrap_or_else(|| panic!("no property {member}/{name}"));
    odata::PropRef::nested(parent, def)
}
