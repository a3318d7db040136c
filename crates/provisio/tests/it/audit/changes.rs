//! Every kind of change leaves exactly one event naming its actor and what changed; a change
//! that does not commit leaves none.

use std::sync::Arc;

use provisio::auth::dev::{DEV_APP_ID, DEV_APP_NAME, DEV_USER};
use provisio::auth::{DEVICES_PRIVILEGED, DEVICES_READ_WRITE_ALL, READ_WRITE_ALL};
use provisio::model::{Body, ProfileInput, TenantId};
use provisio::provisioning::QrCodes;
use provisio::service::Profiles;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{events, modified, of_type, stored};
use crate::common::{ok_json, TestServer};
use crate::devices::{checkin, enroll, new_token, Device};

const MASK: &str = "********";

/// The one event of `ty` (exactly one must exist).
async fn one(s: &TestServer, ty: &str) -> Value {
    let found = of_type(s, ty).await;
    assert_eq!(found.len(), 1, "{ty}: {found:#?}");
    found.into_iter().next().unwrap()
}

fn assert_admin(e: &Value, permissions: &[&str]) {
    let a = &e["actor"];
    assert_eq!(a["type"], "ItPro", "{e:#}");
    assert_eq!(a["auditActorType"], "ItPro");
    assert_eq!(a["userPrincipalName"], DEV_USER);
    assert_eq!(a["applicationId"], DEV_APP_ID);
    assert_eq!(a["applicationDisplayName"], DEV_APP_NAME);
    assert_eq!(a["ipAddress"], "127.0.0.1");
    assert!(a["userId"].as_str().is_some_and(|u| u.len() == 36), "{a:#}");
    assert_eq!(a["userPermissions"], json!(permissions));
    assert_eq!(e["activityResult"], "Success");
}

fn assert_device(e: &Value) {
    let a = &e["actor"];
    assert_eq!(a["type"], "Device", "{e:#}");
    assert_eq!(a["ipAddress"], "127.0.0.1");
    assert_eq!(a["userPrincipalName"], Value::Null);
    assert_eq!(a["userPermissions"], json!([]));
}

