//! The service's `$metadata`: an EDMX 4.0 / CSDL document describing exactly what the service
//! serves, in Graph's own terms (namespace `microsoft.graph`, alias `graph`, container
//! `GraphService`), so that OData clients and code generators load it as they load Graph's.
//!
//! It is generated from the entity sets' declarations (their members, enums and complex types)
//! and, for what no member carries, from the tables of the profile's bound actions below, so it
//! cannot drift from the model; a test compares it with the official fragments. Where the model
//! is stricter than Graph declares (`displayName` is required here), the document says what
//! Graph says ([`Nullable::NotHere`]).

use std::fmt::Write as _;

use super::audit::AuditEvent;
use super::device::ManagedDevice;
use super::entity::{ComplexDecl, Entity, EnumDecl, MemberType, Nullable, MIME_CONTENT_TYPE};
use super::layout::Layout;
use super::{MembershipTargetType, Profile};

/// The singleton of the entity container, and its entity type: the root from which every
/// collection is reached (a containment navigation property per entity set).
pub const SINGLETON: &str = "deviceManagement";

/// `enrollmentTimeDeviceMembershipTargetValidationErrorCode`, as Graph declares it.
pub const TARGET_VALIDATION_ERROR_CODES: &[(&str, i64)] = &[
    ("securityGroupNotFound", 1),
    ("notSecurityGroup", 2),
    ("notStaticSecurityGroup", 3),
    ("firstPartyAppNotAnOwner", 4),
    ("securityGroupNotInCallerScope", 5),
    ("unknownFutureValue", 6),
];

/// Enum types only the actions use.
const ACTION_ENUMS: [EnumDecl; 3] = [
    OBLITERATION_BEHAVIOR,
    MembershipTargetType::DECL,
    EnumDecl {
        name: "enrollmentTimeDeviceMembershipTargetValidationErrorCode",
        members: TARGET_VALIDATION_ERROR_CODES,
    },
];

/// A property or parameter: name, type, nullable.
type Typed = (&'static str, &'static str, bool);

/// Complex types the actions use: name, then their properties.
const ACTION_COMPLEX: [(&str, &[Typed]); 3] = [
    (
        "enrollmentTimeDeviceMembershipTarget",
        &[
            ("targetId", "Edm.String", true),
            (
                "targetType",
                "graph.enrollmentTimeDeviceMembershipTargetType",
                false,
            ),
        ],
    ),
    (
        "enrollmentTimeDeviceMembershipTargetResult",
        &[
            (
                "enrollmentTimeDeviceMembershipTargetValidationStatuses",
                "Collection(graph.enrollmentTimeDeviceMembershipTargetStatus)",
                true,
            ),
            ("validationSucceeded", "Edm.Boolean", false),
        ],
    ),
    (
        "enrollmentTimeDeviceMembershipTargetStatus",
        &[
            ("targetId", "Edm.String", true),
            (
                "targetValidationErrorCode",
                "graph.enrollmentTimeDeviceMembershipTargetValidationErrorCode",
                false,
            ),
        ],
    ),
];

/// Bound actions: the entity type they are bound to, name, parameters after the binding one
/// (name, type, nullable), return type.
type Action = (
    &'static str,
    &'static str,
    &'static [Typed],
    Option<&'static str>,
);

/// The profile's type name.
const PROFILE: &str = "androidDeviceOwnerEnrollmentProfile";

/// The managed device's type name.
const DEVICE: &str = "managedDevice";

const ACTIONS: [Action; 7] = [
    (
        PROFILE,
        "clearEnrollmentTimeDeviceMembershipTarget",
        &[],
        None,
    ),
    (
        PROFILE,
        "createToken",
        &[("tokenValidityInSeconds", "Edm.Int32", false)],
        None,
    ),
    (
        PROFILE,
        "retrieveEnrollmentTimeDeviceMembershipTarget",
        &[],
        Some("graph.enrollmentTimeDeviceMembershipTargetResult"),
    ),
    (PROFILE, "revokeToken", &[], None),
    (
        PROFILE,
        "setEnrollmentTimeDeviceMembershipTarget",
        &[(
            "enrollmentTimeDeviceMembershipTargets",
            "Collection(graph.enrollmentTimeDeviceMembershipTarget)",
            true,
        )],
        Some("graph.enrollmentTimeDeviceMembershipTargetResult"),
    ),
    (DEVICE, "retire", &[], None),
    (
        DEVICE,
        "wipe",
        &[
            ("keepEnrollmentData", "Edm.Boolean", true),
            ("keepUserData", "Edm.Boolean", true),
            ("macOsUnlockCode", "Edm.String", true),
            ("obliterationBehavior", "graph.obliterationBehavior", true),
            ("persistEsimDataPlan", "Edm.Boolean", true),
            ("useProtectedWipe", "Edm.Boolean", true),
        ],
        None,
    ),
];

