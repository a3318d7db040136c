//! `GET /beta/$metadata`: a loadable CSDL document that says, member for member, what Graph's
//! own metadata says about the profile (compared with the verbatim fragments in
//! `tests/fixtures/graph-beta-csdl-fragments.xml`).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use roxmltree::{Document, Node};

use crate::common::TestServer;

const FRAGMENTS: &str = include_str!("../fixtures/graph-beta-csdl-fragments.xml");
const DEVICE_FRAGMENTS: &str = include_str!("../fixtures/graph-beta-devices-csdl-fragments.xml");
const DEVICE: &str = "graph.managedDevice";
const EDM: &str = "http://docs.oasis-open.org/odata/ns/edm";
const EDMX: &str = "http://docs.oasis-open.org/odata/ns/edmx";
const PROFILE: &str = "graph.androidDeviceOwnerEnrollmentProfile";

fn children<'a, 'i>(n: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == tag)
}

fn named<'a, 'i>(n: Node<'a, 'i>, tag: &'a str, name: &str) -> Option<Node<'a, 'i>> {
    children(n, tag).find(|c| c.attribute("Name") == Some(name))
}

/// Every attribute of every child element, in order: what must match exactly.
fn shape(n: Node) -> Vec<(String, Vec<(String, String)>)> {
    n.children()
        .filter(|c| c.is_element())
        .map(|c| {
            let attrs = c
                .attributes()
                .map(|a| (a.name().to_owned(), a.value().to_owned()))
                .collect();
            (c.tag_name().name().to_owned(), attrs)
        })
        .collect()
}

/// Properties by name: (Type, Nullable attribute).
fn properties(n: Node) -> BTreeMap<String, (String, Option<String>)> {
    children(n, "Property")
        .map(|p| {
            let attr = |k: &str| p.attribute(k).map(str::to_owned);
            (
                attr("Name").unwrap_or_default(),
                (attr("Type").unwrap_or_default(), attr("Nullable")),
            )
        })
        .collect()
}

fn raw_schema<'a, 'i>(doc: &'a Document<'i>) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.tag_name().name() == "fragment" && n.attribute("source") == Some("RAW"))
        .and_then(|f| children(f, "Schema").next())
        .expect("RAW fragment schema")
}

/// Checks that every type named in the schema is a primitive or defined in it.
fn every_type_resolves(schema: Node) {
    let defined: BTreeSet<&str> = schema
        .children()
        .filter(|c| c.is_element())
        .filter_map(|c| c.attribute("Name"))
        .collect();
    let primitives = [
        "Edm.String",
        "Edm.Int32",
        "Edm.Boolean",
        "Edm.DateTimeOffset",
        "Edm.Binary",
        "Edm.Guid",
    ];
    for node in schema.descendants().filter(|n| n.is_element()) {
        for attr in ["Type", "BaseType"] {
            let Some(ty) = node.attribute(attr) else {
                continue;
            };
            let inner = ty
                .strip_prefix("Collection(")
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(ty);
            let ok = primitives.contains(&inner)
                || inner
                    .strip_prefix("graph.")
                    .or_else(|| inner.strip_prefix("microsoft.graph."))
                    .is_some_and(|name| defined.contains(name));
            assert!(
                ok,
                "{attr}=\"{ty}\" on <{}> is not defined",
                node.tag_name().name()
            );
        }
    }
}

