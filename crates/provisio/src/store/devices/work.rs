//! The device operations besides enrollment, each one transaction: removing a record, queueing
//! a command, a check-in and a command's acknowledgement.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use uuid::Uuid;

use super::{cell_int, cell_text, devices, lock, record, rewrite, uncount, Command, CommandKind};
use crate::model::audit::{Activity, Origin};
use crate::model::device::{management_state, ManagedDevice, DEVICES};
use crate::model::layout::to_row;
use crate::model::layout::CellKind;
use crate::model::{IfMatch, TenantId, Timestamp};
use crate::store::tx::{int, text, Transaction, Tx};

/// What a device operation found.
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceOutcome {
    /// Done, on this record (as it is now, or as it was when removed).
    Done(ManagedDevice),
    /// No such record (or command).
    NotFound,
    /// The record does not meet the request's `If-Match`: its version now.
    Stale(i64),
    /// The credential belongs to a record that was removed.
    Removed,
    /// The credential belongs to no record, present or removed.
    UnknownCredential,
    /// A check-in: the record and the commands waiting for it.
    CheckedIn(ManagedDevice, Vec<Command>),
}

/// Work on one device record, as one transaction.
#[derive(Debug)]
pub struct DeviceWork {
    op: DeviceOp,
    origin: Arc<Origin>,
    outcome: Mutex<Option<DeviceOutcome>>,
}

/// The device operations besides enrollment.
#[derive(Clone, Debug)]
pub enum DeviceOp {
    /// Delete a record (an admin's DELETE).
    Remove {
        /// The tenant.
        tenant: TenantId,
        /// The record.
        id: Uuid,
        /// The version the request's `If-Match` allows.
        if_match: IfMatch,
    },
    /// Queue `retire` or `wipe` for the device's next check-in.
    Queue {
        /// The tenant.
        tenant: TenantId,
        /// The record.
        id: Uuid,
        /// The command.
        kind: CommandKind,
        /// The version the request's `If-Match` allows.
        if_match: IfMatch,
    },
    /// A device checks in with its credential.
    CheckIn {
        /// SHA-256 of the secret it presented.
        credential_hash: String,
        /// Its operating system version now, if it said.
        os_version: Option<String>,
        /// Its security patch level now, if it said.
        security_patch_level: Option<String>,
    },
    /// A device acknowledges a command.
    Ack {
        /// SHA-256 of the secret it presented.
        credential_hash: String,
        /// The command.
        command: Uuid,
    },
}

impl DeviceWork {
    /// The work `op` describes, asked by `origin` (the actor of its audit event).
    pub fn new(op: DeviceOp, origin: Arc<Origin>) -> Self {
        DeviceWork {
            op,
            origin,
            outcome: Mutex::new(None),
        }
    }

    /// What it found, once it ran.
    pub fn outcome(&self) -> Option<DeviceOutcome> {
        lock(&self.outcome).clone()
    }

    fn finish(&self, outcome: DeviceOutcome, commit: bool) -> Result<bool, sqlx::Error> {
        *lock(&self.outcome) = Some(outcome);
        Ok(commit)
    }
}

/// The record `id` of `tenant`, locked, if it meets `if_match`; otherwise the refusal
/// (not found, or stale). Under the row's lock (PostgreSQL) or alone in the writer (SQLite),
/// the version compared is the one the operation then changes.
async fn meeting(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<Result<ManagedDevice, DeviceOutcome>, sqlx::Error> {
    Ok(match by_id(tx, tenant, id).await? {
        None => Err(DeviceOutcome::NotFound),
        Some(d) if !if_match.allows(d.version) => Err(DeviceOutcome::Stale(d.version)),
        Some(d) => Ok(d),
    })
}

/// The record of `tenant` with this id, locked.
async fn by_id(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ManagedDevice>, sqlx::Error> {
    let sql = format!("tenant_id = ? AND id = ?{}", tx.for_update());
    Ok(devices(
        tx,
        &sql,
        vec![text(tenant.to_string()), text(id.to_string())],
    )
    .await?
    .into_iter()
    .next())
}

/// The record a credential belongs to (the current one first, then the newest), locked.
async fn by_credential(
    tx: &mut dyn Tx,
    credential_hash: &str,
) -> Result<Option<ManagedDevice>, sqlx::Error> {
    let sql = format!(
        "credential_hash = ? ORDER BY superseded, enrolled_at DESC LIMIT 1{}",
        tx.for_update()
    );
    Ok(devices(tx, &sql, vec![text(credential_hash.to_owned())])
        .await?
        .into_iter()
        .next())
}

/// Whether a credential belongs to a removed record.
async fn was_removed(tx: &mut dyn Tx, credential_hash: &str) -> Result<bool, sqlx::Error> {
    let found = tx
        .fetch(
            "SELECT device_id FROM removed_devices WHERE credential_hash = ? LIMIT 1",
            vec![text(credential_hash.to_owned())],
            &[CellKind::Text],
        )
        .await?;
    Ok(!found.is_empty())
}

/// Deletes a record, its commands, and its count on its profile; remembers its credential.
async fn remove(tx: &mut dyn Tx, d: &ManagedDevice) -> Result<(), sqlx::Error> {
    let key = vec![text(d.tenant.to_string()), text(d.id.to_string())];
    tx.execute(
        "DELETE FROM managed_devices WHERE tenant_id = ? AND id = ?",
        key.clone(),
    )
    .await?;
    tx.execute(
        "DELETE FROM device_commands WHERE tenant_id = ? AND device_id = ?",
        key,
    )
    .await?;
    tx.execute(
        "INSERT INTO removed_devices (credential_hash, device_id, tenant_id, removed_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        vec![
            text(d.credential_hash.clone()),
            text(d.id.to_string()),
            text(d.tenant.to_string()),
            text(Timestamp::now().to_string()),
        ],
    )
    .await?;
    if !d.superseded {
        uncount(tx, d.tenant, d.enrollment_profile_id).await?;
    }
    Ok(())
}

/// The commands waiting for a record.
async fn pending(tx: &mut dyn Tx, d: &ManagedDevice) -> Result<Vec<Command>, sqlx::Error> {
    let rows = tx
        .fetch(
            "SELECT id, kind, issued_at FROM device_commands \
             WHERE tenant_id = ? AND device_id = ? AND acknowledged_at IS NULL ORDER BY issued_at, id",
            vec![text(d.tenant.to_string()), text(d.id.to_string())],
            &[CellKind::Text, CellKind::Int, CellKind::Text],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Command {
                id: Uuid::try_parse(cell_text(&r[0])).ok()?,
                kind: CommandKind::of(cell_int(&r[1]))?,
                issued: cell_text(&r[2]).to_owned(),
            })
        })
        .collect())
}

