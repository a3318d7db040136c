//! `auditEvent`, declared: a complex member and a collection of complex values.

use super::*;

/// `auditEvent`: a complex `actor`, a collection of complex `resources`.
#[derive(Clone, Debug, PartialEq)]
struct AuditEvent {
    tenant: TenantId,
    id: Uuid,
    activity: Option<String>,
    at: Timestamp,
    actor: serde_json::Value,
    resources: serde_json::Value,
}

static AUDIT_ACTOR: ComplexDecl = ComplexDecl {
    name: "auditActor",
    properties: &[
        Field {
            name: "applicationDisplayName",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "applicationId",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "type",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "userPrincipalName",
            ty: MemberType::String,
            nullable: true,
        },
    ],
};

static AUDIT_RESOURCE: ComplexDecl = ComplexDecl {
    name: "auditResource",
    properties: &[
        Field {
            name: "displayName",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "resourceId",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "type",
            ty: MemberType::String,
            nullable: true,
        },
    ],
};

static AUDIT_EVENTS: EntitySet<AuditEvent> = EntitySet {
    name: "auditEvents",
    type_name: "auditEvent",
    table: "audit_events",
    search: &[],
    counters: &[],
    a_noun: "an audit event",
    check: |_| Ok(()),
    hidden: &[],
    derived: LazyLock::new(|| Layout::of(&AUDIT_EVENTS)),
    members: &[
        id_member(),
        MemberDecl {
            name: "activity",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "activity",
            key: Some("activity_key"),
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |e| e.activity.as_deref().map_or(Val::Null, Val::Str),
            set: |e, v| put(&mut e.activity, text(v)),
        },
        MemberDecl {
            name: "activityDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "activity_at",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |e| Val::Time(e.at),
            set: |e, v| put(&mut e.at, time(v)),
        },
        MemberDecl {
            name: "actor",
            ty: MemberType::Complex(&AUDIT_ACTOR),
            nullable: Nullable::Yes,
            column: "actor",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |e| Val::Json(e.actor.clone()),
            set: |e, v| put(&mut e.actor, json_member(v)),
        },
        MemberDecl {
            name: "resources",
            ty: MemberType::ComplexCollection(&AUDIT_RESOURCE),
            nullable: Nullable::NotHere,
            column: "resources",
            key: None,
            input: Input::ReadOnly,
            query: Query::Filter,
            listed: true,
            secret: Secret::No,
            default: OnCreate::Service,
            get: |e| Val::Json(e.resources.clone()),
            set: |e, v| put(&mut e.resources, json_member(v)),
        },
    ],
};

impl Entity for AuditEvent {
    fn set() -> &'static EntitySet<Self> {
        &AUDIT_EVENTS
    }
    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self {
        AuditEvent {
            tenant,
            id,
            activity: None,
            at: now,
            actor: serde_json::Value::Null,
            resources: json!([]),
        }
    }
    fn tenant(&self) -> TenantId {
        self.tenant
    }
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i64 {
        1
    }
    fn set_version(&mut self, _version: i64) {}
    fn touch(&mut self, _now: Timestamp) {}
}

#[test]
fn audit_event_yields_official_csdl_and_filters_on_complex_members() {
    let layout = AUDIT_EVENTS.layout();
    assert_official("auditEvent", &entity_type(layout));
    let doc = roxmltree::Document::parse(FRAGMENTS).unwrap();
    for (decl, name) in [
        (&AUDIT_ACTOR, "auditActor"),
        (&AUDIT_RESOURCE, "auditResource"),
    ] {
        let official = properties(
            doc.descendants()
                .find(|n| n.has_tag_name("ComplexType") && n.attribute("Name") == Some(name))
                .unwrap(),
        );
        for f in decl.properties {
            assert!(
                official
                    .iter()
                    .any(|(n, t, _)| n == f.name && t == "Edm.String"),
                "{name}.{}",
                f.name
            );
        }
    }
    let limits = odata::Limits::DEFAULT;
    for ok in [
        "$filter=actor/userPrincipalName eq 'admin@contoso.com'",
        "$filter=startswith(actor/applicationId,'0e')&$orderby=actor/userPrincipalName",
        "$filter=resources/any(r: r/resourceId eq 'x' and r/type ne 'y')",
        "$filter=activityDateTime ge 2026-01-01T00:00:00Z&$select=actor,resources",
    ] {
        odata::parse_query(ok, &layout.schema, &limits).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "$filter=actor/userPrincipleName eq 'x'",
        "$filter=actor eq 'x'",
        "$filter=resources/resourceId eq 'x'",
        "$orderby=resources",
    ] {
        assert!(
            odata::parse_query(bad, &layout.schema, &limits).is_err(),
            "{bad}"
        );
    }
    // Complex values are stored as their JSON and written back unchanged.
    let mut e = AuditEvent::blank(tenant(), Uuid::from_u128(3), Timestamp::MIN);
    e.actor = json!({"userPrincipalName": "a@b.c", "type": "User"});
    e.resources = json!([{"resourceId": "r1", "displayName": "Kiosk"}]);
    assert_eq!(from_row::<AuditEvent>(to_row(&e)).unwrap(), e);
    let shown = entity_json(&e, &Selection::All);
    assert_eq!(shown["actor"]["userPrincipalName"], "a@b.c");
    assert_eq!(shown["resources"][0]["resourceId"], "r1");
    assert_eq!(shown["@odata.type"], "#microsoft.graph.auditEvent");
}
