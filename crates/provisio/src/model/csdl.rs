//! The service's `$metadata`: an EDMX 4.0 / CSDL document describing exactly what the service
//! serves, in Graph's own terms (namespace `microsoft.graph`, alias `graph`, container
//! `GraphService`), so that OData clients and code generators load it as they load Graph's.
//!
//! It is generated from [`Member`] and the enums' member tables, so it cannot drift from the
//! model; a test compares it with the official fragments. Where the model is stricter than Graph
//! declares (`displayName` is required here), the document says what Graph says: every string is
//! declared nullable, as in Graph's metadata.

use std::fmt::Write as _;

use super::members::{Kind, Member};
use super::{EnrollmentMode, EnrollmentTokenType, MembershipTargetType, WifiSecurityType};

/// `enrollmentTimeDeviceMembershipTargetValidationErrorCode`, as Graph declares it.
pub const TARGET_VALIDATION_ERROR_CODES: &[(&str, i64)] = &[
    ("securityGroupNotFound", 1),
    ("notSecurityGroup", 2),
    ("notStaticSecurityGroup", 3),
    ("firstPartyAppNotAnOwner", 4),
    ("securityGroupNotInCallerScope", 5),
    ("unknownFutureValue", 6),
];

const ENUMS: [(&str, &[(&str, i64)]); 5] = [
    (EnrollmentMode::GRAPH_NAME, EnrollmentMode::MEMBERS),
    (
        EnrollmentTokenType::GRAPH_NAME,
        EnrollmentTokenType::MEMBERS,
    ),
    (WifiSecurityType::GRAPH_NAME, WifiSecurityType::MEMBERS),
    (
        MembershipTargetType::GRAPH_NAME,
        MembershipTargetType::MEMBERS,
    ),
    (
        "enrollmentTimeDeviceMembershipTargetValidationErrorCode",
        TARGET_VALIDATION_ERROR_CODES,
    ),
];

/// A property or parameter: name, type, nullable.
type Typed = (&'static str, &'static str, bool);

/// Complex types: name, then their properties.
const COMPLEX: [(&str, &[Typed]); 4] = [
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
    (
        "mimeContent",
        &[("type", "Edm.String", true), ("value", "Edm.Binary", true)],
    ),
];

/// Actions bound to the profile: name, parameters after the binding one (name, type,
/// nullable), return type.
type Action = (&'static str, &'static [Typed], Option<&'static str>);

const ACTIONS: [Action; 5] = [
    ("clearEnrollmentTimeDeviceMembershipTarget", &[], None),
    (
        "createToken",
        &[("tokenValidityInSeconds", "Edm.Int32", false)],
        None,
    ),
    (
        "retrieveEnrollmentTimeDeviceMembershipTarget",
        &[],
        Some("graph.enrollmentTimeDeviceMembershipTargetResult"),
    ),
    ("revokeToken", &[], None),
    (
        "setEnrollmentTimeDeviceMembershipTarget",
        &[(
            "enrollmentTimeDeviceMembershipTargets",
            "Collection(graph.enrollmentTimeDeviceMembershipTarget)",
            true,
        )],
        Some("graph.enrollmentTimeDeviceMembershipTargetResult"),
    ),
];

/// The declared type of a member and whether it may be null, as Graph's metadata has them.
pub fn member_type(m: Member) -> (String, bool) {
    match m.kind() {
        Kind::Guid | Kind::String { .. } => ("Edm.String".into(), true),
        Kind::Int32 => ("Edm.Int32".into(), false),
        Kind::Boolean => ("Edm.Boolean".into(), false),
        Kind::DateTime => ("Edm.DateTimeOffset".into(), false),
        Kind::Enum(name) => (format!("graph.{name}"), false),
        Kind::StringCollection => ("Collection(Edm.String)".into(), true),
        Kind::MimeContent => ("graph.mimeContent".into(), true),
    }
}

fn property(out: &mut String, indent: &str, name: &str, ty: &str, nullable: bool) {
    let null = if nullable { "" } else { " Nullable=\"false\"" };
    let _ = writeln!(
        out,
        "{indent}<Property Name=\"{name}\" Type=\"{ty}\"{null} />"
    );
}

/// The whole `$metadata` document.
pub fn document() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n  \
         <edmx:DataServices>\n    \
         <Schema Namespace=\"microsoft.graph\" Alias=\"graph\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n",
    );
    let i3 = "      ";
    let i4 = "        ";
    for (name, members) in ENUMS {
        let _ = writeln!(out, "{i3}<EnumType Name=\"{name}\">");
        for (member, value) in members {
            let _ = writeln!(out, "{i4}<Member Name=\"{member}\" Value=\"{value}\" />");
        }
        let _ = writeln!(out, "{i3}</EnumType>");
    }
    for (name, props) in COMPLEX {
        let _ = writeln!(out, "{i3}<ComplexType Name=\"{name}\">");
        for (p, ty, nullable) in props {
            property(&mut out, i4, p, ty, *nullable);
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
    let _ = writeln!(
        out,
        "{i3}<EntityType Name=\"androidDeviceOwnerEnrollmentProfile\" BaseType=\"graph.entity\">"
    );
    let mut members: Vec<Member> = Member::ALL
        .into_iter()
        .filter(|m| *m != Member::Id)
        .collect();
    members.sort_by_key(|m| m.name());
    for m in members {
        let (ty, nullable) = member_type(m);
        property(&mut out, i4, m.name(), &ty, nullable);
    }
    let _ = writeln!(out, "{i3}</EntityType>");
    let _ = writeln!(
        out,
        "{i3}<EntityType Name=\"deviceManagement\" BaseType=\"graph.entity\">\n\
         {i4}<NavigationProperty Name=\"androidDeviceOwnerEnrollmentProfiles\" \
         Type=\"Collection(graph.androidDeviceOwnerEnrollmentProfile)\" ContainsTarget=\"true\" />\n\
         {i3}</EntityType>"
    );
    for (name, params, returns) in ACTIONS {
        let _ = writeln!(out, "{i3}<Action Name=\"{name}\" IsBound=\"true\">");
        let _ = writeln!(
            out,
            "{i4}<Parameter Name=\"bindingParameter\" Type=\"graph.androidDeviceOwnerEnrollmentProfile\" />"
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
    let _ = writeln!(
        out,
        "{i3}<EntityContainer Name=\"GraphService\">\n\
         {i4}<Singleton Name=\"deviceManagement\" Type=\"microsoft.graph.deviceManagement\" />\n\
         {i3}</EntityContainer>"
    );
    out.push_str("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    out
}
