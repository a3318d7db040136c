//! Create, get, list, PATCH and DELETE as a client sees them.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_error, ok_json, redact, TestServer};

#[tokio::test]
async fn create_fills_every_default_and_get_returns_the_same() {
    let s = TestServer::start().await;
    let res = s
        .client
        .post(s.collection())
        .header("content-type", "application/json; charset=utf-8")
        .header("client-request-id", "my-trace-1")
        .body(r#"{"displayName":"Front desk kiosks"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let h = res.headers().clone();
    assert_eq!(
        h["content-type"],
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    );
    assert_eq!(h["odata-version"], "4.0");
    assert_eq!(h["client-request-id"], "my-trace-1");
    assert!(uuid::Uuid::parse_str(h["request-id"].to_str().unwrap()).is_ok());
    assert!(h.contains_key("date"));
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(h["location"].to_str().unwrap(), s.item(id));
    assert_eq!(
        created.as_object().unwrap().len(),
        26,
        "context, type, ETag and 23 members"
    );
    insta::assert_json_snapshot!("create_defaults", redact(created.clone(), &s.base));

    let got = ok_json(s.get(&s.item(id)).await).await;
    assert_eq!(got, created);
    // OData key syntax and upper-case ids address the same entity.
    let by_key = ok_json(
        s.get(&s.url(&format!("{}('{id}')", crate::common::COLLECTION)))
            .await,
    )
    .await;
    assert_eq!(by_key, created);
    let upper = ok_json(s.get(&s.item(&id.to_uppercase())).await).await;
    assert_eq!(upper, created);
    s.stop().await;
}

#[tokio::test]
async fn dates_are_utc_with_seven_digits() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "d"})).await;
    for m in ["createdDateTime", "lastModifiedDateTime"] {
        let v = p[m].as_str().unwrap();
        assert_eq!(v.len(), 28, "{v}");
        assert!(v.ends_with('Z') && v.as_bytes()[19] == b'.', "{v}");
    }
    assert_eq!(p["tokenCreationDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(p["createdDateTime"], p["lastModifiedDateTime"]);
    s.stop().await;
}

#[tokio::test]
async fn every_settable_member_round_trips() {
    let s = TestServer::start().await;
    let body = json!({
        "displayName": "  Warehouse scanners  ",
        "description": "Zebra TC52, aisle 3 — ünïcödé",
        "enrollmentMode": "corporateOwnedAOSPUserlessDevice",
        "enrollmentTokenType": "deviceStaging",
        "roleScopeTagIds": ["0", "12"],
        "configureWifi": true,
        "wifiSsid": "WH-5G \"north\"",
        "wifiPassword": "correct horse battery",
        "wifiSecurityType": "wpa",
        "wifiHidden": true,
        "isTeamsDeviceProfile": true,
        "deviceNameTemplate": "WH-{{SERIALLAST4DIGITS}}-{{rand:3}}"
    });
    let p = s.create(body.clone()).await;
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&p[k], v, "{k}");
    }
    s.stop().await;
}

#[tokio::test]
async fn read_only_members_are_accepted_and_ignored() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({
            "displayName": "x",
            "id": "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8",
            "accountId": "someone else",
            "createdDateTime": "2017-01-01T00:02:43.5775965-08:00",
            "tokenValue": "ABC",
            "enrolledDeviceCount": 3,
            "enrollmentTokenUsageCount": 9,
            "qrCodeContent": "x",
            "qrCodeImage": {"@odata.type": "microsoft.graph.mimeContent", "type": "image/png", "value": "dmFsdWU="}
        }))
        .await;
    assert_ne!(p["id"], "a8d0245e-245e-a8d0-5e24-d0a85e24d0a8");
    assert_eq!(p["accountId"], provisio::config::DEFAULT_DEV_TENANT);
    assert_eq!(p["tokenValue"], Value::Null);
    assert_eq!(p["enrolledDeviceCount"], 0);
    assert_eq!(p["qrCodeImage"], Value::Null);
    assert_ne!(p["createdDateTime"], "2017-01-01T08:02:43.5775965Z");
    // A GET result posts back unchanged as a new profile.
    let again = s.create(p.clone()).await;
    assert_eq!(again["displayName"], "x");
    assert_ne!(again["id"], p["id"]);
    s.stop().await;
}

