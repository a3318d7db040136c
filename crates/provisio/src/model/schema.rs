//! The entity as the OData query parser sees it: one [`odata::Schema`] built from [`Member`], so
//! that `$filter`, `$orderby` and `$select` know exactly the members the API shows, with their
//! Edm types, and refuse the ones CONTRACT §4 excludes (`deviceNameTemplate`, `qrCodeImage`,
//! `wifiPassword` are selectable only).

use std::sync::LazyLock;

use odata::{ComplexType, EnumType, Property, PropertyType, Schema};

use super::members::{Kind, Member};
use super::{EnrollmentMode, EnrollmentTokenType, WifiSecurityType};

/// The qualified name of the entity type.
pub const ENTITY_TYPE: &str = "microsoft.graph.androidDeviceOwnerEnrollmentProfile";

/// The qualified name of the QR image's complex type.
pub const MIME_CONTENT: &str = "microsoft.graph.mimeContent";

/// `microsoft.graph.mimeContent`, as far as queries care: its `value` is `Edm.Binary`, which no
/// query option can use, so only `type` is declared. The member holding it is selectable only.
static MIME_CONTENT_TYPE: ComplexType = ComplexType {
    type_name: MIME_CONTENT,
    properties: &[Property::new("type", PropertyType::String)],
};

static ENROLLMENT_MODE: EnumType = EnumType {
    type_name: "microsoft.graph.androidDeviceOwnerEnrollmentMode",
    members: EnrollmentMode::MEMBERS,
};

static ENROLLMENT_TOKEN_TYPE: EnumType = EnumType {
    type_name: "microsoft.graph.androidDeviceOwnerEnrollmentTokenType",
    members: EnrollmentTokenType::MEMBERS,
};

static WIFI_SECURITY_TYPE: EnumType = EnumType {
    type_name: "microsoft.graph.aospWifiSecurityType",
    members: WifiSecurityType::MEMBERS,
};

/// The enum types the entity's members use, by unqualified name.
pub fn enum_type(graph_name: &str) -> Option<&'static EnumType> {
    [
        &ENROLLMENT_MODE,
        &ENROLLMENT_TOKEN_TYPE,
        &WIFI_SECURITY_TYPE,
    ]
    .into_iter()
    .find(|e| e.short_name() == graph_name)
}

/// The query-language view of one member.
fn property(m: Member) -> Property {
    let p = match m.kind() {
        Kind::Guid => Property::new(m.name(), PropertyType::String).not_null(),
        Kind::String { nullable: true } => Property::new(m.name(), PropertyType::String),
        Kind::String { nullable: false } => {
            Property::new(m.name(), PropertyType::String).not_null()
        }
        Kind::Int32 => Property::new(m.name(), PropertyType::Int32).not_null(),
        Kind::Boolean => Property::new(m.name(), PropertyType::Boolean).not_null(),
        Kind::DateTime => Property::new(m.name(), PropertyType::DateTimeOffset).not_null(),
        Kind::Enum(name) => match enum_type(name) {
            Some(e) => Property::new(m.name(), PropertyType::Enum(e)).not_null(),
            // Unreachable while every enum of `Member::kind` is listed above (tested).
            None => Property::new(m.name(), PropertyType::String)
                .not_filterable()
                .not_sortable(),
        },
        Kind::StringCollection => Property::new(m.name(), PropertyType::StringCollection),
        Kind::MimeContent => Property::new(m.name(), PropertyType::Complex(&MIME_CONTENT_TYPE)),
    };
    if m.queryable() {
        p
    } else {
        p.not_filterable().not_sortable()
    }
}

static PROPERTIES: LazyLock<[Property; 23]> = LazyLock::new(|| Member::ALL.map(property));

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    entity_type: ENTITY_TYPE,
    properties: &*PROPERTIES,
});

/// The entity's schema for [`odata::parse_query`], in response order.
pub fn schema() -> &'static Schema {
    &SCHEMA
}

/// The member an AST property reference names (every schema property is a member).
pub fn member_of(prop: &odata::PropRef) -> Option<Member> {
    Member::from_name(prop.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_every_member_in_order_with_its_type() {
        let s = schema();
        assert_eq!(s.properties.len(), Member::ALL.len());
        for (p, m) in s.properties.iter().zip(Member::ALL) {
            assert_eq!(p.name, m.name());
            assert!(p.selectable, "{}", p.name);
            let expected = match m.kind() {
                Kind::Guid | Kind::String { .. } => "Edm.String",
                Kind::Int32 => "Edm.Int32",
                Kind::Boolean => "Edm.Boolean",
                Kind::DateTime => "Edm.DateTimeOffset",
                Kind::Enum(name) => {
                    let e = enum_type(name).expect("every enum is known");
                    assert_eq!(e.type_name, format!("microsoft.graph.{name}"));
                    e.type_name
                }
                Kind::StringCollection => "Collection(Edm.String)",
                Kind::MimeContent => MIME_CONTENT,
            };
            assert_eq!(p.ty.edm_name(), expected, "{}", p.name);
            let scalar = !matches!(m.kind(), Kind::StringCollection | Kind::MimeContent);
            assert_eq!(p.filterable, m.queryable(), "{}", p.name);
            assert_eq!(p.sortable, m.queryable() && scalar, "{}", p.name);
        }
    }

    #[test]
    fn the_contract_exclusions_are_refused_by_the_parser() {
        let limits = odata::Limits::DEFAULT;
        for name in ["deviceNameTemplate", "qrCodeImage", "wifiPassword"] {
            assert!(
                odata::parse_query(&format!("$filter={name} eq null"), schema(), &limits).is_err()
            );
            assert!(odata::parse_query(&format!("$orderby={name}"), schema(), &limits).is_err());
            assert!(odata::parse_query(&format!("$select={name}"), schema(), &limits).is_ok());
        }
        let q = odata::parse_query(
            "$filter=enrollmentMode eq 'corporateOwnedAOSPUserlessDevice'",
            schema(),
            &limits,
        )
        .expect("enum literal");
        assert!(q.filter.is_some());
    }
}
