//! Secrets at rest: the sealing keys and what they do. Token values, Wi-Fi passwords and the QR
//! payload and image are stored sealed with AES-256-GCM-SIV (RustCrypto's `aes-gcm-siv`, random
//! 96-bit nonces: the cipher resists nonce reuse, so no nonce bookkeeping is needed across
//! processes) under a key kept outside the database ([`keyfile`]). It was chosen over
//! XChaCha20-Poly1305 because a list page opens three sealed members per row: in a release
//! build, opening the 303 values of a 101-row page (two of 20 bytes and one of 330 per row)
//! took 0.24 ms with it against 0.77 ms (AES-NI and carry-less multiplication, which the crates
//! detect at run time). Equality lookups (`$filter=tokenValue eq
//! '...'`, a device presenting its token) compare an HMAC-SHA256 of the value under a key derived
//! from the same master key, stored beside the sealed value.
//!
//! A sealed value is `0x01`, the key id (4 bytes, big-endian), the nonce (12 bytes), then the
//! ciphertext and its tag. The key id lets a database hold values sealed under several keys
//! while a rotation runs (`provisio key rotate`). The associated data binds each value to its
//! table, column, tenant and row, so a sealed value copied into another row does not open.

pub mod keyfile;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use aes_gcm_siv::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use anyhow::{anyhow, bail, Context as _};
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::Sha256;

pub use keyfile::{key_path, SealingSettings};

/// The first byte of every sealed value (the format's version).
const FORMAT: u8 = 1;
/// Bytes before the ciphertext: format, key id, nonce.
const HEADER: usize = 1 + 4 + NONCE_LEN;
/// Length of a nonce.
const NONCE_LEN: usize = 12;
/// Length of a master key.
pub const KEY_LEN: usize = 32;

/// One master key and what is derived from it.
#[derive(Clone)]
pub struct Key {
    /// Its id, stored with every value it seals.
    pub id: u32,
    secret: [u8; KEY_LEN],
    cipher: Aes256GcmSiv,
    lookup: [u8; KEY_LEN],
}

impl Key {
    /// The key with this id and secret.
    pub fn new(id: u32, secret: [u8; KEY_LEN]) -> Key {
        Key {
            id,
            cipher: Aes256GcmSiv::new(&derive(&secret, b"provisio seal v1").into()),
            lookup: derive(&secret, b"provisio lookup v1"),
            secret,
        }
    }

    /// A new random key.
    pub fn generate(id: u32) -> Key {
        let mut secret = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Key::new(id, secret)
    }

    /// The master secret (for writing the key file).
    pub fn secret(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }

