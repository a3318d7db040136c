//! The device operations that read and decide inside one transaction ([`Transaction`]), on
//! both databases: an enrollment (the redemption ledger, the token's usage limit, the device's
//! current record, supersession, idempotency keys), removing a record, queueing a command,
//! a check-in and a command's acknowledgement.
//!
//! Locks, on PostgreSQL, are always taken in one order — the device's record first, then the
//! profile rows in id order — so that two transactions never wait for each other in a circle;
//! a deadlock or a unique-key race is retried by the store with the whole transaction. SQLite
//! runs each transaction alone in its writer.

use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::tx::{int, text, Arg, Done, Statement, Tx};
use crate::model::audit::{resource, Activity, AuditEvent, Changed, Origin, AUDIT_EVENTS};
use crate::model::device::{Identity, ManagedDevice, DEVICES};
use crate::model::layout::{from_row, to_row, Cell, CellKind};
use crate::model::TenantId;

mod enroll;
mod work;

pub use work::{DeviceOp, DeviceOutcome, DeviceWork};

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
    /// The device and its request, for the audit event.
    pub origin: Arc<Origin>,
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

/// Statements to run as one [`Tx::script`], with the number of rows some of them must change:
/// a write under the transaction's locks that finds another count than it decided on is an
/// error (the whole transaction is then undone), never a silent miscount.
#[derive(Debug, Default)]
struct Script {
    statements: Vec<Statement>,
    expected: Vec<Option<(u64, &'static str)>>,
}

impl Script {
    /// Adds `s`, whatever it changes.
    fn push(&mut self, s: Statement) {
        self.statements.push(s);
        self.expected.push(None);
    }

    /// Adds `s`, which must change exactly `rows` rows; `what` names it in the error.
    fn push_changing(&mut self, s: Statement, rows: u64, what: &'static str) {
        self.statements.push(s);
        self.expected.push(Some((rows, what)));
    }

    /// Runs the statements; what each did.
    async fn run(self, tx: &mut dyn Tx) -> Result<Vec<Done>, sqlx::Error> {
        let done = tx.script(self.statements).await?;
        for (d, expected) in done.iter().zip(&self.expected) {
            if let Some((rows, what)) = expected {
                if d.changed != *rows {
                    return Err(other(anyhow::anyhow!(
                        "{what} changed {} rows under the transaction's locks, not {rows}",
                        d.changed
                    )));
                }
            }
        }
        Ok(done)
    }
}

/// The statement that stores `next` (whose version is one more than the stored one's).
fn rewrite_statement(next: &ManagedDevice) -> Statement {
    Statement::update(DEVICES.layout(), to_row(next), next.version - 1)
}

/// Stores `next` (whose version is one more than the stored one's).
async fn rewrite(tx: &mut dyn Tx, next: &ManagedDevice) -> Result<(), sqlx::Error> {
    let mut script = Script::default();
    script.push_changing(rewrite_statement(next), 1, "the managed device's rewrite");
    script.run(tx).await.map(|_| ())
}

/// The statement that lowers a profile's count of enrolled devices by one (a record removed or
/// superseded).
fn uncount_statement(tenant: TenantId, profile: Uuid) -> Statement {
    Statement::write(
        "UPDATE enrollment_profiles SET enrolled_device_count = enrolled_device_count - 1 \
         WHERE tenant_id = ? AND id = ? AND enrolled_device_count > 0",
        vec![text(tenant.to_string()), text(profile.to_string())],
    )
}

/// Lowers a profile's count of enrolled devices by one (a record removed or superseded).
async fn uncount(tx: &mut dyn Tx, tenant: TenantId, profile: Uuid) -> Result<(), sqlx::Error> {
    tx.one(uncount_statement(tenant, profile)).await.map(|_| ())
}

/// A device record before and after a change (none before a create, none after a removal).
type DeviceChange<'a> = (Option<&'a ManagedDevice>, Option<&'a ManagedDevice>);

/// The statement that writes the audit event of a change of device records, in the change's
/// transaction: one INSERT, from what the transaction already holds. None when nothing changed.
fn event_statement(
    origin: &Origin,
    activity: Activity,
    changes: &[DeviceChange<'_>],
) -> Option<Statement> {
    let layout = DEVICES.layout();
    let tenant = changes
        .iter()
        .find_map(|(b, a)| a.or(*b))
        .map(|d| d.tenant)?;
    let resources = changes
        .iter()
        .map(|(before, after)| {
            // The credential hash is a hidden column the event shows masked when it changed.
            let (b, a) = (before.map(to_row), after.map(to_row));
            let changed = Changed {
                layout,
                before: b.as_ref(),
                after: a.as_ref(),
            };
            resource(changed)
        })
        .collect();
    let event = AuditEvent::new(tenant, origin, activity, layout.type_name, resources, true);
    Some(Statement::insert(AUDIT_EVENTS.layout(), to_row(&event)))
}

/// Writes the audit event of a change of device records ([`event_statement`]).
async fn record(
    tx: &mut dyn Tx,
    origin: &Origin,
    activity: Activity,
    changes: &[DeviceChange<'_>],
) -> Result<(), sqlx::Error> {
    if let Some(s) = event_statement(origin, activity, changes) {
        tx.one(s).await?;
    }
    Ok(())
}

/// The audit event of an enrollment: a new record (superseding the device's `current` one, if
/// it had one), or `current` refreshed. None for a refusal.
fn enrollment_event(
    origin: &Origin,
    current: Option<&ManagedDevice>,
    outcome: &Enrolled,
) -> Option<Statement> {
    match outcome {
        Enrolled::Created {
            device,
            superseded: None,
        } => event_statement(origin, Activity::Enroll, &[(None, Some(&**device))]),
        Enrolled::Created {
            device,
            superseded: Some(old),
        } => {
            let changes = [(None, Some(&**device)), (current, Some(&**old))];
            event_statement(origin, Activity::Supersede, &changes)
        }
        Enrolled::Reused(device) => {
            event_statement(origin, Activity::ReEnroll, &[(current, Some(&**device))])
        }
        Enrolled::TokenGone | Enrolled::LimitReached | Enrolled::KeyReused => None,
    }
}
