//! The entity-set declaration is general: the official shapes of `managedDevice` (enums,
//! non-nullable members with defaults, members lists leave out unless selected) and `auditEvent`
//! (a complex member, a collection of complex values, filters on `actor/...`) are declared here,
//! without being served, and the declaration yields their CSDL (compared with Graph's official
//! metadata), their storage layout, body reading, JSON and type-checked filters.

use std::sync::LazyLock;

use provisio::model::csdl::entity_type;
use provisio::model::entity::{
    id_member, ComplexDecl, Entity, EntitySet, EnumDecl, Field, Input, MemberDecl, MemberType,
    Nullable, OnCreate, Owned, Query, Val,
};
use provisio::model::layout::{from_row, to_row, Layout};
use provisio::model::output::{entity_json, Selection};
use provisio::model::{Body, TenantId, Timestamp};
use serde_json::json;
use uuid::Uuid;

const FRAGMENTS: &str = include_str!("../fixtures/graph-beta-devices-csdl-fragments.xml");

/// A few members of `managedDevice`, as stored.
#[derive(Clone, Debug, PartialEq)]
struct Device {
    tenant: TenantId,
    id: Uuid,
    version: i64,
    name: Option<String>,
    compliance: i64,
    supervised: bool,
    free_bytes: i64,
    enrolled: Timestamp,
    notes: Option<String>,
}

static COMPLIANCE_STATE: EnumDecl = EnumDecl {
    name: "complianceState",
    members: &[
        ("unknown", 0),
        ("compliant", 1),
        ("noncompliant", 2),
        ("conflict", 3),
        ("error", 4),
        ("inGracePeriod", 254),
        ("configManager", 255),
    ],
};

fn text(v: Owned) -> Result<Option<String>, String> {
    match v {
        Owned::Null => Ok(None),
        Owned::Str(s) => Ok(Some(s)),
        other => Err(format!("{other:?}")),
    }
}

