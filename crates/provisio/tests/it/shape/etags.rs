//! ETags against lost updates (docs/API.md, ETags and lost updates): every entity carries one,
//! a stale `If-Match` is 412 on every write and action, the check is atomic with the write, and
//! counters (enrollments, check-ins) are no edits.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{etag_of, send};
use crate::common::{expect_error, ok_json, TestServer};
use crate::devices::{checkin, enroll, profile_with_token, Device};

const PRECONDITION: (StatusCode, &str) = (StatusCode::PRECONDITION_FAILED, "PreconditionFailed");

/// GET `url`: (its ETag header, its body).
async fn read(s: &TestServer, url: &str) -> (String, Value) {
    let res = s.get(url).await;
    let tag = etag_of(&res);
    let body = ok_json(res).await;
    assert_eq!(body["@odata.etag"], tag.as_str(), "{url}");
    (tag, body)
}

/// `n` new devices (serials `prefix` and a number) enrolling with `token` at once: their
/// answers' statuses.
async fn enroll_many(s: &TestServer, token: &str, prefix: &str, n: usize) -> Vec<StatusCode> {
    let devices: Vec<Device> = (0..n)
        .map(|i| Device::new(format!("{prefix}{i:02}")))
        .collect();
    join_all(
        devices
            .iter()
            .map(|d| async { enroll(s, d, token).await.status() }),
    )
    .await
}

/// PATCH `url` with `If-Match: tag`: the response.
async fn patch_if(s: &TestServer, url: &str, tag: &str, body: Value) -> reqwest::Response {
    send(s, Method::PATCH, url, &[("if-match", tag)], Some(&body)).await
}

