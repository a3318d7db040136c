//! Managed devices through Graph: reads with the OData options, PATCH, DELETE, wipe's
//! permission, and tenant isolation.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::common::{client_with_token, expect_error};

#[tokio::test]
async fn managed_devices_are_read_changed_and_deleted_through_graph() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "g").await;
    for i in 0..5 {
        assert_eq!(
            enroll(&s, &Device::new(format!("G{i}")), &token)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let col = s.collection_of("managedDevices");
    let page = ok_json(s.get(&format!("{col}?$filter=enrollmentProfileId eq '{id}'&$orderby=serialNumber desc&$top=2&$count=true")).await).await;
    assert_eq!(page["@odata.count"], 5);
    assert_eq!(page["value"][0]["serialNumber"], "G4");
    assert!(page["@odata.nextLink"].as_str().is_some());
    let n: String = s
        .get(&format!(
            "{col}/$count?$filter=startswith(serialNumber,'g')"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(n, "5");
    let one = page["value"][0]["id"].as_str().unwrap().to_owned();
    let url = format!("{col}/{one}");
    let res = s
        .patch_json(
            &url,
            &json!({"notes": "rack 3", "managedDeviceName": "Kiosk 7", "serialNumber": "ignored"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let got = ok_json(
        s.get(&format!(
            "{url}?$select=notes,managedDeviceName,serialNumber"
        ))
        .await,
    )
    .await;
    assert_eq!(got["notes"], "rack 3");
    assert_eq!(got["managedDeviceName"], "Kiosk 7");
    assert_eq!(got["serialNumber"], "G4");
    expect_error(
        s.patch_json(&url, &json!({"notes": 5})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    // Wipe needs the privileged permission.
    let plain = client_with_token(&s.dev_token(
        s.dev_tenant,
        &["DeviceManagementManagedDevices.ReadWrite.All"],
        false,
    ));
    let res = plain.post(format!("{url}/wipe")).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "Forbidden").await;
    let reader = client_with_token(&s.dev_token(
        s.dev_tenant,
        &["DeviceManagementManagedDevices.Read.All"],
        false,
    ));
    assert_eq!(
        reader.get(&col).send().await.unwrap().status(),
        StatusCode::OK
    );
    let res = reader.delete(&url).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "Forbidden").await;
    let profiles_only = client_with_token(&s.dev_token(
        s.dev_tenant,
        &["DeviceManagementConfiguration.ReadWrite.All"],
        false,
    ));
    expect_error(
        profiles_only.get(&col).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    let res = s
        .post_json(&format!("{url}/wipe"), &json!({"keepUserData": false}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let got = ok_json(s.get(&url).await).await;
    assert_eq!(got["managementState"], "wipePending");
    expect_error(
        s.post_json(&format!("{url}/wipe"), &json!({"nope": 1}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    // Another tenant sees none of it.
    let other = client_with_token(&s.dev_token(
        uuid::Uuid::from_u128(77),
        &[
            "DeviceManagementManagedDevices.ReadWrite.All",
            "DeviceManagementManagedDevices.PrivilegedOperations.All",
        ],
        false,
    ));
    let page = ok_json(other.get(&col).send().await.unwrap()).await;
    assert_eq!(page["value"], json!([]));
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::PATCH, ""),
        (Method::DELETE, ""),
        (Method::POST, "/retire"),
        (Method::POST, "/wipe"),
    ] {
        let res = other
            .request(method.clone(), format!("{url}{suffix}"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    // DELETE: gone, and the profile counts one device less.
    assert_eq!(counts(&s, &id).await, (5, 5));
    assert_eq!(
        s.send(Method::DELETE, &url, None).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(s.get(&url).await, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert_eq!(counts(&s, &id).await, (4, 5));
}
