//! The enrollment-time device membership target actions.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_error, ok_json, TestServer};

const GROUP: &str = "5b2a8f3e-1c4d-4e6f-8a9b-0c1d2e3f4a5b";

async fn call(s: &TestServer, id: &str, action: &str, body: Option<Value>) -> reqwest::Response {
    let url = format!("{}/{action}", s.item(id));
    s.send(reqwest::Method::POST, &url, body.as_ref()).await
}

#[tokio::test]
async fn set_retrieve_and_clear_one_target() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "m"})).await;
    let id = p["id"].as_str().unwrap();

    let set = |target_id: &str| json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": target_id}]});
    let r = ok_json(
        call(
            &s,
            id,
            "setEnrollmentTimeDeviceMembershipTarget",
            Some(set(&GROUP.to_uppercase())),
        )
        .await,
    )
    .await;
    assert_eq!(r["validationSucceeded"], true);
    assert!(r["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"));

    let r = ok_json(call(&s, id, "retrieveEnrollmentTimeDeviceMembershipTarget", None).await).await;
    assert_eq!(r["validationSucceeded"], true);
    assert_eq!(
        r["enrollmentTimeDeviceMembershipTargetValidationStatuses"],
        json!([{"targetId": GROUP}])
    );

    // A target that is not a group id fails validation and replaces nothing.
    let r = ok_json(
        call(
            &s,
            id,
            "setEnrollmentTimeDeviceMembershipTarget",
            Some(set("sales team")),
        )
        .await,
    )
    .await;
    assert_eq!(r["validationSucceeded"], false);
    assert_eq!(
        r["enrollmentTimeDeviceMembershipTargetValidationStatuses"],
        json!([{"targetId": "sales team", "targetValidationErrorCode": "securityGroupNotFound"}])
    );
    let r = ok_json(call(&s, id, "retrieveEnrollmentTimeDeviceMembershipTarget", None).await).await;
    assert_eq!(
        r["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        GROUP
    );

    // More than one target, or a malformed one, is 400.
    for body in [
        json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": GROUP}, {"targetType": "staticSecurityGroup", "targetId": GROUP}]}),
        json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "dynamicGroup", "targetId": GROUP}]}),
        json!({"enrollmentTimeDeviceMembershipTargets": [{"targetId": GROUP}]}),
        json!({"enrollmentTimeDeviceMembershipTargets": "x"}),
        json!({"targets": []}),
    ] {
        expect_error(
            call(
                &s,
                id,
                "setEnrollmentTimeDeviceMembershipTarget",
                Some(body),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }

    let res = call(&s, id, "clearEnrollmentTimeDeviceMembershipTarget", None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let r = ok_json(call(&s, id, "retrieveEnrollmentTimeDeviceMembershipTarget", None).await).await;
    assert_eq!(
        r["enrollmentTimeDeviceMembershipTargetValidationStatuses"],
        json!([])
    );
    assert_eq!(
        call(&s, id, "clearEnrollmentTimeDeviceMembershipTarget", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let unknown = "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8";
    for action in [
        "setEnrollmentTimeDeviceMembershipTarget",
        "retrieveEnrollmentTimeDeviceMembershipTarget",
        "clearEnrollmentTimeDeviceMembershipTarget",
    ] {
        expect_error(
            call(&s, unknown, action, Some(set(GROUP))).await,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        )
        .await;
    }
    s.stop().await;
}
