//! What a caller may do: the two Graph permissions this resource knows, read from a token's `scp`
//! (delegated, space-separated) and `roles` (application) claims, and which one a request needs.

use axum::http::Method;

use crate::model::TenantId;

/// Lets a caller read profiles.
pub const READ_ALL: &str = "DeviceManagementConfiguration.Read.All";
/// Lets a caller read, create, change and delete profiles and call every action.
pub const READ_WRITE_ALL: &str = "DeviceManagementConfiguration.ReadWrite.All";

/// Lets a caller read managed devices.
pub const DEVICES_READ_ALL: &str = "DeviceManagementManagedDevices.Read.All";
/// Lets a caller change, delete and retire managed devices.
pub const DEVICES_READ_WRITE_ALL: &str = "DeviceManagementManagedDevices.ReadWrite.All";
/// Lets a caller wipe managed devices.
pub const DEVICES_PRIVILEGED: &str = "DeviceManagementManagedDevices.PrivilegedOperations.All";

/// Lets a caller read the audit trail (Graph documents it for `auditEvents`).
pub const AUDIT_READ_ALL: &str = "DeviceManagementApps.Read.All";
/// Also lets a caller read the audit trail (the trail itself is read-only).
pub const AUDIT_READ_WRITE_ALL: &str = "DeviceManagementApps.ReadWrite.All";

/// The permissions a token grants for this service's resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// `DeviceManagementConfiguration.Read.All`.
    pub read: bool,
    /// `DeviceManagementConfiguration.ReadWrite.All` (implies read).
    pub write: bool,
    /// `DeviceManagementManagedDevices.Read.All`.
    pub devices_read: bool,
    /// `DeviceManagementManagedDevices.ReadWrite.All` (implies read).
    pub devices_write: bool,
    /// `DeviceManagementManagedDevices.PrivilegedOperations.All` (wipe).
    pub devices_privileged: bool,
    /// `DeviceManagementApps.Read.All` or `.ReadWrite.All`: the audit trail.
    pub audit_read: bool,
}

/// What a request does with the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// GET (and HEAD).
    Read,
    /// POST, PATCH, DELETE: creates, changes, deletes and every action, even those that only
    /// return data (Graph declares them all as ReadWrite).
    Write,
}

impl Access {
    /// The access a request with this method needs.
    pub fn for_method(method: &Method) -> Access {
        if method == Method::GET || method == Method::HEAD {
            Access::Read
        } else {
            Access::Write
        }
    }

    /// The 403 message, naming the permission that is missing.
    pub fn forbidden_message(self) -> String {
        match self {
            Access::Read => format!(
                "The caller is not authorized to perform this operation: it needs one of the permissions {READ_ALL} or {READ_WRITE_ALL} (scp or roles)."
            ),
            Access::Write => format!(
                "The caller is not authorized to perform this operation: it needs the permission {READ_WRITE_ALL} (scp or roles)."
            ),
        }
    }
}

impl Permissions {
    /// The permissions among `names` (scope or role values; other values are ignored). Names
    /// compare case-insensitively, as Entra ID treats them.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut p = Permissions::default();
        for name in names {
            let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
            p.write |= is(READ_WRITE_ALL);
            p.read |= is(READ_ALL);
            p.devices_write |= is(DEVICES_READ_WRITE_ALL);
            p.devices_read |= is(DEVICES_READ_ALL);
            p.devices_privileged |= is(DEVICES_PRIVILEGED);
            p.audit_read |= is(AUDIT_READ_ALL) || is(AUDIT_READ_WRITE_ALL);
        }
        p
    }

    /// Whether these permissions allow `access` to profiles.
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => self.read || self.write,
            Access::Write => self.write,
        }
    }

    /// Whether these permissions allow `access` to managed devices.
    pub fn allows_devices(self, access: Access) -> bool {
        match access {
            Access::Read => self.devices_read || self.devices_write,
            Access::Write => self.devices_write,
        }
    }
}

impl Access {
    /// The 403 message for managed devices, naming the permission that is missing.
    pub fn devices_forbidden_message(self) -> String {
        match self {
            Access::Read => format!(
                "The caller is not authorized to perform this operation: it needs one of the permissions {DEVICES_READ_ALL} or {DEVICES_READ_WRITE_ALL} (scp or roles)."
            ),
            Access::Write => format!(
                "The caller is not authorized to perform this operation: it needs the permission {DEVICES_READ_WRITE_ALL} (scp or roles)."
            ),
        }
    }
}

/// A verified caller: the tenant, what it may do, and who it is (for the log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The token's `tid`.
    pub tenant: TenantId,
    /// From `scp` and `roles`.
    pub permissions: Permissions,
    /// The token's `oid` (the user, or the application's service principal).
    pub object_id: Option<String>,
    /// The client application: `appid` (v1 tokens) or `azp` (v2 tokens).
    pub app_id: Option<String>,
    /// True for application tokens (`roles`, no `scp`).
    pub app_only: bool,
    /// The signed-in user's name: `upn`, else `preferred_username` (for the audit trail).
    pub user_principal_name: Option<String>,
    /// The client application's name, `app_displayname` (for the audit trail).
    pub app_name: Option<String>,
}

impl Identity {
    /// The caller as the request log shows it: never the token, and only characters that cannot
    /// forge a log line.
    pub fn log_label(&self) -> String {
        format!(
            "tid={} oid={} app={}{}",
            self.tenant,
            clean(self.object_id.as_deref()),
            clean(self.app_id.as_deref()),
            if self.app_only { " app-only" } else { "" }
        )
    }
}

fn clean(v: Option<&str>) -> String {
    match v {
        None => "-".to_owned(),
        Some(s) => s
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._:@".contains(c) {
                    c
                } else {
                    '?'
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read_and_other_names_grant_nothing() {
        let rw =
            Permissions::from_names(["User.Read", "deviceManagementConfiguration.readWrite.all"]);
        assert!(rw.allows(Access::Read) && rw.allows(Access::Write));
        let r = Permissions::from_names([READ_ALL]);
        assert!(r.allows(Access::Read) && !r.allows(Access::Write));
        let none = Permissions::from_names(["DeviceManagementConfiguration.Read", "User.Read"]);
        assert!(!none.allows(Access::Read));
        assert_eq!(Access::for_method(&Method::POST), Access::Write);
        assert_eq!(Access::for_method(&Method::GET), Access::Read);
        assert!(Access::Write.forbidden_message().contains(READ_WRITE_ALL));
    }

    #[test]
    fn log_label_cannot_inject_lines() {
        let id = Identity {
            tenant: TenantId(uuid::Uuid::nil()),
            permissions: Permissions::default(),
            object_id: Some("a\nb c=\"d\"".into()),
            app_id: None,
            app_only: true,
            user_principal_name: None,
            app_name: None,
        };
        assert_eq!(
            id.log_label(),
            "tid=00000000-0000-0000-0000-000000000000 oid=a?b?c??d? app=- app-only"
        );
    }
}