#[async_trait]
impl Transaction for DeviceWork {
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error> {
        match &self.op {
            DeviceOp::Remove {
                tenant,
                id,
                if_match,
            } => {
                let d = match meeting(tx, *tenant, *id, if_match).await? {
                    Ok(d) => d,
                    Err(refused) => return self.finish(refused, false),
                };
                remove(tx, &d).await?;
                record(tx, &self.origin, Activity::Delete, &[(Some(&d), None)]).await?;
                self.finish(DeviceOutcome::Done(d), true)
            }
            DeviceOp::Queue {
                tenant,
                id,
                kind,
                if_match,
            } => {
                let d = match meeting(tx, *tenant, *id, if_match).await? {
                    Ok(d) => d,
                    Err(refused) => return self.finish(refused, false),
                };
                let waiting = pending(tx, &d).await?;
                if !waiting.iter().any(|c| c.kind == *kind) {
                    tx.execute(
                        "INSERT INTO device_commands (tenant_id, id, device_id, kind, issued_at) \
                         VALUES (?, ?, ?, ?, ?)",
                        vec![
                            text(d.tenant.to_string()),
                            text(Uuid::new_v4().to_string()),
                            text(d.id.to_string()),
                            int(kind.value()),
                            text(Timestamp::now().to_string()),
                        ],
                    )
                    .await?;
                }
                let mut next = d.clone();
                next.management_state = match kind {
                    CommandKind::Retire => management_state::RETIRE_PENDING,
                    CommandKind::Wipe => management_state::WIPE_PENDING,
                };
                next.version = d.version + 1;
                rewrite(tx, &next).await?;
                let activity = match kind {
                    CommandKind::Retire => Activity::Retire,
                    CommandKind::Wipe => Activity::Wipe,
                };
                record(tx, &self.origin, activity, &[(Some(&d), Some(&next))]).await?;
                self.finish(DeviceOutcome::Done(next), true)
            }
            DeviceOp::CheckIn {
                credential_hash,
                os_version,
                security_patch_level,
            } => {
                let Some(d) = by_credential(tx, credential_hash).await? else {
                    let gone = was_removed(tx, credential_hash).await?;
                    let outcome = match gone {
                        true => DeviceOutcome::Removed,
                        false => DeviceOutcome::UnknownCredential,
                    };
                    return self.finish(outcome, false);
                };
                let mut next = d.clone();
                if os_version.is_some() {
                    next.os_version = os_version.clone();
                }
                if security_patch_level.is_some() {
                    next.security_patch_level = security_patch_level.clone();
                }
                next.last_sync = Timestamp::now();
                // Reported facts only (the set's counters): no edit, the version stays.
                tx.write_counters(DEVICES.layout(), to_row(&next)).await?;
                let commands = pending(tx, &next).await?;
                self.finish(DeviceOutcome::CheckedIn(next, commands), true)
            }
            DeviceOp::Ack {
                credential_hash,
                command,
            } => {
                let Some(d) = by_credential(tx, credential_hash).await? else {
                    let gone = was_removed(tx, credential_hash).await?;
                    let outcome = match gone {
                        true => DeviceOutcome::Removed,
                        false => DeviceOutcome::UnknownCredential,
                    };
                    return self.finish(outcome, false);
                };
                let Some(c) = pending(tx, &d)
                    .await?
                    .into_iter()
                    .find(|c| c.id == *command)
                else {
                    return self.finish(DeviceOutcome::NotFound, false);
                };
                match c.kind {
                    CommandKind::Retire => {
                        remove(tx, &d).await?;
                        let changes = [(Some(&d), None)];
                        record(tx, &self.origin, Activity::AcknowledgeRetire, &changes).await?;
                        self.finish(DeviceOutcome::Done(d), true)
                    }
                    CommandKind::Wipe => {
                        tx.execute(
                            "UPDATE device_commands SET acknowledged_at = ? \
                             WHERE tenant_id = ? AND id = ?",
                            vec![
                                text(Timestamp::now().to_string()),
                                text(d.tenant.to_string()),
                                text(c.id.to_string()),
                            ],
                        )
                        .await?;
                        let mut next = d.clone();
                        next.management_state = management_state::WIPE_ISSUED;
                        next.version = d.version + 1;
                        rewrite(tx, &next).await?;
                        let changes = [(Some(&d), Some(&next))];
                        record(tx, &self.origin, Activity::AcknowledgeWipe, &changes).await?;
                        self.finish(DeviceOutcome::Done(next), true)
                    }
                }
            }
        }
    }
}
