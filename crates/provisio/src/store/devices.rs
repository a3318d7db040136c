//! The device operations that read and decide inside one transaction ([`Transaction`]), on
//! both databases: an enrollment (the redemption ledger, the token's usage limit, the device's
//! current record, supersession, idempotency keys), removing a record, queueing a command,
//! a check-in and a command's acknowledgement.
//!
//! Locks, on PostgreSQL, are always taken in one order — the device's record first, then the
//! profile rows in id order — so that two transactions never wait for each other in a circle;
//! a deadlock or a unique-key race is retried by the store with the whole transaction. SQLite
//! runs each transaction alone in its writer.

use std::sync::Mutex;

use async_trait::async_trait;
use uuid::Uuid;

use super::tx::{int, text, Arg, Transaction, Tx};
use crate::model::device::{management_state, Identity, ManagedDevice, DEVICES};
use crate::model::layout::{from_row, to_row, Cell, CellKind};
use crate::model::{TenantId, Timestamp};

/// How long an enrollment's idempotency key is kept.
pub const IDEMPOTENCY_SECONDS: i64 = 24 * 3600;

/// A command queued for a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// Stop managing the device: the record is removed once the device acknowledges.
    Retire,
    /// Factory-reset the device.
    Wipe,
}

impl CommandKind {
    /// The stored number.
    pub fn value(self) -> i64 {
        match self {
            CommandKind::Retire => 1,
            CommandKind::Wipe => 2,
        }
    }

    /// The name devices see.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Retire => "retire",
            CommandKind::Wipe => "wipe",
        }
    }

    fn of(value: i64) -> Option<Self> {
        match value {
            1 => Some(CommandKind::Retire),
            2 => Some(CommandKind::Wipe),
            _ => None,
        }
    }
}

/// A command waiting for its device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Its id.
    pub id: Uuid,
    /// What it asks.
    pub kind: CommandKind,
    /// When an admin asked.
    pub issued: String,
}

/// An enrollment's idempotency key and the hash of the request it came with.
#[derive(Clone, Debug)]
pub struct IdempotencyKey {
    /// The key, as sent.
    pub key: String,
    /// SHA-256 of the request's token, credential hash and device facts.
    pub request_hash: String,
}

/// What an enrollment is to do, decided by the service before the transaction.
#[derive(Clone, Debug)]
pub struct EnrollPlan {
    /// The profile whose token the device presented.
    pub profile_id: Uuid,
    /// That token.
    pub token_id: Uuid,
    /// Most devices one token enrolls.
    pub usage_limit: i64,
    /// The record to create if none is reused: a fresh id, the device's facts and name.
    pub device: ManagedDevice,
    /// Credential hashes that prove the caller is the device of a stored record (the one in
    /// the body, and the one of an `Authorization: Device` secret).
    pub proofs: Vec<String>,
    /// The request's idempotency key.
    pub idempotency: Option<IdempotencyKey>,
}

/// What an enrollment did.
#[derive(Clone, Debug, PartialEq)]
pub enum Enrolled {
    /// A new record; the record it superseded, if the device had one.
    Created {
        /// The new record.
        device: Box<ManagedDevice>,
        /// The device's previous current record, now superseded.
        superseded: Option<Box<ManagedDevice>>,
    },
    /// The device proved it is the one of its current record, which was refreshed.
    Reused(Box<ManagedDevice>),
    /// The token is no longer the profile's current one (replaced or revoked meanwhile).
    TokenGone,
    /// The token has enrolled as many devices as it may.
    LimitReached,
    /// The idempotency key came before with another request.
    KeyReused,
}

/// An enrollment, as one transaction.
#[derive(Debug)]
pub struct Enroll {
    plan: EnrollPlan,
    outcome: Mutex<Option<Enrolled>>,
}

impl Enroll {
    /// The enrollment `plan` describes.
    pub fn new(plan: EnrollPlan) -> Self {
        Enroll {
            plan,
            outcome: Mutex::new(None),
        }
    }

    /// What it did, once it ran.
    pub fn outcome(&self) -> Option<Enrolled> {
        lock(&self.outcome).clone()
    }