#[tokio::test]
async fn every_kind_of_change_leaves_its_event_with_actor_and_values() {
    let s = TestServer::start().await;
    let rw = [READ_WRITE_ALL];
    // Create, with the client's correlation id.
    let correlation = Uuid::new_v4().to_string();
    let res = s
        .client
        .post(s.collection())
        .header("client-request-id", &correlation)
        .json(&json!({
            "displayName": "Audited", "description": "a", "wifiSsid": "Lager",
            "wifiSecurityType": "wpa", "wifiPassword": "Audit-Pa55word-9",
            "enrollmentMode": "corporateOwnedDedicatedDevice",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = ok_json(res).await["id"].as_str().unwrap().to_owned();
    let e = one(&s, "Create AndroidDeviceOwnerEnrollmentProfile").await;
    assert_admin(&e, &rw);
    assert_eq!(e["correlationId"], correlation.as_str());
    assert_eq!(e["category"], "Enrollment");
    assert_eq!(e["activityOperationType"], "Create");
    let r = &e["resources"][0];
    assert_eq!(r["resourceId"], id.as_str());
    assert_eq!(r["displayName"], "Audited");
    assert_eq!(r["type"], "androidDeviceOwnerEnrollmentProfile");
    assert_eq!(
        modified(&e, 0, "displayName"),
        Some((Value::Null, json!("Audited")))
    );
    assert_eq!(
        modified(&e, 0, "wifiPassword"),
        Some((Value::Null, json!(MASK)))
    );

    // PATCH: only what changed.
    let res = s
        .patch_json(&s.item(&id), &json!({"description": "b"}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "Patch AndroidDeviceOwnerEnrollmentProfile").await;
    assert_admin(&e, &rw);
    assert_eq!(
        modified(&e, 0, "description"),
        Some((json!("a"), json!("b")))
    );
    assert!(modified(&e, 0, "lastModifiedDateTime").is_some());
    assert_eq!(modified(&e, 0, "displayName"), None);

    // Token and membership-target actions.
    let token = new_token(&s, &id).await;
    let e = one(&s, "createToken AndroidDeviceOwnerEnrollmentProfile").await;
    assert_eq!(e["activityOperationType"], "Action");
    assert_eq!(
        modified(&e, 0, "tokenValue"),
        Some((Value::Null, json!(MASK)))
    );
    assert_eq!(
        modified(&e, 0, "qrCodeContent"),
        Some((Value::Null, json!(MASK)))
    );
    let group = Uuid::new_v4().to_string();
    let res = s
        .post_json(
            &format!("{}/setEnrollmentTimeDeviceMembershipTarget", s.item(&id)),
            &json!({"enrollmentTimeDeviceMembershipTargets": [
                {"targetType": "staticSecurityGroup", "targetId": group}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e = one(
        &s,
        "setEnrollmentTimeDeviceMembershipTarget AndroidDeviceOwnerEnrollmentProfile",
    )
    .await;
    assert_eq!(
        modified(&e, 0, "enrollmentTimeDeviceMembershipTarget/targetId"),
        Some((Value::Null, json!(group)))
    );
    assert_eq!(
        modified(&e, 0, "enrollmentTimeDeviceMembershipTarget/targetType"),
        Some((Value::Null, json!("staticSecurityGroup")))
    );
    let res = s
        .post_json(
            &format!("{}/clearEnrollmentTimeDeviceMembershipTarget", s.item(&id)),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(
        &s,
        "clearEnrollmentTimeDeviceMembershipTarget AndroidDeviceOwnerEnrollmentProfile",
    )
    .await;
    assert_eq!(
        modified(&e, 0, "enrollmentTimeDeviceMembershipTarget/targetId"),
        Some((json!(group), Value::Null))
    );

    // Enrollments: a new record, the same device proving itself, then a reset device.
    let d = Device::new("R58AUDIT01");
    let first = ok_json(enroll(&s, &d, &token).await).await;
    let record = first["managedDeviceId"].as_str().unwrap().to_owned();
    let e = one(&s, "Enroll ManagedDevice").await;
    assert_device(&e);
    assert_eq!(e["resources"][0]["resourceId"], record.as_str());
    assert_eq!(
        modified(&e, 0, "serialNumber"),
        Some((Value::Null, json!("R58AUDIT01")))
    );
    assert_eq!(
        modified(&e, 0, "deviceCredential"),
        Some((Value::Null, json!(MASK)))
    );
    assert_eq!(enroll(&s, &d, &token).await.status(), StatusCode::OK);
    let e = one(&s, "Re-enroll ManagedDevice").await;
    assert_device(&e);
    assert_eq!(e["resources"][0]["resourceId"], record.as_str());
    assert!(modified(&e, 0, "lastSyncDateTime").is_some());
    let reset = Device::new("R58AUDIT01");
    let res = enroll(&s, &reset, &token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let newer = ok_json(res).await["managedDeviceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = one(&s, "Supersede ManagedDevice").await;
    assert_device(&e);
    assert_eq!(e["resources"][0]["resourceId"], newer.as_str());
    assert_eq!(e["resources"][1]["resourceId"], record.as_str());
    assert_eq!(
        modified(&e, 1, "superseded"),
        Some((json!("false"), json!("true")))
    );

    // Graph's device operations, then the device acknowledging them.
    let dev = |id: &str| format!("{}/{id}", s.collection_of("managedDevices"));
    let res = s
        .patch_json(&dev(&newer), &json!({"notes": "desk 4"}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "Patch ManagedDevice").await;
    assert_admin(&e, &[DEVICES_READ_WRITE_ALL]);
    assert_eq!(e["category"], "Device");
    assert_eq!(
        modified(&e, 0, "notes"),
        Some((Value::Null, json!("desk 4")))
    );
    let res = s
        .post_json(&format!("{}/wipe", dev(&newer)), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "wipe ManagedDevice").await;
    assert_admin(&e, &[DEVICES_READ_WRITE_ALL, DEVICES_PRIVILEGED]);
    assert_eq!(
        modified(&e, 0, "managementState"),
        Some((json!("managed"), json!("wipePending")))
    );
    let res = s
        .post_json(&format!("{}/retire", dev(&newer)), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    one(&s, "retire ManagedDevice").await;
    let commands = ok_json(checkin(&s, &reset).await).await["commands"].clone();
    let ack = |kind: &str| {
        let id = commands
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == kind)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, secret) = (&s, reset.secret.clone());
        async move {
            s.bare
                .post(s.url(&format!("/device/v1/commands/{id}/ack")))
                .header("authorization", format!("Device {secret}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(ack("wipe").await, StatusCode::NO_CONTENT);
    let e = one(&s, "Acknowledge wipe ManagedDevice").await;
    assert_device(&e);
    assert_eq!(
        modified(&e, 0, "managementState"),
        Some((json!("retirePending"), json!("wipeIssued")))
    );
    assert_eq!(ack("retire").await, StatusCode::NO_CONTENT);
    let e = one(&s, "Acknowledge retire ManagedDevice").await;
    assert_eq!(e["resources"][0]["resourceId"], newer.as_str());
    assert_eq!(
        modified(&e, 0, "deviceName").map(|(_, new)| new),
        Some(Value::Null)
    );
    // A DELETE of the superseded record.
    let res = s.send(reqwest::Method::DELETE, &dev(&record), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "Delete ManagedDevice").await;
    assert_admin(&e, &[DEVICES_READ_WRITE_ALL]);
    assert_eq!(e["resources"][0]["resourceId"], record.as_str());

    // Revoking, then deleting the profile: the event shows what was deleted.
    let res = s
        .post_json(&format!("{}/revokeToken", s.item(&id)), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "revokeToken AndroidDeviceOwnerEnrollmentProfile").await;
    assert_eq!(
        modified(&e, 0, "tokenValue"),
        Some((json!(MASK), Value::Null))
    );
    let res = s.send(reqwest::Method::DELETE, &s.item(&id), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let e = one(&s, "Delete AndroidDeviceOwnerEnrollmentProfile").await;
    assert_admin(&e, &rw);
    assert_eq!(e["resources"][0]["displayName"], "Audited");
    assert_eq!(
        modified(&e, 0, "displayName"),
        Some((json!("Audited"), Value::Null))
    );

    // Check-ins change no administered state and leave no event; every other change one.
    let all = events(&s, "").await;
    assert_eq!(all.len(), 16, "{all:#?}");
    s.stop().await;
}

#[tokio::test]
async fn changes_that_do_not_commit_leave_no_event() {
    // A conditional update that loses, and a change the rules refuse.
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url();
    let store: Arc<dyn provisio::store::Store> =
        Arc::from(crate::common::open_store(dir.path(), &url).await);
    let profiles = Profiles::new(store.clone(), QrCodes::default());
    let t = TenantId(Uuid::new_v4());
    let body = |v: Value| -> ProfileInput { Body::from_json(&v).unwrap() };
    let p = profiles
        .create(t, body(json!({"displayName": "Raced"})))
        .await
        .unwrap();
    assert_eq!(stored(&store, t).await, 1);
    let mut stale = p.clone();
    stale.version = 7;
    let mut next = p.clone();
    next.display_name = "Lost".into();
    next.version = 8;
    assert!(!profiles.writes().update(&next, &stale).await.unwrap());
    assert!(!profiles.writes().delete(&stale).await.unwrap());
    assert!(profiles
        .update(
            t,
            p.id,
            &provisio::model::IfMatch::ANY,
            body(json!({"wifiPassword": "x", "wifiSecurityType": "wpa"}))
        )
        .await
        .is_err());
    assert_eq!(stored(&store, t).await, 1);
    store.close().await;

    // An enrollment refused at the token's limit.
    let s = TestServer::start_with(|s| s.devices.token_usage_limit = 1).await;
    let (_, token) = crate::devices::profile_with_token(&s, "limited").await;
    let res = enroll(&s, &Device::new("LIMIT01"), &token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = enroll(&s, &Device::new("LIMIT02"), &token).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(of_type(&s, "Enroll ManagedDevice").await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_refused_burst_over_the_token_cap_is_recorded_once() {
    let s = TestServer::start_with(|s| s.device_throttle.token_enrollments_per_minute = 1).await;
    let (id, token) = crate::devices::profile_with_token(&s, "capped").await;
    assert_eq!(
        enroll(&s, &Device::new("CAP01"), &token).await.status(),
        StatusCode::CREATED
    );
    for i in 2..6 {
        let res = enroll(&s, &Device::new(format!("CAP0{i}")), &token).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let e = one(
        &s,
        "Enrollment rate cap exceeded AndroidDeviceOwnerEnrollmentProfile",
    )
    .await;
    assert_eq!(e["activityResult"], "Failure");
    assert_eq!(e["resources"][0]["resourceId"], id.as_str());
    assert_eq!(e["resources"][0]["displayName"], "capped");
    assert_eq!(e["resources"][0]["modifiedProperties"], json!([]));
    assert_device(&e);
    s.stop().await;
}