#[tokio::test]
async fn list_pages_by_keyset_with_absolute_next_links() {
    let s = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            s.create(json!({"displayName": format!("p{i}")})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.sort();
    let mut url = format!("{}?$top=3&foo=bar", s.collection());
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = ok_json(s.get(&url).await).await;
        pages += 1;
        assert_eq!(
            page["@odata.context"],
            format!(
                "{}/beta/$metadata#deviceManagement/androidDeviceOwnerEnrollmentProfiles",
                s.base
            )
        );
        for p in page["value"].as_array().unwrap() {
            assert!(p.get("qrCodeImage").is_none(), "lists leave the image out");
            assert_eq!(
                p["@odata.type"],
                "#microsoft.graph.androidDeviceOwnerEnrollmentProfile"
            );
            seen.push(p["id"].as_str().unwrap().to_owned());
        }
        match page.get("@odata.nextLink") {
            Some(next) => {
                let next = next.as_str().unwrap();
                assert!(next.starts_with(&format!("{}/beta/", s.base)), "{next}");
                assert!(
                    next.contains("$top=3") && next.contains("foo=bar"),
                    "{next}"
                );
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "every profile once, in id order");

    // Default page size is 100; an empty tenant gets an empty value.
    let page = ok_json(s.get(&s.collection()).await).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 7);
    assert!(page.get("@odata.nextLink").is_none());
    s.stop().await;
}

#[tokio::test]
async fn a_tampered_skiptoken_is_refused() {
    let s = TestServer::start().await;
    for i in 0..3 {
        s.create(json!({"displayName": format!("p{i}")})).await;
    }
    let page = ok_json(s.get(&format!("{}?$top=1", s.collection())).await).await;
    let next = page["@odata.nextLink"].as_str().unwrap().to_owned();
    let (prefix, token) = next.rsplit_once("$skiptoken=").unwrap();
    let mut bytes = token.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let bad = format!("{prefix}$skiptoken={}", String::from_utf8(bytes).unwrap());
    let msg = expect_error(s.get(&bad).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(msg.contains("$skiptoken"), "{msg}");
    s.stop().await;
}

#[tokio::test]
async fn patch_changes_only_present_members() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({"displayName": "a", "description": "d", "wifiSsid": "net"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let res = s
        .patch_json(
            &s.item(id),
            &json!({"description": null, "wifiHidden": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    let after = ok_json(s.get(&s.item(id)).await).await;
    assert_eq!(after["description"], Value::Null);
    assert_eq!(after["wifiHidden"], true);
    assert_eq!(after["wifiSsid"], "net");
    assert_eq!(after["displayName"], "a");
    assert_eq!(after["createdDateTime"], p["createdDateTime"]);
    assert!(after["lastModifiedDateTime"].as_str() > p["lastModifiedDateTime"].as_str());

    let res = s
        .client
        .patch(s.item(id))
        .header("content-type", "application/json")
        .header("prefer", "return=representation")
        .body(r#"{"displayName":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["preference-applied"], "return=representation");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["displayName"], "b");
    assert!(body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$entity"));
    s.stop().await;
}

#[tokio::test]
async fn patch_refuses_what_create_refuses_and_keeps_the_row() {
    let s = TestServer::start().await;
    let p = s
        .create(json!({"displayName": "a", "wifiSecurityType": "wpa", "wifiPassword": "12345678"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let before = ok_json(s.get(&s.item(id)).await).await;
    for (body, needle) in [
        (json!({"displayName": null}), "displayName"),
        (json!({"wifiSecurityType": "wep"}), "wifiPassword"),
        (json!({"enrollmentMode": "fullyManaged"}), "enrollmentMode"),
        (json!({"wifiSsid": "x".repeat(33)}), "wifiSsid"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let msg = expect_error(
            s.patch_json(&s.item(id), &body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    assert_eq!(ok_json(s.get(&s.item(id)).await).await, before);
    s.stop().await;
}

#[tokio::test]
async fn delete_then_everything_is_404() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "gone soon"})).await;
    let id = p["id"].as_str().unwrap();
    let res = s.send(reqwest::Method::DELETE, &s.item(id), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        s.get(&s.item(id)).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    expect_error(
        s.send(reqwest::Method::DELETE, &s.item(id), None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    expect_error(
        s.patch_json(&s.item(id), &json!({"displayName": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    // An unknown id is 404 even with a bad body: the id is checked first.
    expect_error(
        s.patch_json(&s.item(id), &json!({"displayName": 5})).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    assert!(s.list_all().await.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn input_rules_name_the_member() {
    let s = TestServer::start().await;
    let cases = [
        (json!({}), "displayName"),
        (json!({"displayName": "   "}), "displayName"),
        (json!({"displayName": "x".repeat(257)}), "displayName"),
        (json!({"displayName": "x", "description": "x".repeat(1501)}), "description"),
        (json!({"displayName": "x", "enrollmentMode": "CorporateOwnedFullyManaged"}), "enrollmentMode"),
        (json!({"displayName": "x", "enrollmentTokenType": 1}), "enrollmentTokenType"),
        (json!({"displayName": "x", "wifiSecurityType": "wpa2"}), "wifiSecurityType"),
        (json!({"displayName": "x", "roleScopeTagIds": vec!["1"; 101]}), "roleScopeTagIds"),
        (json!({"displayName": "x", "roleScopeTagIds": [""]}), "roleScopeTagIds"),
        (json!({"displayName": "x", "roleScopeTagIds": ["x".repeat(129)]}), "roleScopeTagIds"),
        (json!({"displayName": "x", "roleScopeTagIds": null}), "roleScopeTagIds"),
        (json!({"displayName": "x", "wifiSsid": ""}), "wifiSsid"),
        (json!({"displayName": "x", "wifiSsid": "é".repeat(17)}), "wifiSsid"),
        (json!({"displayName": "x", "wifiSecurityType": "wpa", "wifiPassword": "short"}), "wifiPassword"),
        (json!({"displayName": "x", "wifiSecurityType": "wep", "wifiPassword": "abcdef"}), "wifiPassword"),
        (json!({"displayName": "x", "deviceNameTemplate": "{{IMEI}}"}), "deviceNameTemplate"),
        (json!({"displayName": "x", "deviceNameTemplate": "{{rand:12}}"}), "deviceNameTemplate"),
        (json!({"displayName": "x", "deviceNameTemplate": "a".repeat(64)}), "deviceNameTemplate"),
        (json!({"displayName": "x", "configureWifi": "true"}), "configureWifi"),
        (json!({"displayName": "x", "configureWifi": null}), "configureWifi"),
        (json!({"displayName": "x", "tokenCreationDateTime": "2017-01-01"}), "tokenCreationDateTime"),
        (json!({"displayName": "x", "enrolledDeviceCount": 3.5}), "enrolledDeviceCount"),
        (json!({"displayName": "x", "id": "not-a-guid"}), "id"),
        (json!({"displayName": "x", "@odata.type": "#microsoft.graph.androidForWorkEnrollmentProfile"}), "@odata.type"),
        (json!({"displayName": "x", "displayname": "y"}), "The property 'displayname' does not exist on type 'microsoft.graph.androidDeviceOwnerEnrollmentProfile'"),
    ];
    for (body, needle) in cases {
        let msg = expect_error(
            s.post_json(&s.collection(), &body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    assert!(s.list_all().await.is_empty(), "nothing was stored");
    // Accepted edge values.
    for body in [
        json!({"displayName": "x".repeat(256)}),
        json!({"displayName": "x", "wifiSsid": "é".repeat(16)}),
        json!({"displayName": "x", "wifiSecurityType": "wpa", "wifiPassword": "a".repeat(63)}),
        json!({"displayName": "x", "wifiSecurityType": "wpa", "wifiPassword": "AbCdEf0123456789".repeat(4)}),
        json!({"displayName": "x", "wifiSecurityType": "wep", "wifiPassword": "0123456789abcdef0123456789"}),
        json!({"displayName": "x", "roleScopeTagIds": vec!["1"; 100]}),
        json!({"displayName": "x", "description": null, "wifiSsid": null, "deviceNameTemplate": null}),
        json!({"displayName": "x", "@odata.type": "microsoft.graph.androidDeviceOwnerEnrollmentProfile"}),
        json!({"displayName": "x", "tokenCreationDateTime": "2030-01-02T03:04:05+00:00"}),
    ] {
        s.create(body).await;
    }
    s.stop().await;
}

/// Over HTTP/2 (prior knowledge, no `Host` header: the host is the `:authority`), links name
/// the address the client used, as over HTTP/1.1.
#[tokio::test]
async fn links_over_http2_name_the_authority() {
    let s = TestServer::start().await;
    let token = s.dev_token(
        s.dev_tenant,
        &["DeviceManagementConfiguration.ReadWrite.All"],
        false,
    );
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let res = h2
        .post(s.collection())
        .header("content-type", "application/json")
        .body(r#"{"displayName":"Over h2"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&s.collection()), "{location}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with(&s.base),
        "{body}"
    );
    s.create(serde_json::json!({"displayName": "Second"})).await;
    let page: serde_json::Value = h2
        .get(format!("{}?$top=1", s.collection()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&s.collection()), "{next}");
    s.stop().await;
}
