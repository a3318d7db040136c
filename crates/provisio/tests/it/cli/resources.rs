//! `provisio devices` and `provisio audit` against devices enrolled over the device protocol.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{members, redact_text, Cli};
use crate::common::{ok_json, TestServer};
use crate::devices::{enroll, profile_with_token, Device};

#[tokio::test]
async fn devices_are_listed_by_profile_read_retired_and_deleted() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let (lobby, lobby_token) = profile_with_token(&s, "Lobby").await;
    let (other, other_token) = profile_with_token(&s, "Other").await;
    // Names without the enrollment time, for the snapshot.
    for id in [&lobby, &other] {
        let res = s
            .patch_json(
                &s.item(id),
                &json!({"deviceNameTemplate": "Kiosk-{{SERIAL}}"}),
            )
            .await;
        assert!(res.status().is_success());
    }
    for (serial, token) in [
        ("R58N0000001", &lobby_token),
        ("R58N0000002", &lobby_token),
        ("R58N0000003", &other_token),
    ] {
        let res = enroll(&s, &Device::new(serial), token).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }
    let all = cli.json(&["devices", "list"]).await;
    assert_eq!(members(&all, "id").len(), 3);
    let by_profile = [
        "devices",
        "list",
        "--profile",
        &lobby,
        "--orderby",
        "serialNumber",
    ];
    let mine = cli.json(&by_profile).await;
    let serials: Vec<&str> = members(&mine, "serialNumber");
    assert_eq!(serials, ["R58N0000001", "R58N0000002"]);
    let table = cli.ok(&by_profile).await;
    insta::assert_snapshot!("devices_table", redact_text(&table));
    let csv = cli
        .ok(&[
            "devices",
            "list",
            "--orderby",
            "serialNumber",
            "--max",
            "1",
            "-o",
            "csv",
        ])
        .await;
    insta::assert_snapshot!("devices_csv", redact_text(&csv));

    let first = members(&mine, "id")[0].to_owned();
    let got = cli.json(&["devices", "get", &first]).await;
    assert_eq!(got["serialNumber"], "R58N0000001");
    let said = cli.ok(&["devices", "retire", &first]).await;
    assert!(
        said.starts_with(&format!("retire queued for device {first}")),
        "{said}"
    );
    let got = ok_json(
        s.get(&s.url(&format!("/beta/deviceManagement/managedDevices/{first}")))
            .await,
    )
    .await;
    assert_eq!(got["managementState"], "retirePending");
    assert_eq!(
        cli.ok(&["devices", "delete", &first]).await,
        format!("deleted device {first}\n")
    );
    cli.fails(&["devices", "get", &first], 3).await;
    cli.fails(&["devices", "retire", &first], 3).await;
}

#[tokio::test]
async fn the_audit_trail_lists_the_clients_changes_newest_first() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let id = cli.create(&["--display-name", "Audited"]).await;
    cli.ok(&["profiles", "token", "create", &id, "--valid-for", "1d"])
        .await;
    cli.ok(&["profiles", "delete", &id]).await;
    let events = cli.json(&["audit", "list", "--since", "1h"]).await;
    let activities: Vec<&str> = members(&events, "activityType");
    assert_eq!(
        activities,
        [
            "Delete AndroidDeviceOwnerEnrollmentProfile",
            "createToken AndroidDeviceOwnerEnrollmentProfile",
            "Create AndroidDeviceOwnerEnrollmentProfile",
        ]
    );
    let table = cli.ok(&["audit", "list", "--since", "1h"]).await;
    insta::assert_snapshot!("audit_table", redact_text(&table));
    let none = cli
        .json(&[
            "audit",
            "list",
            "--filter",
            "activityType eq 'retire ManagedDevice'",
        ])
        .await;
    assert_eq!(none["value"], Value::Array(vec![]));
}
