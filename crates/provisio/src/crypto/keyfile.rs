//! Where the sealing keys live and how they are written: a key file in the data directory by
//! default (created mode 0600 with one random key), another file, or the keys themselves in a
//! variable, for deployments that keep keys in a secret store.
//!
//! The format is text: entries `<id>:<base64url of 32 bytes>`, one per line (or separated by
//! spaces in the variable); lines starting with `#` are comments. The first entry seals new
//! values; the others only open values sealed before a rotation.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clap::Args;
use serde::Deserialize;

use super::{Key, Keyring, Keys, KEY_LEN};
use crate::config::Settings;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "sealing-keys";

/// Where the keys that seal secrets at rest are kept (TOML table `[sealing]`). A field's doc is
/// its `--help` text.
#[derive(Clone, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SealingSettings {
    /// File with the keys that seal token values, Wi-Fi passwords and QR codes in the database;
    /// created with one random key when missing [default: sealing-keys in the data directory].
    #[arg(
        long = "sealing-key-file",
        env = "PROVISIO_SEALING_KEY_FILE",
        value_name = "FILE"
    )]
    pub key_file: Option<PathBuf>,
    /// The sealing keys themselves, as the key file holds them (`<id>:<base64url>`, several
    /// separated by spaces, the sealing one first), instead of a file; prefer the variable to the
    /// flag, which other users can see [default: none, the key file is used].
    #[arg(
        long = "sealing-keys",
        env = "PROVISIO_SEALING_KEYS",
        value_name = "KEYS",
        hide_env_values = true
    )]
    pub keys: Option<String>,
}

impl Default for SealingSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl fmt::Debug for SealingSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingSettings")
            .field("key_file", &self.key_file)
            .field("keys", &self.keys.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SealingSettings {
    /// Refuses both a file and the keys, and keys that do not parse.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(text) = &self.keys {
            if self.key_file.is_some() {
                bail!("give either sealing_key_file or sealing_keys, not both");
            }
            parse(text).context("sealing_keys")?;
        }
        Ok(())
    }

    /// The key file these settings name for `data_dir`: None when the keys are given directly.
    pub fn path(&self, data_dir: &Path) -> Option<PathBuf> {
        if self.keys.is_some() {
            return None;
        }
        Some(
            self.key_file
                .clone()
                .unwrap_or_else(|| data_dir.join(KEY_FILE)),
        )
    }

    /// The key ring: from the variable, or from the key file (created with one random key when
    /// it does not exist).
    pub fn load(&self, data_dir: &Path) -> anyhow::Result<Keyring> {
        match (&self.keys, self.path(data_dir)) {
            (Some(text), _) => Keyring::new(parse(text).context("sealing_keys")?, None),
            (None, Some(path)) => load_or_create(&path),
            (None, None) => unreachable!("a path is given whenever the keys are not"),
        }
    }
}

/// The key file of `settings` (its data directory's `sealing-keys` unless another is set), or
/// None when the keys come from `sealing_keys`. Backups copy this file with the database.
pub fn key_path(settings: &Settings) -> Option<PathBuf> {
    settings.sealing.path(settings.data_dir())
}

/// The keys in `text`.
pub fn parse(text: &str) -> anyhow::Result<Keys> {
    let mut keys: Vec<Key> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        for entry in line.split_whitespace() {
            let Some((id, secret)) = entry.split_once(':') else {
                bail!("a sealing key entry is not <id>:<base64url key>");
            };
            let id: u32 = id
                .parse()
                .ok()
                .filter(|id| *id > 0)
                .context("a sealing key id is not a positive number")?;
            let secret: [u8; KEY_LEN] = URL_SAFE_NO_PAD
                .decode(secret.trim_end_matches('='))
                .ok()
                .and_then(|s| s.try_into().ok())
                .with_context(|| format!("sealing key {id} is not base64url of 32 bytes"))?;
            if keys.iter().any(|k| k.id == id) {
                bail!("sealing key {id} is given twice");
            }
            keys.push(Key::new(id, secret));
        }
    }
    if keys.is_empty() {
        bail!("no sealing key is given");
    }
    Ok(Keys(keys))
}

/// The text of a key file holding `keys`.
pub fn format(keys: &Keys) -> String {
    let mut out = String::from(
        "# provisio sealing keys. The first line seals; the others only open values sealed\n\
         # before a rotation. Losing this file loses every sealed value in the database.\n",
    );
    for k in &keys.0 {
        out.push_str(&format!(
            "{}:{}\n",
            k.id,
            URL_SAFE_NO_PAD.encode(k.secret())
        ));
    }
    out
}

/// The keys in the file at `path`.
pub fn read(path: &Path) -> anyhow::Result<Keys> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the sealing keys {}", path.display()))?;
    parse(&text).with_context(|| format!("in the sealing keys {}", path.display()))
}

/// The key ring in `path`, which is created with one random key when missing.
pub fn load_or_create(path: &Path) -> anyhow::Result<Keyring> {
    if !path.exists() {
        let keys = Keys(vec![Key::generate(1)]);
        match crate::private::create_private(path) {
            Ok(mut file) => {
                file.write_all(format(&keys).as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing {}", path.display()))?;
                // `serve` says so after its listening line.
                tracing::debug!(path = %path.display(), "generated the sealing key");
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    warn_if_open(path);
    Keyring::new(read(path)?, Some(path.to_owned()))
}

/// A key file outside the data directory is not tightened (it may be a mounted secret), but a
/// file other users can read is worth a warning.
#[cfg(unix)]
fn warn_if_open(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the sealing key file can be read by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open(_path: &Path) {}

/// Replaces the file at `path` with `keys` atomically (a new file mode 0600 beside it, flushed,
/// renamed over it), so that a reader sees the old keys or the new ones, never a part.
pub fn write(path: &Path, keys: &Keys) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .context("the key file has no name")?
        .to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.new"));
    let _ = std::fs::remove_file(&temp);
    let mut file = crate::private::create_private(&temp)
        .with_context(|| format!("creating {}", temp.display()))?;
    file.write_all(format(keys).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(dir) = path.parent() {
        // Makes the rename itself durable; not every platform can open a directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_round_trip_and_bad_ones_are_refused() {
        let keys = Keys(vec![Key::generate(2), Key::generate(1)]);
        let parsed = parse(&format(&keys)).unwrap();
        assert_eq!(parsed.0.len(), 2);
        assert_eq!(parsed.0[0].id, 2);
        assert_eq!(parsed.0[1].secret(), keys.0[1].secret());
        let one_line = format!(
            "3:{} 1:{}",
            URL_SAFE_NO_PAD.encode([7u8; 32]),
            URL_SAFE_NO_PAD.encode([8u8; 32])
        );
        assert_eq!(parse(&one_line).unwrap().0.len(), 2);
        for bad in [
            "",
            "# only a comment",
            "1:short",
            "x:AAAA",
            "0:AAAA",
            "nocolon",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(!err.contains("AAAA"), "{err}");
        }
        let twice = format!("1:{k} 1:{k}", k = URL_SAFE_NO_PAD.encode([7u8; 32]));
        assert!(parse(&twice).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_created_private_and_kept() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.lookup_hash("x"), again.lookup_hash("x"));
        let rotated = Keys(vec![Key::generate(2), first.keys().0[0].clone()]);
        write(&path, &rotated).unwrap();
        assert_eq!(load_or_create(&path).unwrap().ids(), vec![2, 1]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn debug_hides_the_keys() {
        let s = SealingSettings {
            key_file: None,
            keys: Some("1:SECRETSECRET".into()),
        };
        assert!(!format!("{s:?}").contains("SECRET"));
    }
}
