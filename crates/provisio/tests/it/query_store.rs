//! The query compiler at the store: SQLite answers the main list queries from an index (shown by
//! `EXPLAIN QUERY PLAN`), every index leads with the tenant, and role scope tag keys of rows
//! written before the key column existed are filled in when the database is opened.

use provisio::model::{Profile, ProfileId, TenantId, Timestamp};
use provisio::store::{sqlite::SqliteStore, Criteria, Cursor, ListQuery, Store};
use sqlx::Row as _;
use uuid::Uuid;

fn profiles(tenant: TenantId, n: usize) -> Vec<Profile> {
    let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    (0..n)
        .map(|i| {
            let id = ProfileId(Uuid::from_u64_pair(i as u64 * 7919 % 10_007, i as u64));
            let mut p = Profile::new(tenant, id, format!("Kiosk {:05}", n - i), now);
            p.description = Some(format!("Site {}", i % 13));
            p
        })
        .collect()
}

fn query(raw: &str) -> ListQuery {
    let o = odata::parse_query(
        raw,
        &provisio::model::PROFILES.layout().schema,
        &odata::Limits::DEFAULT,
    )
    .unwrap();
    ListQuery {
        criteria: Criteria {
            filter: o.filter,
            search: o.search,
        },
        order: o.orderby,
        ..ListQuery::new(101)
    }
}

/// Opens a store holding 3,000 profiles of `tenant` and 300 of another tenant.
async fn loaded(tenant: TenantId) -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), 1).await.unwrap();
    store
        .insert_many(tenant, &profiles(tenant, 3000))
        .await
        .unwrap();
    let other = TenantId(Uuid::from_u128(2));
    store
        .insert_many(other, &profiles(other, 300))
        .await
        .unwrap();
    (store, dir)
}

#[tokio::test]
async fn the_main_list_queries_search_an_index() {
    let t = TenantId(Uuid::from_u128(1));
    let (store, _dir) = loaded(t).await;
    let page1 = query("$orderby=displayName");
    let first = as_dyn(&store).list::<Profile>(t, &page1).await.unwrap();
    let mut page50 = query("$orderby=displayName");
    page50.after = Some(Cursor::after(&page50.order, &first[99]).unwrap());
    let cases = [
        (
            query("$filter=displayName eq 'kiosk 00042'"),
            "(tenant_id=? AND display_name_key=?)",
        ),
        (
            query("$filter=startswith(displayName,'Kiosk 012')"),
            "(tenant_id=? AND display_name_key>? AND display_name_key<?)",
        ),
        (page1, "(tenant_id=?)"),
        (page50, "(tenant_id=? AND (display_name_key,id)>(?,?))"),
    ];
    for (q, seek) in cases {
        let plan = store
            .explain_list::<Profile>(t, &q)
            .await
            .unwrap()
            .join(" | ");
        let wanted = format!(
            "SEARCH enrollment_profiles USING INDEX enrollment_profiles_display_name {seek}"
        );
        assert!(plan.contains(&wanted), "{:?}: {plan}", q.criteria);
        assert!(!plan.contains("SCAN enrollment_profiles"), "{plan}");
        if q.order.is_empty() {
            continue;
        }
        assert!(
            !plan.contains("TEMP B-TREE"),
            "the index gives the order: {plan}"
        );
    }
    // One mode's profiles by name (the admin console's mode filter): one index gives both.
    let plan = store
        .explain_list::<Profile>(
            t,
            &query(
                "$filter=enrollmentMode eq 'corporateOwnedFullyManaged'&$orderby=displayName,id",
            ),
        )
        .await
        .unwrap()
        .join(" | ");
    assert!(
        plan.contains(
            "USING INDEX enrollment_profiles_mode_display_name (tenant_id=? AND enrollment_mode=?)"
        ),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    // A query the indexes cannot serve still stays inside the tenant (primary key prefix).
    let plan = store
        .explain_list::<Profile>(t, &query("$filter=contains(description,'3')"))
        .await
        .unwrap()
        .join(" | ");
    assert!(plan.contains("(tenant_id=?)"), "{plan}");
    assert!(!plan.contains("SCAN enrollment_profiles"), "{plan}");
    store.close().await;
}

#[tokio::test]
async fn every_index_leads_with_the_tenant_and_counts_are_scoped() {
    let t = TenantId(Uuid::from_u128(1));
    let (store, dir) = loaded(t).await;
    let criteria = query("$filter=startswith(displayName,'kiosk 01')").criteria;
    assert_eq!(
        as_dyn(&store).count::<Profile>(t, &criteria).await.unwrap(),
        1000
    );
    assert_eq!(
        as_dyn(&store)
            .count::<Profile>(t, &Criteria::default())
            .await
            .unwrap(),
        3000
    );
    store.close().await;
    let db = dir.path().join(provisio::store::sqlite::DB_FILE);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enrollment_profiles'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        // The two indexes that cross tenants on purpose: the start-up and rotation passes find
        // the rows sealed with another key (or not yet sealed) across every tenant, and a
        // device's enrollment token, which names its tenant, is found by its keyed hash.
        if name == "enrollment_profiles_sealed_with"
            || name == "enrollment_profiles_token_value_lookup"
        {
            continue;
        }
        let first: String = sqlx::query(&format!("PRAGMA index_info('{name}')"))
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("name");
        assert_eq!(first, "tenant_id", "{name}");
    }
    pool.close().await;
}

/// The store as every caller sees it, with the typed reads.
fn as_dyn(store: &SqliteStore) -> &dyn Store {
    store
}
