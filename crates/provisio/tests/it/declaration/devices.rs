//! `managedDevice`, declared: an enum, Int64, non-nullable members with defaults, a member lists
//! leave out; and a table made from its layout that the store serves like the profiles.

use super::*;

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

static DEVICES: EntitySet<Device> = EntitySet {
    name: "managedDevices",
    type_name: "managedDevice",
    table: "declared_devices",
    search: &["managedDeviceName"],
    counters: &[],
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
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| d.name.as_deref().map_or(Val::Null, Val::Str),
            set: |d, v| put(&mut d.name, text(v)),
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
            secret: Secret::No,
            default: OnCreate::Enum("unknown"),
            get: |d| Val::Int(d.compliance),
            set: |d, v| put(&mut d.compliance, int(v)),
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
            secret: Secret::No,
            default: OnCreate::Bool(false),
            get: |d| Val::Bool(d.supervised),
            set: |d, v| put(&mut d.supervised, boolean(v)),
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
            secret: Secret::No,
            default: OnCreate::Int(0),
            get: |d| Val::Int(d.free_bytes),
            set: |d, v| put(&mut d.free_bytes, int(v)),
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
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| Val::Time(d.enrolled),
            set: |d, v| put(&mut d.enrolled, time(v)),
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
            secret: Secret::No,
            default: OnCreate::Service,
            get: |d| d.notes.as_deref().map_or(Val::Null, Val::Str),
            set: |d, v| put(&mut d.notes, text(v)),
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

/// The id of a declared device.
#[derive(Clone, Copy, Debug)]
struct DeviceId(Uuid);

impl provisio::store::EntityId for DeviceId {
    type Entity = Device;
    fn uuid(self) -> Uuid {
        self.0
    }
    fn from_uuid(uuid: Uuid) -> Self {
        DeviceId(uuid)
    }
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

/// The store's machinery serves a second entity set from its declaration alone: the table
/// `declared_devices` is created from the layout, and inserts, reads, conditional updates,
/// deletes, filters, ordering, keyset paging, counts and rendered pages work on it, on both
/// backends, scoped by tenant.
#[tokio::test]
async fn a_second_entity_set_runs_on_the_same_store_machinery() {
    use provisio::model::output::{Control, EntityJson};
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
                control: Control::MINIMAL,
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
