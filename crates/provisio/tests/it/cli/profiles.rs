//! `provisio profiles`: every command and output format, paging, and the exit codes.

use serde_json::{json, Value};

use super::{closed_port, members, read_private, redact_text, Cli};
use crate::common::{redact, TestServer};

#[tokio::test]
async fn profiles_are_created_read_changed_and_deleted_in_every_format() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);

    // Member flags; the table shows every member.
    let table = cli
        .ok(&[
            "profiles",
            "create",
            "--display-name",
            "Front desk kiosks",
            "--mode",
            "corporateOwnedDedicatedDevice",
            "--wifi-ssid",
            "Lobby",
            "--wifi-security",
            "wpa",
            "--wifi-password",
            "correct horse",
            "--device-name-template",
            "Kiosk-{{SERIAL}}",
            "--role-scope-tag",
            "0",
            "--role-scope-tag",
            "7",
        ])
        .await;
    insta::assert_snapshot!("create_table", redact_text(&table));
    let id = s.list_all().await[0]["id"].as_str().unwrap().to_owned();

    // A whole body from a file, with a flag over it; -o json is the Graph entity.
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(
        &body,
        json!({"displayName": "from the file", "description": "Warehouse, north",
               "enrollmentMode": "corporateOwnedFullyManaged", "wifiHidden": true})
        .to_string(),
    )
    .unwrap();
    let created = cli
        .json(&[
            "profiles",
            "create",
            "--json",
            body.to_str().unwrap(),
            "--display-name",
            "Scanners",
        ])
        .await;
    insta::assert_json_snapshot!("create_json", redact(created.clone(), &s.base));
    let second = created["id"].as_str().unwrap().to_owned();

    // get, in the three formats.
    let got = cli.json(&["profiles", "get", &second]).await;
    assert_eq!(got["displayName"], "Scanners");
    assert_eq!(got["wifiHidden"], true);
    let csv = cli.ok(&["profiles", "get", &second, "-o", "csv"]).await;
    insta::assert_snapshot!("get_csv", redact_text(&csv));

    // list: table and CSV, ordered for the snapshot.
    let table = cli
        .ok(&["profiles", "list", "--orderby", "displayName"])
        .await;
    insta::assert_snapshot!("list_table", redact_text(&table));
    let csv = cli
        .ok(&["profiles", "list", "--orderby", "displayName", "-o", "csv"])
        .await;
    insta::assert_snapshot!("list_csv", redact_text(&csv));
    let listed = cli
        .json(&["profiles", "list", "--orderby", "displayName"])
        .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 2);
    assert!(listed["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("androidDeviceOwnerEnrollmentProfiles"));

    // update sends only what is given, JSON from standard input included.
    let changed = cli
        .json(&[
            "profiles",
            "update",
            &id,
            "--description",
            "Reception, building 2",
            "--wifi-hidden",
        ])
        .await;
    assert_eq!(changed["description"], "Reception, building 2");
    assert_eq!(changed["wifiHidden"], true);
    assert_eq!(changed["wifiSsid"], "Lobby");
    let mut piped = cli.command(&["profiles", "update", &id, "--json", "-", "-o", "json"]);
    piped.stdin(std::process::Stdio::piped());
    let child = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = piped.stdout(std::process::Stdio::piped()).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"{"displayName": "Front desk"}"#)
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(child.status.success(), "{child:?}");
    let changed: Value = serde_json::from_slice(&child.stdout).unwrap();
    assert_eq!(changed["displayName"], "Front desk");
    let nothing = cli.fails(&["profiles", "update", &id], 2).await;
    assert!(nothing.contains("nothing to change"), "{nothing}");

    // delete, then get is a 404: exit code 3 and the Graph error on standard error.
    let said = cli.ok(&["profiles", "delete", &id]).await;
    assert_eq!(said, format!("deleted profile {id}\n"));
    let err = cli.fails(&["profiles", "get", &id], 3).await;
    assert!(
        err.starts_with("provisio: HTTP 404 ResourceNotFound: "),
        "{err}"
    );
    assert_eq!(
        cli.ok(&["profiles", "delete", &second, "-o", "json"]).await,
        ""
    );
    assert!(s.list_all().await.is_empty());
}

#[tokio::test]
async fn lists_follow_every_next_link_unless_max_stops_them() {
    let s = TestServer::start().await;
    for n in 0..5 {
        s.create(json!({"displayName": format!("p{n}")})).await;
    }
    let cli = Cli::new(&s);
    let all = cli.json(&["profiles", "list", "--top", "2"]).await;
    let names: Vec<&str> = members(&all, "displayName");
    assert_eq!(names.len(), 5, "{all}");
    let some = cli
        .json(&["profiles", "list", "--top", "2", "--max", "3"])
        .await;
    assert_eq!(some["value"].as_array().unwrap().len(), 3);
    // --filter is passed through as written (spaces and a plus sign included).
    s.create(json!({"displayName": "a+b c"})).await;
    let one = cli
        .json(&["profiles", "list", "--filter", "displayName eq 'a+b c'"])
        .await;
    assert_eq!(one["value"].as_array().unwrap().len(), 1, "{one}");
}

#[tokio::test]
async fn tokens_are_created_revoked_and_found_by_expiry() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let soon = cli.create(&["--display-name", "soon"]).await;
    let later = cli.create(&["--display-name", "later"]).await;
    let none = cli.create(&["--display-name", "no token"]).await;

    let table = cli
        .ok(&["profiles", "token", "create", &soon, "--valid-for", "2d"])
        .await;
    let profile = crate::common::ok_json(s.get(&s.item(&soon)).await).await;
    let token = profile["tokenValue"].as_str().unwrap();
    assert!(table.contains(token), "{table}");
    insta::assert_snapshot!(
        "token_create_table",
        redact_text(&table.replace(token, "[token-------------]"))
    );
    let created = time::OffsetDateTime::parse(
        profile["tokenCreationDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        profile["tokenExpirationDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_seconds(), 2 * 86400);

    let json = cli
        .json(&["profiles", "token", "create", &later, "--valid-for", "30d"])
        .await;
    assert!(json["tokenValue"].is_string());

    let expiring = cli.json(&["profiles", "list", "--expiring", "7d"]).await;
    let ids: Vec<&str> = members(&expiring, "id");
    assert_eq!(ids, [soon.as_str()]);
    let expiring = cli.json(&["profiles", "list", "--expiring", "60d"]).await;
    let ids: Vec<&str> = members(&expiring, "id");
    assert_eq!(ids, [soon.as_str(), later.as_str()], "soonest first");
    let filtered = cli
        .json(&[
            "profiles",
            "list",
            "--expiring",
            "60d",
            "--filter",
            "displayName eq 'later'",
        ])
        .await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);

    assert_eq!(
        cli.ok(&["profiles", "token", "revoke", &soon]).await,
        format!("revoked the token of profile {soon}\n")
    );
    let revoked = crate::common::ok_json(s.get(&s.item(&soon)).await).await;
    assert_eq!(revoked["tokenValue"], Value::Null);
    // No token, no QR code: exit code 5 naming the command that makes one.
    let err = cli.fails(&["profiles", "qr", &none], 5).await;
    assert!(err.contains("profiles token create"), "{err}");
    // Out of the mode's range: the server's 400 is exit code 1.
    let err = cli
        .fails(
            &["profiles", "token", "create", &later, "--valid-for", "10s"],
            1,
        )
        .await;
    assert!(err.starts_with("provisio: HTTP 400 BadRequest: "), "{err}");
}

