//! `provisio key rotate` and `provisio key retire`: replacing the key that seals secrets at rest.
//!
//! `rotate` puts a new random key first in the key file (so it seals from now on) and keeps the
//! old ones after it (so they still open), writes the file atomically, then seals every row of
//! the database anew under the new key and recomputes the lookup hashes. Processes that share the
//! key file read it again the first time they meet a value sealed with a key they do not know,
//! so they keep working during and after the rotation. `retire` runs once every process uses the
//! new key file: it seals anew what processes still on the old file wrote meanwhile, checks that
//! no row names another key, and drops the old keys from the file.

use std::sync::Arc;

use anyhow::{bail, Context as _};

use crate::config::Settings;
use crate::crypto::keyfile::{self, key_path};
use crate::crypto::{Key, Keyring, Keys};
use crate::model::layout::Layout;
use crate::model::PROFILES;
use crate::store::Store;

/// The entity sets with sealed members.
fn sealed_sets() -> [&'static Layout; 1] {
    [PROFILES.layout()]
}

/// The key file of `settings`, which rotation needs (keys given in a variable are rotated by
/// whoever keeps them).
fn file(settings: &Settings) -> anyhow::Result<std::path::PathBuf> {
    key_path(settings).context(
        "the sealing keys come from sealing_keys, not a file: put a new key (`<id>:<base64url of \
         32 random bytes>`) first in it, restart, and run this command with a key file instead",
    )
}

/// Opens the configured store with `keys`, migrated and checked as `serve` does.
async fn open(settings: &Settings, keys: Keyring) -> anyhow::Result<Arc<dyn Store>> {
    crate::private::secure_data_dir(settings.data_dir())?;
    crate::store::open(
        &settings.database,
        settings.data_dir(),
        settings.sqlite_tuning(),
        settings.queries.limits(),
        Arc::new(keys),
    )
    .await
}

/// Seals every row under the current key and checks that no row names another.
async fn reseal_all(store: &dyn Store) -> anyhow::Result<u64> {
    let current = i64::from(store.keyring().current_id());
    let mut total = 0;
    for layout in sealed_sets() {
        total += store.reseal(layout, true).await?;
        let ids = store.sealed_key_ids(layout).await?;
        if ids.iter().any(|id| *id != Some(current)) {
            bail!(
                "rows of {} are still sealed with another key (a process still writing with the \
                 old key file?); run the command again",
                layout.table
            );
        }
    }
    Ok(total)
}

/// Adds a new sealing key and seals every row under it; returns what to tell the operator.
pub async fn rotate(settings: &Settings) -> anyhow::Result<String> {
    let path = file(settings)?;
    let old = keyfile::read(&path)?;
    let id = old.0.iter().map(|k| k.id).max().unwrap_or(0) + 1;
    // Check the old keys against the database before changing anything.
    let store = open(settings, Keyring::new(old.clone(), Some(path.clone()))?).await?;
    store.close().await;
    let mut keys = vec![Key::generate(id)];
    keys.extend(old.0);
    let keys = Keys(keys);
    keyfile::write(&path, &keys)?;
    tracing::info!(path = %path.display(), key = id, "added a new sealing key");
    let store = open(settings, Keyring::new(keys.clone(), Some(path.clone()))?).await?;
    let result = reseal_all(store.as_ref()).await;
    store.close().await;
    let rows = result?;
    let retired: Vec<String> = keys.0[1..].iter().map(|k| k.id.to_string()).collect();
    Ok(format!(
        "provisio: sealed {rows} rows with the new key {id} in {path}; the old key(s) {} stay \
         there to open values until `provisio key retire`, which you run once every process \
         uses this key file",
        retired.join(", "),
        path = path.display()
    ))
}

/// Drops every key but the sealing one from the key file, after sealing anew what still
/// needs it; returns what to tell the operator.
pub async fn retire(settings: &Settings) -> anyhow::Result<String> {
    let path = file(settings)?;
    let keys = keyfile::read(&path)?;
    let store = open(settings, Keyring::new(keys.clone(), Some(path.clone()))?).await?;
    let result = reseal_all(store.as_ref()).await;
    store.close().await;
    let rows = result?;
    let Some(current) = keys.0.first().cloned() else {
        bail!("no sealing key");
    };
    let dropped: Vec<String> = keys.0[1..].iter().map(|k| k.id.to_string()).collect();
    keyfile::write(&path, &Keys(vec![current.clone()]))?;
    Ok(format!(
        "provisio: sealed {rows} more rows with key {}; dropped the old key(s) {} from {}",
        current.id,
        if dropped.is_empty() {
            "(none)".to_owned()
        } else {
            dropped.join(", ")
        },
        path.display()
    ))
}