#[tokio::test]
async fn metadata_matches_the_official_fragments_and_loads() {
    let s = TestServer::start().await;
    let res = s.get(&s.url("/beta/$metadata")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/xml");
    assert_eq!(res.headers()["odata-version"], "4.0");
    let text = res.text().await.unwrap();
    s.stop().await;

    let ours = Document::parse(&text).expect("well-formed XML");
    let root = ours.root_element();
    assert_eq!(root.tag_name().namespace(), Some(EDMX));
    assert_eq!(root.tag_name().name(), "Edmx");
    assert_eq!(root.attribute("Version"), Some("4.0"));
    let services = children(root, "DataServices").next().expect("DataServices");
    let schemas: Vec<Node> = children(services, "Schema").collect();
    assert_eq!(schemas.len(), 1);
    let schema = schemas[0];
    assert_eq!(schema.tag_name().namespace(), Some(EDM));
    assert_eq!(schema.attribute("Namespace"), Some("microsoft.graph"));
    assert_eq!(schema.attribute("Alias"), Some("graph"));
    every_type_resolves(schema);

    let official = Document::parse(FRAGMENTS).expect("fixture");
    let graph = raw_schema(&official);

    // The entity: all 22 properties with Graph's types and nullability, key from graph.entity.
    let entity = named(schema, "EntityType", "androidDeviceOwnerEnrollmentProfile").unwrap();
    let expected = named(graph, "EntityType", "androidDeviceOwnerEnrollmentProfile").unwrap();
    assert_eq!(entity.attribute("BaseType"), Some("graph.entity"));
    assert_eq!(properties(entity), properties(expected));
    assert_eq!(properties(entity).len(), 22);
    let base = named(schema, "EntityType", "entity").unwrap();
    assert_eq!(
        shape(base),
        shape(named(graph, "EntityType", "entity").unwrap())
    );
    assert_eq!(base.attribute("Abstract"), Some("true"));

    // Enums and complex types: member for member.
    let enums: Vec<&str> = children(schema, "EnumType")
        .filter_map(|e| e.attribute("Name"))
        .collect();
    assert_eq!(
        enums.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "androidDeviceOwnerEnrollmentMode",
            "androidDeviceOwnerEnrollmentTokenType",
            "aospWifiSecurityType",
            "enrollmentTimeDeviceMembershipTargetType",
            "enrollmentTimeDeviceMembershipTargetValidationErrorCode",
            "complianceState",
            "deviceEnrollmentType",
            "deviceRegistrationState",
            "deviceType",
            "managedDeviceOwnerType",
            "managementAgentType",
            "managementState",
            "obliterationBehavior",
            "ownerType",
        ])
    );
    let devices_doc = Document::parse(DEVICE_FRAGMENTS).expect("devices fixture");
    let devices = devices_doc.root_element();
    for name in enums {
        // obliterationBehavior (a parameter type of wipe) is not among the fragments; its
        // members are Graph's documented ones.
        if name == "obliterationBehavior" {
            continue;
        }
        let theirs = named(graph, "EnumType", name)
            .or_else(|| named(devices, "EnumType", name))
            .unwrap();
        assert_eq!(
            shape(named(schema, "EnumType", name).unwrap()),
            shape(theirs),
            "{name}"
        );
    }
    let complex: Vec<&str> = children(schema, "ComplexType")
        .filter_map(|e| e.attribute("Name"))
        .collect();
    assert_eq!(complex.len(), 8);
    for name in complex {
        let theirs = named(graph, "ComplexType", name)
            .or_else(|| named(devices, "ComplexType", name))
            .unwrap_or_else(|| panic!("{name} is not official"));
        assert_eq!(
            shape(named(schema, "ComplexType", name).unwrap()),
            shape(theirs),
            "{name}"
        );
    }

    // managedDevice: every official member it serves with Graph's type and nullability, and
    // this service's own member, described as such.
    let device = named(schema, "EntityType", "managedDevice").unwrap();
    let mut ours = properties(device);
    let own = ours
        .remove("enrollmentProfileId")
        .expect("enrollmentProfileId");
    assert_eq!(own, ("Edm.String".to_owned(), Some("false".to_owned())));
    let own_node = named(device, "Property", "enrollmentProfileId").unwrap();
    assert!(children(own_node, "Annotation").any(|a| a
        .attribute("String")
        .is_some_and(|d| d.contains("not of Microsoft Graph"))));
    let theirs = properties(named(devices, "EntityType", "managedDevice").unwrap());
    assert_eq!(ours.len(), 25);
    for (name, declared) in &ours {
        assert_eq!(Some(declared), theirs.get(name), "managedDevice.{name}");
    }

    // auditEvent: every official member, with Graph's type and nullability, and nothing else;
    // its two functions exactly as Graph declares them.
    let audit = named(schema, "EntityType", "auditEvent").unwrap();
    assert_eq!(
        properties(audit),
        properties(named(devices, "EntityType", "auditEvent").unwrap())
    );
    assert_eq!(properties(audit).len(), 11);
    let functions: Vec<Node> = children(schema, "Function").collect();
    assert_eq!(functions.len(), 2);
    for f in functions {
        let name = f.attribute("Name").unwrap();
        let theirs = named(devices, "Function", name).unwrap();
        assert_eq!(shape(f), shape(theirs), "{name}");
        assert_eq!(f.attribute("IsBound"), Some("true"));
    }

    // The seven bound actions, exactly as the official overloads bound to their types.
    let ours_actions: Vec<Node> = children(schema, "Action").collect();
    assert_eq!(ours_actions.len(), 7);
    for action in ours_actions {
        let name = action.attribute("Name").unwrap();
        let binding = children(action, "Parameter")
            .next()
            .and_then(|p| p.attribute("Type"))
            .unwrap();
        let official = if binding == DEVICE { devices } else { graph };
        assert!(binding == DEVICE || binding == PROFILE, "{binding}");
        let theirs = children(official, "Action")
            .find(|a| {
                a.attribute("Name") == Some(name)
                    && children(*a, "Parameter")
                        .next()
                        .and_then(|p| p.attribute("Type"))
                        == Some(binding)
            })
            .unwrap_or_else(|| panic!("no official overload of {name}"));
        assert_eq!(action.attribute("IsBound"), Some("true"));
        // Graph's wipe declares macOsUnlockCode Unicode="false", which says nothing a
        // client needs; compare name, type and nullability of each parameter.
        let params = |a: Node| {
            children(a, "Parameter")
                .map(|p| {
                    (
                        p.attribute("Name").map(str::to_owned),
                        p.attribute("Type").map(str::to_owned),
                        p.attribute("Nullable").map(str::to_owned),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(params(action), params(theirs), "{name}");
        assert_eq!(
            children(action, "ReturnType").count(),
            children(theirs, "ReturnType").count()
        );
    }

    // The path: GraphService/deviceManagement/androidDeviceOwnerEnrollmentProfiles.
    let container = named(schema, "EntityContainer", "GraphService").unwrap();
    let theirs = named(graph, "EntityContainer", "GraphService").unwrap();
    assert_eq!(shape(container), shape(theirs));
    let dm = named(schema, "EntityType", "deviceManagement").unwrap();
    let nav = named(
        dm,
        "NavigationProperty",
        "androidDeviceOwnerEnrollmentProfiles",
    )
    .unwrap();
    let theirs = named(
        named(graph, "EntityType", "deviceManagement").unwrap(),
        "NavigationProperty",
        "androidDeviceOwnerEnrollmentProfiles",
    )
    .unwrap();
    let attrs = |n: Node| {
        n.attributes()
            .map(|a| (a.name().to_owned(), a.value().to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(attrs(nav), attrs(theirs));
    let official_dm = devices
        .descendants()
        .find(|n| n.attribute("Name") == Some("auditEvents"))
        .unwrap();
    assert_eq!(
        attrs(named(dm, "NavigationProperty", "auditEvents").unwrap()),
        attrs(official_dm)
    );
}

#[test]
fn the_checks_notice_a_wrong_document() {
    // The comparison helpers must fail on a document that differs from Graph's.
    let wrong = provisio::model::csdl::document().replace(
        "<Property Name=\"wifiHidden\" Type=\"Edm.Boolean\" Nullable=\"false\" />",
        "<Property Name=\"wifiHidden\" Type=\"Edm.Boolean\" />",
    );
    let doc = Document::parse(&wrong).unwrap();
    let official = Document::parse(FRAGMENTS).unwrap();
    let find = |d: &Document| {
        properties(
            d.descendants()
                .find(|n| n.attribute("Name") == Some("androidDeviceOwnerEnrollmentProfile"))
                .unwrap(),
        )
    };
    assert_ne!(
        find(&doc),
        properties(
            named(
                raw_schema(&official),
                "EntityType",
                "androidDeviceOwnerEnrollmentProfile"
            )
            .unwrap()
        )
    );
    let dangling = wrong.replace("graph.mimeContent\" />", "graph.mimeContentX\" />");
    let doc = Document::parse(&dangling).unwrap();
    let schema = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Schema")
        .unwrap();
    assert!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| every_type_resolves(schema)))
            .is_err()
    );
}
