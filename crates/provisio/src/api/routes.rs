//! The one table of what the API serves: the collections under `/beta/deviceManagement` (their
//! path segment is the entity set's declared name) and the actions bound to their entities. The
//! router, the path normalisation, the "Resource not found for the segment" message, the links
//! and context URLs of responses all read it.

use std::sync::LazyLock;

use axum::routing::{post, MethodRouter};

use super::{actions, AppState};
use crate::model::audit::AuditEvent;
use crate::model::device::ManagedDevice;
use crate::model::{Entity as _, Profile};

/// The prefix of every collection.
pub const ROOT: &str = "/beta/deviceManagement";

/// A collection and the actions bound to its entities.
#[derive(Debug)]
pub struct Collection {
    /// The collection's path segment, e.g. `androidDeviceOwnerEnrollmentProfiles`.
    pub segment: &'static str,
    /// `ROOT/segment`.
    pub path: String,
    /// The bound actions, as the path segment after an id, and their handlers.
    pub actions: Vec<(&'static str, MethodRouter<AppState>)>,
}

impl Collection {
    /// The names of its bound actions.
    pub fn action_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.actions.iter().map(|(name, _)| *name)
    }
}

/// The profiles collection and its actions (docs/API.md, Token and membership actions).
pub static PROFILES: LazyLock<Collection> = LazyLock::new(|| {
    let segment = Profile::set().name;
    Collection {
        segment,
        path: format!("{ROOT}/{segment}"),
        actions: vec![
            ("createToken", post(actions::create_token)),
            ("revokeToken", post(actions::revoke_token)),
            (
                "setEnrollmentTimeDeviceMembershipTarget",
                post(actions::set_membership_target),
            ),
            (
                "retrieveEnrollmentTimeDeviceMembershipTarget",
                post(actions::retrieve_membership_target),
            ),
            (
                "clearEnrollmentTimeDeviceMembershipTarget",
                post(actions::clear_membership_target),
            ),
        ],
    }
});

/// The managed devices collection and its actions (docs/API.md, Managed devices).
pub static DEVICES: LazyLock<Collection> = LazyLock::new(|| {
    let segment = ManagedDevice::set().name;
    Collection {
        segment,
        path: format!("{ROOT}/{segment}"),
        actions: vec![
            ("retire", post(super::devices::retire)),
            ("wipe", post(super::devices::wipe)),
        ],
    }
});

/// The audit trail: read-only, no actions; its functions are bound to the collection
/// (docs/API.md, Audit trail).
pub static AUDIT_EVENTS: LazyLock<Collection> = LazyLock::new(|| {
    let segment = AuditEvent::set().name;
    Collection {
        segment,
        path: format!("{ROOT}/{segment}"),
        actions: Vec::new(),
    }
});

/// Every collection the API serves.
pub fn collections() -> [&'static Collection; 3] {
    [&PROFILES, &DEVICES, &AUDIT_EVENTS]
}

/// Path segments that are no collection or action: the version, the singleton, the system
/// resources, and the health and readiness checks.
pub const FIXED_SEGMENTS: [&str; 8] = [
    "beta",
    "deviceManagement",
    "$count",
    "$metadata",
    "$batch",
    "healthz",
    "readyz",
    "v1.0",
];

/// Every segment the router knows, in the case Graph documents: what path normalisation maps
/// segments written in any case to.
pub static SEGMENTS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut all: Vec<&'static str> = FIXED_SEGMENTS.to_vec();
    for c in collections() {
        all.push(c.segment);
        all.extend(c.action_names());
    }
    all
});