    /// What the database remembers of this key to recognise it (never the key itself): an HMAC
    /// of a fixed text under a key derived from it.
    pub fn check_value(&self) -> Vec<u8> {
        derive(&self.secret, b"provisio key check v1").to_vec()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// HMAC-SHA256 of `label` under `secret`: a sub-key for one purpose.
fn derive(secret: &[u8], label: &[u8]) -> [u8; KEY_LEN] {
    let mut mac =
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// The keys: the first seals, every one opens.
#[derive(Clone, Debug)]
pub struct Keys(pub Vec<Key>);

impl Keys {
    fn current(&self) -> &Key {
        // A key ring is never empty (`keyfile::parse` refuses that).
        &self.0[0]
    }

    fn by_id(&self, id: u32) -> Option<&Key> {
        self.0.iter().find(|k| k.id == id)
    }
}

/// The sealing keys of a process. When a value names a key it does not have and the keys came
/// from a file, the file is read again (a rotation may have added the key), so processes that
/// share one key file follow a rotation without a restart.
pub struct Keyring {
    keys: RwLock<Arc<Keys>>,
    file: Option<PathBuf>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("ids", &self.ids())
            .field("file", &self.file)
            .finish()
    }
}

impl Keyring {
    /// A key ring of `keys` (first seals), read from `file` if given.
    pub fn new(keys: Keys, file: Option<PathBuf>) -> anyhow::Result<Keyring> {
        if keys.0.is_empty() {
            bail!("no sealing key");
        }
        Ok(Keyring {
            keys: RwLock::new(Arc::new(keys)),
            file,
        })
    }

    /// A key ring of one new random key, kept in no file: for tests and tools.
    pub fn ephemeral() -> Keyring {
        Keyring {
            keys: RwLock::new(Arc::new(Keys(vec![Key::generate(1)]))),
            file: None,
        }
    }

    fn snapshot(&self) -> Arc<Keys> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The keys, the sealing one first.
    pub fn keys(&self) -> Arc<Keys> {
        self.snapshot()
    }

    /// The ids of the keys, the sealing one first.
    pub fn ids(&self) -> Vec<u32> {
        self.snapshot().0.iter().map(|k| k.id).collect()
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> u32 {
        self.snapshot().current().id
    }

    /// The file the keys came from, if any.
    pub fn file(&self) -> Option<&PathBuf> {
        self.file.as_ref()
    }

    /// Reads the key file again; true when it now has key `id`.
    fn reload_for(&self, id: u32) -> bool {
        let Some(path) = &self.file else {
            return false;
        };
        match keyfile::read(path) {
            Ok(keys) if keys.by_id(id).is_some() => {
                tracing::info!(path = %path.display(), key = id, "read the sealing keys again: a value named a key this process did not have");
                match self.keys.write() {
                    Ok(mut k) => *k = Arc::new(keys),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
                }
                true
            }
            _ => false,
        }
    }

    /// `plaintext` sealed under the current key, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let keys = self.snapshot();
        let key = keys.current();
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption fails only for inputs beyond 256 GiB.
        let ciphertext = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER + ciphertext.len());
        out.push(FORMAT);
        out.extend_from_slice(&key.id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// The key id a sealed value names.
    pub fn key_id_of(sealed: &[u8]) -> anyhow::Result<u32> {
        match sealed {
            [FORMAT, a, b, c, d, ..] if sealed.len() >= HEADER + 16 => {
                Ok(u32::from_be_bytes([*a, *b, *c, *d]))
            }
            _ => bail!("a stored value is not sealed in a format this version knows"),
        }
    }

    /// The plaintext of a sealed value; an error (which never shows the value) when the key is
    /// missing or the value was changed or moved.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> anyhow::Result<Vec<u8>> {
        let id = Keyring::key_id_of(sealed)?;
        let mut keys = self.snapshot();
        if keys.by_id(id).is_none() && self.reload_for(id) {
            keys = self.snapshot();
        }
        let key = keys.by_id(id).ok_or_else(|| {
            anyhow!("a stored value is sealed with key {id}, which the sealing keys do not have")
        })?;
        key.cipher
            .decrypt(
                Nonce::from_slice(&sealed[5..HEADER]),
                Payload {
                    msg: &sealed[HEADER..],
                    aad,
                },
            )
            .map_err(|_| anyhow!("a stored value sealed with key {id} does not open: it was changed, moved to another row, or the key is not the one that sealed it"))
    }

    /// The lookup hash of `value` under the current key, as stored.
    pub fn lookup_hash(&self, value: &str) -> String {
        hash_with(self.snapshot().current(), value)
    }

    /// The lookup hashes of `value` under every key (a rotation leaves rows hashed under either
    /// until it has finished), without repeats.
    pub fn lookup_hashes(&self, value: &str) -> Vec<String> {
        let hashes: BTreeSet<String> = self
            .snapshot()
            .0
            .iter()
            .map(|k| hash_with(k, value))
            .collect();
        hashes.into_iter().collect()
    }
}

/// HMAC-SHA256 of `value` under the lookup key of `key`, in lower-case hex (so the query
/// compiler's case folding leaves it as it is).
fn hash_with(key: &Key, value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(&key.lookup).unwrap_or_else(|_| unreachable!());
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths (so that a
/// comparison with a secret tells nothing of where it differs). Written here because it is four
/// lines; `hmac`'s own comparison works on MACs only.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// UTF-8 text out of an opened value.
pub fn text(plain: Vec<u8>) -> anyhow::Result<String> {
    String::from_utf8(plain).context("an opened value is not UTF-8 text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_binding() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal(b"WINFPMWZHDMYATCYIHVK", b"t/c/1");
        assert!(!sealed.windows(4).any(|w| w == b"WINF"));
        assert_eq!(
            ring.open(&sealed, b"t/c/1").unwrap(),
            b"WINFPMWZHDMYATCYIHVK"
        );
        let moved = ring.open(&sealed, b"t/c/2").unwrap_err().to_string();
        assert!(moved.contains("does not open"), "{moved}");
        assert!(!moved.contains("WINF"));
        let other = Keyring::ephemeral();
        assert!(other.open(&sealed, b"t/c/1").is_err());
        assert_ne!(ring.seal(b"x", b""), ring.seal(b"x", b""), "random nonces");
        assert!(ring.open(b"plain text", b"").is_err());
    }

    #[test]
    fn lookup_hashes_cover_every_key_and_differ_per_key() {
        let old = Key::generate(1);
        let new = Key::generate(2);
        let ring = Keyring::new(Keys(vec![new.clone(), old.clone()]), None).unwrap();
        let hashes = ring.lookup_hashes("abc");
        assert_eq!(hashes.len(), 2);
        assert!(hashes.contains(&hash_with(&old, "abc")));
        assert_eq!(ring.lookup_hash("abc"), hash_with(&new, "abc"));
        assert_eq!(ring.lookup_hash("abc").len(), 64);
        assert_ne!(ring.lookup_hash("abc"), ring.lookup_hash("abd"));
        // A value sealed by the old key still opens; new values use the new one.
        let only_old = Keyring::new(Keys(vec![old]), None).unwrap();
        let sealed = only_old.seal(b"v", b"");
        assert_eq!(ring.open(&sealed, b"").unwrap(), b"v");
        assert_eq!(Keyring::key_id_of(&ring.seal(b"v", b"")).unwrap(), 2);
    }
}
