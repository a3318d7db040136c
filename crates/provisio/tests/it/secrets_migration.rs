//! A database from before sealing, converted; a key rotation with `provisio key rotate` and
//! `key retire`, on either backend.

use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

use super::*;
use provisio::crypto::keyfile;

const PLAIN_TOKEN: &str = "PLAINTOKENVALUEABCDE";
const PLAIN_PASSWORD: &str = "old-password-1";

/// The schema of the first migration only, with one profile written as the service wrote it
/// before sealing existed (every secret in plain text).
async fn database_from_before_sealing(dir: &Path, url: &Option<String>, id: Uuid) {
    let ts = "2026-11-22T10:15:30.1234567Z";
    let insert = |png: &str| {
        format!(
            "INSERT INTO enrollment_profiles (tenant_id, id, version, display_name, \
             display_name_key, enrollment_mode, enrollment_token_type, created_at, \
             last_modified_at, token_value, token_created_at, token_expires_at, \
             role_scope_tag_ids, role_scope_tag_keys, configure_wifi, wifi_ssid, wifi_ssid_key, \
             wifi_password, wifi_security_type, wifi_hidden, is_teams_device_profile, \
             qr_code_content, qr_code_png) VALUES ('{}', '{id}', 3, 'Old', 'old', 0, 0, '{ts}', \
             '{ts}', '{PLAIN_TOKEN}', '{ts}', '{ts}', '[\"0\"]', '[\"0\"]', TRUE, 'Net', 'net', \
             '{PLAIN_PASSWORD}', 1, FALSE, FALSE, '{{\"t\":\"{PLAIN_TOKEN}\"}}', {png})",
            tenant().0
        )
    };
    let first_only = |mut m: sqlx::migrate::Migrator| {
        m.migrations = Cow::Owned(
            m.migrations
                .iter()
                .filter(|m| m.version == 1)
                .cloned()
                .collect(),
        );
        m
    };
    match url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            first_only(sqlx::migrate!("../../migrations/postgres"))
                .run(&pool)
                .await
                .unwrap();
            sqlx::query(&insert("'\\x89504e47'::bytea"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        None => {
            let path = dir.join(provisio::store::sqlite::DB_FILE);
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=rwc", path.display()))
                .await
                .unwrap();
            first_only(sqlx::migrate!("../../migrations/sqlite"))
                .run(&pool)
                .await
                .unwrap();
            sqlx::query(&insert("X'89504E47'"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

#[tokio::test]
async fn a_database_from_before_sealing_is_converted_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url();
    let id = Uuid::new_v4();
    database_from_before_sealing(dir.path(), &url, id).await;
    // What `serve` does at start-up: migrate, then seal the rows still in plain text.
    let store = open_store(dir.path(), &url).await;
    let store: &dyn Store = store.as_ref();
    store.prepare_sealing(PROFILES.layout()).await.unwrap();
    let layout = PROFILES.layout();
    let key = i64::from(store.keyring().current_id());
    assert_eq!(store.sealed_key_ids(layout).await.unwrap(), vec![Some(key)]);
    let p: Profile = store.get(tenant(), ProfileId(id)).await.unwrap().unwrap();
    assert_eq!(p.version, 3, "sealing is no change of the entity");
    let token = p.token.as_ref().unwrap();
    assert_eq!(token.value.expose(), PLAIN_TOKEN);
    assert_eq!(
        token.qr_content.expose(),
        format!("{{\"t\":\"{PLAIN_TOKEN}\"}}")
    );
    assert_eq!(token.qr_png, b"\x89PNG");
    assert_eq!(p.wifi.password.as_ref().unwrap().expose(), PLAIN_PASSWORD);
    assert_eq!(
        store.profile_by_token(tenant(), PLAIN_TOKEN).await.unwrap(),
        Some(p.clone())
    );
    // A second start finds nothing left to do.
    store.prepare_sealing(layout).await.unwrap();
    assert_eq!(store.reseal_rows(layout, false, 10).await.unwrap(), 0);
    store.close().await;
    if url.is_none() {
        assert_no_plain_text(dir.path(), &[PLAIN_TOKEN, PLAIN_PASSWORD]);
    }
}

/// Runs `provisio key <action>` on the data directory (and database) of a test store.
fn key_command(action: &str, dir: &Path, url: &Option<String>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provisio"));
    command
        .args(["key", action, "--log-level", "warn", "--data-dir"])
        .arg(dir);
    if let Some(url) = url {
        command.args(["--database-url", url]);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "key {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn rotation_seals_every_row_anew_and_a_running_process_follows() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url();
    let layout = PROFILES.layout();
    let profiles: Vec<Profile> = (1..=3).map(profile).collect();
    let running = open_store(dir.path(), &url).await;
    for p in &profiles {
        running.insert(tenant(), p).await.unwrap();
    }
    assert_eq!(running.sealed_key_ids(layout).await.unwrap(), vec![Some(1)]);
    // SQLite: the rotation runs against a stopped service. PostgreSQL: a process that started
    // before the rotation keeps running through it.
    let running = if url.is_some() {
        Some(running)
    } else {
        running.close().await;
        None
    };

    let said = key_command("rotate", dir.path(), &url);
    assert!(said.contains("sealed 3 rows with the new key 2"), "{said}");
    let key_file = dir.path().join(keyfile::KEY_FILE);
    let ids: Vec<u32> = keyfile::read(&key_file)
        .unwrap()
        .0
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, vec![2, 1]);

    let store = match running {
        Some(store) => store,
        None => open_store(dir.path(), &url).await,
    };
    for p in &profiles {
        // The running process reads the key file again when it meets key 2.
        let read: Option<Profile> = store.get(tenant(), p.id).await.unwrap();
        assert_eq!(read.as_ref(), Some(p));
    }
    let fourth = profile(4);
    store.insert(tenant(), &fourth).await.unwrap();
    assert_eq!(store.sealed_key_ids(layout).await.unwrap(), vec![Some(2)]);
    let found = store
        .profile_by_token(tenant(), "TOKENVALUEAAAAAAAA02")
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&profiles[1]));

    let said = key_command("retire", dir.path(), &url);
    assert!(said.contains("dropped the old key(s) 1"), "{said}");
    let ids: Vec<u32> = keyfile::read(&key_file)
        .unwrap()
        .0
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, vec![2]);
    for p in profiles.iter().chain([&fourth]) {
        let read: Option<Profile> = store.get(tenant(), p.id).await.unwrap();
        assert_eq!(read.as_ref(), Some(p));
    }
    store.close().await;
    if url.is_none() {
        assert_no_plain_text(dir.path(), &["TOKENVALUEAAAAAAAA", "password-"]);
    }
}