static DEVICES: EntitySet<Device> = EntitySet {
    name: "managedDevices",
    type_name: "managedDevice",
    table: "managed_devices",
    search: &["managedDeviceName"],
    a_noun: "a managed device",
    check: |_| Ok(()),
    hidden: &[],
    derived: LazyLock::new(|| Layout::of(&DEVICES)),
    members: &[
        id_member(),
        MemberDecl {
            name: "managedDeviceName",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "managed_device_name",
            key: Some("managed_device_name_key"),
            input: Input::Settable {
                check: None,
                required: false,
            },
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |d| d.name.as_deref().map_or(Val::Null, Val::Str),
            set: |d, v| {
                d.name = text(v)?;
                Ok(())
            },
        },
        MemberDecl {
            name: "complianceState",
            ty: MemberType::Enum(&COMPLIANCE_STATE),
            nullable: Nullable::No,
            column: "compliance_state",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Enum("unknown"),
            get: |d| Val::Int(d.compliance),
            set: |d, v| match v {
                Owned::Int(n) => {
                    d.compliance = n;
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            },
        },
        MemberDecl {
            name: "isSupervised",
            ty: MemberType::Boolean,
            nullable: Nullable::No,
            column: "is_supervised",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Bool(false),
            get: |d| Val::Bool(d.supervised),
            set: |d, v| match v {
                Owned::Bool(b) => {
                    d.supervised = b;
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            },
        },
        MemberDecl {
            name: "freeStorageSpaceInBytes",
            ty: MemberType::Int64,
            nullable: Nullable::No,
            column: "free_storage_bytes",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Int(0),
            get: |d| Val::Int(d.free_bytes),
            set: |d, v| match v {
                Owned::Int(n) => {
                    d.free_bytes = n;
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            },
        },
        MemberDecl {
            name: "enrolledDateTime",
            ty: MemberType::DateTime,
            nullable: Nullable::No,
            column: "enrolled_at",
            key: None,
            input: Input::ReadOnly,
            query: Query::FilterSort,
            listed: true,
            default: OnCreate::Service,
            get: |d| Val::Time(d.enrolled),
            set: |d, v| match v {
                Owned::Time(t) => {
                    d.enrolled = t;
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            },
        },
        // Graph leaves `notes` out of lists unless it is selected.
        MemberDecl {
            name: "notes",
            ty: MemberType::String,
            nullable: Nullable::Yes,
            column: "notes",
            key: None,
            input: Input::Settable {
                check: None,
                required: false,
            },
            query: Query::SelectOnly,
            listed: false,
            default: OnCreate::Service,
            get: |d| d.notes.as_deref().map_or(Val::Null, Val::Str),
            set: |d, v| {
                d.notes = text(v)?;
                Ok(())
            },
        },
    ],
};

impl Entity for Device {
    fn set() -> &'static EntitySet<Self> {
        &DEVICES
    }
    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self {
        Device {
            tenant,
            id,
            version: 1,
            name: None,
            compliance: 0,
            supervised: false,
            free_bytes: 0,
            enrolled: now,
            notes: None,
        }
    }
    fn tenant(&self) -> TenantId {
        self.tenant
    }
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn touch(&mut self, _now: Timestamp) {}
}

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

fn json_member(v: Owned) -> Result<serde_json::Value, String> {
    match v {
        Owned::Json(j) => Ok(j),
        Owned::Null => Ok(serde_json::Value::Null),
        other => Err(format!("{other:?}")),
    }
}

static AUDIT_EVENTS: EntitySet<AuditEvent> = EntitySet {
    name: "auditEvents",
    type_name: "auditEvent",
    table: "audit_events",
    search: &[],
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
            default: OnCreate::Service,
            get: |e| e.activity.as_deref().map_or(Val::Null, Val::Str),
            set: |e, v| {
                e.activity = text(v)?;
                Ok(())
            },
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
            default: OnCreate::Service,
            get: |e| Val::Time(e.at),
            set: |e, v| match v {
                Owned::Time(t) => {
                    e.at = t;
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            },
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
            default: OnCreate::Service,
            get: |e| Val::Json(e.actor.clone()),
            set: |e, v| {
                e.actor = json_member(v)?;
                Ok(())
            },
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
            default: OnCreate::Service,
            get: |e| Val::Json(e.resources.clone()),
            set: |e, v| {
                e.resources = json_member(v)?;
                Ok(())
            },
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

/// (name, type, nullable) of the official entity type's properties.
fn official(type_name: &str) -> Vec<(String, String, bool)> {
    let doc = roxmltree::Document::parse(FRAGMENTS).expect("fragments parse");
    let entity = doc
        .descendants()
        .find(|n| n.has_tag_name("EntityType") && n.attribute("Name") == Some(type_name))
        .expect("official entity type");
    properties(entity)
}

fn properties(node: roxmltree::Node) -> Vec<(String, String, bool)> {
    node.children()
        .filter(|n| n.has_tag_name("Property"))
        .map(|p| {
            (
                p.attribute("Name").unwrap_or_default().to_owned(),
                p.attribute("Type").unwrap_or_default().to_owned(),
                p.attribute("Nullable") != Some("false"),
            )
        })
        .collect()
}

/// Every property the declaration yields is the official one: same name, type and nullability.
fn assert_official(type_name: &str, generated: &str) {
    let xml =
        format!("<Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">{generated}</Schema>");
    let doc = roxmltree::Document::parse(&xml).expect("generated parses");
    let ours = properties(
        doc.descendants()
            .find(|n| n.has_tag_name("EntityType"))
            .expect("entity type"),
    );
    let theirs = official(type_name);
    assert!(!ours.is_empty());
    for p in &ours {
        assert!(theirs.contains(p), "{type_name}: {p:?} is not official");
    }
}

fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(1))
}

#[test]
fn managed_device_yields_official_csdl_layout_and_lists() {
    let layout = DEVICES.layout();
    assert_official("managedDevice", &entity_type(layout));
    let columns = layout.column_names();
    assert_eq!(
        columns,
        [
            "tenant_id",
            "id",
            "version",
            "managed_device_name",
            "managed_device_name_key",
            "compliance_state",
            "is_supervised",
            "free_storage_bytes",
            "enrolled_at",
            "notes"
        ]
    );
    // Defaults of a create, and a body that sets only what clients may set.
    let now = Timestamp::parse("2026-12-01T10:00:00Z").unwrap();
    let body =
        json!({"managedDeviceName": "Kiosk 7", "complianceState": "compliant", "notes": "n"});
    let d: Device = Body::from_json(&body)
        .unwrap()
        .into_new(tenant(), Uuid::from_u128(2), now)
        .unwrap();
    assert_eq!(d.name.as_deref(), Some("Kiosk 7"));
    assert_eq!(d.compliance, 0, "read-only members are ignored");
    let bad = json!({"complianceState": "Compliant"});
    let err = Body::<Device>::from_json(&bad).unwrap_err().to_string();
    assert!(
        err.contains("complianceState") && err.contains("inGracePeriod"),
        "{err}"
    );
    // Rows round-trip; lists leave out `notes` unless it is selected.
    assert_eq!(from_row::<Device>(to_row(&d)).unwrap(), d);
    let listed = entity_json(&d, &Selection::Listed);
    assert!(!listed.contains_key("notes"));
    assert_eq!(listed["complianceState"], "unknown");
    assert_eq!(listed["freeStorageSpaceInBytes"], 0);
    let selected = entity_json(&d, &Selection::of_names(layout, ["notes"]));
    assert_eq!(selected["notes"], "n");
    // Filters are type-checked against the declaration.
    let limits = odata::Limits::DEFAULT;
    for ok in [
        "$filter=complianceState eq 'noncompliant' and isSupervised",
        "$filter=freeStorageSpaceInBytes gt 5000000000&$orderby=enrolledDateTime desc",
        "$filter=startswith(managedDeviceName,'kiosk')",
    ] {
        odata::parse_query(ok, &layout.schema, &limits).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "$filter=complianceState eq 'green'",
        "$filter=notes eq 'x'",
        "$filter=isSupervised eq 1",
    ] {
        assert!(
            odata::parse_query(bad, &layout.schema, &limits).is_err(),
            "{bad}"
        );
    }
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

/// The id of a declared device.
#[derive(Clone, Copy, Debug)]
struct DeviceId(Uuid);

impl provisio::store::EntityId for DeviceId {
    type Entity = Device;
    fn uuid(self) -> Uuid {
        self.0
    }
}

/// The `CREATE TABLE` a migration of a declared set holds, in the dialect of the backend under
/// test, written from its layout.
fn create_table(layout: &provisio::model::layout::Layout, postgres: bool) -> String {
    use provisio::model::layout::CellKind;
    let columns: Vec<String> = layout
        .columns
        .iter()
        .map(|c| {
            let ty = match (c.kind, postgres) {
                (CellKind::Int, _) => "BIGINT",
                (CellKind::Bool, true) => "BOOLEAN",
                (CellKind::Bool, false) => "INTEGER",
                (CellKind::Text, true) => "TEXT COLLATE \"C\"",
                (CellKind::Text, false) => "TEXT",
                (CellKind::Blob, true) => "BYTEA",
                (CellKind::Blob, false) => "BLOB",
            };
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {ty}{null}", c.name)
        })
        .collect();
    format!(
        "CREATE TABLE {} ({}, PRIMARY KEY (tenant_id, id))",
        layout.table,
        columns.join(", ")
    )
}

/// The store's machinery serves a second entity set from its declaration alone: the table
/// `managed_devices` is created from the layout, and inserts, reads, conditional updates,
/// deletes, filters, ordering, keyset paging, counts and rendered pages work on it, on both
/// backends, scoped by tenant.
#[tokio::test]
async fn a_second_entity_set_runs_on_the_same_store_machinery() {
    use provisio::model::output::EntityJson;
    use provisio::store::{Criteria, Cursor, ListQuery, Store};

    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url();
    let store: Box<dyn Store> = crate::common::open_store(dir.path(), &url).await;
    let layout = DEVICES.layout();
    let ddl = create_table(layout, url.is_some());
    match &url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(&ddl).execute(&pool).await.unwrap();
            pool.close().await;
        }
        None => {
            let db = dir.path().join(provisio::store::sqlite::DB_FILE);
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
                .await
                .unwrap();
            sqlx::query(&ddl).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }

    let t = tenant();
    let other = TenantId(Uuid::from_u128(2));
    let now = Timestamp::parse("2026-12-01T10:00:00Z").unwrap();
    let devices: Vec<Device> = (0..30u32)
        .map(|i| Device {
            tenant: t,
            id: Uuid::from_u128(1000 + u128::from(i)),
            version: 1,
            name: (i % 7 != 0).then(|| format!("Kiosk {:02}", (i * 11) % 30)),
            compliance: [0, 1, 2][i as usize % 3],
            supervised: i % 2 == 0,
            free_bytes: i64::from(i) << 33,
            enrolled: now.plus_seconds(i64::from(i)).unwrap(),
            notes: (i % 5 == 0).then(|| format!("note {i}")),
        })
        .collect();
    for d in &devices {
        store.insert(t, d).await.unwrap();
    }
    let stranger = Device {
        tenant: other,
        ..devices[1].clone()
    };
    store.insert(other, &stranger).await.unwrap();

    // Reads and conditional writes.
    let first = &devices[0];
    assert_eq!(
        store.get(t, DeviceId(first.id)).await.unwrap().as_ref(),
        Some(first)
    );
    let mut renamed = first.clone();
    renamed.name = Some("Renamed".into());
    renamed.version = 2;
    assert!(store.update(t, &renamed, 1).await.unwrap());
    assert!(
        !store.update(t, &renamed, 1).await.unwrap(),
        "stale version"
    );
    assert!(
        !store.update(other, &renamed, 2).await.unwrap(),
        "another tenant's row"
    );
    assert_eq!(
        store.get(t, DeviceId(first.id)).await.unwrap(),
        Some(renamed.clone())
    );

    // A filter, an order with NULLs, keyset paging: the same rows in the same order as in memory.
    let raw = "$filter=complianceState ne 'noncompliant' and freeStorageSpaceInBytes ge 8589934592\
               &$orderby=managedDeviceName desc";
    let options = odata::parse_query(raw, &layout.schema, &odata::Limits::DEFAULT).unwrap();
    let mut current: Vec<Device> = devices.clone();
    current[0] = renamed.clone();
    let mut expected: Vec<&Device> = current
        .iter()
        .filter(|d| d.compliance != 2 && d.free_bytes >= 1 << 33)
        .collect();
    // Descending: names in reverse code-point order of their lower case, NULLs last, ties by id.
    expected.sort_by(|a, b| {
        let key = |d: &Device| d.name.as_ref().map(|n| n.to_lowercase());
        key(b).cmp(&key(a)).then(b.id.cmp(&a.id))
    });
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let q = ListQuery {
            criteria: Criteria {
                filter: options.filter.clone(),
                search: None,
            },
            order: options.orderby.clone(),
            after: after.clone(),
            ..ListQuery::new(4)
        };
        let page: Vec<Device> = store.list(t, &q).await.unwrap();
        let rendered = store
            .list_rendered::<Device>(t, &q, &[0, 1, 2, 3, 4, 5])
            .await
            .unwrap();
        assert_eq!(rendered.len(), page.len());
        for (r, d) in rendered.iter().zip(&page) {
            let want = serde_json::to_value(EntityJson {
                context: None,
                entity: d,
                selection: &Selection::Listed,
            })
            .unwrap();
            let got: serde_json::Value = serde_json::from_str(&r.json).unwrap();
            assert_eq!(got, want);
            assert_eq!(r.after, Cursor::after(&q.order, d).unwrap());
        }
        let Some(last) = page.last() else { break };
        after = Some(Cursor::after(&q.order, last).unwrap());
        seen.extend(page.iter().map(|d| d.id));
    }
    let want: Vec<Uuid> = expected.iter().map(|d| d.id).collect();
    assert_eq!(seen, want);
    let criteria = Criteria {
        filter: options.filter.clone(),
        search: None,
    };
    assert_eq!(
        store.count::<Device>(t, &criteria).await.unwrap(),
        want.len() as u64
    );
    let search = Criteria {
        filter: None,
        search: Some("kiosk 1".into()),
    };
    let searched = current
        .iter()
        .filter(|d| d.name.as_deref().is_some_and(|n| n.starts_with("Kiosk 1")))
        .count();
    assert_eq!(
        store.count::<Device>(t, &search).await.unwrap(),
        searched as u64
    );

    // Deletes, scoped by tenant.
    assert!(store.delete(t, DeviceId(first.id)).await.unwrap());
    assert!(!store.delete(t, DeviceId(first.id)).await.unwrap());
    assert_eq!(
        store
            .count::<Device>(t, &Criteria::default())
            .await
            .unwrap(),
        29
    );
    assert_eq!(
        store
            .count::<Device>(other, &Criteria::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.get(other, DeviceId(stranger.id)).await.unwrap(),
        Some(stranger)
    );
    store.close().await;
}