/// A function bound to a collection (see [`FUNCTIONS`]).
type Function = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// Functions bound to a collection: the entity type of its members, name, parameters after the
/// binding one (name, type), return type. Graph declares their parameters and return types
/// `Unicode="false"`, and so does this document.
const FUNCTIONS: [Function; 2] = [
    (
        AUDIT,
        "getAuditActivityTypes",
        &[("category", "Edm.String")],
        "Collection(Edm.String)",
    ),
    (AUDIT, "getAuditCategories", &[], "Collection(Edm.String)"),
];

/// The audit event's type name.
const AUDIT: &str = "auditEvent";

/// `obliterationBehavior`, the type of a parameter of `wipe`, as Graph declares it.
const OBLITERATION_BEHAVIOR: EnumDecl = EnumDecl {
    name: "obliterationBehavior",
    members: &[
        ("default", 0),
        ("doNotObliterate", 1),
        ("obliterateWithWarning", 2),
        ("always", 3),
        ("unknownFutureValue", 999),
    ],
};

/// The members that are this service's own, not Graph's: each entity type's, with what the
/// document says of it.
pub const OWN_MEMBERS: [(&str, &str, &str); 1] = [(
    DEVICE,
    "enrollmentProfileId",
    "The id of the androidDeviceOwnerEnrollmentProfile whose token enrolled the device (a member of this service, not of Microsoft Graph).",
)];

/// The declared type of a member and whether it may be null, as Graph's metadata has them.
pub fn member_type(ty: MemberType, nullable: Nullable) -> (String, bool) {
    let name = match ty {
        MemberType::String | MemberType::GuidString => "Edm.String".to_owned(),
        MemberType::Guid => "Edm.Guid".into(),
        MemberType::Int32 => "Edm.Int32".into(),
        MemberType::Int64 => "Edm.Int64".into(),
        MemberType::Boolean => "Edm.Boolean".into(),
        MemberType::DateTime => "Edm.DateTimeOffset".into(),
        MemberType::Enum(e) => format!("graph.{}", e.name),
        MemberType::StringCollection => "Collection(Edm.String)".into(),
        MemberType::Image => "graph.mimeContent".into(),
        MemberType::Complex(c) => format!("graph.{}", c.name),
        MemberType::ComplexCollection(c) => format!("Collection(graph.{})", c.name),
    };
    (name, nullable != Nullable::No)
}

/// The complex type a member's values have, if any.
fn complex_of(ty: MemberType) -> Option<&'static ComplexDecl> {
    match ty {
        MemberType::Image => Some(&MIME_CONTENT_TYPE),
        MemberType::Complex(c) | MemberType::ComplexCollection(c) => Some(c),
        _ => None,
    }
}

/// The `<EntityType>` of an entity set: its members but `id` (which `graph.entity` declares), in
/// name order, as Graph's metadata lists them.
pub fn entity_type(layout: &Layout) -> String {
    let mut out = String::new();
    let (i3, i4) = ("      ", "        ");
    let _ = writeln!(
        out,
        "{i3}<EntityType Name=\"{}\" BaseType=\"graph.entity\">",
        layout.type_name
    );
    let mut members: Vec<_> = layout.members.iter().filter(|m| m.name != "id").collect();
    members.sort_by_key(|m| m.name);
    for m in members {
        let (ty, nullable) = member_type(m.ty, m.nullable);
        let own = OWN_MEMBERS
            .iter()
            .find(|(t, name, _)| *t == layout.type_name && *name == m.name);
        match own {
            None => property(&mut out, i4, m.name, &ty, nullable),
            Some((_, _, description)) => {
                let null = if nullable { "" } else { " Nullable=\"false\"" };
                let _ = writeln!(
                    out,
                    "{i4}<Property Name=\"{}\" Type=\"{ty}\"{null}>\n{i4}  <Annotation Term=\"Org.OData.Core.V1.Description\" String=\"{description}\" />\n{i4}</Property>",
                    m.name
                );
            }
        }
    }
    let _ = writeln!(out, "{i3}</EntityType>");
    out
}

/// The enum types the members of `layouts` use, each once, in the order met.
fn enums_of(layouts: &[&Layout], extra: &[EnumDecl]) -> Vec<EnumDecl> {
    let mut found: Vec<EnumDecl> = Vec::new();
    let mut add = |e: EnumDecl| {
        if !found.iter().any(|f| f.name == e.name) {
            found.push(e);
        }
    };
    for layout in layouts {
        for m in &layout.members {
            if let MemberType::Enum(e) = m.ty {
                add(*e);
            }
        }
    }
    for e in extra {
        add(*e);
    }
    found
}

/// The complex types the members of `layouts` use (with the complex types their properties
/// use), each once.
fn complex_types_of(layouts: &[&Layout]) -> Vec<&'static ComplexDecl> {
    let mut found: Vec<&'static ComplexDecl> = Vec::new();
    let mut pending: Vec<&'static ComplexDecl> = layouts
        .iter()
        .flat_map(|l| l.members.iter().filter_map(|m| complex_of(m.ty)))
        .collect();
    while let Some(c) = pending.pop() {
        if found.iter().any(|f| f.name == c.name) {
            continue;
        }
        pending.extend(c.properties.iter().filter_map(|p| complex_of(p.ty)));
        found.push(c);
    }
    found.sort_by_key(|c| c.name);
    found
}

