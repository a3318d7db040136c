//! The device protocol: check, enroll, check-in, commands and their errors.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::common::expect_error;

#[tokio::test]
async fn a_device_checks_enrolls_checks_in_and_is_retired() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "Kiosks").await;
    let before = ok_json(s.get(&s.item(&id)).await).await;
    // The check never counts.
    let res = s
        .bare
        .post(s.url("/device/v1/check"))
        .json(&json!({"enrollmentToken": token}))
        .send()
        .await
        .unwrap();
    let checked = ok_json(res).await;
    assert_eq!(checked["enrollmentMode"], "corporateOwnedDedicatedDevice");
    assert_eq!(checked["protocolVersion"], 1);
    assert_eq!(checked["tenantId"], s.dev_tenant.to_string());
    assert_eq!(
        checked["tokenExpirationDateTime"],
        before["tokenExpirationDateTime"]
    );
    assert_eq!(counts(&s, &id).await, (0, 0));
    // Enroll: 201, the record, the counts move, the profile's edit date and ETag do not.
    let d = Device::new("R58N12345XY");
    let res = enroll(&s, &d, &token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let e = ok_json(res).await;
    assert_eq!(e["enrollmentProfileId"], id.as_str());
    assert_eq!(e["tenantId"], s.dev_tenant.to_string());
    assert_eq!(
        e["enrollmentTimeDeviceMembershipTarget"],
        serde_json::Value::Null
    );
    let device_id = e["managedDeviceId"].as_str().unwrap().to_owned();
    assert_eq!(counts(&s, &id).await, (1, 1));
    let after = ok_json(s.get(&s.item(&id)).await).await;
    assert_eq!(
        after["lastModifiedDateTime"],
        before["lastModifiedDateTime"]
    );
    let devices = all_devices(&s).await;
    assert_eq!(devices.len(), 1);
    let md = &devices[0];
    assert_eq!(md["id"], device_id.as_str());
    assert_eq!(md["serialNumber"], "R58N12345XY");
    assert_eq!(md["deviceName"], e["deviceName"]);
    assert_eq!(md["managementState"], "managed");
    assert_eq!(
        md["deviceEnrollmentType"],
        "androidEnterpriseDedicatedDevice"
    );
    assert_eq!(md["deviceType"], "androidEnterprise");
    assert_eq!(md["enrollmentProfileName"], "Kiosks");
    assert_eq!(md["operatingSystem"], "Android");
    // A retry of the same enrollment is the same record, counted once.
    let res = enroll(&s, &d, &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ok_json(res).await["managedDeviceId"], device_id.as_str());
    assert_eq!(counts(&s, &id).await, (1, 1));
    // Check-in: no commands yet.
    let c = ok_json(checkin(&s, &d).await).await;
    assert_eq!(c["managedDeviceId"], device_id.as_str());
    assert_eq!(c["commands"], json!([]));
    // Retire: the next check-in carries it; the acknowledgement removes the record.
    let res = s
        .post_json(
            &format!("{}/{device_id}/retire", s.collection_of("managedDevices")),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let md = ok_json(
        s.get(&format!(
            "{}/{device_id}",
            s.collection_of("managedDevices")
        ))
        .await,
    )
    .await;
    assert_eq!(md["managementState"], "retirePending");
    let c = ok_json(checkin(&s, &d).await).await;
    let commands = c["commands"].as_array().unwrap();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["type"], "retire");
    let command = commands[0]["id"].as_str().unwrap();
    let res = s
        .bare
        .post(s.url(&format!("/device/v1/commands/{command}/ack")))
        .header("authorization", format!("Device {}", d.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(checkin(&s, &d).await, StatusCode::GONE, "DeviceRemoved").await;
    assert!(all_devices(&s).await.is_empty());
    assert_eq!(
        counts(&s, &id).await,
        (0, 1),
        "the usage stays, the device is gone"
    );
    // An unknown secret is 401, never 410.
    expect_error(
        checkin(&s, &Device::new("x")).await,
        StatusCode::UNAUTHORIZED,
        "InvalidDeviceCredential",
    )
    .await;
}

#[tokio::test]
async fn tokens_that_do_not_enroll() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "p").await;
    let d = Device::new("S1");
    for bad in ["ABCDEFGHIJKLMNOPQRST", "short", "abcdefghijklmnopqrst"] {
        expect_error(
            enroll(&s, &d, bad).await,
            StatusCode::UNAUTHORIZED,
            "InvalidEnrollmentToken",
        )
        .await;
    }
    // Replaced by a newer token, or revoked: the same 401.
    let newer = new_token(&s, &id).await;
    expect_error(
        enroll(&s, &d, &token).await,
        StatusCode::UNAUTHORIZED,
        "InvalidEnrollmentToken",
    )
    .await;
    let res = s
        .post_json(&format!("{}/revokeToken", s.item(&id)), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        enroll(&s, &d, &newer).await,
        StatusCode::UNAUTHORIZED,
        "InvalidEnrollmentToken",
    )
    .await;
    assert!(all_devices(&s).await.is_empty());
}

