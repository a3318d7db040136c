//! Test fixture: the androidDeviceOwnerEnrollmentProfile members of docs/API.md (Members), as an
//! `odata::Schema`. The service owns the real one; this copy lets the tests use real names.

#![allow(dead_code)]

use odata::{ComplexType, EnumType, Property, PropertyType, Schema};

/// `microsoft.graph.androidDeviceOwnerEnrollmentMode`.
pub static ENROLLMENT_MODE: EnumType = EnumType {
    type_name: "microsoft.graph.androidDeviceOwnerEnrollmentMode",
    members: &[
        ("corporateOwnedDedicatedDevice", 0),
        ("corporateOwnedFullyManaged", 1),
        ("corporateOwnedWorkProfile", 2),
        ("corporateOwnedAOSPUserlessDevice", 3),
        ("corporateOwnedAOSPUserAssociatedDevice", 4),
    ],
};

/// `microsoft.graph.androidDeviceOwnerEnrollmentTokenType`.
pub static TOKEN_TYPE: EnumType = EnumType {
    type_name: "microsoft.graph.androidDeviceOwnerEnrollmentTokenType",
    members: &[
        ("default", 0),
        ("corporateOwnedDedicatedDeviceWithAzureADSharedMode", 1),
        ("deviceStaging", 2),
    ],
};

/// `microsoft.graph.aospWifiSecurityType`.
pub static WIFI_SECURITY: EnumType = EnumType {
    type_name: "microsoft.graph.aospWifiSecurityType",
    members: &[("none", 0), ("wpa", 1), ("wep", 2)],
};

/// `microsoft.graph.mimeContent`. Its `value` is `Edm.Binary`, which no query option can use,
/// so only `type` is declared.
pub static MIME_CONTENT: ComplexType = ComplexType {
    type_name: "microsoft.graph.mimeContent",
    properties: &[Property::new("type", PropertyType::String)],
};

use PropertyType::{Boolean, DateTimeOffset, Int32, StringCollection};
const STRING: PropertyType = PropertyType::String;

/// The 23 members, in the order of docs/API.md (Members).
pub static PROPERTIES: [Property; 23] = [
    Property::new("id", STRING).not_null(),
    Property::new("accountId", STRING),
    Property::new("displayName", STRING).not_null(),
    Property::new("description", STRING),
    Property::new("enrollmentMode", PropertyType::Enum(&ENROLLMENT_MODE)).not_null(),
    Property::new("enrollmentTokenType", PropertyType::Enum(&TOKEN_TYPE)).not_null(),
    Property::new("createdDateTime", DateTimeOffset).not_null(),
    Property::new("lastModifiedDateTime", DateTimeOffset).not_null(),
    Property::new("tokenValue", STRING),
    Property::new("tokenCreationDateTime", DateTimeOffset).not_null(),
    Property::new("tokenExpirationDateTime", DateTimeOffset).not_null(),
    Property::new("enrolledDeviceCount", Int32).not_null(),
    Property::new("enrollmentTokenUsageCount", Int32).not_null(),
    Property::new("qrCodeContent", STRING),
    Property::new("qrCodeImage", PropertyType::Complex(&MIME_CONTENT))
        .not_filterable()
        .not_sortable(),
    Property::new("roleScopeTagIds", StringCollection),
    Property::new("configureWifi", Boolean).not_null(),
    Property::new("wifiSsid", STRING),
    Property::new("wifiPassword", STRING)
        .not_filterable()
        .not_sortable(),
    Property::new("wifiSecurityType", PropertyType::Enum(&WIFI_SECURITY)).not_null(),
    Property::new("wifiHidden", Boolean).not_null(),
    Property::new("isTeamsDeviceProfile", Boolean).not_null(),
    Property::new("deviceNameTemplate", STRING)
        .not_filterable()
        .not_sortable(),
];

/// The entity's schema.
pub static SCHEMA: Schema = Schema {
    entity_type: "microsoft.graph.androidDeviceOwnerEnrollmentProfile",
    properties: &PROPERTIES,
};

/// The property called `name`, which must exist.
pub fn prop(name: &str) -> odata::PropRef {
    SCHEMA
        .property(name)
        .unwrap_or_else(|| panic!("no property {name}"))
}
