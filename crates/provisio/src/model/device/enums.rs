//! The enum types of `managedDevice`, with every member and value Graph's metadata lists, in its
//! order.

use crate::model::entity::EnumDecl;

/// `deviceType`.
pub static DEVICE_TYPE: EnumDecl = EnumDecl {
    name: "deviceType",
    members: &[
        ("desktop", 0),
        ("windowsRT", 1),
        ("winMO6", 2),
        ("nokia", 3),
        ("windowsPhone", 4),
        ("mac", 5),
        ("winCE", 6),
        ("winEmbedded", 7),
        ("iPhone", 8),
        ("iPad", 9),
        ("iPod", 10),
        ("android", 11),
        ("iSocConsumer", 12),
        ("unix", 13),
        ("macMDM", 14),
        ("holoLens", 15),
        ("surfaceHub", 16),
        ("androidForWork", 17),
        ("androidEnterprise", 18),
        ("windows10x", 19),
        ("androidnGMS", 20),
        ("chromeOS", 21),
        ("linux", 22),
        ("visionOS", 23),
        ("tvOS", 24),
        ("blackberry", 100),
        ("palm", 101),
        ("unknown", 255),
        ("cloudPC", 257),
    ],
};

/// `deviceEnrollmentType`.
pub static DEVICE_ENROLLMENT_TYPE: EnumDecl = EnumDecl {
    name: "deviceEnrollmentType",
    members: &[
        ("unknown", 0),
        ("userEnrollment", 1),
        ("deviceEnrollmentManager", 2),
        ("appleBulkWithUser", 3),
        ("appleBulkWithoutUser", 4),
        ("windowsAzureADJoin", 5),
        ("windowsBulkUserless", 6),
        ("windowsAutoEnrollment", 7),
        ("windowsBulkAzureDomainJoin", 8),
        ("windowsCoManagement", 9),
        ("windowsAzureADJoinUsingDeviceAuth", 10),
        ("appleUserEnrollment", 11),
        ("appleUserEnrollmentWithServiceAccount", 12),
        ("azureAdJoinUsingAzureVmExtension", 14),
        ("androidEnterpriseDedicatedDevice", 15),
        ("androidEnterpriseFullyManaged", 16),
        ("androidEnterpriseCorporateWorkProfile", 17),
        ("androidAOSPUserOwnedDeviceEnrollment", 18),
        ("androidAOSPUserlessDeviceEnrollment", 19),
        ("appleAccountDrivenUserEnrollment", 25),
        ("unknownFutureValue", 26),
    ],
};

/// `managedDeviceOwnerType`.
pub static MANAGED_DEVICE_OWNER_TYPE: EnumDecl = EnumDecl {
    name: "managedDeviceOwnerType",
    members: &[
        ("unknown", 0),
        ("company", 1),
        ("personal", 2),
        ("unknownFutureValue", 3),
    ],
};

/// `ownerType`.
pub static OWNER_TYPE: EnumDecl = EnumDecl {
    name: "ownerType",
    members: &[("unknown", 0), ("company", 1), ("personal", 2)],
};

/// `managementAgentType`.
pub static MANAGEMENT_AGENT_TYPE: EnumDecl = EnumDecl {
    name: "managementAgentType",
    members: &[
        ("eas", 1),
        ("mdm", 2),
        ("easMdm", 3),
        ("intuneClient", 4),
        ("easIntuneClient", 5),
        ("configurationManagerClient", 8),
        ("configurationManagerClientMdm", 10),
        ("configurationManagerClientMdmEas", 11),
        ("unknown", 16),
        ("jamf", 32),
        ("googleCloudDevicePolicyController", 64),
        ("microsoft365ManagedMdm", 258),
        ("msSense", 1024),
        ("intuneAosp", 2048),
        ("google", 8192),
        ("unknownFutureValue", 8193),
    ],
};

/// `managementState`.
pub static MANAGEMENT_STATE: EnumDecl = EnumDecl {
    name: "managementState",
    members: &[
        ("managed", 0),
        ("retirePending", 1),
        ("retireFailed", 2),
        ("wipePending", 3),
        ("wipeFailed", 4),
        ("unhealthy", 5),
        ("deletePending", 6),
        ("retireIssued", 7),
        ("wipeIssued", 8),
        ("wipeCanceled", 9),
        ("retireCanceled", 10),
        ("discovered", 11),
        ("unknownFutureValue", 12),
    ],
};

/// `complianceState`.
pub static COMPLIANCE_STATE: EnumDecl = EnumDecl {
    name: "complianceState",
    members: &[
        ("unknown", 0),
        ("compliant", 1),
        ("noncompliant", 2),
        ("conflict", 3),
        ("error", 4),
        ("inGracePeriod", 254),
        ("configManager", 255),
    ],
};

/// `deviceRegistrationState`.
pub static DEVICE_REGISTRATION_STATE: EnumDecl = EnumDecl {
    name: "deviceRegistrationState",
    members: &[
        ("notRegistered", 0),
        ("registered", 2),
        ("revoked", 3),
        ("keyConflict", 4),
        ("approvalPending", 5),
        ("certificateReset", 6),
        ("notRegisteredPendingEnrollment", 7),
        ("unknown", 8),
    ],
};