#[tokio::test]
async fn idempotency_keys_prove_a_retry_and_refuse_another_body() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "p").await;
    let d = Device::new("S2");
    let key = [("idempotency-key", "k-1")];
    let first = enroll_with(&s, &d.body(&token), &key).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = ok_json(first).await;
    let again = enroll_with(&s, &d.body(&token), &key).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        ok_json(again).await["managedDeviceId"],
        first["managedDeviceId"]
    );
    let mut other = d.body(&token);
    other["device"]["osVersion"] = json!("15");
    expect_error(
        enroll_with(&s, &other, &key).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IdempotencyKeyReused",
    )
    .await;
    assert_eq!(counts(&s, &id).await, (1, 1));
}

/// An expired token is 410, told apart from an unknown one (401), and nothing is stored.
#[tokio::test]
async fn an_expired_token_is_gone() {
    use provisio::error::ApiError;
    use provisio::model::{Entity as _, Profile, Sensitive, TenantId, Timestamp, Token};
    use provisio::service::devices::{DeviceSettings, Devices};
    use provisio::service::Writes;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn provisio::store::Store> = Arc::from(
        crate::common::open_store(dir.path(), &crate::common::fresh_database_url()).await,
    );
    let tenant = TenantId(uuid::Uuid::from_u128(5));
    let now = Timestamp::now();
    let mut p: Profile = Profile::set().new_entity(tenant, uuid::Uuid::new_v4(), now);
    p.display_name = "expired".into();
    p.token = Some(Token {
        id: uuid::Uuid::new_v4(),
        value: Sensitive::new("EXPIREDTOKENAAAAAAAA"),
        created: now.plus_seconds(-120).unwrap(),
        expires: now.plus_seconds(-1).unwrap(),
        qr_content: Sensitive::new("{}"),
        qr_png: Vec::new(),
    });
    store.insert(tenant, &p).await.unwrap();
    let devices = Devices::new(
        store.clone(),
        Writes::new(store.clone()),
        DeviceSettings::default(),
    );
    let status = |e: ApiError| e.status_and_code();
    let gone = devices
        .profile_for_token("EXPIREDTOKENAAAAAAAA")
        .await
        .unwrap_err();
    assert_eq!(status(gone), (StatusCode::GONE, "EnrollmentTokenExpired"));
    let gone = devices.check("EXPIREDTOKENAAAAAAAA").await.unwrap_err();
    assert_eq!(status(gone), (StatusCode::GONE, "EnrollmentTokenExpired"));
    let unknown = devices
        .profile_for_token("EXPIREDTOKENAAAAAAAB")
        .await
        .unwrap_err();
    assert_eq!(
        status(unknown),
        (StatusCode::UNAUTHORIZED, "InvalidEnrollmentToken")
    );
    store.close().await;
}

/// The profile's device-name template is expanded once, when the record is created.
#[tokio::test]
async fn the_name_template_names_the_record() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({
            "displayName": "named",
            "enrollmentMode": "corporateOwnedDedicatedDevice",
            "deviceNameTemplate": "Kiosk-{{SERIAL}}-{{SERIALLAST4DIGITS}}"
        }))
        .await;
    let id = p["id"].as_str().unwrap();
    let token = new_token(&s, id).await;
    let e = ok_json(enroll(&s, &Device::new("R58N12345XY"), &token).await).await;
    assert_eq!(e["deviceName"], "Kiosk-R58N12345XY-45XY");
    // A later change of the template leaves the record's name as it was.
    let res = s
        .patch_json(
            &s.item(id),
            &json!({"deviceNameTemplate": "Other-{{SERIAL}}"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let all = all_devices(&s).await;
    assert_eq!(all[0]["deviceName"], "Kiosk-R58N12345XY-45XY");
}
