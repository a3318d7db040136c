//! The device's state file: the server it enrolled with, its record, and its secret — what a DPC
//! keeps in its private storage. The file is JSON, created mode 0600 and replaced atomically (a
//! new file beside it, flushed, then renamed over it), so a crash leaves either the old state or
//! the new one, never half of one, and never a copy others can read.
//!
//! It is written once before enrolling (server and secret: the secret must survive a crash
//! between the request and its answer, since the server may have recorded its hash) and again
//! with the record once enrolled.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::Sensitive;

/// The state file used when `--state` is not given, in the current directory.
pub const DEFAULT_STATE_FILE: &str = "provisio-device.json";

/// What the device keeps between commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceState {
    /// The base URL the device enrolled with.
    pub server_url: String,
    /// The tenant, as the token check answered.
    pub tenant_id: Option<String>,
    /// The device's record; `None` while the enrollment has no answer yet.
    pub managed_device_id: Option<String>,
    /// The device's name on the server.
    pub device_name: Option<String>,
    /// The profile whose token enrolled it.
    pub enrollment_profile_id: Option<String>,
    /// The profile's enrollment mode.
    pub enrollment_mode: Option<String>,
    /// The secret whose SHA-256 the server holds; sent as `Authorization: Device <secret>`.
    #[serde(serialize_with = "expose", deserialize_with = "wrap")]
    pub device_secret: Sensitive,
}

fn expose<S: Serializer>(secret: &Sensitive, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

fn wrap<'de, D: Deserializer<'de>>(d: D) -> Result<Sensitive, D::Error> {
    String::deserialize(d).map(Sensitive::new)
}

impl DeviceState {
    /// Whether the server has answered the enrollment.
    pub fn is_enrolled(&self) -> bool {
        self.managed_device_id.is_some()
    }

    /// The state in `path`, or `None` when there is no such file.
    pub fn load(path: &Path) -> anyhow::Result<Option<Self>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is not a provisio device state file", path.display()))
    }

    /// Writes the state to `path` atomically, mode 0600.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        crate::private::replace_private(path, &json)
            .with_context(|| format!("writing the device state {}", path.display()))
    }

    /// Deletes the state file.
    pub fn remove(path: &Path) -> anyhow::Result<()> {
        std::fs::remove_file(path).with_context(|| format!("deleting {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> DeviceState {
        DeviceState {
            server_url: "http://127.0.0.1:8080".into(),
            tenant_id: Some("00000000-0000-0000-0000-000000000001".into()),
            managed_device_id: None,
            device_name: None,
            enrollment_profile_id: None,
            enrollment_mode: None,
            device_secret: Sensitive::new("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I"),
        }
    }

    #[test]
    fn a_state_round_trips_and_replaces_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.json");
        assert_eq!(DeviceState::load(&path).unwrap(), None);
        let mut state = sample();
        state.save(&path).unwrap();
        assert_eq!(DeviceState::load(&path).unwrap().unwrap(), state);
        assert!(!state.is_enrolled());
        state.managed_device_id = Some("4b0a2c43-8f0e-4a57-9b3e-7f5e0d6b2a11".into());
        state.device_name = Some("Kiosk-1234".into());
        state.save(&path).unwrap();
        let read = DeviceState::load(&path).unwrap().unwrap();
        assert!(read.is_enrolled());
        assert_eq!(read, state);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"deviceSecret\": \"c2VjcmV0"), "{text}");
        assert!(!format!("{read:?}").contains("c2VjcmV0"));
        // Only the state file is left: no temporary file beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        DeviceState::remove(&path).unwrap();
        assert_eq!(DeviceState::load(&path).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_private_whatever_was_there_before() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.json");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        sample().save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        // A stale temporary file from a crash, readable by others, is not reused.
        let stale = dir.path().join(".device.json.tmp");
        std::fs::write(&stale, b"old").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        sample().save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(!stale.exists());
    }

    #[test]
    fn a_file_that_is_not_a_state_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qr.png");
        std::fs::write(&path, b"\x89PNG").unwrap();
        let err = DeviceState::load(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("qr.png is not a provisio device state file"),
            "{err}"
        );
    }
}
