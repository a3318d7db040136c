//! Identifiers: tenants and profiles are GUIDs, shown in lower case.

use std::fmt;

use uuid::Uuid;

/// The tenant (directory) a caller acts for; every stored row carries one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub Uuid);

/// A profile's id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileId(pub Uuid);

macro_rules! guid_display {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        impl $t {
            /// Parses a GUID in its hyphenated form, in either case.
            pub fn parse(s: &str) -> Option<Self> {
                (s.len() == 36)
                    .then(|| Uuid::try_parse(s).ok())
                    .flatten()
                    .map(Self)
            }
        }
    };
}
guid_display!(TenantId);
guid_display!(ProfileId);

impl ProfileId {
    /// A new random (version 4) id.
    pub fn new_random() -> Self {
        ProfileId(Uuid::new_v4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hyphenated_guids_only() {
        let id = ProfileId::parse("A8D0245E-245E-A8D0-5E24-D0A85E24D0A8").unwrap();
        assert_eq!(id.to_string(), "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8");
        for bad in [
            "",
            "a8d0245e245ea8d05e24d0a85e24d0a8",
            "{a8d0245e-245e-a8d0-5e24-d0a85e24d0a8}",
            "x",
        ] {
            assert!(ProfileId::parse(bad).is_none(), "{bad}");
        }
    }
}
