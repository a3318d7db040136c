//! CSV and JSON lines, typed as the members declare; a rerun creates nothing; `--update`
//! changes what exists.

use serde_json::json;

use super::{args, by_name, csv_of, import, target};
use crate::common::TestServer;

#[tokio::test]
async fn a_csv_file_is_imported_typed_and_a_rerun_creates_nothing() {
    // Three units of a hundred rows (the last one partial), twelve batches.
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.csv");
    std::fs::write(&file, csv_of(230, "Kiosk")).unwrap();
    let t = target(&s, &s.base);

    let (summary, out) = import(&t, &args(&file)).await;
    assert_eq!(
        (summary.created, summary.failed, summary.rows),
        (230, 0, 230),
        "{out}"
    );
    assert_eq!(summary.exit_code(), 0);
    assert!(out.contains("230 created, 0 updated, 0 skipped"), "{out}");
    // Every row done: the state file is gone, so a later run asks the server afresh.
    assert!(!summary.state_kept);
    assert!(!dir.path().join("profiles.csv.import-state").exists());

    let profiles = by_name(&s).await;
    assert_eq!(profiles.len(), 230);
    let p = &profiles["Kiosk 7"];
    assert_eq!(p["description"], "Site 7, floor 2");
    assert_eq!(p["enrollmentMode"], "corporateOwnedFullyManaged");
    assert_eq!(p["wifiSsid"], "net7");
    assert_eq!(p["wifiSecurityType"], "wpa");
    assert_eq!(p["wifiHidden"], false);
    assert_eq!(p["roleScopeTagIds"], json!(["0", "7"]));
    assert_eq!(profiles["Kiosk 8"]["wifiHidden"], true);

    // Run again: every key is found on the server, nothing is created.
    let (again, out) = import(&t, &args(&file)).await;
    assert_eq!(
        (again.created, again.skipped, again.failed),
        (0, 230, 0),
        "{out}"
    );
    assert_eq!(s.list_all().await.len(), 230);
}

#[tokio::test]
async fn json_lines_are_imported_and_update_changes_existing_profiles() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.jsonl");
    let lines = |description: &str| {
        (0..25)
            .map(|i| {
                json!({"displayName": format!("Desk {i}"), "description": description,
                       "configureWifi": false, "roleScopeTagIds": ["0"]})
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    std::fs::write(&file, lines("first")).unwrap();
    // One of them is on the server already.
    s.create(json!({"displayName": "Desk 3", "description": "made by hand"}))
        .await;
    let t = target(&s, &s.base);

    let (summary, out) = import(&t, &args(&file)).await;
    assert_eq!((summary.created, summary.skipped), (24, 1), "{out}");
    let profiles = by_name(&s).await;
    assert_eq!(profiles.len(), 25);
    assert_eq!(profiles["Desk 3"]["description"], "made by hand");
    assert_eq!(profiles["Desk 4"]["configureWifi"], false);

    std::fs::write(&file, lines("second")).unwrap();
    let mut update = args(&file);
    update.update = true;
    let (summary, out) = import(&t, &update).await;
    assert_eq!((summary.created, summary.updated), (0, 25), "{out}");
    let profiles = by_name(&s).await;
    assert!(profiles.values().all(|p| p["description"] == "second"));
}

#[tokio::test]
async fn another_key_column_decides_what_is_the_same_profile() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("by-ssid.data");
    std::fs::write(
        &file,
        "wifiSsid,displayName\nlobby,Lobby kiosks\nstore,Store tablets\n",
    )
    .unwrap();
    s.create(json!({"displayName": "Old lobby", "wifiSsid": "lobby"}))
        .await;
    let t = target(&s, &s.base);
    let mut a = args(&file);
    a.key = "wifiSsid".into();
    // No extension the importer knows: the format must be named.
    let mut out = Vec::new();
    let e = provisio::client::import::run_until(&t, &a, &mut out, std::future::pending())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("--format csv"), "{e}");
    a.format = Some(provisio::client::import::rows::Format::Csv);
    let (summary, out) = import(&t, &a).await;
    assert_eq!((summary.created, summary.skipped), (1, 1), "{out}");
    let names: Vec<String> = by_name(&s).await.into_keys().collect();
    assert!(names.contains(&"Store tablets".to_owned()), "{names:?}");
    assert!(!names.contains(&"Lobby kiosks".to_owned()), "{names:?}");
}
