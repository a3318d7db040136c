//! Retention: events older than the cutoff are pruned, in every tenant, in batches; newer ones
//! stay.

use std::sync::Arc;

use provisio::model::audit::{Activity, AuditEvent, Origin};
use provisio::model::layout::to_row;
use provisio::model::{Entity as _, TenantId, Timestamp};
use provisio::service::audit::prune::prune;
use provisio::store::{RowWrite, Store};

use super::stored;
use uuid::Uuid;

fn event(tenant: TenantId, at: &str) -> AuditEvent {
    let mut e = AuditEvent::new(
        tenant,
        &Origin::default(),
        Activity::Create,
        "androidDeviceOwnerEnrollmentProfile",
        Vec::new(),
        true,
    );
    e.at = Timestamp::parse(at).unwrap();
    e
}

#[tokio::test]
async fn old_events_are_pruned_in_every_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url();
    let store: Arc<dyn Store> = Arc::from(crate::common::open_store(dir.path(), &url).await);
    let (a, b) = (TenantId(Uuid::new_v4()), TenantId(Uuid::new_v4()));
    // More old events than one batch deletes, in one tenant.
    let old: Vec<RowWrite> = (0..1_005)
        .map(|i| {
            let at = format!("2020-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60);
            RowWrite::Insert {
                layout: AuditEvent::set().layout(),
                row: to_row(&event(a, &at)),
            }
        })
        .collect();
    store.write(a, old).await.unwrap();
    store
        .insert(a, &event(a, "2026-06-01T00:00:00Z"))
        .await
        .unwrap();
    store
        .insert(b, &event(b, "2021-01-01T00:00:00Z"))
        .await
        .unwrap();
    let kept = event(b, "2026-06-01T00:00:00Z");
    store.insert(b, &kept).await.unwrap();
    let cutoff = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    assert_eq!(prune(&store, cutoff).await.unwrap(), 1_006);
    assert_eq!((stored(&store, a).await, stored(&store, b).await), (1, 1));
    let layout = provisio::model::audit::AUDIT_EVENTS.layout();
    assert!(store.get_row(layout, b, kept.id).await.unwrap().is_some());
    assert_eq!(prune(&store, cutoff).await.unwrap(), 0);
    store.close().await;
}
