//! The 23 members of `androidDeviceOwnerEnrollmentProfile`, in the order responses list them, with
//! what the API lets a client do with each.

/// One member of the entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Member {
    Id,
    AccountId,
    DisplayName,
    Description,
    EnrollmentMode,
    EnrollmentTokenType,
    CreatedDateTime,
    LastModifiedDateTime,
    TokenValue,
    TokenCreationDateTime,
    TokenExpirationDateTime,
    EnrolledDeviceCount,
    EnrollmentTokenUsageCount,
    QrCodeContent,
    QrCodeImage,
    RoleScopeTagIds,
    ConfigureWifi,
    WifiSsid,
    WifiPassword,
    WifiSecurityType,
    WifiHidden,
    IsTeamsDeviceProfile,
    DeviceNameTemplate,
}

/// The JSON shape of a member's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string; `nullable` says whether null is allowed.
    String {
        /// Whether null is a legal value.
        nullable: bool,
    },
    /// A GUID string.
    Guid,
    /// An Edm.Int32.
    Int32,
    /// A boolean.
    Boolean,
    /// An Edm.DateTimeOffset (RFC 3339 string).
    DateTime,
    /// An enum member name of the named enum type.
    Enum(&'static str),
    /// A collection of strings.
    StringCollection,
    /// The `mimeContent` complex type (nullable).
    MimeContent,
}

use Member::*;

impl Member {
    /// Every member, in response order.
    pub const ALL: [Member; 23] = [
        Id,
        AccountId,
        DisplayName,
        Description,
        EnrollmentMode,
        EnrollmentTokenType,
        CreatedDateTime,
        LastModifiedDateTime,
        TokenValue,
        TokenCreationDateTime,
        TokenExpirationDateTime,
        EnrolledDeviceCount,
        EnrollmentTokenUsageCount,
        QrCodeContent,
        QrCodeImage,
        RoleScopeTagIds,
        ConfigureWifi,
        WifiSsid,
        WifiPassword,
        WifiSecurityType,
        WifiHidden,
        IsTeamsDeviceProfile,
        DeviceNameTemplate,
    ];

    /// The member's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Id => "id",
            AccountId => "accountId",
            DisplayName => "displayName",
            Description => "description",
            EnrollmentMode => "enrollmentMode",
            EnrollmentTokenType => "enrollmentTokenType",
            CreatedDateTime => "createdDateTime",
            LastModifiedDateTime => "lastModifiedDateTime",
            TokenValue => "tokenValue",
            TokenCreationDateTime => "tokenCreationDateTime",
            TokenExpirationDateTime => "tokenExpirationDateTime",
            EnrolledDeviceCount => "enrolledDeviceCount",
            EnrollmentTokenUsageCount => "enrollmentTokenUsageCount",
            QrCodeContent => "qrCodeContent",
            QrCodeImage => "qrCodeImage",
            RoleScopeTagIds => "roleScopeTagIds",
            ConfigureWifi => "configureWifi",
            WifiSsid => "wifiSsid",
            WifiPassword => "wifiPassword",
            WifiSecurityType => "wifiSecurityType",
            WifiHidden => "wifiHidden",
            IsTeamsDeviceProfile => "isTeamsDeviceProfile",
            DeviceNameTemplate => "deviceNameTemplate",
        }
    }

    /// The member with this exact JSON name.
    pub fn from_name(name: &str) -> Option<Member> {
        Member::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a client may set the member on create and PATCH. The others are accepted (when
    /// well-typed) and ignored, so that a GET result can be posted back unchanged.
    pub fn client_settable(self) -> bool {
        matches!(
            self,
            DisplayName
                | Description
                | EnrollmentMode
                | EnrollmentTokenType
                | RoleScopeTagIds
                | ConfigureWifi
                | WifiSsid
                | WifiPassword
                | WifiSecurityType
                | WifiHidden
                | IsTeamsDeviceProfile
                | DeviceNameTemplate
        )
    }

    /// The JSON shape of the member's value.
    pub fn kind(self) -> Kind {
        match self {
            Id => Kind::Guid,
            AccountId | Description | TokenValue | QrCodeContent | WifiSsid | WifiPassword
            | DeviceNameTemplate => Kind::String { nullable: true },
            DisplayName => Kind::String { nullable: false },
            EnrollmentMode => Kind::Enum(super::EnrollmentMode::GRAPH_NAME),
            EnrollmentTokenType => Kind::Enum(super::EnrollmentTokenType::GRAPH_NAME),
            WifiSecurityType => Kind::Enum(super::WifiSecurityType::GRAPH_NAME),
            CreatedDateTime
            | LastModifiedDateTime
            | TokenCreationDateTime
            | TokenExpirationDateTime => Kind::DateTime,
            EnrolledDeviceCount | EnrollmentTokenUsageCount => Kind::Int32,
            QrCodeImage => Kind::MimeContent,
            RoleScopeTagIds => Kind::StringCollection,
            ConfigureWifi | WifiHidden | IsTeamsDeviceProfile => Kind::Boolean,
        }
    }

    /// Whether `$filter` and `$orderby` may use the member.
    pub fn queryable(self) -> bool {
        !matches!(self, DeviceNameTemplate | QrCodeImage | WifiPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_three_distinct_names_twelve_settable() {
        let mut names: Vec<_> = Member::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 23);
        assert_eq!(
            Member::ALL.iter().filter(|m| m.client_settable()).count(),
            12
        );
        for m in Member::ALL {
            assert_eq!(Member::from_name(m.name()), Some(m));
        }
    }
}
