//! The user of an AOSP user-associated enrollment: the device forwards the user's ID token, which
//! provisio verifies (issuer, key, lifetime, the DPC's client id, the profile's tenant) before the
//! record names the user (`userPrincipalName`, the `{{UPNPREFIX}}` of device names).

use std::time::Duration;

use provisio::auth::dev::DevKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::common::{expect_error, TestServer};
use crate::tokens::aosp_dpc;

/// The client id the tests' DPC signs its users in with.
const DPC_CLIENT: &str = "dpc-sign-in";

const USER: &str = "eric.solomon@contoso.com";

async fn server(audiences: &[&str]) -> TestServer {
    let audiences: Vec<String> = audiences.iter().map(|a| (*a).to_owned()).collect();
    TestServer::start_with(move |s| {
        s.aosp_dpc = aosp_dpc(40);
        s.devices.user_id_token_audiences = audiences;
    })
    .await
}

/// A profile of `mode` named by `{{UPNPREFIX}}`, with a token: (id, token).
async fn profile(s: &TestServer, mode: &str) -> (String, String) {
    let p = s
        .create(json!({
            "displayName": "Users",
            "enrollmentMode": mode,
            "deviceNameTemplate": "{{UPNPREFIX}}-{{SERIALLAST4DIGITS}}",
        }))
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    let token = new_token(s, &id).await;
    (id, token)
}

fn id_token(s: &TestServer, tenant: uuid::Uuid, audience: &str, user: &str) -> String {
    DevKey::load(&s.data_dir)
        .expect("development key")
        .issue_id_token(tenant, audience, user, Duration::from_secs(600))
        .expect("ID token")
}

/// Enrolls a new device with `token` and `user_token`.
async fn enroll_as(s: &TestServer, token: &str, user_token: Option<&str>) -> reqwest::Response {
    let d = Device::new(format!(
        "R58N{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    ));
    let mut body = d.body(token);
    body["userIdToken"] = json!(user_token);
    enroll_with(s, &body, &[]).await
}

async fn record(s: &TestServer, enrolled: reqwest::Response) -> Value {
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let e = ok_json(enrolled).await;
    let id = e["managedDeviceId"].as_str().unwrap();
    ok_json(
        s.get(&format!("{}/{id}", s.collection_of("managedDevices")))
            .await,
    )
    .await
}

#[tokio::test]
async fn a_verified_user_id_token_names_the_user_of_a_user_associated_device() {
    let s = server(&[DPC_CLIENT]).await;
    let (id, token) = profile(&s, "corporateOwnedAOSPUserAssociatedDevice").await;
    let good = id_token(&s, s.dev_tenant, DPC_CLIENT, USER);
    let md = record(&s, enroll_as(&s, &token, Some(&good)).await).await;
    assert_eq!(md["userPrincipalName"], USER);
    let name = md["deviceName"].as_str().unwrap();
    assert!(name.starts_with("eric-solomon-"), "{name}");
    // Graph finds the device by its user.
    let filter = crate::query_table::enc(&format!("userPrincipalName eq '{USER}'"));
    let url = format!("{}?$filter={filter}", s.collection_of("managedDevices"));
    let found = ok_json(s.get(&url).await).await;
    assert_eq!(found["value"].as_array().map(Vec::len), Some(1), "{found}");

    // Refused, and nothing counted: an ID token for another client, of another tenant, with a
    // broken signature, not a JWT at all, or the development access token (another audience).
    let other_tenant = uuid::Uuid::new_v4();
    let mut forged = good.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let access = s.dev_token(
        s.dev_tenant,
        &["DeviceManagementServiceConfig.Read.All"],
        false,
    );
    let before = counts(&s, &id).await;
    for (case, bad) in [
        (
            "another client",
            id_token(&s, s.dev_tenant, "another-app", USER),
        ),
        (
            "another tenant",
            id_token(&s, other_tenant, DPC_CLIENT, USER),
        ),
        ("no user", id_token(&s, s.dev_tenant, DPC_CLIENT, "")),
        ("forged", forged),
        ("not a JWT", "not-a-token".to_owned()),
        ("an access token", access),
    ] {
        let res = enroll_as(&s, &token, Some(&bad)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{case}");
        let message = expect_error(res, StatusCode::UNAUTHORIZED, "InvalidUserIdToken").await;
        assert!(!message.contains(&bad), "{case}: the token is not echoed");
    }
    assert_eq!(counts(&s, &id).await, before);
    assert_eq!(all_devices(&s).await.len(), 1);

    // Without a token the device enrolls without a user.
    let md = record(&s, enroll_as(&s, &token, None).await).await;
    assert_eq!(md["userPrincipalName"], Value::Null);
    s.stop().await;
}

/// The other modes enroll devices without a user: a token sent with them is not read. Without
/// configured client ids no token is verified, so none names a user.
#[tokio::test]
async fn user_id_tokens_are_read_only_for_user_associated_devices_with_client_ids_set() {
    let s = server(&[DPC_CLIENT]).await;
    let (_, token) = profile(&s, "corporateOwnedFullyManaged").await;
    let good = id_token(&s, s.dev_tenant, DPC_CLIENT, USER);
    let md = record(&s, enroll_as(&s, &token, Some(&good)).await).await;
    assert_eq!(md["userPrincipalName"], Value::Null);
    let md = record(&s, enroll_as(&s, &token, Some("not-a-token")).await).await;
    assert_eq!(md["userPrincipalName"], Value::Null);
    s.stop().await;

    let s = server(&[]).await;
    let (_, token) = profile(&s, "corporateOwnedAOSPUserAssociatedDevice").await;
    let good = id_token(&s, s.dev_tenant, DPC_CLIENT, USER);
    let md = record(&s, enroll_as(&s, &token, Some(&good)).await).await;
    assert_eq!(md["userPrincipalName"], Value::Null);
    s.stop().await;
}
