//! The one write path: a group of row writes commits together or not at all, on both backends,
//! and a hook's writes ride along with every create, change and delete of the service.

use std::sync::Arc;

use provisio::model::layout::to_row;
use provisio::model::{
    Body, Entity as _, IfMatch, Profile, ProfileId, ProfileInput, TenantId, Timestamp,
};
use provisio::provisioning::QrCodes;
use provisio::service::{Acting, Change, Profiles, WriteHook};
use provisio::store::{Criteria, RowWrite, Store, StoreError, Written};
use uuid::Uuid;

fn tenant(n: u128) -> TenantId {
    TenantId(Uuid::from_u128(n))
}

fn profile(t: TenantId, name: &str) -> Profile {
    let now = Timestamp::parse("2026-12-01T10:00:00Z").unwrap();
    Profile::new(t, ProfileId::new_random(), name.into(), now)
}

fn insert(p: &Profile) -> RowWrite {
    RowWrite::Insert {
        layout: Profile::set().layout(),
        row: to_row(p),
    }
}

fn update(p: &Profile, expected_version: i64) -> RowWrite {
    RowWrite::Update {
        layout: Profile::set().layout(),
        row: to_row(p),
        expected_version,
    }
}

async fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url();
    let store = crate::common::open_store(dir.path(), &url).await;
    (Arc::from(store), dir)
}

#[tokio::test]
async fn a_group_commits_whole_or_not_at_all() {
    let (store, _dir) = open().await;
    let t = tenant(1);
    let kept = profile(t, "Kept");
    store.insert(t, &kept).await.unwrap();

    // A stale update undoes the insert that came with it.
    let mut changed = kept.clone();
    changed.display_name = "Changed".into();
    changed.version = 2;
    let riding = profile(t, "Riding along");
    let stale = store
        .write(t, vec![update(&changed, 7), insert(&riding)])
        .await
        .unwrap();
    assert_eq!(stale, Written::Stale);
    assert_eq!(store.get(t, riding.id).await.unwrap(), None);

    // A taken id fails the group, with the writes before it.
    let first = profile(t, "First");
    let err = store
        .write(t, vec![insert(&first), insert(&kept)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.get(t, first.id).await.unwrap(), None);

    // A group that holds: every write is stored.
    let done = store
        .write(t, vec![update(&changed, 1), insert(&riding)])
        .await
        .unwrap();
    assert_eq!(done, Written::Done);
    assert_eq!(store.get(t, kept.id).await.unwrap(), Some(changed));
    assert_eq!(store.get(t, riding.id).await.unwrap(), Some(riding));
    assert_eq!(
        store
            .count::<Profile>(t, &Criteria::default())
            .await
            .unwrap(),
        2
    );
    store.close().await;
}

/// Writes a copy of each change into another tenant, as the audit trail writes its events.
#[derive(Debug)]
struct CopyEveryChange;

const LOG_TENANT: u128 = 99;

impl WriteHook for CopyEveryChange {
    fn attach(&self, _tenant: TenantId, _acting: &Acting, change: Change<'_>) -> Vec<RowWrite> {
        let what = match change.write {
            RowWrite::Insert { .. } => "insert",
            RowWrite::Update { .. } => "update",
            RowWrite::Delete { .. } => "delete",
            RowWrite::ResetCounter { .. } => "reset",
        };
        vec![insert(&profile(tenant(LOG_TENANT), what))]
    }
}

#[tokio::test]
async fn a_hook_rides_along_with_every_write_of_the_service() {
    let (store, _dir) = open().await;
    let profiles =
        Profiles::new(store.clone(), QrCodes::default()).with_hook(Arc::new(CopyEveryChange));
    let t = tenant(1);
    let logged = || {
        let store = store.clone();
        async move {
            store
                .count::<Profile>(tenant(LOG_TENANT), &Criteria::default())
                .await
                .unwrap()
        }
    };
    let body = |v: serde_json::Value| -> ProfileInput { Body::from_json(&v).unwrap() };
    let p = profiles
        .create(t, body(serde_json::json!({"displayName": "Hooked"})))
        .await
        .unwrap();
    assert_eq!(logged().await, 1);
    profiles
        .update(
            t,
            p.id,
            &IfMatch::ANY,
            body(serde_json::json!({"description": "changed"})),
        )
        .await
        .unwrap();
    assert_eq!(logged().await, 2);
    // A change the rules refuse writes nothing, its copy included.
    assert!(profiles
        .update(
            t,
            p.id,
            &IfMatch::ANY,
            body(serde_json::json!({"wifiPassword": "x", "wifiSecurityType": "wpa"}))
        )
        .await
        .is_err());
    assert_eq!(logged().await, 2);
    profiles.delete(t, p.id, &IfMatch::ANY).await.unwrap();
    assert_eq!(logged().await, 3);
    assert!(profiles.delete(t, p.id, &IfMatch::ANY).await.is_err());
    assert_eq!(
        logged().await,
        3,
        "a delete of nothing is undone with its copy"
    );
    store.close().await;
}
