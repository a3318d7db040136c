//! Secrets at rest: the data directory is private whatever the umask, token values, Wi-Fi
//! passwords and QR codes never reach a database file in plain text, equality on the token works
//! through its keyed hash, a database from before sealing is converted without loss, and a key
//! rotation seals every row anew while a process that started before it keeps working.

use std::path::Path;
use std::process::Command;

use provisio::model::{Profile, ProfileId, Sensitive, TenantId, Timestamp, Token, PROFILES};
use provisio::store::Store;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::common::{client_with_token, fresh_database_url, ok_json, open_store, TestServer};

const PASSWORD: &str = "Sealed-Pa55word-42";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// What `strings` (binutils) prints for `path`; fails saying what to install when it is missing.
fn strings(path: &Path) -> String {
    let out = Command::new("strings")
        .args(["-a", "-n", "6"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("run strings ({e}): install binutils (apt-get install binutils)")
        });
    assert!(out.status.success(), "strings {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Neither `strings` nor a search of the raw bytes finds `secrets` in any file of `dir`.
fn assert_no_plain_text(dir: &Path, secrets: &[&str]) -> usize {
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        let printed = strings(&path);
        for secret in secrets {
            assert!(
                !contains(&bytes, secret),
                "{} holds a secret",
                path.display()
            );
            assert!(
                !printed.contains(secret),
                "strings finds a secret in {}",
                path.display()
            );
        }
    }
    files
}

/// A profile with a Wi-Fi password and a token, created over HTTP; returns its id and token.
async fn profile_with_secrets(client: &reqwest::Client, base: &str) -> (String, String) {
    let collection = format!("{base}{}", crate::common::COLLECTION);
    let res = client
        .post(&collection)
        .json(&json!({
            "displayName": "Lobby tablets",
            "wifiSsid": "Lobby",
            "wifiSecurityType": "wpa",
            "wifiPassword": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    let id = ok_json(res).await["id"].as_str().unwrap().to_owned();
    let res = client
        .post(format!("{collection}/{id}/createToken"))
        .json(&json!({"tokenValidityInSeconds": 3600}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let p = ok_json(
        client
            .get(format!("{collection}/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = p["tokenValue"].as_str().unwrap().to_owned();
    assert!(p["qrCodeContent"].as_str().unwrap().contains(&token));
    (id, token)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The real binary under `umask 022`, on a data directory that exists with mode 0755 and holds a
/// file other users may read: both are tightened, every file the service creates (database,
/// `-wal`, `-shm`, key files) is 0600, and no file holds the token or the Wi-Fi password.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private_and_holds_no_secret_in_plain_text() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("notes.txt"), b"left here").unwrap();
    std::fs::set_permissions(
        dir.join("notes.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            "umask 022; exec \"$0\" serve --listen 127.0.0.1:0 --log-level warn --data-dir \"$1\"",
            env!("CARGO_BIN_EXE_provisio"),
        ])
        .arg(&dir);
    let mut p = crate::durability::spawn_command(command);
    let client = client_with_token(&p.token);
    let (_, token) = profile_with_secrets(&client, &p.base).await;

    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for expected in [
        "provisio.sqlite3",
        "provisio.sqlite3-wal",
        "provisio.sqlite3-shm",
        "sealing-keys",
        "dev-signing-key",
        "notes.txt",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for name in &names {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // While the service runs (the write-ahead log holds the new pages) and after it stopped.
    assert_no_plain_text(&dir, &[&token, PASSWORD]);
    let _ = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status();
    let _ = p.child.wait();
    assert!(assert_no_plain_text(&dir, &[&token, PASSWORD]) >= 4);
}

/// The stored values, read with SQL, are not the plain ones, on either backend; equality on the
/// token finds the profile through the hash, and the list (rendered by SQLite) shows the values.
#[tokio::test]
async fn stored_values_are_sealed_and_equality_finds_the_token() {
    let url = fresh_database_url();
    let s = TestServer::start_with(|settings| settings.database.url = url.clone()).await;
    let (id, token) = profile_with_secrets(&s.client, &s.base).await;

    let filter = |f: &str| {
        format!(
            "{}?$filter={}",
            s.collection(),
            f.replace(' ', "%20").replace('\'', "%27")
        )
    };
    let found = ok_json(s.get(&filter(&format!("tokenValue eq '{token}'"))).await).await;
    let found = found["value"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["tokenValue"], token.as_str());
    assert_eq!(found[0]["wifiPassword"], PASSWORD);
    // Case-insensitive, as every string comparison.
    let lower = token.to_lowercase();
    let found = ok_json(s.get(&filter(&format!("tokenValue eq '{lower}'"))).await).await;
    assert_eq!(found["value"].as_array().unwrap().len(), 1);
    for none in ["tokenValue eq 'NOTTHETOKEN'", "tokenValue eq null"] {
        let found = ok_json(s.get(&filter(none)).await).await;
        assert_eq!(found["value"], json!([]), "{none}");
    }
    let found = ok_json(s.get(&filter("tokenValue ne null")).await).await;
    assert_eq!(found["value"].as_array().unwrap().len(), 1);
    let refused = s
        .get(&filter(&format!(
            "startswith(tokenValue,'{}')",
            &token[..4]
        )))
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("'tokenValue'") && !body.contains(&token[..4]),
        "{body}"
    );

    // The stored values as SQL reads them, on the backend under test.
    type Raw = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, String);
    let select = "SELECT token_value, wifi_password, qr_code_content, qr_code_png, \
                  token_value_hash FROM enrollment_profiles";
    let row: Raw = match &url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_as(select).fetch_one(&pool).await.unwrap()
        }
        None => {
            let path = s.data_dir.join(provisio::store::sqlite::DB_FILE);
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(select).fetch_one(&pool).await.unwrap()
        }
    };
    let raw = [row.0, row.1, row.2, row.3, row.4.into_bytes()];
    for value in &raw {
        assert!(!contains(value, &token) && !contains(value, &lower));
        assert!(!contains(value, PASSWORD));
    }
    assert!(!raw[3].starts_with(b"\x89PNG"), "the QR image is sealed");
    s.stop().await;
}

fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(0x5ea1))
}

fn profile(n: u32) -> Profile {
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    let mut p = Profile::new(tenant(), ProfileId::new_random(), format!("p{n}"), now);
    p.token = Some(Token {
        id: uuid::Uuid::new_v4(),
        value: Sensitive::new(format!("TOKENVALUEAAAAAAAA{n:02}")),
        created: now,
        expires: now,
        qr_content: Sensitive::new(format!("{{\"token\":\"TOKENVALUEAAAAAAAA{n:02}\"}}")),
        qr_png: vec![0x89, b'P', b'N', b'G', n as u8],
    });
    p.wifi.password = Some(Sensitive::new(format!("password-{n}")));
    p
}

/// The device enrollment endpoint's lookup: found through the hash, exact after opening.
#[tokio::test]
async fn a_profile_is_found_by_its_exact_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), &fresh_database_url()).await;
    let store: &dyn Store = store.as_ref();
    let (a, b) = (profile(1), profile(2));
    store.insert(tenant(), &a).await.unwrap();
    store.insert(tenant(), &b).await.unwrap();
    let found = store
        .profile_by_token(tenant(), "TOKENVALUEAAAAAAAA02")
        .await
        .unwrap();
    assert_eq!(found, Some(b));
    for missing in ["TOKENVALUEAAAAAAAA03", "tokenvalueaaaaaaaa02", ""] {
        let found = store.profile_by_token(tenant(), missing).await.unwrap();
        assert_eq!(found, None, "{missing}");
    }
    let other = TenantId(Uuid::from_u128(0xbad));
    let found = store
        .profile_by_token(other, "TOKENVALUEAAAAAAAA01")
        .await
        .unwrap();
    assert_eq!(found, None);
    store.close().await;
}

#[path = "secrets_migration.rs"]
mod migration;
