//! The kinds of change the trail records, and the texts Graph's members give them
//! (`activityType`, `activityOperationType`, `category`, `componentName`).

/// A kind of change, and how Graph's members name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// A profile or record created through the API.
    Create,
    /// A PATCH.
    Patch,
    /// A DELETE.
    Delete,
    /// `createToken`.
    CreateToken,
    /// `revokeToken`.
    RevokeToken,
    /// `setEnrollmentTimeDeviceMembershipTarget`.
    SetMembershipTarget,
    /// `clearEnrollmentTimeDeviceMembershipTarget`.
    ClearMembershipTarget,
    /// `retire` queued.
    Retire,
    /// `wipe` queued.
    Wipe,
    /// A device enrolled and got a new record; no earlier record of it was current.
    Enroll,
    /// A device proved it is the one of its current record, which was refreshed.
    ReEnroll,
    /// A device enrolled without proof of its current record: a new record supersedes it.
    Supersede,
    /// A device acknowledged `retire`: its record is removed.
    AcknowledgeRetire,
    /// A device acknowledged `wipe`.
    AcknowledgeWipe,
    /// An enrollment refused because its token's enrollments came faster than the cap.
    EnrollmentRateCapExceeded,
}

/// The categories events have.
pub const CATEGORIES: [&str; 2] = ["Device", "Enrollment"];

impl Activity {
    /// Every kind, in the order `getAuditActivityTypes` lists them.
    pub const ALL: [Activity; 15] = [
        Activity::Create,
        Activity::Patch,
        Activity::Delete,
        Activity::CreateToken,
        Activity::RevokeToken,
        Activity::SetMembershipTarget,
        Activity::ClearMembershipTarget,
        Activity::EnrollmentRateCapExceeded,
        Activity::Enroll,
        Activity::ReEnroll,
        Activity::Supersede,
        Activity::Retire,
        Activity::Wipe,
        Activity::AcknowledgeRetire,
        Activity::AcknowledgeWipe,
    ];

    /// The verb of `activityType` and its `activityOperationType`.
    pub(super) fn verb(self) -> (&'static str, &'static str) {
        match self {
            Activity::Create => ("Create", "Create"),
            Activity::Patch => ("Patch", "Patch"),
            Activity::Delete => ("Delete", "Delete"),
            Activity::CreateToken => ("createToken", "Action"),
            Activity::RevokeToken => ("revokeToken", "Action"),
            Activity::SetMembershipTarget => ("setEnrollmentTimeDeviceMembershipTarget", "Action"),
            Activity::ClearMembershipTarget => {
                ("clearEnrollmentTimeDeviceMembershipTarget", "Action")
            }
            Activity::Retire => ("retire", "Action"),
            Activity::Wipe => ("wipe", "Action"),
            Activity::Enroll => ("Enroll", "Create"),
            Activity::ReEnroll => ("Re-enroll", "Patch"),
            Activity::Supersede => ("Supersede", "Create"),
            Activity::AcknowledgeRetire => ("Acknowledge retire", "Delete"),
            Activity::AcknowledgeWipe => ("Acknowledge wipe", "Patch"),
            Activity::EnrollmentRateCapExceeded => ("Enrollment rate cap exceeded", "Action"),
        }
    }

    /// The entity type the change is about, as `activityType` names it, when it is always the
    /// same (the API's create, PATCH and DELETE name the set they act on).
    fn subject(self) -> Option<&'static str> {
        match self {
            Activity::Create | Activity::Patch | Activity::Delete => None,
            Activity::CreateToken
            | Activity::RevokeToken
            | Activity::SetMembershipTarget
            | Activity::ClearMembershipTarget
            | Activity::EnrollmentRateCapExceeded => Some(PROFILE_TYPE),
            _ => Some(DEVICE_TYPE),
        }
    }

    /// `activityType` for a change of an entity of `type_name` (in Graph's spelling, e.g.
    /// `androidDeviceOwnerEnrollmentProfile`): `Create AndroidDeviceOwnerEnrollmentProfile`.
    pub fn activity_type(self, type_name: &str) -> String {
        let subject = self.subject().unwrap_or(type_name);
        let mut chars = subject.chars();
        let upper: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        format!("{} {upper}", self.verb().0)
    }

    /// `category` and `componentName` for a change of an entity of `type_name`.
    pub fn category(self, type_name: &str) -> (&'static str, &'static str) {
        match self.subject().unwrap_or(type_name) {
            PROFILE_TYPE => ("Enrollment", "Enrollment"),
            _ => match self {
                Activity::Enroll | Activity::ReEnroll | Activity::Supersede => {
                    ("Enrollment", "Enrollment")
                }
                _ => ("Device", "Devices"),
            },
        }
    }

    /// Every `activityType` of `category` (compared case-insensitively); none for a category
    /// the service does not write.
    pub fn types_of(category: &str) -> Vec<String> {
        let mut out = Vec::new();
        for a in Activity::ALL {
            let subjects = match a.subject() {
                Some(s) => vec![s],
                None => vec![PROFILE_TYPE, DEVICE_TYPE],
            };
            for s in subjects {
                // The API creates no managed devices: records come from enrollments.
                if a == Activity::Create && s == DEVICE_TYPE {
                    continue;
                }
                let t = a.activity_type(s);
                if a.category(s).0.eq_ignore_ascii_case(category) && !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }
}

/// The profile's entity type.
const PROFILE_TYPE: &str = "androidDeviceOwnerEnrollmentProfile";
/// The managed device's entity type.
const DEVICE_TYPE: &str = "managedDevice";