#[tokio::test]
async fn failures_exit_with_the_documented_codes() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    // 2: usage, found by clap.
    cli.fails(&["profiles", "list", "--no-such-flag"], 2).await;
    cli.fails(&["profiles", "create", "--mode", "kiosk"], 2)
        .await;
    // 1: a request the server refuses.
    let err = cli
        .fails(&["profiles", "list", "--filter", "dispayName eq 'x'"], 1)
        .await;
    assert!(
        err.contains("HTTP 400 BadRequest") && err.contains("did you mean 'displayName'"),
        "{err}"
    );
    // 3: not found.
    cli.fails(&["profiles", "get", &uuid::Uuid::new_v4().to_string()], 3)
        .await;
    // 4: a token the server refuses (401), one without the permission (403), no credentials.
    let err = cli
        .fails(&["profiles", "list", "--token", "not-a-token"], 4)
        .await;
    assert!(err.contains("HTTP 401 InvalidAuthenticationToken"), "{err}");
    let read_only = s.dev_token(
        s.dev_tenant,
        &["DeviceManagementConfiguration.Read.All"],
        false,
    );
    let err = cli
        .fails(
            &[
                "profiles",
                "create",
                "--display-name",
                "x",
                "--token",
                &read_only,
            ],
            4,
        )
        .await;
    assert!(err.contains("HTTP 403 Forbidden"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let mut no_key = cli.command(&["profiles", "list"]);
    no_key.env("PROVISIO_DATA_DIR", empty.path());
    let ran = Cli::run_command(no_key).await;
    assert_eq!(ran.code, 4, "{ran:#?}");
    assert!(
        ran.stderr.contains("provisio login") && ran.stderr.contains("--data-dir"),
        "{ran:#?}"
    );
    let mut remote = cli.command(&["profiles", "list", "--server", "https://mdm.invalid"]);
    remote.env("PROVISIO_DATA_DIR", &s.data_dir);
    let ran = Cli::run_command(remote).await;
    assert_eq!(
        ran.code, 4,
        "no development key for a server elsewhere: {ran:#?}"
    );
    // 5: a conflict — an AOSP profile's token without an own DPC configured.
    let aosp = cli
        .create(&[
            "--display-name",
            "aosp",
            "--mode",
            "corporateOwnedAOSPUserlessDevice",
        ])
        .await;
    let err = cli
        .fails(
            &["profiles", "token", "create", &aosp, "--valid-for", "1d"],
            5,
        )
        .await;
    assert!(err.contains("HTTP 409 Conflict"), "{err}");
    // 6: nothing listens there.
    let down = format!("http://127.0.0.1:{}", closed_port());
    let err = cli.fails(&["profiles", "list", "--server", &down], 6).await;
    assert!(err.contains("no answer from"), "{err}");
    // The help lists the codes.
    let help = cli.ok(&["profiles", "--help"]).await;
    assert!(help.contains("Exit codes: 0 success"), "{help}");
}

#[tokio::test]
async fn profiles_export_as_json_lines_and_csv() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    for name in ["one", "two, with a comma", "three"] {
        cli.create(&["--display-name", name]).await;
    }
    let lines = cli
        .ok(&["profiles", "export", "--orderby", "displayName"])
        .await;
    let exported: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = exported
        .iter()
        .map(|p| p["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "three", "two, with a comma"]);
    let page = crate::common::ok_json(
        s.get(&format!("{}?$orderby=displayName", s.collection()))
            .await,
    )
    .await;
    assert_eq!(exported, page["value"].as_array().unwrap().clone());

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("profiles.csv");
    cli.ok(&[
        "profiles",
        "export",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--orderby",
        "displayName",
    ])
    .await;
    let csv = String::from_utf8(read_private(&out)).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("id,accountId,displayName,description,enrollmentMode,"),
        "{header}"
    );
    assert_eq!(lines.count(), 3);
    assert!(csv.contains("\"two, with a comma\""), "{csv}");
}

#[tokio::test]
async fn throttled_requests_are_sent_again_after_retry_after() {
    let s = TestServer::start_with(|s| {
        s.throttle.app_requests = Some(1);
        s.throttle.window_seconds = 1;
    })
    .await;
    let cli = Cli::new(&s);
    for name in ["a", "b", "c"] {
        cli.create(&["--display-name", name]).await;
    }
    // Three pages in quick succession: over one request a second, so the later ones wait.
    let ran = cli
        .run(&["profiles", "list", "--top", "1", "-o", "json"])
        .await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    let listed: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(members(&listed, "displayName").len(), 3);
    assert!(
        ran.stderr
            .contains("HTTP 429 from the server; trying again in 1 s"),
        "{ran:#?}"
    );
}

#[tokio::test]
async fn if_match_guards_updates_and_deletes_against_lost_changes() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let id = cli.create(&["--display-name", "guarded"]).await;
    let seen = cli.json(&["profiles", "get", &id]).await;
    let etag = seen["@odata.etag"].as_str().unwrap().to_owned();
    // Someone else changes it; our change based on what we saw is refused with 412.
    cli.ok(&["profiles", "update", &id, "--description", "theirs"])
        .await;
    let err = cli
        .fails(
            &[
                "profiles",
                "update",
                &id,
                "--if-match",
                &etag,
                "--description",
                "mine",
            ],
            5,
        )
        .await;
    assert!(err.contains("HTTP 412 PreconditionFailed"), "{err}");
    cli.fails(&["profiles", "delete", &id, "--if-match", &etag], 5)
        .await;
    // With the current ETag both go through.
    let now = cli.json(&["profiles", "get", &id]).await;
    let etag = now["@odata.etag"].as_str().unwrap().to_owned();
    let changed = cli
        .json(&[
            "profiles",
            "update",
            &id,
            "--if-match",
            &etag,
            "--description",
            "mine",
        ])
        .await;
    assert_eq!(changed["description"], "mine");
    let etag = changed["@odata.etag"].as_str().unwrap().to_owned();
    cli.ok(&["profiles", "delete", &id, "--if-match", &etag])
        .await;
    assert!(s.list_all().await.is_empty());
}