fn property(out: &mut String, indent: &str, name: &str, ty: &str, nullable: bool) {
    let null = if nullable { "" } else { " Nullable=\"false\"" };
    let _ = writeln!(
        out,
        "{indent}<Property Name=\"{name}\" Type=\"{ty}\"{null} />"
    );
}

/// The whole `$metadata` document of the entity sets the service serves.
pub fn document() -> String {
    let layouts = [
        Profile::set().layout(),
        ManagedDevice::set().layout(),
        AuditEvent::set().layout(),
    ];
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n  \
         <edmx:DataServices>\n    \
         <Schema Namespace=\"microsoft.graph\" Alias=\"graph\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n",
    );
    let i3 = "      ";
    let i4 = "        ";
    for e in enums_of(&layouts, &ACTION_ENUMS) {
        let _ = writeln!(out, "{i3}<EnumType Name=\"{}\">", e.name);
        for (member, value) in e.members {
            let _ = writeln!(out, "{i4}<Member Name=\"{member}\" Value=\"{value}\" />");
        }
        let _ = writeln!(out, "{i3}</EnumType>");
    }
    for (name, props) in ACTION_COMPLEX {
        let _ = writeln!(out, "{i3}<ComplexType Name=\"{name}\">");
        for (p, ty, nullable) in props {
            property(&mut out, i4, p, ty, *nullable);
        }
        let _ = writeln!(out, "{i3}</ComplexType>");
    }
    for c in complex_types_of(&layouts) {
        let _ = writeln!(out, "{i3}<ComplexType Name=\"{}\">", c.name);
        for p in c.properties {
            // mimeContent's value is binary; its declaration holds it as base64 text.
            let (ty, nullable) = match (c.name, p.name) {
                ("mimeContent", "value") => ("Edm.Binary".to_owned(), true),
                _ => member_type(
                    p.ty,
                    if p.nullable {
                        Nullable::Yes
                    } else {
                        Nullable::No
                    },
                ),
            };
            property(&mut out, i4, p.name, &ty, nullable);
        }
        let _ = writeln!(out, "{i3}</ComplexType>");
    }
    let _ = writeln!(out, "{i3}<EntityType Name=\"entity\" Abstract=\"true\">");
    let _ = writeln!(
        out,
        "{i4}<Key>\n{i4}  <PropertyRef Name=\"id\" />\n{i4}</Key>"
    );
    property(&mut out, i4, "id", "Edm.String", false);
    let _ = writeln!(out, "{i3}</EntityType>");
    for layout in layouts {
        out.push_str(&entity_type(layout));
    }
    // The singleton's type: Graph's fragments give it no members but these navigation
    // properties (its `id` comes from graph.entity), listed in name order as Graph lists them.
    let _ = writeln!(
        out,
        "{i3}<EntityType Name=\"{SINGLETON}\" BaseType=\"graph.entity\">"
    );
    let mut contained = layouts;
    contained.sort_by_key(|l| l.set_name);
    for layout in contained {
        let _ = writeln!(
            out,
            "{i4}<NavigationProperty Name=\"{}\" Type=\"Collection(graph.{})\" ContainsTarget=\"true\" />",
            layout.set_name, layout.type_name
        );
    }
    let _ = writeln!(out, "{i3}</EntityType>");
    for (binding, name, params, returns) in ACTIONS {
        let _ = writeln!(out, "{i3}<Action Name=\"{name}\" IsBound=\"true\">");
        let _ = writeln!(
            out,
            "{i4}<Parameter Name=\"bindingParameter\" Type=\"graph.{binding}\" />"
        );
        for (p, ty, nullable) in params {
            let null = if *nullable { "" } else { " Nullable=\"false\"" };
            let _ = writeln!(out, "{i4}<Parameter Name=\"{p}\" Type=\"{ty}\"{null} />");
        }
        if let Some(ty) = returns {
            let _ = writeln!(out, "{i4}<ReturnType Type=\"{ty}\" />");
        }
        let _ = writeln!(out, "{i3}</Action>");
    }
    for (binding, name, params, returns) in FUNCTIONS {
        let _ = writeln!(out, "{i3}<Function Name=\"{name}\" IsBound=\"true\">");
        let _ = writeln!(
            out,
            "{i4}<Parameter Name=\"bindingParameter\" Type=\"Collection(graph.{binding})\" />"
        );
        for (p, ty) in params {
            let _ = writeln!(
                out,
                "{i4}<Parameter Name=\"{p}\" Type=\"{ty}\" Unicode=\"false\" />"
            );
        }
        let _ = writeln!(
            out,
            "{i4}<ReturnType Type=\"{returns}\" Unicode=\"false\" />\n{i3}</Function>"
        );
    }
    let _ = writeln!(
        out,
        "{i3}<EntityContainer Name=\"GraphService\">\n\
         {i4}<Singleton Name=\"{SINGLETON}\" Type=\"microsoft.graph.{SINGLETON}\" />\n\
         {i3}</EntityContainer>"
    );
    out.push_str("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    out
}
