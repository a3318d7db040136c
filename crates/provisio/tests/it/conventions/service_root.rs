//! `GET /beta` (the service document), `GET /beta/deviceManagement` (the singleton) and the
//! singleton's declaration in `$metadata`, compared with Graph's official fragments.

use std::collections::BTreeSet;

use provisio::api::routes::{collections, ROOT};
use provisio::auth::{DEVICES_READ_ALL, READ_ALL};
use reqwest::{Method, StatusCode};
use roxmltree::{Document, Node};
use serde_json::{json, Value};

use crate::common::{client_with_token, expect_error, ok_json, TestServer};

const DEVICE_FRAGMENTS: &str = include_str!("../../fixtures/graph-beta-devices-csdl-fragments.xml");
const FRAGMENTS: &str = include_str!("../../fixtures/graph-beta-csdl-fragments.xml");

fn elements<'a, 'i>(n: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == tag)
}

fn attrs(n: Node) -> Vec<(String, String)> {
    n.attributes()
        .map(|a| (a.name().to_owned(), a.value().to_owned()))
        .collect()
}

#[tokio::test]
async fn the_service_document_lists_the_singleton_and_needs_no_token() {
    let s = TestServer::start().await;
    let want = json!({
        "@odata.context": format!("{}/beta/$metadata", s.base),
        "value": [{"name": "deviceManagement", "kind": "Singleton", "url": "deviceManagement"}],
    });
    for path in ["/beta", "/beta/", "/BETA"] {
        let res = s.bare.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["odata-version"], "4.0");
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(res.json::<Value>().await.unwrap(), want, "{path}");
    }
    // Every entry's url, resolved against the service root, is served.
    let url = format!(
        "{}/beta/{}",
        s.base,
        want["value"][0]["url"].as_str().unwrap()
    );
    ok_json(s.get(&url).await).await;
    s.stop().await;
}

#[tokio::test]
async fn the_singleton_answers_the_callers_tenant_to_any_reader() {
    let s = TestServer::start().await;
    let url = s.url(ROOT);
    let body = ok_json(s.get(&url).await).await;
    assert_eq!(
        body,
        json!({
            "@odata.context": format!("{}/beta/$metadata#deviceManagement", s.base),
            "id": s.dev_tenant.to_string(),
        })
    );
    // Its id is the tenant's, the profiles' accountId.
    let p = s.create(json!({"displayName": "x"})).await;
    assert_eq!(p["accountId"], body["id"]);
    let other = uuid::Uuid::new_v4();
    for permission in [READ_ALL, DEVICES_READ_ALL] {
        let c = client_with_token(&s.dev_token(other, &[permission], false));
        let got: Value = ok_json(c.get(&url).send().await.unwrap()).await;
        assert_eq!(got["id"], other.to_string(), "{permission}");
    }
    let none = client_with_token(&s.dev_token(other, &["User.Read"], false));
    let msg = expect_error(
        none.get(&url).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    assert!(
        msg.contains(READ_ALL) && msg.contains(DEVICES_READ_ALL),
        "{msg}"
    );
    expect_error(
        s.bare.get(&url).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    )
    .await;
    // Query options as for one entity: `$select` names the members, the rest is checked only.
    let selected = ok_json(s.get(&format!("{url}?$select=id")).await).await;
    assert_eq!(
        selected["@odata.context"],
        format!("{}/beta/$metadata#deviceManagement(id)", s.base)
    );
    assert_eq!(selected["id"], body["id"]);
    for query in ["$select=*", "$top=1", "$filter=id eq 'x'&$count=true"] {
        let got = ok_json(s.get(&format!("{url}?{query}")).await).await;
        assert_eq!(got, body, "{query}");
    }
    for query in [
        "$select=displayName",
        "$expand=managedDevices",
        "$top=x",
        "$bogus=1",
    ] {
        let res = s.get(&format!("{url}?{query}")).await;
        expect_error(res, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    for method in [Method::POST, Method::PATCH, Method::DELETE] {
        let res = s.send(method, &url, Some(&json!({}))).await;
        expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
    }
    s.stop().await;
}

/// The singleton's type has a containment navigation property for exactly the collections the
/// service serves (whatever they are), each as Graph declares it, and nothing it cannot fill.
#[tokio::test]
async fn metadata_declares_the_singleton_with_a_navigation_per_served_collection() {
    let s = TestServer::start().await;
    let text = s.bare.get(s.url("/beta/$metadata")).send().await.unwrap();
    let text = text.text().await.unwrap();
    let doc = Document::parse(&text).unwrap();
    let schema = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Schema")
        .unwrap();
    let dm = elements(schema, "EntityType")
        .find(|t| t.attribute("Name") == Some("deviceManagement"))
        .unwrap();
    assert_eq!(dm.attribute("BaseType"), Some("graph.entity"));
    // The official fragments give the singleton no members of its own that this service could
    // fill (its id comes from graph.entity), so it declares navigation properties only.
    let kinds: BTreeSet<&str> = dm
        .children()
        .filter(Node::is_element)
        .map(|c| c.tag_name().name())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["NavigationProperty"]));

    let navs: Vec<Node> = elements(dm, "NavigationProperty").collect();
    let names: Vec<&str> = navs.iter().filter_map(|n| n.attribute("Name")).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "in name order, as Graph lists them");
    let served: BTreeSet<&str> = collections().iter().map(|c| c.segment).collect();
    assert_eq!(names.iter().copied().collect::<BTreeSet<_>>(), served);

    let official = Document::parse(DEVICE_FRAGMENTS).unwrap();
    for nav in &navs {
        let name = nav.attribute("Name").unwrap();
        let theirs = official
            .root_element()
            .children()
            .find(|n| {
                n.tag_name().name() == "NavigationProperty" && n.attribute("Name") == Some(name)
            })
            .unwrap_or_else(|| panic!("no official navigation property {name}"));
        assert_eq!(attrs(*nav), attrs(theirs), "{name}");
        // Served where the navigation leads.
        let page = ok_json(s.get(&s.url(&format!("{ROOT}/{name}"))).await).await;
        assert!(page["value"].is_array(), "{name}");
    }

    let container = elements(schema, "EntityContainer").next().unwrap();
    let official = Document::parse(FRAGMENTS).unwrap();
    let theirs = official
        .descendants()
        .find(|n| n.tag_name().name() == "Singleton")
        .unwrap();
    let ours: Vec<Node> = container.children().filter(Node::is_element).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(attrs(ours[0]), attrs(theirs));
    s.stop().await;
}
