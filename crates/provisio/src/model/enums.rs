//! The entity's enumerations, with the member names and numeric values of the Graph metadata.
//! Names are case-sensitive on input; values are what the database stores and what `$filter` and
//! `$orderby` compare.

macro_rules! graph_enum {
    ($(#[$doc:meta])* $name:ident, $graph_name:literal { $($variant:ident = $value:literal => $member:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $member, "` (", stringify!($value), ")")]
                $variant
            ),+
        }

        impl $name {
            /// The enum type's name in the `microsoft.graph` namespace.
            pub const GRAPH_NAME: &'static str = $graph_name;
            /// Every member as (name, value), in metadata order.
            pub const MEMBERS: &'static [(&'static str, i64)] = &[$(($member, $value)),+];
            /// The enum type as entity declarations name it.
            pub const DECL: $crate::model::entity::EnumDecl = $crate::model::entity::EnumDecl {
                name: $graph_name,
                members: Self::MEMBERS,
            };

            /// The member stored as this value of a member, for setters.
            pub fn from_owned(v: $crate::model::entity::Owned) -> Result<Self, String> {
                match v {
                    $crate::model::entity::Owned::Int(n) => Self::from_value(n)
                        .ok_or_else(|| format!("{n} is no member of {}", $graph_name)),
                    other => Err(format!("{other:?} is no member of {}", $graph_name)),
                }
            }

            /// The member name the API shows.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $member),+ }
            }

            /// The numeric value stored and compared.
            pub fn value(self) -> i64 {
                match self { $(Self::$variant => $value),+ }
            }

            /// The member with this exact (case-sensitive) name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($member => Some(Self::$variant),)+ _ => None }
            }

            /// The member with this numeric value.
            pub fn from_value(value: i64) -> Option<Self> {
                match value { $($value => Some(Self::$variant),)+ _ => None }
            }

            /// The member names joined for error messages.
            pub fn names() -> String {
                Self::MEMBERS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

graph_enum!(
    /// How devices that use the profile are owned and managed.
    EnrollmentMode, "androidDeviceOwnerEnrollmentMode" {
        CorporateOwnedDedicatedDevice = 0 => "corporateOwnedDedicatedDevice",
        CorporateOwnedFullyManaged = 1 => "corporateOwnedFullyManaged",
        CorporateOwnedWorkProfile = 2 => "corporateOwnedWorkProfile",
        CorporateOwnedAospUserlessDevice = 3 => "corporateOwnedAOSPUserlessDevice",
        CorporateOwnedAospUserAssociatedDevice = 4 => "corporateOwnedAOSPUserAssociatedDevice",
    }
);

impl EnrollmentMode {
    /// True for the two modes for devices without Google Mobile Services.
    pub fn is_aosp(self) -> bool {
        matches!(
            self,
            Self::CorporateOwnedAospUserlessDevice | Self::CorporateOwnedAospUserAssociatedDevice
        )
    }
}

graph_enum!(
    /// The kind of enrollment token.
    EnrollmentTokenType, "androidDeviceOwnerEnrollmentTokenType" {
        Default = 0 => "default",
        CorporateOwnedDedicatedDeviceWithAzureAdSharedMode = 1 => "corporateOwnedDedicatedDeviceWithAzureADSharedMode",
        DeviceStaging = 2 => "deviceStaging",
    }
);

graph_enum!(
    /// The security of the Wi-Fi network put in the QR code.
    WifiSecurityType, "aospWifiSecurityType" {
        None = 0 => "none",
        Wpa = 1 => "wpa",
        Wep = 2 => "wep",
    }
);

graph_enum!(
    /// What an enrollment-time membership target names.
    MembershipTargetType, "enrollmentTimeDeviceMembershipTargetType" {
        StaticSecurityGroup = 1 => "staticSecurityGroup",
        UnknownFutureValue = 2 => "unknownFutureValue",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_round_trip() {
        for (name, value) in EnrollmentMode::MEMBERS {
            let m = EnrollmentMode::from_name(name).unwrap();
            assert_eq!(m.value(), *value);
            assert_eq!(EnrollmentMode::from_value(*value), Some(m));
            assert_eq!(m.name(), *name);
        }
        assert_eq!(
            EnrollmentMode::from_name("corporateownedfullymanaged"),
            None
        );
        assert!(EnrollmentMode::CorporateOwnedAospUserlessDevice.is_aosp());
        assert!(!EnrollmentMode::CorporateOwnedWorkProfile.is_aosp());
    }
}
