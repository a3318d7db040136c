//! Two tenants on one server: every endpoint with the other tenant's ids is 404 (never 403:
//! nothing says the row exists), nothing of the other tenant changes, and lists show only the
//! caller's own rows. The tenant is the token's `tid` and becomes `accountId`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{call, READ_WRITE, TENANT_A, TENANT_B};
use crate::common::{client_with_token, expect_error, ok_json, TestServer, COLLECTION};

const GROUP: &str = "5b2a8f3e-1c4d-4e6f-8a9b-0c1d2e3f4a5b";

async fn create(s: &TestServer, token: &str, name: &str) -> Value {
    let res = call(
        s,
        Method::POST,
        &s.collection(),
        Some(token),
        Some(&json!({"displayName": name})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// Every profile a token's tenant sees, following nextLinks.
async fn list_ids(s: &TestServer, token: &str) -> Vec<String> {
    let client = client_with_token(token);
    let mut ids = Vec::new();
    let mut url = format!("{}?$top=2", s.collection());
    loop {
        let page = ok_json(client.get(&url).send().await.unwrap()).await;
        ids.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_tenant_cannot_see_or_touch_another_tenants_profiles() {
    let s = TestServer::start().await;
    let a = s.dev_token(Uuid::parse_str(TENANT_A).unwrap(), &[READ_WRITE], false);
    let b = s.dev_token(Uuid::parse_str(TENANT_B).unwrap(), &[READ_WRITE], false);
    let b_app = s.dev_token(Uuid::parse_str(TENANT_B).unwrap(), &[READ_WRITE], true);

    let mut mine = Vec::new();
    for i in 0..5 {
        mine.push(
            create(&s, &a, &format!("a{i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let theirs: Vec<String> = vec![
        create(&s, &b, "b0").await["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        create(&s, &b, "b1").await["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    let target = &mine[0];
    let url = |suffix: &str| format!("{}{COLLECTION}/{target}{suffix}", s.base);
    let set = json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": GROUP}]});
    for (path, body) in [
        (
            "/createToken",
            Some(json!({"tokenValidityInSeconds": 3600})),
        ),
        (
            "/setEnrollmentTimeDeviceMembershipTarget",
            Some(set.clone()),
        ),
    ] {
        let res = call(&s, Method::POST, &url(path), Some(&a), body.as_ref()).await;
        assert!(res.status().is_success(), "{path}");
    }
    let before = ok_json(call(&s, Method::GET, &url(""), Some(&a), None).await).await;
    assert_eq!(before["accountId"], TENANT_A);
    assert!(before["tokenValue"].is_string());

    let attempts: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "", None),
        (Method::PATCH, "", Some(json!({"displayName": "stolen"}))),
        (Method::DELETE, "", None),
        (
            Method::POST,
            "/createToken",
            Some(json!({"tokenValidityInSeconds": 3600})),
        ),
        (Method::POST, "/revokeToken", None),
        (
            Method::POST,
            "/setEnrollmentTimeDeviceMembershipTarget",
            Some(set),
        ),
        (
            Method::POST,
            "/retrieveEnrollmentTimeDeviceMembershipTarget",
            None,
        ),
        (
            Method::POST,
            "/clearEnrollmentTimeDeviceMembershipTarget",
            None,
        ),
    ];
    for token in [&b, &b_app] {
        for (method, path, body) in &attempts {
            let res = call(&s, method.clone(), &url(path), Some(token), body.as_ref()).await;
            let message = expect_error(res, StatusCode::NOT_FOUND, "ResourceNotFound").await;
            assert!(
                message.contains(target.as_str()),
                "{method} {path}: {message}"
            );
        }
    }

    let after = ok_json(call(&s, Method::GET, &url(""), Some(&a), None).await).await;
    assert_eq!(after, before, "the other tenant changed nothing");
    let membership = ok_json(
        call(
            &s,
            Method::POST,
            &url("/retrieveEnrollmentTimeDeviceMembershipTarget"),
            Some(&a),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        membership["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        GROUP
    );

    let mut a_sees = list_ids(&s, &a).await;
    let mut b_sees = list_ids(&s, &b).await;
    a_sees.sort();
    b_sees.sort();
    let (mut mine_sorted, mut theirs_sorted) = (mine.clone(), theirs.clone());
    mine_sorted.sort();
    theirs_sorted.sort();
    assert_eq!(a_sees, mine_sorted);
    assert_eq!(b_sees, theirs_sorted);
    // The development tenant of the default client has none of either.
    assert!(s.list_all().await.is_empty());
    let b_profile = ok_json(
        call(
            &s,
            Method::GET,
            &format!("{}/{}", s.collection(), theirs[0]),
            Some(&b),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(b_profile["accountId"], TENANT_B);
    // Counts never include the other tenant's rows, not even when a filter names them.
    for (token, own, prefix_of_other) in [(&a, mine.len(), "b"), (&b, theirs.len(), "a")] {
        let client = client_with_token(token);
        let res = client
            .get(format!("{}/$count", s.collection()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.text().await.unwrap().trim(), own.to_string());
        let url = format!("{}?$count=true&$top=1", s.collection());
        let page = ok_json(client.get(url).send().await.unwrap()).await;
        assert_eq!(page["@odata.count"], own);
        let filter = format!("startswith(displayName,'{prefix_of_other}')");
        let url = format!("{}?$count=true&$filter={filter}", s.collection());
        let page = ok_json(client.get(url).send().await.unwrap()).await;
        assert_eq!(page["@odata.count"], 0, "{filter}");
        assert_eq!(page["value"], json!([]));
        let url = format!("{}/$count?$filter={filter}", s.collection());
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.text().await.unwrap().trim(), "0");
    }
    s.stop().await;
}