    fn finish(&self, outcome: Enrolled, commit: bool) -> Result<bool, sqlx::Error> {
        *lock(&self.outcome) = Some(outcome);
        Ok(commit)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

const IDENTITY: &str = "identity_kind = ? AND identity_a = ? AND identity_b = ? AND identity_c = ?";

fn identity_args(id: &Identity) -> Vec<Arg> {
    vec![
        int(id.kind),
        text(id.a.clone()),
        text(id.b.clone()),
        text(id.c.clone()),
    ]
}

fn cell_text(c: &Cell) -> &str {
    match c {
        Cell::Text(s) => s,
        _ => "",
    }
}

fn cell_int(c: &Cell) -> i64 {
    match c {
        Cell::Int(n) => *n,
        _ => 0,
    }
}

fn other(e: anyhow::Error) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

/// The tenant's records that `where_sql` selects.
async fn devices(
    tx: &mut dyn Tx,
    where_sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<ManagedDevice>, sqlx::Error> {
    let rows = tx.rows(DEVICES.layout(), where_sql, args).await?;
    rows.into_iter()
        .map(|r| from_row(r).map_err(other))
        .collect()
}

/// Stores `next` (whose version is one more than the stored one's).
async fn rewrite(tx: &mut dyn Tx, next: &ManagedDevice) -> Result<(), sqlx::Error> {
    let n = tx
        .update(DEVICES.layout(), to_row(next), next.version - 1)
        .await?;
    if n != 1 {
        return Err(other(anyhow::anyhow!(
            "the managed device {} changed under a lock",
            next.id
        )));
    }
    Ok(())
}

/// Lowers a profile's count of enrolled devices by one (a record removed or superseded).
async fn uncount(tx: &mut dyn Tx, tenant: TenantId, profile: Uuid) -> Result<(), sqlx::Error> {
    tx.execute(
        "UPDATE enrollment_profiles SET enrolled_device_count = enrolled_device_count - 1 \
         WHERE tenant_id = ? AND id = ? AND enrolled_device_count > 0",
        vec![text(tenant.to_string()), text(profile.to_string())],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Transaction for Enroll {
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error> {
        let plan = &self.plan;
        let d = &plan.device;
        let tenant = d.tenant.to_string();
        let now = Timestamp::now();
        // A key seen before proves the caller, if it came with the same request.
        let mut key_device = None;
        if let Some(k) = &plan.idempotency {
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            let mut args = vec![text(plan.token_id.to_string())];
            args.extend(identity_args(&d.identity));
            args.extend([text(k.key.clone()), text(cutoff.to_string())]);
            let found = tx
                .fetch(
                    &format!(
                        "SELECT request_hash, device_id FROM enrollment_idempotency \
                         WHERE token_id = ? AND {IDENTITY} AND idempotency_key = ? AND created_at > ?"
                    ),
                    args,
                    &[CellKind::Text, CellKind::Text],
                )
                .await?;
            if let Some(row) = found.first() {
                if cell_text(&row[0]) != k.request_hash {
                    return self.finish(Enrolled::KeyReused, false);
                }
                key_device = Some(cell_text(&row[1]).to_owned());
            }
        }
        // The device's current record, locked first.
        let mut args = vec![text(tenant.clone())];
        args.extend(identity_args(&d.identity));
        // Written as the partial unique index says it, so that the index finds the record (a
        // bound value would make SQLite prepare the statement again at every run).
        let current_only = match tx.dialect() {
            super::query::Dialect::Sqlite => "superseded = 0",
            super::query::Dialect::Postgres => "NOT superseded",
        };
        let sql = format!(
            "tenant_id = ? AND {IDENTITY} AND {current_only}{}",
            tx.for_update()
        );
        let current = devices(tx, &sql, args).await?.into_iter().next();
        // Then the profiles, in id order.
        let mut profiles = vec![plan.profile_id];
        if let Some(c) = &current {
            if c.enrollment_profile_id != plan.profile_id {
                profiles.push(c.enrollment_profile_id);
            }
        }
        profiles.sort();
        let mut usage = None;
        for p in &profiles {
            let sql = format!(
                "SELECT token_id, token_usage_count FROM enrollment_profiles \
                 WHERE tenant_id = ? AND id = ?{}",
                tx.for_update()
            );
            let found = tx
                .fetch(
                    &sql,
                    vec![text(tenant.clone()), text(p.to_string())],
                    &[CellKind::Text, CellKind::Int],
                )
                .await?;
            if *p == plan.profile_id {
                match found.first() {
                    Some(row) if cell_text(&row[0]) == plan.token_id.to_string() => {
                        usage = Some(cell_int(&row[1]));
                    }
                    _ => return self.finish(Enrolled::TokenGone, false),
                }
            }
        }
        let Some(usage) = usage else {
            return self.finish(Enrolled::TokenGone, false);
        };
        let proven = current.as_ref().filter(|c| {
            key_device.as_deref() == Some(c.id.to_string().as_str())
                || plan.proofs.contains(&c.credential_hash)
        });
        let reused = proven
            .filter(|c| c.enrollment_profile_id == plan.profile_id)
            .cloned();
        let record_id = reused.as_ref().map_or(d.id, |c| c.id);
        // The ledger: the pair (token, identity) counts once.
        let mut args = vec![text(plan.token_id.to_string())];
        args.extend(identity_args(&d.identity));
        args.extend([
            text(tenant.clone()),
            text(plan.profile_id.to_string()),
            text(record_id.to_string()),
            text(now.to_string()),
        ]);
        let counted = tx
            .execute(
                "INSERT INTO token_redemptions (token_id, identity_kind, identity_a, identity_b, \
                 identity_c, tenant_id, profile_id, device_id, redeemed_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                args,
            )
            .await?;
        let usage_delta = i64::try_from(counted).unwrap_or(1);
        if usage + usage_delta > plan.usage_limit {
            return self.finish(Enrolled::LimitReached, false);
        }
        let replaces_here = current
            .as_ref()
            .is_some_and(|c| c.enrollment_profile_id == plan.profile_id);
        let devices_delta = match (reused.is_some(), replaces_here) {
            (true, _) | (false, true) => 0,
            (false, false) => 1,
        };
        if usage_delta != 0 || devices_delta != 0 {
            tx.execute(
                "UPDATE enrollment_profiles SET token_usage_count = token_usage_count + ?, \
                 enrolled_device_count = enrolled_device_count + ? WHERE tenant_id = ? AND id = ?",
                vec![
                    int(usage_delta),
                    int(devices_delta),
                    text(tenant.clone()),
                    text(plan.profile_id.to_string()),
                ],
            )
            .await?;
        }
        let outcome = match (reused, current) {
            (Some(stored), _) => {
                let mut next = stored.clone();
                next.refresh_from(d, now);
                next.version = stored.version + 1;
                rewrite(tx, &next).await?;
                Enrolled::Reused(Box::new(next))
            }
            (None, previous) => {
                let superseded = match previous {
                    Some(old) => {
                        let mut next = old.clone();
                        next.superseded = true;
                        next.version = old.version + 1;
                        rewrite(tx, &next).await?;
                        if old.enrollment_profile_id != plan.profile_id {
                            uncount(tx, d.tenant, old.enrollment_profile_id).await?;
                        }
                        Some(Box::new(next))
                    }
                    None => None,
                };
                tx.insert(DEVICES.layout(), to_row(d)).await?;
                Enrolled::Created {
                    device: Box::new(d.clone()),
                    superseded,
                }
            }
        };
        if let Some(k) = &plan.idempotency {
            let mut args = vec![text(plan.token_id.to_string())];
            args.extend(identity_args(&d.identity));
            args.extend([
                text(k.key.clone()),
                text(k.request_hash.clone()),
                text(record_id.to_string()),
                text(now.to_string()),
            ]);
            tx.execute(
                "INSERT INTO enrollment_idempotency (token_id, identity_kind, identity_a, \
                 identity_b, identity_c, idempotency_key, request_hash, device_id, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (token_id, identity_kind, identity_a, identity_b, identity_c, \
                 idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, \
                 device_id = excluded.device_id, created_at = excluded.created_at",
                args,
            )
            .await?;
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            tx.execute(
                "DELETE FROM enrollment_idempotency WHERE created_at < ?",
                vec![text(cutoff.to_string())],
            )
            .await?;
        }
        self.finish(outcome, true)
    }
}

impl ManagedDevice {
    /// Takes the facts a device reports again (its name, enrollment and what admins set stay).
    pub fn refresh_from(&mut self, reported: &ManagedDevice, now: Timestamp) {
        self.os_version = reported.os_version.clone();
        self.security_patch_level = reported.security_patch_level.clone();
        self.imei = reported.imei.clone();
        self.meid = reported.meid.clone();
        self.wifi_mac_address = reported.wifi_mac_address.clone();
        self.credential_hash = reported.credential_hash.clone();
        self.last_sync = now;
    }
}

/// What a device operation found.
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceOutcome {
    /// Done, on this record (as it is now, or as it was when removed).
    Done(ManagedDevice),
    /// No such record (or command).
    NotFound,
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
    },
    /// Queue `retire` or `wipe` for the device's next check-in.
    Queue {
        /// The tenant.
        tenant: TenantId,
        /// The record.
        id: Uuid,
        /// The command.
        kind: CommandKind,
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
    /// The work `op` describes.
    pub fn new(op: DeviceOp) -> Self {
        DeviceWork {
            op,
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
            DeviceOp::Remove { tenant, id } => {
                let Some(d) = by_id(tx, *tenant, *id).await? else {
                    return self.finish(DeviceOutcome::NotFound, false);
                };
                remove(tx, &d).await?;
                self.finish(DeviceOutcome::Done(d), true)
            }
            DeviceOp::Queue { tenant, id, kind } => {
                let Some(d) = by_id(tx, *tenant, *id).await? else {
                    return self.finish(DeviceOutcome::NotFound, false);
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
                next.version = d.version + 1;
                rewrite(tx, &next).await?;
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
                        self.finish(DeviceOutcome::Done(next), true)
                    }
                }
            }
        }
    }
}
