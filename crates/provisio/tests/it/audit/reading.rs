//! Reading the trail: the OData options, get by id, the two functions, read-only (405),
//! Graph's permissions for it, one tenant's events only; and no secret in any event or in the
//! log.

use std::process::Stdio;

use provisio::auth::{AUDIT_READ_WRITE_ALL, DEVICES_READ_WRITE_ALL, READ_WRITE_ALL};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{events, events_url, reader};
use crate::common::{client_with_token, expect_error, ok_json, TestServer};
use crate::devices::{new_token, Device};
use crate::durability::{serve_command, spawn_command, Process};

#[tokio::test]
async fn the_trail_is_queried_like_every_collection() {
    let s = TestServer::start().await;
    for i in 0..3 {
        s.create(json!({"displayName": format!("P{i}")})).await;
    }
    let p = s.create(json!({"displayName": "With token"})).await;
    new_token(&s, p["id"].as_str().unwrap()).await;
    let all = events(&s, "").await;
    assert_eq!(all.len(), 5);
    let client = reader(&s);
    let get = |q: &str| {
        let url = format!("{}?{q}", events_url(&s));
        let client = client.clone();
        async move { ok_json(client.get(&url).send().await.unwrap()).await }
    };
    // Filters on the category, the type, the actor (any case) and the time; $count; $top.
    let page = get("$filter=category eq 'enrollment'&$count=true&$top=2").await;
    assert_eq!(page["@odata.count"], 5);
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert!(page["@odata.nextLink"].as_str().is_some());
    assert!(page["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/beta/$metadata#deviceManagement/auditEvents"));
    let page =
        get("$filter=activityType eq 'createToken AndroidDeviceOwnerEnrollmentProfile'").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    let page =
        get("$filter=actor/userPrincipalName eq 'DEVELOPER@provisio.INVALID'&$count=true").await;
    assert_eq!(page["@odata.count"], 5);
    let page = get("$filter=startswith(actor/applicationDisplayName,'provisio') and actor/type eq 'itpro'&$count=true").await;
    assert_eq!(page["@odata.count"], 5);
    let page = get("$filter=actor/userPrincipalName eq 'someone@else'&$count=true").await;
    assert_eq!(page["@odata.count"], 0);
    let third = all[2]["activityDateTime"].as_str().unwrap();
    let page = get(&format!("$filter=activityDateTime ge {third}&$count=true")).await;
    assert_eq!(page["@odata.count"], 3);
    let page = get("$filter=category eq 'Device'&$count=true").await;
    assert_eq!(page["@odata.count"], 0);
    // Sorting on an actor's property pages through every event once.
    let sorted = events(&s, "$top=2&$orderby=actor/userPrincipalName desc").await;
    assert_eq!(sorted.len(), 5);
    let count = client
        .get(format!(
            "{}/$count?$filter=category eq 'Enrollment'",
            events_url(&s)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count.text().await.unwrap(), "5");
    // $select; the resources can only be selected.
    let page = get("$select=activityType,actor").await;
    let first = &page["value"][0];
    assert!(first.get("resources").is_none() && first.get("actor").is_some());
    let res = client
        .get(format!(
            "{}?$filter=resources/any(r: r/resourceId eq 'x')",
            events_url(&s)
        ))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;

    // By id, in the key syntax too.
    let id = all[0]["id"].as_str().unwrap();
    let one = ok_json(
        client
            .get(format!("{}/{id}", events_url(&s)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(one["id"], id);
    assert_eq!(one["@odata.type"], "#microsoft.graph.auditEvent");
    let keyed = client
        .get(format!("{}('{id}')", events_url(&s)))
        .send()
        .await
        .unwrap();
    assert_eq!(keyed.status(), StatusCode::OK);
    let res = client
        .get(format!("{}/{}", events_url(&s), Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let res = client
        .get(format!("{}/not-a-guid", events_url(&s)))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;

    // The functions, plain and qualified.
    let cats = ok_json(
        client
            .get(format!("{}/getAuditCategories()", events_url(&s)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cats["value"], json!(["Device", "Enrollment"]));
    assert!(cats["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#Collection(Edm.String)"));
    let types = ok_json(
        client
            .get(format!(
                "{}/microsoft.graph.getAuditActivityTypes(category='Enrollment')",
                events_url(&s)
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let types: Vec<&str> = types["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for t in all.iter().map(|e| e["activityType"].as_str().unwrap()) {
        assert!(types.contains(&t), "{t} not in {types:?}");
    }
    assert!(types.contains(&"Supersede ManagedDevice"));
    assert!(!types.contains(&"wipe ManagedDevice"));
    let res = client
        .get(format!("{}/getAuditActivityTypes()", events_url(&s)))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    s.stop().await;
}

#[tokio::test]
async fn the_trail_is_read_only_needs_its_permission_and_shows_one_tenant() {
    let s = TestServer::start().await;
    s.create(json!({"displayName": "Mine"})).await;
    let mine = events(&s, "").await;
    assert_eq!(mine.len(), 1);
    let id = mine[0]["id"].as_str().unwrap().to_owned();
    let item = format!("{}/{id}", events_url(&s));

    // Graph lists create, update and delete; the trail here is read-only.
    let writer = client_with_token(&s.dev_token(s.dev_tenant, &[AUDIT_READ_WRITE_ALL], false));
    for (method, url) in [
        (Method::POST, events_url(&s)),
        (Method::PATCH, item.clone()),
        (Method::DELETE, item.clone()),
        (Method::PUT, item.clone()),
    ] {
        let res = writer
            .request(method.clone(), &url)
            .json(&json!({"activity": "forged"}))
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
    }
    assert_eq!(
        ok_json(writer.get(&item).send().await.unwrap()).await["id"],
        id.as_str()
    );

    // The profile permissions do not read it; an application token with its role does.
    let profiles_only = client_with_token(&s.dev_token(
        s.dev_tenant,
        &[READ_WRITE_ALL, DEVICES_READ_WRITE_ALL],
        false,
    ));
    let res = profiles_only.get(events_url(&s)).send().await.unwrap();
    let message = expect_error(res, StatusCode::FORBIDDEN, "Forbidden").await;
    assert!(
        message.contains("DeviceManagementApps.Read.All"),
        "{message}"
    );
    let app =
        client_with_token(&s.dev_token(s.dev_tenant, &["DeviceManagementApps.Read.All"], true));
    assert_eq!(
        app.get(&item).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Another tenant sees none of these events, and not this one by id.
    let other = Uuid::new_v4();
    let theirs =
        client_with_token(&s.dev_token(other, &[AUDIT_READ_WRITE_ALL, READ_WRITE_ALL], false));
    let page = ok_json(theirs.get(events_url(&s)).send().await.unwrap()).await;
    assert_eq!(page["value"], json!([]));
    let res = theirs.get(&item).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    // Its own change is its own event.
    let res = theirs
        .post(s.collection())
        .json(&json!({"displayName": "Theirs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = ok_json(theirs.get(events_url(&s)).send().await.unwrap()).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    assert_eq!(events(&s, "").await.len(), 1);
    s.stop().await;
}

/// Starts the binary with debug logging into `log`.
fn spawn_logging(dir: &std::path::Path, log: &std::path::Path) -> Process {
    let mut command = serve_command(dir, &crate::common::fresh_database_url(), "debug");
    command
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    spawn_command(command)
}

#[tokio::test]
async fn no_event_and_no_log_line_holds_a_secret() {
    const PASSWORD: &str = "Audit-Secret-Pa55-7";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("provisio.log");
    let data = dir.path().join("data");
    let Process {
        mut child,
        base,
        token,
    } = spawn_logging(&data, &log);
    let admin = client_with_token(&token);
    let profiles = format!("{base}/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles");
    let p = ok_json(
        admin
            .post(&profiles)
            .json(&json!({"displayName": "Secretive", "wifiSsid": "Lager",
                "wifiSecurityType": "wpa", "wifiPassword": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let item = format!("{profiles}/{}", p["id"].as_str().unwrap());
    let res = admin
        .post(format!("{item}/createToken"))
        .json(&json!({"tokenValidityInSeconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let stored = ok_json(admin.get(&item).send().await.unwrap()).await;
    let enrollment_token = stored["tokenValue"].as_str().unwrap().to_owned();
    let res = admin
        .patch(&item)
        .json(&json!({"wifiPassword": format!("{PASSWORD}-2")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let device = Device::new("SECRET01");
    let res = reqwest::Client::new()
        .post(format!("{base}/device/v1/enroll"))
        .json(&device.body(&enrollment_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Every event, as the trail serves it (whole, not only what a page shows).
    let tenant = stored["accountId"].as_str().unwrap();
    let trail = client_with_token(
        &provisio::auth::dev::DevKey::load(&data)
            .unwrap()
            .issue(&provisio::auth::dev::TokenRequest {
                tenant: tenant.parse().unwrap(),
                permissions: vec![AUDIT_READ_WRITE_ALL.to_owned()],
                app: false,
                lifetime: std::time::Duration::from_secs(600),
            })
            .unwrap(),
    );
    let page = trail
        .get(format!(
            "{base}/beta/deviceManagement/auditEvents?$select=*"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(events["value"].as_array().unwrap().len(), 4, "{page}");
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("auditEvents"),
        "the log has the requests: {logged}"
    );
    for secret in [PASSWORD, enrollment_token.as_str(), device.secret.as_str()] {
        assert!(!page.contains(secret), "an event holds a secret: {page}");
        assert!(!logged.contains(secret), "the log holds a secret");
    }
    assert!(page.contains("********"));
}
