//! `$format`, `Accept` and the metadata levels (docs/API.md, Response formats) on entities,
//! lists (rendered by SQLite, or written by the service), actions and managed devices.

use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{etag_of, send};
use crate::common::{expect_error, ok_json, TestServer, COLLECTION};
use crate::devices::{enroll, profile_with_token, Device};

/// `v` without any `@odata.*` member, at any depth: what `none` must equal (and without
/// `lastModifiedDateTime`, which each of the PATCHes compared moves).
fn stripped(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("@odata.") && *k != "lastModifiedDateTime")
                .map(|(k, v)| (k.clone(), stripped(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(stripped).collect()),
        other => other.clone(),
    }
}

/// The `@odata.*` names anywhere in `v`.
fn annotations(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k.starts_with("@odata.") {
                    out.push(k.clone());
                }
                annotations(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| annotations(v, out)),
        _ => {}
    }
}

/// One JSON response at each level, asked with `Accept` or with `$format`: (level, body).
async fn at_levels(
    s: &TestServer,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for level in ["none", "minimal", "full"] {
        let accept = format!("application/json;odata.metadata={level}");
        let by_header = send(
            s,
            method.clone(),
            url,
            &[("accept", &accept), ("prefer", "return=representation")],
            body,
        )
        .await;
        let content_type = by_header.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.contains(&format!("odata.metadata={level}")),
            "{url}: {content_type}"
        );
        let by_header = ok_json(by_header).await;
        let sep = if url.contains('?') { '&' } else { '?' };
        let by_option = ok_json(
            send(
                s,
                method.clone(),
                &format!("{url}{sep}$format=application/json;odata.metadata={level}"),
                &[
                    ("accept", "application/xml"),
                    ("prefer", "return=representation"),
                ],
                body,
            )
            .await,
        )
        .await;
        if method == Method::GET {
            assert_eq!(stripped(&by_header), stripped(&by_option), "{url} {level}");
        }
        out.push((level, by_header));
    }
    out
}

/// The levels of one kind of response hold what they promise: `none` is `minimal` without its
/// annotations (except count and nextLink), `full` is `minimal` with links that lead back to
/// the entity.
/// (`edits`: each level's response came from a change of its own, so ETags differ.)
async fn check_levels(s: &TestServer, url: &str, levels: &[(&'static str, Value)], edits: bool) {
    let (none, minimal, full) = (&levels[0].1, &levels[1].1, &levels[2].1);
    let mut kept = Vec::new();
    annotations(none, &mut kept);
    assert!(
        kept.iter()
            .all(|k| k == "@odata.count" || k == "@odata.nextLink"),
        "{url}: none kept {kept:?}"
    );
    assert_eq!(stripped(none), stripped(minimal), "{url}");
    assert_eq!(stripped(full), stripped(minimal), "{url}");
    let entities: Vec<(&Value, &Value)> = match (minimal.get("value"), full.get("value")) {
        (Some(Value::Array(m)), Some(Value::Array(f))) => m.iter().zip(f).collect(),
        _ if minimal.get("@odata.type").is_some() => vec![(minimal, full)],
        _ => Vec::new(),
    };
    for (m, f) in entities {
        assert!(
            m["@odata.type"].is_string() && m["@odata.etag"].is_string(),
            "{url}: {m}"
        );
        assert!(m.get("@odata.id").is_none() && m.get("@odata.editLink").is_none());
        if !edits {
            assert_eq!(f["@odata.etag"], m["@odata.etag"], "{url}");
        }
        let link = f["@odata.id"].as_str().expect("@odata.id");
        assert_eq!(f["@odata.editLink"], link);
        assert!(link.starts_with(&s.base), "{link}");
        let again = ok_json(s.get(link).await).await;
        if let Some(id) = m.get("id") {
            assert_eq!(&again["id"], id, "{link}");
            assert!(
                link.ends_with(&format!("('{}')", id.as_str().unwrap())),
                "{link}"
            );
        }
    }
    if minimal.get("value").is_some() || minimal.get("@odata.type").is_some() {
        assert!(minimal["@odata.context"].is_string(), "{url}");
        assert!(none.get("@odata.context").is_none(), "{url}");
    }
}

#[tokio::test]
async fn every_json_response_comes_at_the_level_asked() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "levels").await;
    s.create(json!({"displayName": "second"})).await;
    for i in 0..2 {
        let res = enroll(&s, &Device::new(format!("LVL{i}")), &token).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let item = s.item(&id);
    let devices = s.collection_of("managedDevices");
    let device = ok_json(s.get(&devices).await).await["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gets = [
        // Rendered by the database on SQLite, with paging and a count.
        format!("{}?$top=1&$count=true&$orderby=displayName", s.collection()),
        // The QR image: written by the service on both stores.
        format!("{}?$select=id,qrCodeImage,tokenValue", s.collection()),
        item.clone(),
        format!("{item}?$select=displayName,wifiPassword"),
        // Rendered on SQLite in runs around sealed members, the first run empty without metadata.
        format!("{}?$select=tokenValue,displayName", s.collection()),
        format!("{devices}?$count=true"),
        format!("{devices}/{device}"),
    ];
    for url in &gets {
        let levels = at_levels(&s, Method::GET, url, None).await;
        check_levels(&s, url, &levels, false).await;
    }
    let patched = at_levels(&s, Method::PATCH, &item, Some(&json!({"description": "d"}))).await;
    check_levels(&s, &item, &patched, true).await;
    let created = at_levels(
        &s,
        Method::POST,
        &s.collection(),
        Some(&json!({"displayName": "made"})),
    )
    .await;
    for (level, body) in &created {
        let mut found = Vec::new();
        annotations(body, &mut found);
        assert_eq!(found.is_empty(), *level == "none", "{level}: {found:?}");
        assert_eq!(body.get("@odata.id").is_some(), *level == "full", "{level}");
    }
    let action = format!("{item}/retrieveEnrollmentTimeDeviceMembershipTarget");
    let results = at_levels(&s, Method::POST, &action, None).await;
    assert!(results[0].1.get("@odata.context").is_none());
    assert!(results[1].1["@odata.context"].is_string());
    assert_eq!(results[0].1["validationSucceeded"], true);
    // An Int64 as a string when asked: the count.
    let res = send(
        &s,
        Method::GET,
        &format!("{}?$count=true", s.collection()),
        &[("accept", "application/json;IEEE754Compatible=true")],
        None,
    )
    .await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("IEEE754Compatible=true"));
    let page = ok_json(res).await;
    assert!(page["@odata.count"].is_string(), "{page}");
    s.stop().await;
}

