//! An entity set as the OData query parser sees it: one [`odata::Schema`] derived from the
//! set's declaration, so that `$filter`, `$orderby` and `$select` know exactly the members the
//! API shows, with their Edm types, and refuse the ones the declaration keeps out of queries
//! (`Query::SelectOnly`).

use odata::{ComplexType, EnumType, Property, PropertyType, Schema};

use super::entity::{ComplexDecl, EnumDecl, MemberType, Query, MIME_CONTENT_TYPE};
use super::layout::MemberInfo;

/// The schema of an entity type called `entity_type` with `members` (in response order). Built
/// once per entity set; the properties and enum types it points to live as long as the process.
pub fn derive(entity_type: &str, members: &[MemberInfo]) -> Schema {
    let properties: Vec<Property> = members.iter().map(property).collect();
    Schema {
        entity_type: Box::leak(entity_type.to_owned().into_boxed_str()),
        properties: Box::leak(properties.into_boxed_slice()),
    }
}

/// A `microsoft.graph` name that lives as long as the process.
fn qualified(name: &str) -> &'static str {
    Box::leak(format!("microsoft.graph.{name}").into_boxed_str())
}

fn enum_type(decl: &EnumDecl) -> &'static EnumType {
    Box::leak(Box::new(EnumType {
        type_name: qualified(decl.name),
        members: decl.members,
    }))
}

/// A complex type and its properties (each filterable and sortable through a path; nested
/// complex values and collections are selectable only).
fn complex_type(decl: &ComplexDecl) -> &'static ComplexType {
    let properties: Vec<Property> = decl
        .properties
        .iter()
        .map(|f| {
            let p = Property::new(f.name, property_type(f.ty));
            let p = if f.nullable { p } else { p.not_null() };
            match f.ty {
                MemberType::Complex(_)
                | MemberType::ComplexCollection(_)
                | MemberType::StringCollection
                | MemberType::Image => p.not_filterable().not_sortable(),
                _ => p,
            }
        })
        .collect();
    Box::leak(Box::new(ComplexType {
        type_name: qualified(decl.name),
        properties: Box::leak(properties.into_boxed_slice()),
    }))
}

/// The query-language type of a member's type.
fn property_type(ty: MemberType) -> PropertyType {
    match ty {
        MemberType::String | MemberType::GuidString | MemberType::Guid => PropertyType::String,
        MemberType::Int32 => PropertyType::Int32,
        MemberType::Int64 => PropertyType::Int64,
        MemberType::Boolean => PropertyType::Boolean,
        MemberType::DateTime => PropertyType::DateTimeOffset,
        MemberType::Enum(decl) => PropertyType::Enum(enum_type(decl)),
        MemberType::StringCollection => PropertyType::StringCollection,
        MemberType::Image => PropertyType::Complex(complex_type(&MIME_CONTENT_TYPE)),
        MemberType::Complex(c) => PropertyType::Complex(complex_type(c)),
        MemberType::ComplexCollection(c) => PropertyType::ComplexCollection(complex_type(c)),
    }
}

/// The query-language view of one member.
fn property(m: &MemberInfo) -> Property {
    let mut p = Property::new(m.name, property_type(m.ty));
    if m.nullable != super::entity::Nullable::Yes {
        p = p.not_null();
    }
    match m.query {
        Query::SelectOnly => p.not_filterable().not_sortable(),
        // A sealed member is compared through its keyed hash (with `eq` only) when it has one,
        // and never sorted.
        _ if m.sealed && m.key.is_none() => p.not_filterable().not_sortable(),
        Query::Filter => p.not_sortable(),
        _ if m.sealed => p.not_sortable(),
        Query::FilterSort => p,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::entity::{MemberType, Query};
    use crate::model::PROFILES;

    #[test]
    fn schema_lists_every_member_in_order_with_its_type() {
        let layout = PROFILES.layout();
        let s = &layout.schema;
        assert_eq!(
            s.entity_type,
            "microsoft.graph.androidDeviceOwnerEnrollmentProfile"
        );
        assert_eq!(s.properties.len(), PROFILES.members.len());
        for (p, m) in s.properties.iter().zip(PROFILES.members) {
            assert_eq!(p.name, m.name);
            assert!(p.selectable, "{}", p.name);
            let expected = match m.ty {
                MemberType::Guid | MemberType::GuidString | MemberType::String => {
                    "Edm.String".to_owned()
                }
                MemberType::Int32 => "Edm.Int32".into(),
                MemberType::Boolean => "Edm.Boolean".into(),
                MemberType::DateTime => "Edm.DateTimeOffset".into(),
                MemberType::Enum(e) => format!("microsoft.graph.{}", e.name),
                MemberType::StringCollection => "Collection(Edm.String)".into(),
                MemberType::Image => "microsoft.graph.mimeContent".into(),
                other => panic!("the profile has no {other:?} member"),
            };
            assert_eq!(p.ty.edm_name(), expected, "{}", p.name);
            let scalar = !matches!(m.ty, MemberType::StringCollection | MemberType::Image);
            assert_eq!(p.filterable, m.query != Query::SelectOnly, "{}", p.name);
            assert_eq!(
                p.sortable,
                m.query == Query::FilterSort && scalar,
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn select_only_members_are_refused_by_the_parser() {
        let limits = odata::Limits::DEFAULT;
        let schema = &PROFILES.layout().schema;
        for name in ["deviceNameTemplate", "qrCodeImage", "wifiPassword"] {
            assert!(
                odata::parse_query(&format!("$filter={name} eq null"), schema, &limits).is_err()
            );
            assert!(odata::parse_query(&format!("$orderby={name}"), schema, &limits).is_err());
            assert!(odata::parse_query(&format!("$select={name}"), schema, &limits).is_ok());
        }
        let q = odata::parse_query(
            "$filter=enrollmentMode eq 'corporateOwnedAOSPUserlessDevice'",
            schema,
            &limits,
        )
        .expect("enum literal");
        assert!(q.filter.is_some());
    }
}