#[tokio::test]
async fn a_stale_if_match_is_412_on_every_write_and_action() {
    let s = TestServer::start().await;
    let res = s
        .post_json(&s.collection(), &json!({"displayName": "tagged"}))
        .await;
    let created_tag = etag_of(&res);
    let created = ok_json(res).await;
    assert_eq!(created["@odata.etag"], created_tag.as_str());
    assert!(created_tag.starts_with("W/\""), "{created_tag}");
    let id = created["id"].as_str().unwrap().to_owned();
    let item = s.item(&id);
    let listed = s.list_all().await;
    assert_eq!(listed[0]["@odata.etag"], created_tag.as_str());
    let (stale, _) = read(&s, &item).await;
    assert_eq!(stale, created_tag);

    // A matching tag saves; the tag moves.
    let res = patch_if(&s, &item, &stale, json!({"description": "one"})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (fresh, body) = read(&s, &item).await;
    assert_ne!(fresh, stale);
    assert_eq!(body["description"], "one");
    // The old one is refused, on every write and action, and nothing changes.
    let stale_h = [("if-match", stale.as_str())];
    let refused = [
        (
            Method::PATCH,
            item.clone(),
            Some(json!({"description": "two"})),
        ),
        (Method::DELETE, item.clone(), None),
        (
            Method::POST,
            format!("{item}/createToken"),
            Some(json!({"tokenValidityInSeconds": 3600})),
        ),
        (Method::POST, format!("{item}/revokeToken"), None),
        (
            Method::POST,
            format!("{item}/setEnrollmentTimeDeviceMembershipTarget"),
            Some(
                json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": uuid::Uuid::new_v4().to_string()}]}),
            ),
        ),
        (
            Method::POST,
            format!("{item}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            None,
        ),
        (
            Method::POST,
            format!("{item}/clearEnrollmentTimeDeviceMembershipTarget"),
            None,
        ),
        (Method::GET, item.clone(), None),
    ];
    for (method, url, body) in &refused {
        let res = send(&s, method.clone(), url, &stale_h, body.as_ref()).await;
        let message = expect_error(res, PRECONDITION.0, PRECONDITION.1).await;
        assert!(message.contains(&fresh), "{method} {url}: {message}");
    }
    let (after, body) = read(&s, &item).await;
    assert_eq!(
        (after.as_str(), &body["description"]),
        (fresh.as_str(), &json!("one"))
    );
    assert!(body["tokenValue"].is_null());

    // `*`, no header, and a list holding the current tag all save.
    for tag in ["*", "", "listed"] {
        let (current, _) = read(&s, &item).await;
        let listed = format!("\"999\", {current}");
        let headers: Vec<(&str, &str)> = match tag {
            "" => Vec::new(),
            "listed" => vec![("if-match", listed.as_str())],
            t => vec![("if-match", t)],
        };
        let body = json!({ "description": tag });
        let res = send(&s, Method::PATCH, &item, &headers, Some(&body)).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{tag:?}");
        assert_ne!(read(&s, &item).await.0, current, "{tag:?}");
    }
    // A representation carries the new tag, in the body and the header.
    let (current, _) = read(&s, &item).await;
    let res = send(
        &s,
        Method::PATCH,
        &item,
        &[("if-match", &current), ("prefer", "return=representation")],
        Some(&json!({"description": "rep"})),
    )
    .await;
    let header = etag_of(&res);
    let body = ok_json(res).await;
    assert_eq!(body["@odata.etag"], header.as_str());
    assert_eq!(read(&s, &item).await.0, header);
    // Actions with the current tag run and move it.
    let res = send(
        &s,
        Method::POST,
        &format!("{item}/createToken"),
        &[("if-match", &header)],
        Some(&json!({"tokenValidityInSeconds": 3600})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (tokened, body) = read(&s, &item).await;
    assert!(body["tokenValue"].is_string() && tokened != header);
    // A malformed header is 400; a weak or strong form of the tag both match.
    let res = send(
        &s,
        Method::PATCH,
        &item,
        &[("if-match", "7")],
        Some(&json!({"description": "x"})),
    )
    .await;
    expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    let strong = tokened.trim_start_matches("W/");
    let res = send(&s, Method::DELETE, &item, &[("if-match", strong)], None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(&item).await.status(), StatusCode::NOT_FOUND);
    s.stop().await;
}

/// Two admins edit one profile while devices enroll with its token: the second stale save is
/// 412, neither save is lost, and enrollments (counters) never make a save fail.
#[tokio::test]
async fn two_admins_and_enrolling_devices_lose_no_save() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "shared").await;
    let item = s.item(&id);
    // Both admins read the profile.
    let (read_by_a, before) = read(&s, &item).await;
    let read_by_b = read_by_a.clone();
    // Devices enroll after they read: counts change, the ETag and lastModifiedDateTime do not.
    for i in 0..5 {
        let res = enroll(&s, &Device::new(format!("EARLY{i}")), &token).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let (unchanged, counted) = read(&s, &item).await;
    assert_eq!(unchanged, read_by_a);
    assert_eq!(
        counted["lastModifiedDateTime"],
        before["lastModifiedDateTime"]
    );
    assert_eq!(counted["enrolledDeviceCount"], 5);
    // More devices enroll while the admins save.
    let enrolling = enroll_many(&s, &token, "DURING", 30);
    let saving = async {
        let a = patch_if(&s, &item, &read_by_a, json!({"description": "from A"})).await;
        assert_eq!(a.status(), StatusCode::NO_CONTENT, "A's save");
        let b = patch_if(&s, &item, &read_by_b, json!({"displayName": "from B"})).await;
        expect_error(b, PRECONDITION.0, PRECONDITION.1).await;
        // B reads again, sees A's change, and saves on top of it.
        let (again, seen) = read(&s, &item).await;
        assert_eq!(seen["description"], "from A");
        let b = patch_if(&s, &item, &again, json!({"displayName": "from B"})).await;
        assert_eq!(b.status(), StatusCode::NO_CONTENT, "B's second save");
    };
    let (statuses, ()) = tokio::join!(enrolling, saving);
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    let (_, last) = read(&s, &item).await;
    assert_eq!(
        (&last["description"], &last["displayName"]),
        (&json!("from A"), &json!("from B"))
    );
    assert_eq!(
        (
            &last["enrolledDeviceCount"],
            &last["enrollmentTokenUsageCount"]
        ),
        (&json!(35), &json!(35))
    );
    s.stop().await;
}

/// Ten saves with the same ETag at once, while devices enroll: exactly one wins, and it is the
/// one stored. The check and the write are one conditional write.
#[tokio::test]
async fn of_saves_racing_with_one_etag_exactly_one_wins() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "race").await;
    let item = s.item(&id);
    let (tag, _) = read(&s, &item).await;
    let enrolling = enroll_many(&s, &token, "RACE", 20);
    let saving = join_all((0..10).map(|i| {
        let (s, item, tag) = (&s, &item, &tag);
        async move {
            let res = patch_if(s, item, tag, json!({"description": format!("save {i}")})).await;
            (i, res.status())
        }
    }));
    let (enrolled, saves) = tokio::join!(enrolling, saving);
    assert!(
        enrolled.iter().all(|s| *s == StatusCode::CREATED),
        "{enrolled:?}"
    );
    let won: Vec<usize> = saves
        .iter()
        .filter(|(_, st)| *st == StatusCode::NO_CONTENT)
        .map(|(i, _)| *i)
        .collect();
    let lost = saves
        .iter()
        .filter(|(_, st)| *st == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((won.len(), lost), (1, 9), "{saves:?}");
    let (_, last) = read(&s, &item).await;
    assert_eq!(last["description"], format!("save {}", won[0]));
    s.stop().await;
}

#[tokio::test]
async fn check_ins_are_no_edits_of_a_managed_device() {
    let s = TestServer::start().await;
    let (profile, token) = profile_with_token(&s, "devices").await;
    let d = Device::new("TAG0001");
    assert_eq!(enroll(&s, &d, &token).await.status(), StatusCode::CREATED);
    let devices = s.collection_of("managedDevices");
    let listed = ok_json(s.get(&devices).await).await;
    let url = format!("{devices}/{}", listed["value"][0]["id"].as_str().unwrap());
    let (tag, before) = read(&s, &url).await;
    assert_eq!(listed["value"][0]["@odata.etag"], tag.as_str());
    let (profile_tag, profile_before) = read(&s, &s.item(&profile)).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(checkin(&s, &d).await.status(), StatusCode::OK);
    let (after, checked) = read(&s, &url).await;
    assert_eq!(after, tag, "a check-in changed the device's ETag");
    assert_ne!(checked["lastSyncDateTime"], before["lastSyncDateTime"]);
    let (profile_after, profile_now) = read(&s, &s.item(&profile)).await;
    assert_eq!(profile_after, profile_tag);
    assert_eq!(
        profile_now["lastModifiedDateTime"],
        profile_before["lastModifiedDateTime"]
    );
    // An admin's save with the tag read before the check-in goes through, and keeps the
    // check-in's facts.
    let res = send(
        &s,
        Method::PATCH,
        &url,
        &[("if-match", &tag), ("prefer", "return=representation")],
        Some(&json!({"notes": "n"})),
    )
    .await;
    let saved_tag = etag_of(&res);
    let saved = ok_json(res).await;
    assert_eq!(saved["lastSyncDateTime"], checked["lastSyncDateTime"]);
    assert_ne!(saved_tag, tag);
    // Stale tags are refused on every write and action; nothing changes.
    for (method, target) in [
        (Method::PATCH, url.clone()),
        (Method::POST, format!("{url}/retire")),
        (Method::POST, format!("{url}/wipe")),
        (Method::DELETE, url.clone()),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"notes": "stale"}));
        let res = send(
            &s,
            method.clone(),
            &target,
            &[("if-match", &tag)],
            body.as_ref(),
        )
        .await;
        expect_error(res, PRECONDITION.0, PRECONDITION.1).await;
    }
    let (now, unchanged) = read(&s, &url).await;
    assert_eq!(
        (
            now.as_str(),
            &unchanged["notes"],
            &unchanged["managementState"]
        ),
        (saved_tag.as_str(), &json!("n"), &json!("managed"))
    );
    let res = send(
        &s,
        Method::POST,
        &format!("{url}/retire"),
        &[("if-match", &saved_tag)],
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (retiring, _) = read(&s, &url).await;
    let res = send(&s, Method::DELETE, &url, &[("if-match", &saved_tag)], None).await;
    expect_error(res, PRECONDITION.0, PRECONDITION.1).await;
    let res = send(&s, Method::DELETE, &url, &[("if-match", &retiring)], None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    s.stop().await;
}