/// A request the service must refuse: method, URL, headers.
type Refused = (Method, String, Vec<(&'static str, &'static str)>);

#[tokio::test]
async fn json_and_its_wildcards_are_served_and_anything_else_is_406() {
    let s = TestServer::start().await;
    let p = s.create(json!({"displayName": "fmt"})).await;
    let item = s.item(p["id"].as_str().unwrap());
    for accept in [
        "*/*",
        "application/*",
        "application/json",
        "text/html, application/json;q=0.1",
        "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8",
    ] {
        let res = send(&s, Method::GET, &item, &[("accept", accept)], None).await;
        assert_eq!(res.status(), StatusCode::OK, "{accept}");
        assert!(ok_json(res).await["@odata.context"].is_string(), "{accept}");
    }
    for query in ["$format=json", "$format=JSON", "$format=application/json"] {
        let res = send(
            &s,
            Method::GET,
            &format!("{item}?{query}"),
            &[("accept", "application/xml")],
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
    }
    let unacceptable: Vec<Refused> = vec![
        (
            Method::GET,
            item.clone(),
            vec![("accept", "application/xml")],
        ),
        (
            Method::GET,
            item.clone(),
            vec![("accept", "application/atom+xml")],
        ),
        (Method::GET, s.collection(), vec![("accept", "text/plain")]),
        (
            Method::GET,
            s.collection(),
            vec![("accept", "application/json;odata=verbose")],
        ),
        (
            Method::GET,
            format!("{}?$format=xml", s.collection()),
            vec![],
        ),
        (
            Method::GET,
            format!("{item}?$format=atom"),
            vec![("accept", "application/json")],
        ),
        (
            Method::GET,
            s.collection_of("managedDevices"),
            vec![("accept", "application/xml")],
        ),
        (
            Method::PATCH,
            item.clone(),
            vec![("accept", "application/xml")],
        ),
        (
            Method::POST,
            s.collection(),
            vec![("accept", "application/xml")],
        ),
        (
            Method::POST,
            format!("{item}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            vec![("accept", "application/xml")],
        ),
    ];
    for (method, url, headers) in unacceptable {
        let body = (method != Method::GET).then(|| json!({"displayName": "changed"}));
        let res = send(&s, method.clone(), &url, &headers, body.as_ref()).await;
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let message = expect_error(res, StatusCode::NOT_ACCEPTABLE, "NotAcceptable").await;
        assert!(
            message.contains("application/json"),
            "{method} {url}: {message}"
        );
    }
    // The token comes first: without one, 401 whatever the request accepts.
    let res = s
        .bare
        .get(&item)
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
    // Refused before anything was written.
    let now = ok_json(s.get(&item).await).await;
    assert_eq!(now["displayName"], "fmt");
    assert_eq!(s.list_all().await.len(), 1);
    // What is not JSON keeps its own type whatever the request accepts.
    let metadata = send(
        &s,
        Method::GET,
        &s.url("/beta/$metadata"),
        &[("accept", "application/xml")],
        None,
    )
    .await;
    assert_eq!(metadata.status(), StatusCode::OK);
    let count = send(
        &s,
        Method::GET,
        &format!("{}/$count", s.url(COLLECTION)),
        &[("accept", "text/plain")],
        None,
    )
    .await;
    assert_eq!(count.status(), StatusCode::OK);
    assert_eq!(count.text().await.unwrap(), "1");
    // The ETag header does not depend on the level.
    let none = send(
        &s,
        Method::GET,
        &item,
        &[("accept", "application/json;odata.metadata=none")],
        None,
    )
    .await;
    let full = send(
        &s,
        Method::GET,
        &item,
        &[("accept", "application/json;odata.metadata=full")],
        None,
    )
    .await;
    assert_eq!(etag_of(&none), etag_of(&full));
    s.stop().await;
}
