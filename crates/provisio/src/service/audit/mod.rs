//! The audit trail's place on the write path: [`AuditTrail`], the [`WriteHook`] that adds one
//! event to every create, change and delete of a profile or a managed device, in the same
//! transaction; the events the device transactions write themselves (`store::devices`) use the
//! same builder ([`crate::model::audit`]). Also the retention ([`settings`], [`prune`]).

pub mod prune;
mod settings;

use std::sync::Arc;

pub use settings::{AuditSettings, MAX_RETENTION_DAYS};

use super::writes::{Acting, Change, WriteHook};
use crate::model::audit::{resource, Activity, AuditEvent, Changed, AUDIT_EVENTS};
use crate::model::device::DEVICES;
use crate::model::layout::{to_row, Layout};
use crate::model::{TenantId, PROFILES};
use crate::store::{RowWrite, Store};

/// The entity sets whose changes are recorded.
fn audited(layout: &Layout) -> bool {
    layout.table == PROFILES.table || layout.table == DEVICES.table
}

/// Adds an audit event to every create, change and delete of an audited entity set.
#[derive(Debug, Default)]
pub struct AuditTrail;

impl WriteHook for AuditTrail {
    fn attach(&self, tenant: TenantId, acting: &Acting, change: Change<'_>) -> Vec<RowWrite> {
        let (layout, default, after) = match change.write {
            RowWrite::Insert { layout, row } => (*layout, Activity::Create, Some(row)),
            RowWrite::Update { layout, row, .. } => (*layout, Activity::Patch, Some(row)),
            RowWrite::Delete { layout, .. } => (*layout, Activity::Delete, None),
            // What a change brings along (a counter reset) is part of its own event.
            RowWrite::ResetCounter { .. } => return Vec::new(),
        };
        if !audited(layout) {
            return Vec::new();
        }
        let changed = Changed {
            layout,
            before: change.before,
            after,
        };
        let mut r = resource(changed);
        if let (RowWrite::Delete { id, .. }, serde_json::Value::Null) = (change.write, &r) {
            r = serde_json::json!({
                "@odata.type": "#microsoft.graph.auditResource",
                "type": layout.type_name,
                "auditResourceType": layout.type_name,
                "resourceId": id.to_string(),
                "modifiedProperties": [],
            });
        }
        let event = AuditEvent::new(
            tenant,
            &acting.origin,
            acting.activity.unwrap_or(default),
            layout.type_name,
            vec![r],
            true,
        );
        vec![RowWrite::Insert {
            layout: AUDIT_EVENTS.layout(),
            row: to_row(&event),
        }]
    }
}

/// Records an event that is no change of stored data (a refusal worth keeping, such as an
/// enrollment over its token's rate cap), on its own.
pub async fn record(
    store: &Arc<dyn Store>,
    event: &AuditEvent,
) -> Result<(), crate::store::StoreError> {
    store.insert(event.tenant, event).await
}
