//! OData conventions: `$top=0`, the key named in the key predicate, `OData-MaxVersion`, and the
//! date Graph shows for an unset token date.

use provisio::model::timestamp::MIN_TEXT;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_error, ok_json, TestServer};
use crate::devices::{enroll, new_token, profile_with_token, Device};

/// A page of the profiles with the query string `query`.
async fn profiles(s: &TestServer, query: &str) -> Value {
    ok_json(s.get(&format!("{}?{query}", s.collection())).await).await
}

#[tokio::test]
async fn top_zero_is_an_empty_page_with_the_count_when_asked() {
    let s = TestServer::start().await;
    for n in 0..3 {
        s.create(json!({"displayName": format!("p{n}")})).await;
    }
    let (_, token) = profile_with_token(&s, "enrolling").await;
    let res = enroll(&s, &Device::new("R58N20000001"), &token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for (collection, all) in [(s.collection(), 4), (s.collection_of("managedDevices"), 1)] {
        let page = ok_json(s.get(&format!("{collection}?$top=0")).await).await;
        assert_eq!(page["value"], json!([]), "{collection}");
        assert!(page.get("@odata.nextLink").is_none(), "{page}");
        assert!(page.get("@odata.count").is_none(), "{page}");
        let page = ok_json(s.get(&format!("{collection}?$top=0&$count=true")).await).await;
        assert_eq!(page["value"], json!([]), "{collection}");
        assert_eq!(page["@odata.count"], all, "{collection}");
    }
    let page = profiles(&s, "$top=0&$count=true&$filter=startswith(displayName,'p')").await;
    assert_eq!(page["value"], json!([]));
    assert_eq!(page["@odata.count"], 3);
    assert!(page.get("@odata.nextLink").is_none(), "{page}");
    // A zero page of a later position, and with the image selected (read as entities).
    let first = profiles(&s, "$top=1").await;
    let next = first["@odata.nextLink"]
        .as_str()
        .unwrap()
        .replace("$top=1", "$top=0");
    let page = ok_json(s.get(&next).await).await;
    assert_eq!(page["value"], json!([]));
    let page = profiles(&s, "$top=0&$select=qrCodeImage").await;
    assert_eq!(page["value"], json!([]));
    let msg = expect_error(
        s.get(&format!("{}?$top=-1", s.collection())).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(msg.contains("between 0 and 1000"), "{msg}");
    s.stop().await;
}

#[tokio::test]
async fn the_key_may_name_its_property() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "keyed"})).await;
    let id = p["id"].as_str().unwrap();
    let by_segment = ok_json(s.get(&s.item(id)).await).await;
    let c = s.collection();
    for form in [
        format!("{c}(id='{id}')"),
        format!("{c}(id=%27{id}%27)"),
        format!("{c}('{id}')"),
        format!("{c}({})", id.to_uppercase()),
    ] {
        assert_eq!(ok_json(s.get(&form).await).await, by_segment, "{form}");
    }
    let res = s
        .patch_json(&format!("{c}(id='{id}')"), &json!({"description": "d"}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = s
        .post_json(&format!("{c}(id='{id}')/revokeToken"), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let got = ok_json(s.get(&s.item(id)).await).await;
    assert_eq!(got["description"], "d");
    // Another property name is not a key: the id it leaves is not a GUID.
    expect_error(
        s.get(&format!("{c}(displayName='{id}')")).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn odata_max_version_below_four_is_not_acceptable() {
    let s = TestServer::start().await;
    let get = |path: &str, version: &str| {
        s.client
            .get(s.url(path))
            .header("OData-MaxVersion", version)
            .send()
    };
    let paths = [
        "/beta",
        "/beta/$metadata",
        "/beta/deviceManagement",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles",
    ];
    for path in paths {
        for ok in ["4.0", "4.01", "5.0"] {
            assert_eq!(
                get(path, ok).await.unwrap().status(),
                StatusCode::OK,
                "{path} {ok}"
            );
        }
        for low in ["3.0", "2.0", "1.0"] {
            let msg = expect_error(
                get(path, low).await.unwrap(),
                StatusCode::NOT_ACCEPTABLE,
                "NotAcceptable",
            )
            .await;
            assert!(msg.contains("4.0") && msg.contains(low), "{msg}");
        }
        let msg = expect_error(
            get(path, "four").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(msg.contains("OData-MaxVersion"), "{msg}");
    }
    // The token comes first (401), and what is not OData never looks at the header.
    let res = s
        .bare
        .get(s.url(paths[3]))
        .header("OData-MaxVersion", "3.0")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
    assert_eq!(
        get("/healthz", "3.0").await.unwrap().status(),
        StatusCode::OK
    );
    // Nothing was written by a refused create.
    let res = s
        .client
        .post(s.collection())
        .header("OData-MaxVersion", "3.0")
        .header("content-type", "application/json")
        .body(json!({"displayName": "v3"}).to_string())
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_ACCEPTABLE, "NotAcceptable").await;
    assert!(s.list_all().await.is_empty());
    s.stop().await;
}

fn token_dates(v: &Value) -> (Value, Value) {
    (
        v["tokenCreationDateTime"].clone(),
        v["tokenExpirationDateTime"].clone(),
    )
}

#[tokio::test]
async fn unset_token_dates_show_as_graph_shows_them() {
    let s = TestServer::start().await;
    let unset = (json!(MIN_TEXT), json!(MIN_TEXT));
    assert_eq!(MIN_TEXT, "0001-01-01T00:00:00Z");
    let p = s.create(json!({"displayName": "dates"})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(token_dates(&p), unset);
    assert_eq!(
        token_dates(&ok_json(s.get(&s.item(&id)).await).await),
        unset
    );
    // Lists: rendered by SQLite's json_object, and read as entities when the image is selected.
    for query in [
        "",
        "&$select=tokenCreationDateTime,tokenExpirationDateTime,qrCodeImage",
    ] {
        let page = profiles(
            &s,
            &format!("$filter=tokenCreationDateTime eq {MIN_TEXT}{query}"),
        )
        .await;
        assert_eq!(token_dates(&page["value"][0]), unset, "{query}");
    }
    // A token's dates keep their seven digits; revoking returns to the unset form.
    new_token(&s, &id).await;
    let with = ok_json(s.get(&s.item(&id)).await).await;
    for date in [
        &with["tokenCreationDateTime"],
        &with["tokenExpirationDateTime"],
    ] {
        let text = date.as_str().unwrap();
        assert_eq!(text.len(), 28, "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
    }
    let res = s
        .post_json(&format!("{}/revokeToken", s.item(&id)), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let page = profiles(&s, "").await;
    assert_eq!(token_dates(&page["value"][0]), unset);
    s.stop().await;
}
